import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'
import type { SweepDetail } from '../../../shared/sweep'
import { trainingConfigSchema } from '../../../shared/training'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useSweepsStore } = await import('./sweeps.store')

function detail(runStatus: string): SweepDetail {
  return {
    id: 'sweep-1', name: 's', dataset_id: 'd', model_name: 'm', mode: 'grid', trials: null, seed: null, concurrency: 1, status: 'active', created_at: '', ended_at: null,
    axes: [{ field: 'batch_size', values: '16,32' }], fields: ['batch_size'],
    counts: { total: 2, queued: 1, running: 1, finished: 0, failed: 0, interrupted: 0, cancelled: 0 },
    items: [
      { index: 0, label: 'batch_size=16', values: { batch_size: 16 }, state: 'claimed', run_id: 'run-1', run_status: runStatus, error: null, final_metrics: {}, best_metrics: {} },
      { index: 1, label: 'batch_size=32', values: { batch_size: 32 }, state: 'queued', run_id: null, run_status: null, error: null, final_metrics: {}, best_metrics: {} }
    ]
  }
}

describe('sweeps store', () => {
  let client: ReturnType<typeof createFakeClient>
  beforeEach(() => {
    client = createFakeClient()
    fake.client = client
    setActivePinia(createPinia())
  })

  it('previews the run count, or the typed error of a bad range', () => {
    const store = useSweepsStore()
    const config = trainingConfigSchema.parse({ loss: 'mean_squared_error' })
    store.axes = [{ field: 'optimizer.learning_rate', values: '1e-4..1e-1:log:6' }, { field: 'batch_size', values: '32,64,128' }]
    expect(store.preview(config)).toEqual({ count: 18, error: null })
    store.axes = [{ field: 'optimizer.learning_rate', values: '0.1..0.01:log:3' }]
    const refused = store.preview(config)
    expect(refused.count).toBeNull()
    expect(refused.error?.reason).toBe('sweep.range_reversed')
  })

  it('creates a sweep with the form, shows it, and refetches when one of its runs changes', async () => {
    vi.useFakeTimers()
    try {
      const store = useSweepsStore()
      let status = 'queued'
      client.handlers['sweeps.create'] = () => ({ ...detail(status), items: undefined })
      client.handlers['sweeps.list'] = () => [detail(status)]
      client.handlers['sweeps.get'] = () => detail(status)
      store.listen()
      store.axes = [{ field: 'batch_size', values: '16,32' }]
      store.concurrency = 2
      const config = trainingConfigSchema.parse({ loss: 'mean_squared_error' })
      expect(await store.create({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [1], layers: [] }, 'd', config)).toBe('sweep-1')
      const sent = client.calls.find((c) => c.method === 'sweeps.create')!.request as { axes: unknown; mode: string; concurrency: number; trials?: number }
      expect(sent).toMatchObject({ axes: [{ field: 'batch_size', values: '16,32' }], mode: 'grid', concurrency: 2 })
      expect(sent.trials).toBeUndefined()
      expect(store.current?.items[0]!.run_status).toBe('queued')

      status = 'running'
      client.emit('runs.changed', { run_id: 'run-other' })
      await vi.advanceTimersByTimeAsync(400)
      expect(store.current?.items[0]!.run_status).toBe('queued')
      client.emit('runs.changed', { run_id: 'run-1' })
      await vi.advanceTimersByTimeAsync(400)
      expect(store.current?.items[0]!.run_status).toBe('running')
    } finally {
      vi.useRealTimers()
    }
  })
})
