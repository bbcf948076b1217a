// Two writers on one run database, as when the app, `serve` and the command line share a data
// folder. A deferred transaction that reads and then writes loses to another process that
// commits in between (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not cover); the store
// takes the write lock before it reads and retries what is still busy, so nothing is lost.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { StoreError, WorkbenchStore, isBusyError, withBusyRetry, writeTransaction } from '../src/main/store'
import { hammerOneRun } from './fixtures/store/hammer-run'
import { cpuBackend, sampleRunInput } from './fixtures/store/sample'

const repoRoot = resolve(__dirname, '..')
const sqlitePath = createRequire(__filename).resolve('better-sqlite3')
const dir = mkdtempSync(join(tmpdir(), 'mw-concurrency-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshDb = () => join(dir, `db-${++n}`, 'workbench.db')

/**
 * Writer B on another thread: waits until A says it has read, then runs `sql` on its own
 * connection (busy timeout 5 s) and reports how long it waited for the lock.
 */
function writerB(dbPath: string, sql: string): { ready: Promise<void>; go: () => void; done: Promise<{ waitedMs: number; error: string | null }> } {
  const signal = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads')
     const Database = require(workerData.sqlitePath)
     const db = new Database(workerData.dbPath)
     db.pragma('busy_timeout = 5000')
     parentPort.postMessage('ready')
     Atomics.wait(workerData.signal, 0, 0, 10000)
     const started = Date.now()
     let error = null
     try { db.exec(workerData.sql) } catch (e) { error = e.code + ' ' + e.message }
     parentPort.postMessage({ waitedMs: Date.now() - started, error })
     db.close()`,
    { eval: true, workerData: { sqlitePath, dbPath, sql, signal } }
  )
  let markReady: () => void = () => {}
  const ready = new Promise<void>((r) => (markReady = r))
  const done = new Promise<{ waitedMs: number; error: string | null }>((resolvePromise, reject) => {
    worker.on('message', (message: 'ready' | { waitedMs: number; error: string | null }) => (message === 'ready' ? markReady() : resolvePromise(message)))
    worker.once('error', reject)
  })
  return {
    ready,
    go: () => {
      Atomics.store(signal, 0, 1)
      Atomics.notify(signal, 0)
    },
    done
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
const sleepSync = (ms: number) => Atomics.wait(sleeper, 0, 0, ms)

describe('two writers, one database: the interleaving that lost a finished run', () => {
  it('the hazard: a deferred read-then-write fails with SQLITE_BUSY_SNAPSHOT when another connection commits in between', () => {
    const path = freshDb()
    const store = WorkbenchStore.open(path)
    store.close()
    const a = new Database(path)
    const b = new Database(path)
    a.pragma('busy_timeout = 5000')
    b.pragma('busy_timeout = 5000')
    a.exec("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
    a.exec('BEGIN')
    const seen = (a.prepare('SELECT n FROM counter').get() as { n: number }).n
    b.exec('UPDATE counter SET n = n + 1')
    let code = ''
    try {
      a.prepare('UPDATE counter SET n = ?').run(seen + 1)
    } catch (error) {
      code = (error as { code: string }).code
    }
    a.exec('ROLLBACK')
    // The busy timeout did not help: the snapshot A read from is gone for good.
    expect(code).toBe('SQLITE_BUSY_SNAPSHOT')
    a.close()
    b.close()
  })

  it('finishRun while another process holds the write lock and changes the run: waits for it, then writes; both changes kept', async () => {
    const path = freshDb()
    const a = WorkbenchStore.open(path)
    try {
      const { id } = a.createRun(sampleRunInput({ name: 'contended' }))
      a.markRunning(id, { backend_info: cpuBackend, versions: {} })
      const writer = a.metricWriter(id)
      writer.append([{ step: 0, epoch: 0, name: 'loss', value: 0.5, time: 1 }])
      writer.close()
      // B takes the lock, changes the run, holds the lock 300 ms, commits.
      const b = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads')
         const Database = require(workerData.sqlitePath)
         const db = new Database(workerData.dbPath)
         db.exec('BEGIN IMMEDIATE')
         db.prepare("UPDATE runs SET notes = 'from B' WHERE id = ?").run(workerData.id)
         db.prepare("INSERT INTO metrics (run_id, step, epoch, name, value, time) VALUES (?, 1, 0, 'loss', 0.25, 2)").run(workerData.id)
         parentPort.postMessage('locked')
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300)
         db.exec('COMMIT')
         db.close()
         parentPort.postMessage('committed')`,
        { eval: true, workerData: { sqlitePath, dbPath: path, id } }
      )
      const committed = new Promise<void>((resolvePromise) => b.on('message', (m: string) => m === 'committed' && resolvePromise()))
      await new Promise<void>((resolvePromise) => b.once('message', () => resolvePromise()))
      const started = Date.now()
      // Synchronous: waits for B's commit, then reads the run as B left it and ends it.
      a.finishRun(id, { status: 'finished', final_metrics: { loss: 0.25 }, best_metrics: { loss: 0.25 }, best_epoch: 0, error: null, diverged_at_step: null })
      const waited = Date.now() - started
      await committed
      expect(waited).toBeGreaterThanOrEqual(100)
      const run = a.getRun(id)
      expect(run.status).toBe('finished')
      expect(run.notes).toBe('from B')
      expect(a.series(id, 10).loss.value).toEqual([0.5, 0.25])
    } finally {
      a.close()
    }
  })

  it('writeTransaction, which every read-then-write of the store runs in, holds the lock from its read: B, let go between the read and the write, waits; no lost update', async () => {
    const path = freshDb()
    WorkbenchStore.open(path).close()
    // A is a connection like the store's; a SQL function lets B go at the exact moment A has read.
    const a = new Database(path)
    a.pragma('busy_timeout = 5000')
    a.exec("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
    const b = writerB(path, 'UPDATE counter SET n = n + 10')
    await b.ready
    a.function('let_b_go', () => {
      b.go()
      sleepSync(300)
      return 0
    })
    writeTransaction(a, 'test interleaving', () => {
      const { n } = a.prepare('SELECT n + let_b_go() AS n FROM counter').get() as { n: number }
      a.prepare('UPDATE counter SET n = ?').run(n + 1)
    })
    const result = await b.done
    expect(result.error).toBeNull()
    expect(result.waitedMs).toBeGreaterThanOrEqual(100)
    // A's read-modify-write (+1) and B's (+10): both kept.
    expect((a.prepare('SELECT n FROM counter').get() as { n: number }).n).toBe(11)
    a.close()
  })

  it("the same interleaving in a deferred transaction (the old code) loses A's write", async () => {
    const path = freshDb()
    WorkbenchStore.open(path).close()
    const a = new Database(path)
    a.pragma('busy_timeout = 5000')
    a.exec("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
    const b = writerB(path, 'UPDATE counter SET n = n + 10')
    await b.ready
    a.function('let_b_go', () => {
      b.go()
      sleepSync(300)
      return 0
    })
    let code = ''
    try {
      a.transaction(() => {
        const { n } = a.prepare('SELECT n + let_b_go() AS n FROM counter').get() as { n: number }
        a.prepare('UPDATE counter SET n = ?').run(n + 1)
      })()
    } catch (error) {
      code = (error as { code: string }).code
    }
    expect((await b.done).error).toBeNull()
    expect(code).toMatch(/^SQLITE_BUSY/)
    expect((a.prepare('SELECT n FROM counter').get() as { n: number }).n).toBe(10)
    a.close()
  })
})

