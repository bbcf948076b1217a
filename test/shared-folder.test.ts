// One data folder, several processes: an import in progress in one process survives another
// process opening the folder; a killed owner's runs become interrupted in a process that is
// already running, without reopening; a store locked by another process delays a run's records
// but loses none of them and does not bring the server down.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../src/shared/examples'
import { trainingConfigSchema } from '../src/shared/training'
import type { ForkTrainer } from '../src/main/engine/supervisor'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench } from '../src/main/services/workbench'
import { processIsAlive, processStartTime } from '../src/main/store'

const root = join(__dirname, '..')
const s7 = EXAMPLES.find((e) => e.id === 'S7')!
const scratch = mkdtempSync(join(tmpdir(), 'mw-shared-'))
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

function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs: number, what: () => string): Promise<T> {
  const started = Date.now()
  return new Promise((resolvePromise, reject) => {
    const tick = async () => {
      const value = await check()
      if (value) return resolvePromise(value)
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`))
      setTimeout(() => void tick(), 50)
    }
    void tick()
  })
}

/** A child process with its output collected. */
function child(args: string[]): { proc: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  spawned.push(proc)
  let text = ''
  proc.stdout.on('data', (chunk) => (text += String(chunk)))
  proc.stderr.on('data', (chunk) => (text += String(chunk)))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) => proc.once('exit', (code, signal) => resolvePromise({ code, signal })))
  return { proc, output: () => text, exited }
}

function writeCsv(dir: string): string {
  const path = join(dir, 'points.csv')
  writeFileSync(path, 'a,b,label\n' + Array.from({ length: 3000 }, (_, i) => `${i % 97},${(i * 7) % 13},${i % 2}`).join('\n') + '\n')
  return path
}

describe('temp folders of imports', () => {
  it('an import in progress in another process keeps its temp folder when this process opens the folder, and completes', async () => {
    const dataDir = freshFolder()
    const go = join(dataDir, 'go')
    const importer = child([join(root, 'test/fixtures/store/held-import.ts'), dataDir, writeCsv(scratch), go])
    const line = await waitFor(() => /importing (\[.*\])/.exec(importer.output()), 30_000, () => `the import to start (${importer.output()})`)
    const temps = JSON.parse(line[1]) as string[]
    expect(temps).toHaveLength(1)
    // The folder names its owner: kind, host, pid, start time.
    expect(temps[0]).toMatch(new RegExp(`^\\.tmp-import-[0-9a-f]{8}-${importer.proc.pid}-${processStartTime(importer.proc.pid!)}-[0-9a-f]+$`))
    const temp = join(dataDir, 'datasets', temps[0])

    const service = await openWorkbench({ dataDir, host: 'browser' })
    try {
      const call = createDispatcher(service.handlers)
      expect(await call('datasets.list', {})).toMatchObject({ ok: true })
      expect(existsSync(temp)).toBe(true)
      writeFileSync(go, '')
      expect(await importer.exited).toEqual({ code: 0, signal: null })
      expect(importer.output()).toMatch(/imported held/)
      expect(existsSync(temp)).toBe(false)
      const listed = (await call('datasets.list', {})) as { ok: true; result: { id: string }[] }
      expect(listed.result.map((d) => d.id)).toContain('held')
    } finally {
      await service.close()
    }
  })

  it("a killed importer's temp folder is removed by the next process that opens the folder; other owners' are kept", async () => {
    const dataDir = freshFolder()
    const importer = child([join(root, 'test/fixtures/store/held-import.ts'), dataDir, writeCsv(scratch), join(dataDir, 'never')])
    const line = await waitFor(() => /importing (\[.*\])/.exec(importer.output()), 30_000, () => `the import to start (${importer.output()})`)
    const killed = join(dataDir, 'datasets', (JSON.parse(line[1]) as string[])[0])
    importer.proc.kill('SIGKILL')
    expect((await importer.exited).signal).toBe('SIGKILL')
    expect(existsSync(killed)).toBe(true)
    const datasets = join(dataDir, 'datasets')
    const host = basename(killed).split('-')[2]
    const named = {
      legacy: '.tmp-0123456789ab', // from before temp folders named their owner
      reused: `.tmp-import-${host}-${process.pid}-1-abcdef`, // this pid, but another start time
      mine: `.tmp-import-${host}-${process.pid}-${processStartTime(process.pid)}-abcdef`, // this process: alive
      foreign: `.tmp-import-${host === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'}-1-1-abcdef` // another host
    }
    for (const name of Object.values(named)) mkdirSync(join(datasets, name))
    const service = await openWorkbench({ dataDir, host: 'browser' })
    try {
      expect(existsSync(killed)).toBe(false)
      expect(existsSync(join(datasets, named.legacy))).toBe(false)
      expect(existsSync(join(datasets, named.reused))).toBe(false)
      expect(existsSync(join(datasets, named.mine))).toBe(true)
      expect(existsSync(join(datasets, named.foreign))).toBe(true)
      const listed = (await createDispatcher(service.handlers)('datasets.list', {})) as { ok: true; result: { id: string }[] }
      expect(listed.result.map((d) => d.id)).not.toContain('held')
    } finally {
      await service.close()
    }
  })
})

