import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { nextTick } from 'vue'
import { createFakeClient } from './fake-client.test-helper'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useEvaluationStore } = await import('./evaluation.store')

/** A Map-backed localStorage, so the persisted state can be read back. */
function memoryStorage(): Storage {
  const map = new Map<string, string>()
  return {
    get length() { return map.size },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, String(v))
  }
}

describe('evaluation store', () => {
  let client: ReturnType<typeof createFakeClient>
  beforeEach(() => {
    client = createFakeClient()
    fake.client = client
    vi.stubGlobal('localStorage', memoryStorage())
    setActivePinia(createPinia())
    client.handlers['runs.evaluate'] = (req) => ({ split: (req as { split: string }).split, metrics: { loss: 0.3 }, confusion: [[1, 0], [0, 1]], per_class: null, scores: [[0.2], [0.8]], truth: [0, 1], decision_threshold: 0.7 })
    client.handlers['runs.setThreshold'] = (req) => req
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  it('evaluates through the client, caches per run and split, and takes the run’s saved threshold', async () => {
    const store = useEvaluationStore()
    store.select('run-1', 'test')
    expect(store.current).toBeNull()
    await store.evaluate('run-1', 'test')
    expect(store.current?.metrics.loss).toBe(0.3)
    expect(store.thresholdOf('run-1')).toBe(0.7)
    expect(store.thresholdOf('run-2')).toBe(0.5)
    store.select('run-1', 'validation')
    expect(store.current).toBeNull()
    expect(client.calls.filter((c) => c.method === 'runs.evaluate')).toHaveLength(1)
  })

  it('shows a failed evaluation as an error', async () => {
    client.handlers['runs.evaluate'] = () => {
      throw Object.assign(new Error('run "x" has no saved weights yet'), { code: 'conflict' })
    }
    const store = useEvaluationStore()
    await expect(store.evaluate('run-1', 'test')).rejects.toThrow(/no saved weights/)
    expect(store.error?.message).toMatch(/no saved weights/)
    expect(store.evaluating).toBe(false)
  })

  it('saves the threshold with the run once the slider rests, and resets it to the default', async () => {
    vi.useFakeTimers()
    const store = useEvaluationStore()
    store.setThreshold('run-1', 0.3)
    store.setThreshold('run-1', 0.35)
    expect(store.thresholdOf('run-1')).toBe(0.35)
    expect(client.calls.filter((c) => c.method === 'runs.setThreshold')).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(500)
    expect(client.calls.filter((c) => c.method === 'runs.setThreshold').map((c) => c.request)).toEqual([{ run_id: 'run-1', threshold: 0.35 }])
    await store.resetThreshold('run-1')
    expect(client.calls.at(-1)?.request).toEqual({ run_id: 'run-1', threshold: null })
    expect(store.thresholdOf('run-1')).toBe(0.5)
  })

  it('fetches samples by position, neighbours in one call, in the order asked', async () => {
    client.handlers['datasets.samples'] = (req) => {
      const { offset, count } = req as { offset: number; count: number }
      return { shape: [1], features: Array.from({ length: count }, (_, i) => [offset + i]), labels: Array.from({ length: count }, (_, i) => (offset + i) % 2) }
    }
    const store = useEvaluationStore()
    const samples = await store.samplesAt('d', 'test', [7, 3, 4, 5, 20])
    expect(samples.map((s) => s.index)).toEqual([7, 3, 4, 5, 20])
    expect(samples.map((s) => s.features[0])).toEqual([7, 3, 4, 5, 20])
    const requests = client.calls.filter((c) => c.method === 'datasets.samples').map((c) => c.request as { offset: number; count: number })
    expect(requests.map((r) => [r.offset, r.count]).sort((a, b) => a[0]! - b[0]!)).toEqual([[3, 3], [7, 1], [20, 1]])
  })

  it('keeps the run, split and thresholds shown across a reload', async () => {
    vi.useFakeTimers()
    const store = useEvaluationStore()
    store.select('run-9', 'validation')
    store.setThreshold('run-9', 0.42)
    await nextTick()
    await vi.advanceTimersByTimeAsync(500)
    setActivePinia(createPinia())
    const reloaded = useEvaluationStore()
    expect(reloaded.runId).toBe('run-9')
    expect(reloaded.split).toBe('validation')
    expect(reloaded.thresholdOf('run-9')).toBe(0.42)
  })
})