describe('bounded retry of what is still busy', () => {
  it('retries SQLITE_BUSY_SNAPSHOT and SQLITE_BUSY with a backoff and succeeds when the lock is free', () => {
    let calls = 0
    const value = withBusyRetry('test', () => {
      calls++
      if (calls < 4) throw Object.assign(new Error('database is locked'), { code: calls % 2 ? 'SQLITE_BUSY_SNAPSHOT' : 'SQLITE_BUSY' })
      return 42
    })
    expect([value, calls]).toEqual([42, 4])
  })

  it('gives up after the retry budget with a busy StoreError that says what to do; other errors are not retried', () => {
    let calls = 0
    const started = Date.now()
    let caught: unknown
    try {
      withBusyRetry('end run x as finished', () => {
        calls++
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
      }, { retryBudgetMs: 300 })
    } catch (error) {
      caught = error
    }
    const took = Date.now() - started
    expect(caught).toBeInstanceOf(StoreError)
    expect((caught as StoreError).code).toBe('busy')
    expect(isBusyError(caught)).toBe(true)
    expect((caught as Error).message).toMatch(/Could not end run x as finished: the run database stayed locked .*Close other Model Workbench/)
    expect(took).toBeGreaterThanOrEqual(280)
    expect(took).toBeLessThan(1500)
    expect(calls).toBeGreaterThan(2)
    let plain = 0
    expect(() => withBusyRetry('x', () => {
      plain++
      throw Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })
    })).toThrow(/UNIQUE/)
    expect(plain).toBe(1)
  })

  it('a write that meets a lock held past the busy timeout is retried until the lock goes', async () => {
    const path = freshDb()
    const a = WorkbenchStore.open(path, { busyTimeoutMs: 10, retryBudgetMs: 3000 })
    try {
      const { id } = a.createRun(sampleRunInput())
      const holder = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads')
         const Database = require(workerData.sqlitePath)
         const db = new Database(workerData.dbPath)
         db.exec('BEGIN IMMEDIATE')
         parentPort.postMessage('locked')
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400)
         db.exec('COMMIT')
         db.close()`,
        { eval: true, workerData: { sqlitePath, dbPath: path } }
      )
      await new Promise((resolvePromise) => holder.once('message', resolvePromise))
      const started = Date.now()
      a.markRunning(id, { backend_info: cpuBackend, versions: {} })
      expect(Date.now() - started).toBeGreaterThanOrEqual(100)
      expect(a.getRun(id).status).toBe('running')
    } finally {
      a.close()
    }
  })
})

interface HammerReport {
  tag: string
  runs: string[]
  points: Record<string, number>
  errors: string[]
}

function startHammer(dbPath: string, ms: number, tag: string): { ready: Promise<void>; report: Promise<HammerReport> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/store/hammer.ts'), dbPath, String(ms), tag], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let markReady: () => void = () => {}
  const ready = new Promise<void>((r) => (markReady = r))
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    if (out.includes('ready\n')) markReady()
  })
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const report = new Promise<HammerReport>((resolvePromise, reject) => {
    const watchdog = setTimeout(() => child.kill('SIGKILL'), ms + 30_000)
    child.on('exit', (code) => {
      clearTimeout(watchdog)
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (code !== 0 || !line) reject(new Error(`hammer ${tag} exited ${code}: ${err.slice(-500)}`))
      else resolvePromise(JSON.parse(line) as HammerReport)
    })
  })
  return { ready, report }
}

describe('other OS processes hammering the same database', () => {
  it('two child processes and this one create, pause, resume and finish runs with metrics for 3 s: every run and every point kept', async () => {
    const path = freshDb()
    WorkbenchStore.open(path).close()
    const children = [startHammer(path, 3000, 'child-1'), startHammer(path, 3000, 'child-2')]
    await Promise.all(children.map((c) => c.ready))
    const store = WorkbenchStore.open(path)
    const mine: HammerReport = { tag: 'parent', runs: [], points: {}, errors: [] }
    try {
      const until = Date.now() + 3000
      let i = 0
      while (Date.now() < until) {
        try {
          const done = hammerOneRun(store, `parent ${i++}`)
          mine.runs.push(done.id)
          mine.points[done.id] = done.points
        } catch (error) {
          mine.errors.push(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`)
        }
        // Let the children's output be read now and then.
        if (i % 20 === 0) await new Promise((r) => setImmediate(r))
      }
      const reports = [mine, ...(await Promise.all(children.map((c) => c.report)))]
      const tried = reports.reduce((sum, r) => sum + r.runs.length + r.errors.length, 0)
      console.log(`hammer: ${reports.map((r) => `${r.tag} ${r.runs.length} runs, ${r.errors.length} errors`).join('; ')} (tried ${tried})`)
      for (const report of reports) {
        expect(report.errors, report.tag).toEqual([])
        expect(report.runs.length, report.tag).toBeGreaterThan(5)
      }
      const byId = new Map(store.listRuns().map((r) => [r.id, r]))
      for (const report of reports) {
        for (const id of report.runs) {
          expect(byId.get(id)?.status).toBe('finished')
          expect(store.countMetrics(id)).toBe(report.points[id])
          expect(report.points[id]).toBe(40)
        }
      }
      expect(store.integrityCheck()).toBe('ok')
    } finally {
      store.close()
    }
  })
})
