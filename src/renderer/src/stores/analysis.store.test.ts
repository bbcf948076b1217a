import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'
import { EXAMPLES } from '../../../shared/examples'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useAnalysisStore, runSubject, modelSubject } = await import('./analysis.store')

const answer = { tensors: [], verdict: 'pass', loss: 1, loss_name: 'mean_squared_error', batch_size: 4, epsilon: 1e-3, error_floor: 1e-3, tolerances: { pass: 1e-2, fail: 1e-1 }, samples_per_tensor: 50, seed: 1, compared: 10, kinks: 0, rows: [0, 1, 2, 3] }

describe('analysis store: the gradient check', () => {
  let client: ReturnType<typeof createFakeClient>
  beforeEach(() => {
    client = createFakeClient()
    fake.client = client
    setActivePinia(createPinia())
  })

  it('checks a run, follows only its own job.progress events, and keeps the answer per run', async () => {
    let release: () => void = () => {}
    client.handlers['runs.gradientCheck'] = (request) => new Promise((resolve) => {
      release = () => resolve({ ...answer, source: { kind: 'run', run_id: (request as { run_id: string }).run_id, which: 'last', epoch: 3 } })
    })
    const store = useAnalysisStore()
    const pending = store.checkRun('r1')
    const entry = store.state(runSubject('r1'))
    expect(entry.running).toBe(true)
    const job = (client.calls[0]!.request as { job: string }).job
    expect(job).toMatch(/^gradcheck-ui:/)
    client.emit('job.progress', { job: 'someone-else', label: '', done: 9, total: 9 })
    expect(entry.progress).toBeNull()
    client.emit('job.progress', { job, label: 'Gradient check', done: 3, total: 10 })
    expect(entry.progress).toEqual({ done: 3, total: 10 })
    // A second click while it runs does not start another.
    expect(await store.checkRun('r1')).toBeNull()
    expect(client.calls).toHaveLength(1)
    release()
    await pending
    expect(entry.running).toBe(false)
    expect(entry.result?.source).toEqual({ kind: 'run', run_id: 'r1', which: 'last', epoch: 3 })
    // The listener is gone once the check answered.
    client.emit('job.progress', { job, label: '', done: 10, total: 10 })
    expect(entry.progress).toEqual({ done: 3, total: 10 })
  })

  it('checks the Designer model with its seed and loss, remembers which spec, and keeps a typed error', async () => {
    const spec = EXAMPLES.find((e) => e.id === 'S7')!.spec
    client.handlers['runs.gradientCheck'] = () => ({ ...answer, source: { kind: 'untrained', model_name: spec.name, dataset_id: 'linear-2x' } })
    const store = useAnalysisStore()
    await store.checkModel(spec, 'linear-2x', 1, 'mean_absolute_error')
    expect(client.calls[0]!.request).toMatchObject({ spec, dataset_id: 'linear-2x', seed: 1, loss: 'mean_absolute_error' })
    expect(store.checkedSpecs[modelSubject('linear-2x')]).toBe(JSON.stringify(spec))

    client.handlers['runs.gradientCheck'] = () => {
      throw Object.assign(new Error('the loss does not fit'), { code: 'bad_input', reason: 'run.bad_config', details: { problem: 'the loss does not fit' } })
    }
    expect(await store.checkModel(spec, 'linear-2x')).toBeNull()
    const entry = store.state(modelSubject('linear-2x'))
    expect(entry.error).not.toBeNull()
    expect(entry.running).toBe(false)
    // The last good answer stays beside the error.
    expect(entry.result?.verdict).toBe('pass')
  })
})
