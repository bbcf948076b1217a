// Sweeps across processes: a 6-run sweep whose workbench is SIGKILLed mid-sweep and reopened runs
// every config exactly once (the run that was training is reported interrupted, not run again),
// and two processes sharing the data folder never start the same queued run.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../src/shared/examples'
import { expandSweep } from '../src/shared/sweep'
import { trainingConfigSchema } from '../src/shared/training'
import { WorkbenchStore } from '../src/main/store'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench } from '../src/main/services/workbench'
import type { SweepDetail, SweepSummary } from '../src/shared/sweep'

const root = join(__dirname, '..')
const childScript = join(root, 'test/fixtures/sweeps/sweep-child.ts')
const s7 = EXAMPLES.find((e) => e.id === 'S7')!
const scratch = mkdtempSync(join(tmpdir(), 'mw-sweeps-'))
const spawned: ChildProcess[] = []
afterAll(() => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(scratch, { recursive: true, force: true })
})
let folders = 0
const freshFolder = () => {
  const dir = join(scratch, `data-${++folders}`)
  mkdirSync(dir)
  return dir
}

interface Child {
  proc: ChildProcess
  lines: () => string[]
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function child(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  spawned.push(proc)
  let out = ''
  let err = ''
  proc.stdout.on('data', (chunk) => (out += String(chunk)))
  proc.stderr.on('data', (chunk) => (err += String(chunk)))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
  return { proc, lines: () => out.split('\n').filter(Boolean), output: () => `${out}\n--- stderr ---\n${err}`, exited }
}

async function waitFor<T>(check: () => T | null | undefined | false, timeoutMs: number, what: () => string): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface RunRow {
  id: string
  status: string
  config: string
  owner_pid: number
}

function readRuns(dataDir: string): RunRow[] {
  let db: Database.Database
  try {
    db = new Database(join(dataDir, 'workbench.db'), { readonly: true, fileMustExist: true })
  } catch {
    return [] // not created yet
  }
  try {
    return db.prepare<[], RunRow>('SELECT id, status, config, owner_pid FROM runs ORDER BY created_at, rowid').all()
  } catch {
    return [] // tables not migrated yet
  } finally {
    db.close()
  }
}

/** How many runs trained each (learning rate, epochs) config. */
function runsPerConfig(runs: RunRow[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const run of runs) {
    const config = JSON.parse(run.config) as { optimizer: { learning_rate: number }; budget: { epochs: number } }
    const key = `${config.optimizer.learning_rate}/${config.budget.epochs}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

describe('sweeps across processes', () => {
  it('a 6-run sweep, its workbench killed mid-sweep and reopened: every config runs exactly once, the interrupted run reported', async () => {
    const dataDir = freshFolder()
    const first = child([dataDir, '--create'])
    // Kill once the second run is training (the first has finished).
    await waitFor(
      () => {
        const runs = readRuns(dataDir)
        return runs.length === 2 && runs[0].status === 'finished' && runs[1].status === 'running'
      },
      60_000,
      () => `the second run to train; child output:\n${first.output()}`
    )
    first.proc.kill('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')
    const killedRun = readRuns(dataDir)[1]
    expect(killedRun.status).toBe('running')

    const second = child([dataDir, '--wait'])
    const end = await Promise.race([second.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 90_000))])
    expect(end, second.output()).not.toBeNull()
    expect(end!.code, second.output()).toBe(0)
    expect(second.lines()).toContain('done')

    const runs = readRuns(dataDir)
    expect(runs).toHaveLength(6)
    const perConfig = runsPerConfig(runs)
    expect(perConfig.size).toBe(6)
    expect([...perConfig.values()].every((n) => n === 1)).toBe(true)

    const store = WorkbenchStore.open(join(dataDir, 'workbench.db'))
    try {
      const [sweep] = store.sweeps.list()
      expect(sweep.status).toBe('finished')
      const items = store.sweeps.items(sweep.id)
      expect(items.map((i) => i.state)).toEqual(Array(6).fill('claimed'))
      expect(new Set(items.map((i) => i.run_id)).size).toBe(6)
      expect(items[1].run_id).toBe(killedRun.id)
      expect(items.map((i) => i.run_status)).toEqual(['finished', 'interrupted', 'finished', 'finished', 'finished', 'finished'])
      // The runs after the restart belong to the second process.
      const owners = new Map(runs.map((r) => [r.id, r.owner_pid]))
      expect(items.slice(2).every((i) => owners.get(i.run_id!) === second.proc.pid)).toBe(true)
    } finally {
      store.close()
    }
  }, 180_000)

  it('two processes on one data folder never start the same queued run', async () => {
    const dataDir = freshFolder()
    // The sweep is queued before either process opens the folder, so both race for every item.
    const store = WorkbenchStore.open(join(dataDir, 'workbench.db'))
    const base = trainingConfigSchema.parse({ ...s7.config, evaluate_test: false })
    const axes = [{ field: 'optimizer.learning_rate', values: '0.005,0.01,0.015,0.02' }, { field: 'epochs', values: '40' }]
    const points = expandSweep({ base_config: base, axes, mode: 'grid' })
    store.sweeps.create({ id: 'sweep-race', name: 'race', dataset_id: s7.dataset_id, spec: s7.spec, base_config: base, axes, mode: 'grid', trials: null, seed: null, concurrency: 2, points })
    store.close()

    const a = child([dataDir, '--wait'])
    const b = child([dataDir, '--wait'])
    const ends = await Promise.race([Promise.all([a.exited, b.exited]), new Promise<null>((resolve) => setTimeout(() => resolve(null), 120_000))])
    expect(ends, `${a.output()}\n===\n${b.output()}`).not.toBeNull()
    expect(ends!.map((e) => e.code)).toEqual([0, 0])

    const runs = readRuns(dataDir)
    expect(runs).toHaveLength(4)
    expect([...runsPerConfig(runs).values()]).toEqual([1, 1, 1, 1])
    expect(runs.every((r) => r.status === 'finished')).toBe(true)
    // Never more than `concurrency` (2) runs trained at once, across both processes.
    const db = new Database(join(dataDir, 'workbench.db'), { readonly: true })
    const spans = db.prepare<[], { started_at: string; ended_at: string }>('SELECT started_at, ended_at FROM runs').all().map((r) => [Date.parse(r.started_at), Date.parse(r.ended_at)] as const)
    db.close()
    for (const [start] of spans) expect(spans.filter(([s2, e2]) => s2 <= start && start < e2).length).toBeLessThanOrEqual(2)
    // Both processes' "started" lines together name each run once.
    const started = [...a.lines(), ...b.lines()].filter((l) => l.startsWith('started ')).map((l) => l.slice(8))
    const ownStarts = runs.map((r) => r.id).sort()
    expect(new Set(started)).toEqual(new Set(ownStarts))
  }, 180_000)

  it('the CLI sweep command runs a random sweep to the end and answers --json with the ranking', async () => {
    const dataDir = freshFolder()
    const cliArgs = ['--import', 'tsx', join(root, 'src/main/cli/main.ts'), 'sweep', 'S7', '--set', 'optimizer.learning_rate=1e-3..5e-2:log:4', '--set', 'epochs=30,60', '--random', '3', '--seed', '5', '--json', '--data-dir', dataDir]
    const { stdout, stderr } = await promisify(execFile)(process.execPath, cliArgs, { cwd: root, maxBuffer: 16 * 1024 * 1024 })
    const answer = JSON.parse(stdout) as { sweep: { status: string; mode: string; items: Array<{ values: Record<string, number>; run_status: string; run_id: string }> }; metric: string; ranking: Array<{ best: number | null; run_id: string }> }
    expect(answer.sweep.status).toBe('finished')
    expect(answer.sweep.mode).toBe('random')
    expect(answer.sweep.items).toHaveLength(3)
    expect(answer.sweep.items.every((i) => i.run_status === 'finished')).toBe(true)
    for (const item of answer.sweep.items) {
      expect(item.values['optimizer.learning_rate']).toBeGreaterThanOrEqual(1e-3)
      expect(item.values['optimizer.learning_rate']).toBeLessThanOrEqual(5e-2)
      expect([30, 60]).toContain(item.values['budget.epochs'])
    }
    // The same seed draws the same configs (what the sweep expands to is deterministic).
    const again = expandSweep({ base_config: { ...s7.config }, axes: [{ field: 'optimizer.learning_rate', values: '1e-3..5e-2:log:4' }, { field: 'epochs', values: '30,60' }], mode: 'random', trials: 3, seed: 5 })
    expect(answer.sweep.items.map((i) => i.values)).toEqual(again.map((p) => p.values))
    // S7 does not validate: ranked by loss, lowest first, every run once.
    expect(answer.metric).toBe('loss')
    const bests = answer.ranking.map((r) => r.best!)
    expect(bests.every((b) => Number.isFinite(b))).toBe(true)
    expect([...bests].sort((a, b) => a - b)).toEqual(bests)
    expect(new Set(answer.ranking.map((r) => r.run_id)).size).toBe(3)
    expect(stderr).toMatch(/\[3\/3\] finished/)
  }, 120_000)

  it('the CLI refuses a bad range with the sweep reason', async () => {
    const dataDir = freshFolder()
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/main.ts'), 'sweep', 'S7', '--set', 'lr=0.1..0.01:log:3', '--json', '--data-dir', dataDir], { cwd: root }).catch((error: { code: number; stdout: string }) => error)
    expect((result as { code: number }).code).toBe(1)
    expect(JSON.parse((result as { stdout: string }).stdout)).toMatchObject({ code: 'bad_input', reason: 'sweep.range_reversed', details: { field: 'optimizer.learning_rate', low: 0.1, high: 0.01 } })
  }, 60_000)

  it('pause stops new starts, resume goes on, cancel drops the queue and stops the running run', async () => {
    const dataDir = freshFolder()
    const service = await openWorkbench({ dataDir, host: 'browser', sweeps: { pollMs: 100 } })
    const call = createDispatcher(service.handlers)
    const get = async (id: string) => ((await call('sweeps.get', { sweep_id: id })) as { result: SweepDetail }).result
    try {
      const created = await call('sweeps.create', { spec: s7.spec, dataset_id: s7.dataset_id, base_config: { ...s7.config, evaluate_test: false }, axes: [{ field: 'lr', values: '0.01,0.02,0.03,0.04' }, { field: 'epochs', values: '1500' }] })
      expect(created.ok).toBe(true)
      const id = (created as { result: SweepSummary }).result.id
      expect((await call('sweeps.pause', { sweep_id: id })).ok).toBe(true)
      // The first run was claimed at creation; paused, nothing else starts once it ends.
      const first = (await get(id)).items[0]
      expect(first.state).toBe('claimed')
      await service.waitForRun(first.run_id!)
      await new Promise((resolve) => setTimeout(resolve, 600))
      let detail = await get(id)
      expect(detail.status).toBe('paused')
      expect(detail.items.map((i) => i.state)).toEqual(['claimed', 'queued', 'queued', 'queued'])

      expect((await call('sweeps.resume', { sweep_id: id })).ok).toBe(true)
      await waitFor(() => service.store.sweeps.items(id)[1].run_status === 'running', 30_000, () => 'the second run to train after resume')
      const cancelled = await call('sweeps.cancel', { sweep_id: id })
      expect(cancelled.ok).toBe(true)
      await service.waitForRun(service.store.sweeps.items(id)[1].run_id!)
      detail = await get(id)
      expect(detail.status).toBe('cancelled')
      expect(detail.items.map((i) => i.state)).toEqual(['claimed', 'claimed', 'cancelled', 'cancelled'])
      expect(detail.items.map((i) => i.run_status)).toEqual(['finished', 'stopped', null, null])
      expect(detail.counts).toMatchObject({ total: 4, finished: 1, failed: 1, cancelled: 2, queued: 0, running: 0 })
      const again = await call('sweeps.resume', { sweep_id: id })
      expect(again).toMatchObject({ ok: false, error: { code: 'conflict', reason: 'sweep.ended', details: { status: 'cancelled', action: 'resume' } } })
      const missing = await call('sweeps.get', { sweep_id: 'sweep-nope' })
      expect(missing).toMatchObject({ ok: false, error: { code: 'not_found', reason: 'sweep.not_found' } })
    } finally {
      await service.close()
    }
  }, 120_000)
})