/** Pids of the live children of `parent` (from /proc). */
function childrenOf(parent: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === parent) pids.push(Number(name))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

describe('a killed owner, seen from a process already running', () => {
  it('kill -9 of the CLI that trains a run: the run becomes interrupted here without reopening; Stop says it runs nowhere, Delete works; its trainer exits', async () => {
    const dataDir = freshFolder()
    // This process opens the (empty) folder first, as `serve` would; the CLI joins it.
    const service = await openWorkbench({ dataDir, host: 'browser' })
    const call = createDispatcher(service.handlers)
    try {
      const cli = child([join(root, 'src/main/cli/main.ts'), 'train', 'S7', '--epochs', '1000000', '--data-dir', dataDir, '--json'])
      const runId = await waitFor(
        async () => {
          const listed = (await call('runs.list', {})) as { ok: true; result: { id: string; status: string }[] }
          return listed.result.find((r) => r.status === 'running')?.id
        },
        90_000,
        () => `the CLI's run to be running (CLI output: ${cli.output().slice(-400)})`
      )
      // Alive owner: its run stays running here, and Stop / Delete say where it runs.
      await new Promise((r) => setTimeout(r, 1_000))
      expect(await call('runs.get', { run_id: runId })).toMatchObject({ ok: true, result: { status: 'running' } })
      const stop = (await call('runs.stop', { run_id: runId })) as { ok: false; error: { code: string; message: string } }
      expect(stop.error.code).toBe('conflict')
      expect(stop.error.message).toMatch(new RegExp(`is running in another process \\(process ${cli.proc.pid} on host .*\\); stop it from the window or command that started it`))
      const del = (await call('runs.delete', { run_id: runId })) as { ok: false; error: { code: string; message: string } }
      expect(del.error.code).toBe('conflict')
      expect(del.error.message).toMatch(/in another process .*stop it there before deleting it/)
      const trainers = childrenOf(cli.proc.pid!)
      expect(trainers.length).toBeGreaterThanOrEqual(1)

      cli.proc.kill('SIGKILL')
      const killedAt = Date.now()
      await cli.exited
      const seen = await waitFor(
        async () => {
          const got = (await call('runs.get', { run_id: runId })) as { ok: true; result: { status: string; error: string | null } }
          return got.result.status === 'interrupted' ? got.result : undefined
        },
        5_000,
        () => 'the run to become interrupted'
      )
      const took = Date.now() - killedAt
      console.log(`owner kill -9: run interrupted here after ${took} ms`)
      expect(seen.error).toMatch(new RegExp(`process ${cli.proc.pid} on host .*\\) stopped while this run was running`))
      const stopAfter = (await call('runs.stop', { run_id: runId })) as { ok: false; error: { code: string; message: string } }
      expect(stopAfter.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/is not running anywhere: it was interrupted/) })
      expect(await call('runs.delete', { run_id: runId })).toEqual({ ok: true, result: { ok: true } })
      expect(await call('runs.get', { run_id: runId })).toMatchObject({ ok: false, error: { code: 'not_found' } })
      // The trainer, in its own process group, still ends with its owner (IPC disconnect).
      await waitFor(() => trainers.every((pid) => !processIsAlive(pid)), 10_000, () => `trainers ${trainers.join(', ')} to exit`)
    } finally {
      await service.close()
    }
  })
})

