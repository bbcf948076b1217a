// The sweep queue in the store: claims are atomic across connections and respect the concurrency,
// a claim of a dead process that never created its run goes back to the queue, a run that died
// mid-training stays interrupted and is not claimed again, and pause / resume / cancel.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sampleDataset, sampleSpec } from '../../../test/fixtures/store/sample'
import { expandSweep } from '../../shared/sweep'
import { trainingConfigSchema } from '../../shared/training'
import { WorkbenchStore } from './workbench-store'
import type { ProcessOwner, ProcessProbe } from './process-owner'

let dir: string
let dbPath: string
const stores: WorkbenchStore[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-sweep-store-'))
  dbPath = join(dir, 'workbench.db')
})
afterEach(() => {
  for (const store of stores.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

const A: ProcessOwner = { host: 'h', pid: 101, start: '1' }
const B: ProcessOwner = { host: 'h', pid: 202, start: '2' }

function open(self: ProcessOwner, alive: number[]): WorkbenchStore {
  const probe: ProcessProbe = { self, isAlive: (pid) => alive.includes(pid), startTime: (pid) => (pid === A.pid ? A.start : pid === B.pid ? B.start : null) }
  const store = WorkbenchStore.open(dbPath, { probe })
  stores.push(store)
  return store
}

const base = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy' })
const axes = [{ field: 'batch_size', values: '16,32,64,128' }]

function createSweep(store: WorkbenchStore, concurrency: number): void {
  store.sweeps.create({ id: 'sweep-1', name: 's', dataset_id: sampleDataset.id, spec: sampleSpec, base_config: base, axes, mode: 'grid', trials: null, seed: null, concurrency, points: expandSweep({ base_config: base, axes, mode: 'grid' }) })
}

let ids = 0
const nextId = () => `run-${++ids}`

function startClaimed(store: WorkbenchStore, claim: { run_id: string; config: typeof base }): void {
  store.createRun({ id: claim.run_id, name: claim.run_id, model_name: 'mlp', dataset: sampleDataset, spec: sampleSpec, config: claim.config })
}

describe('sweep queue', () => {
  it('two connections claim each item once, at most `concurrency` at a time', () => {
    const a = open(A, [A.pid, B.pid])
    const b = open(B, [A.pid, B.pid])
    createSweep(a, 2)
    const first = a.sweeps.claimNext('sweep-1', nextId)
    const second = b.sweeps.claimNext('sweep-1', nextId)
    expect([first?.index, second?.index]).toEqual([0, 1])
    // Both slots taken (one still starting in A, one in B): nobody claims a third.
    expect(a.sweeps.claimNext('sweep-1', nextId)).toBeNull()
    expect(b.sweeps.claimNext('sweep-1', nextId)).toBeNull()
    startClaimed(a, first!)
    startClaimed(b, second!)
    a.finishRun(first!.run_id, { status: 'finished', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    const third = b.sweeps.claimNext('sweep-1', nextId)
    expect(third?.index).toBe(2)
    expect(third?.config.batch_size).toBe(64)
    expect(a.sweeps.items('sweep-1').map((i) => i.state)).toEqual(['claimed', 'claimed', 'claimed', 'queued'])
  })

  it('a dead claimer that never created its run gives the item back; a run killed mid-training stays interrupted', () => {
    const a = open(A, [A.pid])
    createSweep(a, 1)
    const started = a.sweeps.claimNext('sweep-1', nextId)!
    startClaimed(a, started)
    a.markRunning(started.run_id, { backend_info: { name: 'cpu', reason_skipped: {} } as never, versions: {} })
    a.finishRun(started.run_id, { status: 'finished', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    const lost = a.sweeps.claimNext('sweep-1', nextId)!
    expect(lost.index).toBe(1)
    a.close()

    // B opens after A died: item 1 was claimed but has no run, so it is queued again and B takes it.
    const b = open(B, [B.pid])
    const retaken = b.sweeps.claimNext('sweep-1', nextId)!
    expect(retaken.index).toBe(1)
    expect(retaken.run_id).not.toBe(lost.run_id)
    startClaimed(b, retaken)
    b.close()

    // B dies mid-run; A' (a new process) reaps the run as interrupted and moves on to item 2.
    const c = open({ host: 'h', pid: 303, start: '3' }, [303])
    c.reapOrphanedRuns({ startup: true })
    const next = c.sweeps.claimNext('sweep-1', nextId)!
    expect(next.index).toBe(2)
    const items = c.sweeps.items('sweep-1')
    expect(items[1].run_status).toBe('interrupted')
    expect(items[1].run_id).toBe(retaken.run_id)
    // Only when asked: the interrupted config is queued again once, as a new item at the end.
    expect(c.sweeps.retry('sweep-1')).toBe(1)
    expect(c.sweeps.retry('sweep-1')).toBe(0)
    const after = c.sweeps.items('sweep-1')
    expect(after).toHaveLength(5)
    expect(after[4]).toMatchObject({ index: 4, state: 'queued', label: items[1].label, values: items[1].values })
    expect(after[4].config).toEqual(items[1].config)
  })

  it('pause stops claims, resume restarts them, cancel drops the queue and finishes nothing twice', () => {
    const a = open(A, [A.pid])
    createSweep(a, 4)
    const claim = a.sweeps.claimNext('sweep-1', nextId)!
    startClaimed(a, claim)
    expect(a.sweeps.setStatus('sweep-1', 'pause').status).toBe('paused')
    expect(a.sweeps.claimNext('sweep-1', nextId)).toBeNull()
    expect(a.sweeps.setStatus('sweep-1', 'resume').status).toBe('active')
    expect(a.sweeps.claimNext('sweep-1', nextId)?.index).toBe(1)
    const cancelled = a.sweeps.setStatus('sweep-1', 'cancel')
    expect(cancelled.active_runs).toEqual([claim.run_id])
    expect(a.sweeps.items('sweep-1').map((i) => i.state)).toEqual(['claimed', 'claimed', 'cancelled', 'cancelled'])
    expect(a.sweeps.claimNext('sweep-1', nextId)).toBeNull()
    expect(() => a.sweeps.setStatus('sweep-1', 'resume')).toThrow(/already cancelled/)
    expect(a.sweeps.finishIfDone('sweep-1')).toBe(false)
  })

  it('finishes once nothing is queued or running', () => {
    const a = open(A, [A.pid])
    createSweep(a, 4)
    for (let i = 0; i < 4; i++) {
      const claim = a.sweeps.claimNext('sweep-1', nextId)!
      startClaimed(a, claim)
      expect(a.sweeps.finishIfDone('sweep-1')).toBe(false)
      a.finishRun(claim.run_id, { status: i === 2 ? 'diverged' : 'finished', final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null })
    }
    expect(a.sweeps.finishIfDone('sweep-1')).toBe(true)
    expect(a.sweeps.get('sweep-1').status).toBe('finished')
  })
})
