// Kills a real process that owns the run database in the middle of writing metrics, then checks
// that the database is intact, the run is recovered as interrupted, and nothing reported as
// committed was lost.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { WorkbenchStore } from '../src/main/store'
import { accAt, lossAt } from './fixtures/store/writer-values'
import { sampleRunInput } from './fixtures/store/sample'

const repoRoot = resolve(__dirname, '..')
const writerScript = join(repoRoot, 'test/fixtures/store/writer.ts')
const dir = mkdtempSync(join(tmpdir(), 'mw-crash-'))
const dbPath = join(dir, 'workbench.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface KilledWriter {
  runId: string
  reportedFlushed: number
  signal: NodeJS.Signals | null
}

/** Starts the writer child, lets it commit for `runForMs` after its first commit, then SIGKILLs it. */
function runAndKill(runForMs: number, writerArgs: string[] = []): Promise<KilledWriter> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dbPath, ...writerArgs], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let runId = ''
    let reportedFlushed = 0
    let pending = ''
    let stderr = ''
    let killTimer: NodeJS.Timeout | null = null
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`writer child reported no commits within 30 s; stderr: ${stderr}`))
    }, 30_000)
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const [word, value] = line.split(' ')
        if (word === 'run') runId = value
        if (word === 'flushed') reportedFlushed = Number(value)
      }
      if (reportedFlushed > 0 && killTimer === null) killTimer = setTimeout(() => child.kill('SIGKILL'), runForMs)
    })
    child.on('exit', (_code, signal) => {
      clearTimeout(watchdog)
      if (killTimer) clearTimeout(killTimer)
      if (signal !== 'SIGKILL') reject(new Error(`writer child exited on its own (code ${_code}); stderr: ${stderr}`))
      else resolvePromise({ runId, reportedFlushed, signal })
    })
  })
}

describe('the run store survives its owner being killed mid-write', () => {
  // Several kills at different moments, all on the same file: each round also proves that a
  // new owner can create and write runs after the previous one crashed.
  for (const [round, runForMs] of [[1, 150], [2, 400], [3, 800]] as const) {
    it(`round ${round}: SIGKILL after ${runForMs} ms of writing loses nothing reported as committed`, async () => {
      const killed = await runAndKill(runForMs)
      expect(killed.runId).toMatch(/^run-/)
      expect(killed.reportedFlushed).toBeGreaterThan(0)

      const raw = new Database(dbPath)
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
      raw.close()

      const store = WorkbenchStore.open(dbPath)
      try {
        expect(store.integrityCheck()).toBe('ok')
        expect(store.getRun(killed.runId).status).toBe('running')
        expect(store.recoverInterrupted()).toEqual([killed.runId])
        const run = store.getRun(killed.runId)
        expect(run.status).toBe('interrupted')
        expect(run.error).toMatch(/Interrupted/)
        expect(run.ended_at).toBeNull()

        // Every reported row is there, with the values the child wrote; possibly more
        // (a commit can land after the last line the child managed to print).
        const stored = store.countMetrics(killed.runId)
        expect(stored).toBeGreaterThanOrEqual(killed.reportedFlushed)
        const steps = killed.reportedFlushed / 2
        const series = store.series(killed.runId, 1_000_000)
        expect(series.loss.step.slice(0, steps)).toEqual(Array.from({ length: steps }, (_, i) => i))
        expect(series.acc.step.slice(0, steps)).toEqual(Array.from({ length: steps }, (_, i) => i))
        for (const i of [0, Math.floor(steps / 2), steps - 1]) {
          expect(series.loss.value[i]).toBe(lossAt(i))
          expect(series.acc.value[i]).toBe(accAt(i))
        }
        // Whatever got committed was committed whole: both metrics of every step.
        expect(series.loss.step.length).toBe(series.acc.step.length)
        expect(run.final_metrics.loss).toBe(series.loss.value.at(-1))
      } finally {
        store.close()
      }
    })
  }

  it('a kill in the middle of a large commit leaves that batch out entirely', async () => {
    // Only size-triggered commits of exactly BATCH rows (about 0.1 s each), so a kill most
    // likely lands inside one; whatever happens, the stored count is whole batches.
    const BATCH = 20_000
    const killed = await runAndKill(700, [String(BATCH), '600000'])
    const store = WorkbenchStore.open(dbPath)
    try {
      expect(store.integrityCheck()).toBe('ok')
      expect(store.recoverInterrupted()).toEqual([killed.runId])
      const stored = store.countMetrics(killed.runId)
      expect(killed.reportedFlushed % BATCH).toBe(0)
      expect([killed.reportedFlushed, killed.reportedFlushed + BATCH]).toContain(stored)
    } finally {
      store.close()
    }
  })

  it('after the crashes a new run is created, written and finished normally', () => {
    const store = WorkbenchStore.open(dbPath)
    try {
      expect(store.recoverInterrupted()).toEqual([])
      const { id } = store.createRun(sampleRunInput({ name: 'after the crash' }))
      store.markRunning(id, { backend_info: { name: 'cpu', skipped: [], forced: true }, versions: {} })
      const writer = store.metricWriter(id)
      writer.append(Array.from({ length: 1000 }, (_, step) => ({ step, epoch: 0, name: 'loss', value: lossAt(step), time: step })))
      writer.close()
      store.finishRun(id, { status: 'finished', final_metrics: { loss: lossAt(999) }, best_metrics: { loss: lossAt(999) }, best_epoch: 0, error: null, diverged_at_step: null })
      expect(store.countMetrics(id)).toBe(1000)
      expect(store.getRun(id).status).toBe('finished')
      expect(store.listRuns().filter((r) => r.status === 'interrupted')).toHaveLength(4)
      expect(store.integrityCheck()).toBe('ok')
    } finally {
      store.close()
    }
  })
})