describe('serve plus two CLI trainings on one folder', () => {
  it('all three runs train to the end and are recorded finished, with every epoch; none is taken for interrupted', async () => {
    const dataDir = freshFolder()
    const service = await openWorkbench({ dataDir, host: 'browser' })
    const call = createDispatcher(service.handlers)
    const errors: string[] = []
    const onUnhandled = (reason: unknown) => errors.push(String(reason))
    process.on('unhandledRejection', onUnhandled)
    try {
      const epochs = 200
      // The built-in is materialised once up front, so the three do not race to build it.
      await call('datasets.get', { id: 'linear-2x' })
      const clis = [1, 2].map(() => child([join(root, 'src/main/cli/main.ts'), 'train', 'S7', '--epochs', String(epochs), '--data-dir', dataDir, '--json']))
      const mine = (await call('runs.start', { spec: s7.spec, config: trainingConfigSchema.parse({ ...s7.config, budget: { kind: 'epochs', epochs } }), dataset_id: 'linear-2x' })) as { ok: true; result: { run_id: string } }
      // List while they train, as the views do.
      const lister = setInterval(() => void call('runs.list', {}), 100)
      await service.waitForRun(mine.result.run_id)
      const exits = await Promise.all(clis.map((c) => c.exited))
      clearInterval(lister)
      expect(exits, clis.map((c) => c.output().slice(-300)).join('\n')).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }])
      const runs = (await call('runs.list', {})) as { ok: true; result: { id: string; status: string }[] }
      expect(runs.result.map((r) => r.status)).toEqual(['finished', 'finished', 'finished'])
      for (const run of runs.result) expect(service.store.series(run.id, 10_000).loss.value).toHaveLength(epochs)
      expect(service.store.integrityCheck()).toBe('ok')
      expect(errors).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await service.close()
    }
  })
})

