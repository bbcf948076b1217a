import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'
import { trainingConfigSchema } from '../../../shared/training'
import type { ModelSpec } from '../../../shared/model-spec'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useTrainingStore } = await import('./training.store')

const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 1 } }] }
const config = trainingConfigSchema.parse({ loss: 'binary_crossentropy' })
const backend = { name: 'wasm' as const, skipped: [{ backend: 'tensorflow-gpu' as const, reason: 'tfjs-node-gpu is not installed' }], forced: false }

describe('training store', () => {
  let client: ReturnType<typeof createFakeClient>
  beforeEach(() => {
    client = createFakeClient()
    fake.client = client
    setActivePinia(createPinia())
  })

  it('keeps events that arrive before runs.start answers, then applies them to the new run', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => {
      client.emit('run.progress', { type: 'started', run_id: 'r1', backend, total_steps: 100, steps_per_epoch: 10, epochs: 10, versions: {} })
      client.emit('run.progress', { type: 'batch', run_id: 'r1', step: 1, epoch: 0, metrics: { loss: 0.9 }, samples_per_s: 1000, eta_s: 5, progress: 0.01 })
      client.emit('run.progress', { type: 'batch', run_id: 'other', step: 1, epoch: 0, metrics: { loss: 5 }, samples_per_s: 1, eta_s: 5, progress: 0.5 })
      return { run_id: 'r1' }
    }
    const id = await store.start(spec, 'xor', config)
    expect(id).toBe('r1')
    expect(store.phase).toBe('running')
    expect(store.backend?.skipped[0].reason).toMatch(/not installed/)
    expect(store.totalSteps).toBe(100)
    expect(store.progress).toBe(0.01)
    expect(store.liveData().batch.get('loss')?.y).toEqual([0.9])
    expect(client.calls[0]).toMatchObject({ method: 'runs.start', request: { dataset_id: 'xor' } })
  })

  it('appends batch points with a debiased EMA and epoch points, announcing each by a revision', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'r2' })
    await store.start(spec, 'xor', config)
    const before = store.revision
    const values = [1, 0.5, 0.25]
    values.forEach((loss, i) => client.emit('run.progress', { type: 'batch', run_id: 'r2', step: i + 1, epoch: 0, metrics: { loss }, samples_per_s: 10, eta_s: 1, progress: (i + 1) / 3 }))
    client.emit('run.progress', { type: 'epoch', run_id: 'r2', step: 3, epoch: 1, metrics: { loss: 0.5, val_loss: 0.6 } })
    const loss = store.liveData().batch.get('loss')!
    expect(loss.x).toEqual([1, 2, 3])
    expect(loss.smooth[0]).toBeCloseTo(1, 12)
    expect(loss.smooth[2]).toBeLessThan(loss.smooth[1])
    expect(loss.smooth[2]).toBeGreaterThan(0.25)
    expect(store.liveData().epoch.get('val_loss')?.y).toEqual([0.6])
    expect(store.revision).toBe(before + 4)
    store.setSmoothing(0)
    expect(store.liveData().batch.get('loss')?.smooth).toEqual(values)
  })

  it('reports a diverged run as an error with what to do next', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'r3' })
    await store.start(spec, 'xor', config)
    client.emit('run.progress', { type: 'ended', run_id: 'r3', status: 'diverged', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: 17 })
    expect(store.phase).toBe('diverged')
    expect(store.isActive()).toBe(false)
    expect(store.error?.message).toContain('17')
    expect(store.error?.hint).toMatch(/learning rate/)
  })

  it('returns to idle with a readable error when the back end refuses the start', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => {
      throw Object.assign(new Error('model input [3] does not match data set feature shape [2]'), { code: 'bad_input' })
    }
    expect(await store.start(spec, 'xor', config)).toBeNull()
    expect(store.phase).toBe('idle')
    expect(store.error?.message).toMatch(/does not match/)
  })

  it('sends pause, resume and stop for the current run', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'r4' })
    for (const m of ['runs.pause', 'runs.resume', 'runs.stop']) client.handlers[m] = () => ({ ok: true })
    await store.start(spec, 'xor', config)
    await store.pause()
    expect(store.phase).toBe('paused')
    await store.resume()
    await store.stop()
    expect(client.calls.slice(1).map((c) => [c.method, (c.request as { run_id: string }).run_id])).toEqual([['runs.pause', 'r4'], ['runs.resume', 'r4'], ['runs.stop', 'r4']])
  })

  it('shows stopping from the Stop click until the run has ended, and not after a refused Stop', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'r5' })
    let answer: () => void = () => {}
    client.handlers['runs.stop'] = () => new Promise((resolve) => (answer = () => resolve({ ok: true })))
    await store.start(spec, 'xor', config)
    client.emit('run.progress', { type: 'started', run_id: 'r5', backend, total_steps: 100, steps_per_epoch: 10, epochs: 10, versions: {} })
    expect(store.stopping).toBe(false)
    const stopped = store.stop()
    // at once, before the back end has answered
    expect(store.stopping).toBe(true)
    answer()
    await stopped
    expect(store.stopping).toBe(true)
    expect(store.phase).toBe('running')
    client.emit('run.progress', { type: 'ended', run_id: 'r5', status: 'stopped', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    expect(store.stopping).toBe(false)
    expect(store.phase).toBe('stopped')

    client.handlers['runs.start'] = () => ({ run_id: 'r6' })
    client.handlers['runs.stop'] = () => {
      throw Object.assign(new Error('run r6 is not running anywhere'), { code: 'conflict' })
    }
    await store.start(spec, 'xor', config)
    await store.stop()
    expect(store.stopping).toBe(false)
    expect(store.error?.message).toMatch(/not running/)
  })
})
