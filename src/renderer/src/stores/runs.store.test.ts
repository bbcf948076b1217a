import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'
import { makeRun } from '../views/runs/run-fixtures.test-helper'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useRunsStore } = await import('./runs.store')
const { useNavStore } = await import('./nav.store')

describe('runs store', () => {
  let client: ReturnType<typeof createFakeClient>
  beforeEach(() => {
    client = createFakeClient()
    fake.client = client
    setActivePinia(createPinia())
    client.handlers['runs.list'] = () => [makeRun(1), makeRun(2), makeRun(3)]
  })

  it('loads every run, lists data sets, and drops selections of runs that vanished', async () => {
    const store = useRunsStore()
    store.toggleSelected('run-1')
    store.toggleSelected('run-9')
    await store.refresh()
    expect(store.list.map((r) => r.id)).toEqual(['run-1', 'run-2', 'run-3'])
    expect(store.datasets).toEqual([{ id: 'mnist', name: 'MNIST' }, { id: 'xor', name: 'XOR' }])
    expect(store.selectedIds).toEqual(['run-1'])
    expect(store.loading).toBe(false)
  })

  it('keeps the old list and shows an error when the refresh fails', async () => {
    const store = useRunsStore()
    await store.refresh()
    client.handlers['runs.list'] = () => {
      throw Object.assign(new Error('database is locked'), { code: 'conflict' })
    }
    await store.refresh()
    expect(store.list).toHaveLength(3)
    expect(store.error?.message).toBe('database is locked')
    expect(store.error?.hint).toMatch(/try again/i)
    expect(store.loading).toBe(false)
  })

  it('updates tags and notes, and deletes a run with its selection', async () => {
    const store = useRunsStore()
    await store.refresh()
    client.handlers['runs.update'] = (req) => ({ ...makeRun(2), ...(req as object), id: 'run-2' })
    client.handlers['runs.delete'] = () => ({ ok: true })
    expect(await store.update('run-2', { tags: ['best'], notes: 'keep' })).toBe(true)
    expect(store.get('run-2')?.tags).toEqual(['best'])
    store.toggleSelected('run-2')
    expect(await store.remove('run-2')).toBe(true)
    expect(store.get('run-2')).toBeUndefined()
    expect(store.selectedIds).toEqual([])
  })

  it('coalesces runs.changed events into one refetch per run', async () => {
    vi.useFakeTimers()
    try {
      const store = useRunsStore()
      await store.refresh()
      store.listen()
      let gets = 0
      client.handlers['runs.get'] = () => {
        gets++
        return { ...makeRun(1), status: 'running', spec: { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [2], layers: [] }, config: {}, dataset_fingerprint: '', seed: 1, backend_info: null, versions: {}, error: null, diverged_at_step: null }
      }
      for (let i = 0; i < 5; i++) client.emit('runs.changed', { run_id: 'run-1' })
      await vi.advanceTimersByTimeAsync(300)
      expect(gets).toBe(1)
      expect(store.get('run-1')?.status).toBe('running')
    } finally {
      vi.useRealTimers()
    }
  })

  it('opens Compare on the selection through the nav store', () => {
    const nav = useNavStore()
    nav.compare(['a', 'b', 'a'])
    expect(nav.view).toBe('compare')
    expect(nav.compareIds).toEqual(['a', 'b'])
    nav.ask('train-start')
    const first = nav.request?.seq
    nav.ask('train-start')
    expect(nav.request?.seq).toBe((first ?? 0) + 1)
  })
})
