import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WorkbenchStore, type RunEnd } from '.'
import { LIST_RUNS_SQL } from './workbench-store'
import { cpuBackend, sampleDataset, sampleRunInput, sampleSpec } from '../../../test/fixtures/store/sample'
import type { MetricPoint } from '../../shared/run'

let dir: string
let dbPath: string
let store: WorkbenchStore

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-store-'))
  dbPath = join(dir, 'data', 'workbench.db')
  store = WorkbenchStore.open(dbPath)
})
afterEach(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

const finished: RunEnd = { status: 'finished', final_metrics: { loss: 0.1, acc: 0.97 }, best_metrics: { val_acc: 0.98 }, best_epoch: 12, error: null, diverged_at_step: null }

function points(name: string, count: number, from = 0): MetricPoint[] {
  return Array.from({ length: count }, (_, i) => ({ step: from + i, epoch: Math.floor((from + i) / 100), name, value: 1 / (from + i + 1), time: 1000 + from + i }))
}

describe('runs', () => {
  it('creates a queued run whose summary takes optimizer, rate, batch and budget from the config', () => {
    const run = store.createRun(sampleRunInput())
    expect(run.id).toMatch(/^run-\d{8}T\d{6}Z-[0-9a-f]{6}$/)
    expect(run).toMatchObject({ status: 'queued', name: 'mlp on mnist', model_name: 'mlp', dataset_id: 'mnist', dataset_name: 'MNIST', optimizer: 'sgd', learning_rate: 0.05, batch_size: 128, epochs: 20, steps: null, backend: null, started_at: null, ended_at: null, duration_s: null, tags: [], notes: '' })
    const detail = store.getRun(run.id)
    expect(detail.spec).toEqual(sampleSpec)
    expect(detail.config.optimizer).toEqual({ name: 'sgd', learning_rate: 0.05, momentum: 0, nesterov: false })
    expect(detail).toMatchObject({ seed: 7, dataset_fingerprint: sampleDataset.fingerprint, backend_info: null, versions: {}, error: null })
  })

  it('records a step budget and a caller-chosen id, and refuses a duplicate id', () => {
    const run = store.createRun(sampleRunInput({ id: 'run-fixed' }, { budget: { kind: 'steps', steps: 3000 } }))
    expect(run).toMatchObject({ id: 'run-fixed', epochs: null, steps: 3000 })
    expect(() => store.createRun(sampleRunInput({ id: 'run-fixed' }))).toThrow(/already exists/)
  })

  it('goes queued → running → paused → running → finished, keeping backend, versions and results', () => {
    const { id } = store.createRun(sampleRunInput())
    store.markRunning(id, { backend_info: cpuBackend, versions: { '@tensorflow/tfjs': '4.22.0' }, started_at: '2026-11-23T10:00:00.000Z' })
    expect(store.getRun(id)).toMatchObject({ status: 'running', backend: 'cpu', backend_info: cpuBackend, versions: { '@tensorflow/tfjs': '4.22.0' }, started_at: '2026-11-23T10:00:00.000Z' })
    store.setStatus(id, 'paused')
    expect(store.getRun(id).status).toBe('paused')
    store.setStatus(id, 'running')
    store.finishRun(id, { ...finished, ended_at: '2026-11-23T10:01:30.000Z' })
    expect(store.getRun(id)).toMatchObject({ status: 'finished', final_metrics: { loss: 0.1, acc: 0.97 }, best_metrics: { val_acc: 0.98 }, best_epoch: 12, ended_at: '2026-11-23T10:01:30.000Z', duration_s: 90 })
  })

  it('keeps a diverged run’s NaN and Infinity metrics and the step it diverged at', () => {
    const { id } = store.createRun(sampleRunInput())
    store.markRunning(id, { backend_info: cpuBackend, versions: {} })
    store.finishRun(id, { status: 'diverged', final_metrics: { loss: NaN, grad: Infinity }, best_metrics: { loss: 2.5 }, best_epoch: 0, error: 'loss became NaN at step 41', diverged_at_step: 41 })
    const run = store.getRun(id)
    expect(run.final_metrics.loss).toBeNaN()
    expect(run.final_metrics.grad).toBe(Infinity)
    expect(run).toMatchObject({ status: 'diverged', diverged_at_step: 41, error: 'loss became NaN at step 41', best_metrics: { loss: 2.5 } })
  })

  it('refuses transitions out of an ended run, so a late trainer event cannot revive it', () => {
    const { id } = store.createRun(sampleRunInput())
    store.finishRun(id, { ...finished, status: 'stopped' })
    expect(() => store.markRunning(id, { backend_info: cpuBackend, versions: {} })).toThrow(/already stopped/)
    expect(() => store.setStatus(id, 'paused')).toThrow(/already stopped/)
    expect(() => store.finishRun(id, finished)).toThrow(/already stopped/)
    expect(store.getRun(id).status).toBe('stopped')
    expect(() => store.setStatus(id, 'finished')).toThrow(/finishRun/)
  })

  it("says 'not found' for unknown run ids everywhere", () => {
    const calls: Array<() => unknown> = [
      () => store.getRun('nope'),
      () => store.series('nope', 100),
      () => store.updateRun('nope', { name: 'x' }),
      () => store.deleteRun('nope'),
      () => store.metricWriter('nope'),
      () => store.markRunning('nope', { backend_info: cpuBackend, versions: {} }),
      () => store.setStatus('nope', 'paused'),
      () => store.finishRun('nope', finished),
      () => store.addArtifact('nope', 'weights', 'w.bin', 'abc')
    ]
    for (const call of calls) expect(call).toThrow(/not found/)
  })

  it('lists runs newest first with results from the runs row', () => {
    const first = store.createRun(sampleRunInput({ name: 'first' }))
    const second = store.createRun(sampleRunInput({ name: 'second' }))
    store.finishRun(first.id, finished)
    const list = store.listRuns()
    expect(list.map((r) => r.id)).toEqual([second.id, first.id])
    expect(list[1].final_metrics).toEqual({ loss: 0.1, acc: 0.97 })
    expect(list[0]).not.toHaveProperty('spec')
  })

  it('lists runs without reading the metrics table', () => {
    const { id } = store.createRun(sampleRunInput())
    store.metricWriter(id).append(points('loss', 10))
    const db = new Database(dbPath, { readonly: true })
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${LIST_RUNS_SQL}`).all() as { detail: string }[]
    db.close()
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/SCAN runs/)
    expect(plan.map((p) => p.detail).join(' | ')).not.toMatch(/\bmetrics\b/)
  })

  it('lists 1 000 runs with their metrics in creation order', () => {
    const insertAll = () => {
      for (let i = 0; i < 1000; i++) {
        const { id } = store.createRun(sampleRunInput({ name: `run ${i}` }))
        store.finishRun(id, finished)
        const writer = store.metricWriter(id, { maxBufferedRows: 10_000 })
        writer.append(points('loss', 50))
        writer.close()
      }
    }
    insertAll()
    // The speed of this query is measured by bench/store.bench.ts, not asserted here.
    const runs = store.listRuns()
    expect(runs).toHaveLength(1000)
    expect(new Set(runs.map((r) => r.name)).size).toBe(1000)
    expect(runs.every((r) => r.status === 'finished')).toBe(true)
  })

  it('updates name, tags and notes', () => {
    const { id } = store.createRun(sampleRunInput())
    const updated = store.updateRun(id, { name: '  baseline  ', tags: ['sgd', ' mnist ', 'sgd', ''], notes: 'lr too high?' })
    expect(updated).toMatchObject({ name: 'baseline', tags: ['sgd', 'mnist'], notes: 'lr too high?' })
    expect(store.updateRun(id, { notes: '' })).toMatchObject({ name: 'baseline', tags: ['sgd', 'mnist'], notes: '' })
    expect(() => store.updateRun(id, { name: ' ' })).toThrow(/empty/)
  })

  it('deletes an ended run with its metrics and artifacts, and refuses an active one', () => {
    const { id } = store.createRun(sampleRunInput())
    const writer = store.metricWriter(id)
    writer.append(points('loss', 30))
    writer.flush()
    store.addArtifact(id, 'weights', 'runs/x/weights.bin', 'ab12')
    expect(() => store.deleteRun(id)).toThrow(/stop it before deleting/)
    store.finishRun(id, finished)
    store.deleteRun(id)
    expect(() => store.getRun(id)).toThrow(/not found/)
    const db = new Database(dbPath, { readonly: true })
    expect(db.prepare('SELECT count(*) AS n FROM metrics').get()).toEqual({ n: 0 })
    expect(db.prepare('SELECT count(*) AS n FROM artifacts').get()).toEqual({ n: 0 })
    db.close()
  })
})

describe('recoverInterrupted', () => {
  it('marks runs a previous owner left active as interrupted, keeping their last metrics', () => {
    const queued = store.createRun(sampleRunInput({ name: 'queued' })).id
    const running = store.createRun(sampleRunInput({ name: 'running' })).id
    const paused = store.createRun(sampleRunInput({ name: 'paused' })).id
    const done = store.createRun(sampleRunInput({ name: 'done' })).id
    for (const id of [running, paused]) store.markRunning(id, { backend_info: cpuBackend, versions: {} })
    store.setStatus(paused, 'paused')
    store.finishRun(done, finished)
    const writer = store.metricWriter(running)
    writer.append([...points('loss', 5), { step: 5, epoch: 0, name: 'loss', value: NaN, time: 2000 }, { step: 4, epoch: 0, name: 'acc', value: 0.5, time: 1999 }])
    store.close()
    // The previous owner: a process that had this pid but started at another time (pid reuse).
    const raw = new Database(dbPath)
    raw.prepare("UPDATE runs SET owner_start = 'an earlier start'").run()
    raw.close()

    store = WorkbenchStore.open(dbPath)
    expect(store.recoverInterrupted().sort()).toEqual([queued, running, paused].sort())
    expect(store.getRun(done)).toMatchObject({ status: 'finished', error: null })
    const recovered = store.getRun(running)
    expect(recovered.status).toBe('interrupted')
    expect(recovered.error).toMatch(/Interrupted: .* while this run was running/)
    expect(recovered.final_metrics.loss).toBeNaN()
    expect(recovered.final_metrics.acc).toBe(0.5)
    expect(store.getRun(queued).error).toMatch(/before this run started/)
    expect(store.getRun(paused).error).toMatch(/was paused/)
    expect(store.recoverInterrupted()).toEqual([])
  })

  it('leaves alone the active runs of another process that is still alive', () => {
    const mine = store.createRun(sampleRunInput({ name: 'mine' })).id
    const theirs = store.createRun(sampleRunInput({ name: 'theirs' })).id
    const orphan = store.createRun(sampleRunInput({ name: 'orphan' })).id
    const db = new Database(dbPath)
    db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(4242, theirs)
    db.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(4343, orphan)
    db.close()
    // 4242 is alive, 4343 is gone; this very process (same pid and start time) is alive too.
    expect(store.recoverInterrupted((pid) => pid === 4242)).toEqual([orphan])
    expect(store.getRun(theirs).status).toBe('queued')
    expect(store.getRun(mine).status).toBe('queued')
  })
})

describe('series', () => {
  it('returns each metric in step order, thinned evenly to maxPoints with first and last kept', () => {
    const { id } = store.createRun(sampleRunInput())
    const writer = store.metricWriter(id)
    writer.append(points('loss', 1000).reverse())
    writer.append(points('val_loss', 10))
    writer.flush()
    const series = store.series(id, 100)
    expect(Object.keys(series).sort()).toEqual(['loss', 'val_loss'])
    expect(series.loss.step).toHaveLength(100)
    expect(series.loss.step[0]).toBe(0)
    expect(series.loss.step.at(-1)).toBe(999)
    expect(series.loss.value[0]).toBe(1)
    expect(series.loss.value.at(-1)).toBe(1 / 1000)
    expect(series.loss.epoch.at(-1)).toBe(9)
    for (let i = 1; i < 100; i++) expect(series.loss.step[i]).toBeGreaterThan(series.loss.step[i - 1])
    expect(series.val_loss.step).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('reads a NaN value back as NaN and returns {} for a run without metrics', () => {
    const { id } = store.createRun(sampleRunInput())
    const writer = store.metricWriter(id)
    writer.append([{ step: 0, epoch: 0, name: 'loss', value: NaN, time: 1 }])
    writer.close()
    expect(store.series(id, 10).loss.value[0]).toBeNaN()
    expect(store.series(store.createRun(sampleRunInput()).id, 10)).toEqual({})
  })
})

describe('data sets, saved models and artifacts', () => {
  it('registers, replaces, lists and deletes data sets; runs keep the data set name after deletion', () => {
    store.registerDataset(sampleDataset)
    store.registerDataset({ ...sampleDataset, name: 'MNIST (re-imported)' })
    expect(store.listDatasets()).toEqual([{ ...sampleDataset, name: 'MNIST (re-imported)' }])
    expect(store.getDataset('mnist').name).toBe('MNIST (re-imported)')
    const { id } = store.createRun(sampleRunInput())
    store.deleteDataset('mnist')
    expect(store.listDatasets()).toEqual([])
    expect(store.getRun(id).dataset_name).toBe('MNIST')
    expect(() => store.deleteDataset('mnist')).toThrow(/not found/)
    expect(() => store.getDataset('mnist')).toThrow(/not found/)
  })

  it('numbers saved model versions per name', () => {
    const a1 = store.saveModel('classifier', sampleSpec)
    const a2 = store.saveModel('classifier', { ...sampleSpec, layers: sampleSpec.layers.slice(1) })
    const b1 = store.saveModel('regressor', sampleSpec)
    expect([a1.version, a2.version, b1.version]).toEqual([1, 2, 1])
    expect(store.listModels().map((m) => `${m.name}@${m.version}`)).toEqual(['classifier@2', 'classifier@1', 'regressor@1'])
    expect(store.getModel(a2.id).spec.layers).toHaveLength(2)
    expect(() => store.saveModel('  ', sampleSpec)).toThrow(/non-empty name/)
  })

  it('makes no new version when the spec equals the latest one, in any key order', () => {
    const first = store.saveModel('same', sampleSpec)
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v
    const reordered = reverseKeys(sampleSpec) as typeof sampleSpec
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(sampleSpec))
    const again = store.saveModel('same', reordered)
    expect(again).toMatchObject({ id: first.id, version: 1, unchanged: true })
    expect(store.listModels().filter((m) => m.name === 'same')).toHaveLength(1)
    const changed = store.saveModel('same', { ...sampleSpec, layers: sampleSpec.layers.slice(1) })
    expect(changed.version).toBe(2)
    expect(changed.unchanged).toBeUndefined()
    // Going back to version 1's spec is a change against the latest (v2): it makes v3.
    expect(store.saveModel('same', sampleSpec).version).toBe(3)
    expect(() => store.getModel('model-x')).toThrow(/not found/)
  })

  it('records artifacts, replacing the record of the same path', () => {
    const { id } = store.createRun(sampleRunInput())
    store.addArtifact(id, 'weights', 'runs/a/weights.bin', 'aaa')
    store.addArtifact(id, 'checkpoint', 'runs/a/weights.bin', 'bbb')
    store.addArtifact(id, 'export', 'runs/a/model.json', 'ccc')
    expect(store.listArtifacts(id).map((a) => [a.kind, a.path, a.sha256])).toEqual(
      expect.arrayContaining([
        ['checkpoint', 'runs/a/weights.bin', 'bbb'],
        ['export', 'runs/a/model.json', 'ccc']
      ])
    )
    expect(store.listArtifacts(id)).toHaveLength(2)
  })
})
