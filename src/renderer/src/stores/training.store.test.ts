import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createFakeClient } from './fake-client.test-helper'
import { trainingConfigSchema } from '../../../shared/training'
import type { ModelSpec } from '../../../shared/model-spec'

const fake = vi.hoisted(() => ({ client: null as unknown }))
vi.mock('../api', () => ({ get client() { return fake.client } }))

const { useTrainingStore, SETTINGS_LIMIT } = await import('./training.store')
const { EXAMPLES } = await import('../../../shared/examples')

const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 1 } }] }
const config = trainingConfigSchema.parse({ loss: 'binary_crossentropy' })
const backend = { name: 'wasm' as const, skipped: [{ backend: 'tensorflow-gpu' as const, reason: 'tfjs-node-gpu is not installed' }], forced: false }

describe('training store', () => {
  let client: ReturnType<typeof createFakeClient>
  afterEach(() => vi.unstubAllGlobals())
  beforeEach(() => {
    // The store tests run under Node, which has no localStorage: a fresh one in memory per test.
    const data = new Map<string, string>()
    vi.stubGlobal('localStorage', { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, String(v)), removeItem: (k: string) => void data.delete(k), clear: () => data.clear() })
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
    const controls = client.calls.filter((c) => ['runs.pause', 'runs.resume', 'runs.stop'].includes(c.method))
    expect(controls.map((c) => [c.method, (c.request as { run_id: string }).run_id])).toEqual([['runs.pause', 'r4'], ['runs.resume', 'r4'], ['runs.stop', 'r4']])
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

  const activeRun = (id: string, extra: Record<string, unknown> = {}) => ({
    run_id: id, name: `run ${id}`, model_name: 'm', dataset_id: 'mnist', status: 'running', stopping: false, backend,
    total_steps: 1000, steps_per_epoch: 500, epochs: 2, step: 600, epoch: 2, progress: 0.6, samples_per_s: 5000, eta_s: 8, last_epoch_metrics: { loss: 0.4 }, ...extra
  })

  it('plots every step of a batch event\'s step_losses, not the running mean', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'r7' })
    client.handlers['runs.active'] = () => []
    await store.start(spec, 'xor', config)
    client.emit('run.progress', { type: 'batch', run_id: 'r7', step: 3, epoch: 1, metrics: { loss: 2, lr: 0.1 }, samples_per_s: 10, eta_s: 1, progress: 0.3, step_losses: [3, 2, 1] })
    client.emit('run.progress', { type: 'batch', run_id: 'r7', step: 5, epoch: 1, metrics: { loss: 1.6, lr: 0.1 }, samples_per_s: 10, eta_s: 1, progress: 0.5, step_losses: [1, 1] })
    expect(store.liveData().batch.get('loss')).toMatchObject({ x: [1, 2, 3, 4, 5], y: [3, 2, 1, 1, 1] })
    expect(store.liveData().batch.get('lr')).toMatchObject({ x: [3, 5], y: [0.1, 0.1] })
    expect(store.step).toBe(5)
  })

  it('attaches on load to the run the back end trains: progress, stored series, then live events without repeats', async () => {
    const store = useTrainingStore()
    client.handlers['runs.active'] = () => [activeRun('live')]
    let answerSeries: (value: unknown) => void = () => {}
    client.handlers['runs.series'] = () => new Promise((resolve) => (answerSeries = resolve))
    const loading = store.refreshActive()
    await vi.waitFor(() => expect(client.calls.some((c) => c.method === 'runs.series')).toBe(true))
    expect(store.runId).toBe('live')
    expect(store.phase).toBe('running')
    expect(store.isActive()).toBe(true)
    expect(store.watchedName).toBe('run live')
    expect(store.step).toBe(600)
    // Events that arrive while the stored series is read: step 600 is in it, 601 is new; epoch 1 is stored.
    client.emit('run.progress', { type: 'batch', run_id: 'live', step: 601, epoch: 2, metrics: { loss: 0.5, lr: 0.01 }, samples_per_s: 10, eta_s: 1, progress: 0.601, step_losses: [0.6, 0.55] })
    client.emit('run.progress', { type: 'epoch', run_id: 'live', step: 500, epoch: 1, metrics: { loss: 0.4 } })
    answerSeries({
      'batch/loss': { step: [599, 600], epoch: [2, 2], value: [0.7, 0.6] },
      'batch/lr': { step: [600], epoch: [2], value: [0.01] },
      loss: { step: [500], epoch: [1], value: [0.4] }
    })
    await loading
    expect(store.liveData().batch.get('loss')).toMatchObject({ x: [599, 600, 601], y: [0.7, 0.6, 0.55] })
    expect(store.liveData().batch.get('lr')?.x).toEqual([600, 601])
    expect(store.liveData().epoch.get('loss')?.x).toEqual([1])
    expect(store.epochsDone).toBe(1)
    expect(store.attaching).toBe(false)
    // from now on, events apply directly
    client.emit('run.progress', { type: 'epoch', run_id: 'live', step: 1000, epoch: 2, metrics: { loss: 0.3 } })
    expect(store.liveData().epoch.get('loss')?.y).toEqual([0.4, 0.3])
  })

  it('lists every active run, follows their status, and stops one that is not the watched run', async () => {
    const store = useTrainingStore()
    client.handlers['runs.active'] = () => [activeRun('a'), activeRun('b', { status: 'paused' })]
    client.handlers['runs.series'] = () => ({})
    client.handlers['runs.stop'] = () => ({ ok: true })
    await store.refreshActive()
    expect(store.runId).toBe('b')
    expect(store.activeRuns.map((r) => r.run_id)).toEqual(['a', 'b'])
    expect(await store.stopRun('a')).toBe(true)
    expect(client.calls.find((c) => c.method === 'runs.stop')?.request).toEqual({ run_id: 'a' })
    expect(store.activeRuns.find((r) => r.run_id === 'a')?.stopping).toBe(true)
    expect(store.stopping).toBe(false)
    client.emit('run.progress', { type: 'ended', run_id: 'a', status: 'stopped', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    expect(store.activeRuns.map((r) => r.run_id)).toEqual(['b'])
    expect(store.phase).toBe('paused')
    client.emit('run.progress', { type: 'status', run_id: 'b', status: 'running' })
    expect(store.activeRuns[0]?.status).toBe('running')
    expect(store.phase).toBe('running')
  })

  it('does not attach by itself once it has watched a run; a run started elsewhere joins the list', async () => {
    const store = useTrainingStore()
    client.handlers['runs.start'] = () => ({ run_id: 'mine' })
    client.handlers['runs.active'] = () => [activeRun('mine')]
    await store.start(spec, 'xor', config)
    client.emit('run.progress', { type: 'ended', run_id: 'mine', status: 'finished', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    client.handlers['runs.active'] = () => [activeRun('other')]
    client.emit('run.progress', { type: 'started', run_id: 'other', backend, total_steps: 10, steps_per_epoch: 5, epochs: 2, versions: {} })
    await vi.waitFor(() => expect(store.activeRuns.map((r) => r.run_id)).toEqual(['other']))
    expect(store.runId).toBe('mine')
    expect(store.phase).toBe('finished')
  })

  it('keeps settings per model across reloads and gives an unrelated model its own defaults', async () => {
    const store = useTrainingStore()
    const defaults = () => ({ config: trainingConfigSchema.parse({ loss: 'mean_squared_error' }), datasetId: 'diabetes', runName: '' })
    store.useModel('cnn', defaults)
    expect(store.config.loss).toBe('mean_squared_error')
    store.config = { ...store.config, batch_size: 7 }
    store.runName = 'cnn-run'
    store.useModel('mlp', () => ({ config, datasetId: 'xor', runName: '' }))
    expect(store.config.batch_size).toBe(32)
    expect(store.runName).toBe('')
    expect(store.datasetId).toBe('xor')
    store.useModel('cnn', defaults)
    expect(store.config.batch_size).toBe(7)
    expect(store.runName).toBe('cnn-run')
    // a reload: a new store reads them back, showing the model last used
    setActivePinia(createPinia())
    const reloaded = useTrainingStore()
    expect(reloaded.modelKey).toBe('cnn')
    expect(reloaded.config.batch_size).toBe(7)
    reloaded.useModel('mlp', defaults)
    expect(reloaded.datasetId).toBe('xor')
  })

  it('loadExample gives the example\'s settings to its model, and only the newest models are kept', () => {
    const store = useTrainingStore()
    const s1 = EXAMPLES.find((e) => e.id === 'S1')!
    expect(store.loadExample('S1')).toBe(true)
    expect(store.modelKey).toBe(s1.spec.name)
    expect(store.config).toEqual(s1.config)
    expect(store.datasetId).toBe(s1.dataset_id)
    expect(store.loadExample('nope')).toBe(false)
    for (let i = 0; i < SETTINGS_LIMIT + 5; i++) store.useModel(`model-${i}`, () => ({ config, datasetId: null, runName: `r${i}` }))
    expect(store.settingsOf(s1.spec.name)).toBeUndefined()
    expect(store.settingsOf(`model-${SETTINGS_LIMIT + 4}`)?.runName).toBe(`r${SETTINGS_LIMIT + 4}`)
  })
})
