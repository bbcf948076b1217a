// The insights store: a watched run's distributions load at once, refetch on its epoch events
// (at most every LIVE_REFETCH_MS) and once more when it ends, and stop when unwatched; the finder
// follows its own job's progress, keeps the answer, and shows a typed error.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useInsightsStore, LIVE_REFETCH_MS } = await import('./insights.store')

const answer = (epochs: number) => ({ run_id: 'r1', probe_rows: 4, epochs: Array.from({ length: epochs }, (_, epoch) => ({ epoch, step: epoch, layers: [] })), flags: [] })

describe('insights store', () => {
  let client: ReturnType<typeof createFakeClient>
  let served = 1
  beforeEach(() => {
    vi.useFakeTimers()
    client = createFakeClient()
    fake.client = client
    setActivePinia(createPinia())
    served = 1
    client.handlers['runs.distributions'] = () => answer(served)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('loads a watched run, refetches on epoch events at most every 2 s and at its end, and stops when unwatched', async () => {
    const store = useInsightsStore()
    const stop = store.watchDistributions('r1')
    await vi.advanceTimersByTimeAsync(0)
    expect(store.distributions.r1?.data?.epochs).toHaveLength(1)
    served = 3
    client.emit('run.progress', { type: 'epoch', run_id: 'r1', step: 1, epoch: 0, metrics: {} })
    client.emit('run.progress', { type: 'epoch', run_id: 'r1', step: 2, epoch: 1, metrics: {} })
    client.emit('run.progress', { type: 'epoch', run_id: 'other', step: 2, epoch: 1, metrics: {} })
    await vi.advanceTimersByTimeAsync(LIVE_REFETCH_MS - 100)
    expect(client.calls.filter((c) => c.method === 'runs.distributions')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(client.calls.filter((c) => c.method === 'runs.distributions')).toHaveLength(2)
    expect(store.distributions.r1?.data?.epochs).toHaveLength(3)
    served = 4
    client.emit('run.progress', { type: 'ended', run_id: 'r1', status: 'finished', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    await vi.advanceTimersByTimeAsync(0)
    expect(store.distributions.r1?.data?.epochs).toHaveLength(4)
    stop()
    client.emit('run.progress', { type: 'epoch', run_id: 'r1', step: 3, epoch: 2, metrics: {} })
    await vi.advanceTimersByTimeAsync(5 * LIVE_REFETCH_MS)
    expect(client.calls.filter((c) => c.method === 'runs.distributions')).toHaveLength(3)
  })

  it("runs the finder with its own job id, follows that job's progress and keeps the answer", async () => {
    const store = useInsightsStore()
    let release: (value: unknown) => void = () => {}
    client.handlers['runs.findLearningRate'] = () => new Promise((resolve) => (release = resolve))
    const pending = store.findLearningRate({ spec: {} as never, dataset_id: 'mnist', config: {} as never, steps: 100 })
    const request = client.calls.find((c) => c.method === 'runs.findLearningRate')!.request as { job: string; steps: number }
    expect(request.steps).toBe(100)
    expect(store.finder.running).toBe(true)
    client.emit('job.progress', { job: 'someone-else', label: '', done: 9, total: 10 })
    client.emit('job.progress', { job: request.job, label: '', done: 40, total: 100 })
    expect(store.finder.progress).toEqual({ done: 40, total: 100 })
    const result = { points: [], suggestion: null, stopped: 'completed', start: 1e-7, end: 10, steps: 100 }
    release(result)
    expect(await pending).toEqual(result)
    expect(store.finder).toMatchObject({ running: false, result, error: null })
  })

  it('shows a refusal as a typed error and can be reset', async () => {
    const store = useInsightsStore()
    client.handlers['runs.findLearningRate'] = () => {
      throw Object.assign(new Error('the learning-rate finder needs a start rate below its end rate'), { code: 'bad_input', reason: 'lr.range', details: { start: 1, end: 0.1 } })
    }
    expect(await store.findLearningRate({ spec: {} as never, dataset_id: 'mnist', config: {} as never })).toBeNull()
    expect(store.finder.error).not.toBeNull()
    store.resetFinder()
    expect(store.finder.error).toBeNull()
  })
})
