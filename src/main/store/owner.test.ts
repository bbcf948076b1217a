// Owners and heartbeats of active runs: which runs another process may record as interrupted,
// and how a silent owner that was alive after all takes its run back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cpuBackend, sampleRunInput } from '../../../test/fixtures/store/sample'
import { WorkbenchStore } from './workbench-store'
import { currentProcessOwner, ownerState, processIsAlive, processStartTime, type ProcessOwner, type ProcessProbe } from './process-owner'

let dir: string
let dbPath: string
const stores: WorkbenchStore[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-owner-'))
  dbPath = join(dir, 'workbench.db')
})
afterEach(() => {
  for (const store of stores.splice(0)) store.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A process world for tests: `alive` lists the pids that run, with their start times. */
function probe(self: ProcessOwner, alive: Record<number, string | null>): ProcessProbe {
  return { self, isAlive: (pid) => pid in alive, startTime: (pid) => alive[pid] ?? null }
}

function open(p: ProcessProbe, staleAfterMs = 30_000): WorkbenchStore {
  const store = WorkbenchStore.open(dbPath, { probe: p, staleAfterMs })
  stores.push(store)
  return store
}

const ended = { final_metrics: {}, best_metrics: {}, best_epoch: null, error: null, diverged_at_step: null }

describe('process owners', () => {
  it('knows this process, its start time, and tells a gone pid from a live one', () => {
    const me = currentProcessOwner()
    expect(me.pid).toBe(process.pid)
    expect(me.start).toMatch(/^\d+$/)
    expect(processStartTime(process.pid)).toBe(me.start)
    expect(processIsAlive(process.pid)).toBe(true)
    // Beyond pid_max (4 194 304 at most on Linux): never a process.
    expect(processIsAlive(2 ** 22 + 1)).toBe(false)
    expect(ownerState({ host: me.host, pid: process.pid, start: me.start })).toBe('alive')
    // Same pid, another start time: the pid was reused, the owner is gone.
    expect(ownerState({ host: me.host, pid: process.pid, start: '1' })).toBe('dead')
    expect(ownerState({ host: 'elsewhere', pid: 2 ** 22 + 1, start: null })).toBe('unknown')
  })
})

describe('runs of other owners', () => {
  const here = 'box'
  const ownerA: ProcessOwner = { host: here, pid: 100, start: '5000' }
  const ownerB: ProcessOwner = { host: here, pid: 200, start: '6000' }

  it('a run whose owner died becomes interrupted for every process that looks; one of a live owner stays', () => {
    const a = open(probe(ownerA, { 100: '5000', 200: '6000' }))
    const live = a.createRun(sampleRunInput({ name: 'live' })).id
    const doomed = a.createRun(sampleRunInput({ name: 'doomed' })).id
    a.markRunning(live, { backend_info: cpuBackend, versions: {} })
    a.markRunning(doomed, { backend_info: cpuBackend, versions: {} })
    a.metricWriter(doomed).append([{ step: 3, epoch: 0, name: 'loss', value: 0.7, time: 1 }])
    a.close()
    // The doomed run's owner is another process, now gone; the live one's owner still runs.
    const raw = new Database(dbPath)
    raw.prepare('UPDATE runs SET owner_pid = 300, owner_start = ? WHERE id = ?').run('7000', doomed)
    raw.close()
    const b = open(probe(ownerB, { 100: '5000', 200: '6000' }))
    expect(b.reapOrphanedRuns()).toEqual([doomed])
    expect(b.getRun(live).status).toBe('running')
    const run = b.getRun(doomed)
    expect(run.status).toBe('interrupted')
    expect(run.error).toMatch(/Interrupted: the workbench that owned it \(process 300 on host box\) stopped while this run was running/)
    expect(run.final_metrics.loss).toBe(0.7)
    expect(b.runOwner(doomed)).toMatchObject({ status: 'interrupted', self: false })
    expect(b.reapOrphanedRuns()).toEqual([])
  })

  it('a reused pid (same pid, another start time) is not the owner', () => {
    const a = open(probe(ownerA, { 100: '5000' }))
    const id = a.createRun(sampleRunInput()).id
    a.close()
    // pid 100 now belongs to a process started later.
    const b = open(probe(ownerB, { 100: '9999', 200: '6000' }))
    expect(b.reapOrphanedRuns()).toEqual([id])
  })

  it('a run whose heartbeat is older than the limit becomes interrupted; its owner, alive after all, takes it back with its next heartbeat and ends it', () => {
    const far: ProcessOwner = { host: 'other-box', pid: 100, start: '5000' }
    const a = open(probe(far, { 100: '5000' }), 1_000)
    const id = a.createRun(sampleRunInput()).id
    a.markRunning(id, { backend_info: cpuBackend, versions: {} })
    const beatAt = Date.now()
    a.heartbeat([id], beatAt)
    // Seen from this host: the pid cannot be checked, only the heartbeat.
    const b = open(probe(ownerB, { 200: '6000' }), 1_000)
    expect(b.reapOrphanedRuns({ now: beatAt + 900 })).toEqual([])
    expect(b.reapOrphanedRuns({ now: beatAt + 2_500 })).toEqual([id])
    expect(b.getRun(id)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/process 100 on host other-box\) sent no heartbeat for 3 s while this run was running/) })
    // The owner was only slow: its next heartbeat takes the run back.
    expect(a.heartbeat([id])).toEqual({ revived: [id], gone: [] })
    expect(b.getRun(id)).toMatchObject({ status: 'running', error: null })
    a.finishRun(id, { status: 'finished', ...ended })
    expect(b.getRun(id).status).toBe('finished')
  })

  it('an owner whose run was marked interrupted while it was silent may still end it; a run it does not own it may not take back', () => {
    const a = open(probe(ownerA, { 100: '5000', 200: '6000' }), 1_000)
    const id = a.createRun(sampleRunInput()).id
    a.markRunning(id, { backend_info: cpuBackend, versions: {} })
    const b = open(probe(ownerB, { 100: '5000', 200: '6000' }), 1_000)
    expect(b.reapOrphanedRuns({ now: Date.now() + 5_000 })).toEqual([id])
    // B is not the owner: its heartbeat for the run says it is gone, and B cannot end it.
    expect(b.heartbeat([id])).toEqual({ revived: [], gone: [id] })
    expect(() => b.finishRun(id, { status: 'finished', ...ended })).toThrow(/already interrupted/)
    a.finishRun(id, { status: 'stopped', ...ended })
    expect(b.getRun(id).status).toBe('stopped')
    // Deleted elsewhere: the owner's heartbeat reports it gone (its trainer should stop).
    b.deleteRun(id)
    expect(a.heartbeat([id])).toEqual({ revived: [], gone: [id] })
  })

  it('a run killed with its owner (pid gone) cannot be revived: it stays interrupted', () => {
    const a = open(probe(ownerA, { 100: '5000' }))
    const id = a.createRun(sampleRunInput()).id
    const b = open(probe(ownerB, { 200: '6000' }))
    expect(b.reapOrphanedRuns()).toEqual([id])
    expect(() => a.finishRun(id, { status: 'finished', ...ended })).toThrow(/already interrupted/)
  })

  it('never takes this very process for dead, however old its heartbeat', () => {
    const a = open(probe(ownerA, { 100: '5000' }), 10)
    const id = a.createRun(sampleRunInput()).id
    expect(a.reapOrphanedRuns({ now: Date.now() + 60_000 })).toEqual([])
    expect(a.runOwner(id)).toMatchObject({ self: true, state: 'alive', status: 'queued' })
  })
})