describe('a killed trainer', () => {
  it('kill -9 of a trainer forked the default way (its own process group): the run is recorded failed with the signal, its metrics kept', async () => {
    const dataDir = freshFolder()
    const service = await openWorkbench({ dataDir, host: 'browser' })
    const call = createDispatcher(service.handlers)
    try {
      const before = new Set(childrenOf(process.pid))
      const started = (await call('runs.start', { spec: s7.spec, config: trainingConfigSchema.parse({ ...s7.config, budget: { kind: 'epochs', epochs: 1_000_000 } }), dataset_id: 'linear-2x' })) as { ok: true; result: { run_id: string } }
      const runId = started.result.run_id
      await waitFor(() => service.store.series(runId, 10).loss, 60_000, () => 'an epoch')
      const trainer = childrenOf(process.pid).filter((pid) => !before.has(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('trainer'))
      expect(trainer).toHaveLength(1)
      process.kill(trainer[0], 'SIGKILL')
      await service.waitForRun(runId)
      const run = service.store.getRun(runId)
      expect(run.status).toBe('failed')
      expect(run.error).toBe('trainer process exited with signal SIGKILL')
      expect(service.store.series(runId, 10).loss.value.length).toBeGreaterThan(0)
    } finally {
      await service.close()
    }
  })
})

describe('a database locked by another process while a run trains', () => {
  it('delays the run records, loses none of them, keeps the server up, and records the end once the lock goes', async () => {
    const dataDir = freshFolder()
    const trainers: ChildProcess[] = []
    const forkAndKeep: ForkTrainer = (entry, args) => {
      const proc = fork(entry, args, { execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      trainers.push(proc)
      return {
        send: (message) => proc.connected && proc.send(message as object),
        on: (event: 'message' | 'exit', listener: (...args: never[]) => void) => void proc.on(event, listener as (...args: unknown[]) => void),
        kill: () => proc.kill('SIGKILL')
      }
    }
    // Short busy waits so that the lock outlasts every synchronous retry; the end is retried by the heartbeat.
    const service = await openWorkbench({ dataDir, host: 'browser', fork: forkAndKeep, store: { busyTimeoutMs: 20, retryBudgetMs: 50 }, runs: { heartbeatMs: 200, endRetryMs: 300 } })
    const call = createDispatcher(service.handlers)
    const errors: string[] = []
    const original = console.error
    console.error = (...args: unknown[]) => errors.push(args.map(String).join(' '))
    const onUnhandled = (reason: unknown) => errors.push(`UNHANDLED ${String(reason)}`)
    process.on('unhandledRejection', onUnhandled)
    try {
      const epochs = 150
      const started = (await call('runs.start', { spec: s7.spec, config: trainingConfigSchema.parse({ ...s7.config, budget: { kind: 'epochs', epochs } }), dataset_id: 'linear-2x' })) as { ok: true; result: { run_id: string } }
      const runId = started.result.run_id
      await waitFor(() => service.store.getRun(runId).status === 'running', 60_000, () => 'the run to be running')
      // Another process takes the write lock and changes the run (its notes) while holding it.
      const holder = spawn(
        process.execPath,
        ['-e', `const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(join(dataDir, 'workbench.db'))}); db.exec('BEGIN IMMEDIATE'); db.prepare("UPDATE runs SET notes = 'held by another process' WHERE id = ?").run(${JSON.stringify(runId)}); console.log('locked'); process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); console.log('released') })`],
        { stdio: ['pipe', 'pipe', 'inherit'] }
      )
      spawned.push(holder)
      let said = ''
      holder.stdout.on('data', (chunk) => (said += String(chunk)))
      await waitFor(() => said.includes('locked'), 10_000, () => 'the lock')
      // The trainer finishes while the database is locked.
      await waitFor(() => trainers[0].exitCode !== null, 60_000, () => 'the trainer to end')
      await new Promise((r) => setTimeout(r, 600))
      // Not recorded yet, and not lost either: the run still reads as running, the server answers.
      expect(service.store.getRun(runId).status).toBe('running')
      expect(await call('runs.list', {})).toMatchObject({ ok: true })
      holder.stdin.write('go\n')
      await waitFor(() => said.includes('released'), 10_000, () => 'the release')
      await waitFor(() => service.store.getRun(runId).status === 'finished', 5_000, () => 'the end to be recorded')
      const run = service.store.getRun(runId)
      expect(run.notes).toBe('held by another process')
      expect(run.backend).not.toBeNull()
      // Every epoch's metrics, although flushes failed while the lock was held.
      expect(service.store.series(runId, 10_000).loss.value).toHaveLength(epochs)
      expect(run.final_metrics.loss).toBeCloseTo(service.store.series(runId, 10_000).loss.value.at(-1)!, 6)
      expect(errors.filter((e) => e.startsWith('UNHANDLED'))).toEqual([])
      expect(errors.some((e) => /locked by another process|database is locked/.test(e))).toBe(true)
    } finally {
      console.error = original
      process.off('unhandledRejection', onUnhandled)
      await service.close()
      for (const proc of trainers) proc.kill('SIGKILL')
    }
  })
})
