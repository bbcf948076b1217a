// Run-store benchmark: batched metric writes against one-insert-per-transaction, and the read
// paths the Runs and Train views hit (listRuns over a large database, series for one run).
// Usage: node --import tsx bench/store.bench.ts   (BENCH_RUNS / BENCH_ROWS to resize the big database)
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { WorkbenchStore } from '../src/main/store'
import type { MetricPoint } from '../src/shared/run'
import { cpuBackend, sampleRunInput } from '../test/fixtures/store/sample'

const RUNS = Number(process.env.BENCH_RUNS ?? 1000)
const ROWS_PER_RUN = Number(process.env.BENCH_ROWS ?? 10_000)
const METRIC_NAMES = ['loss', 'acc', 'val_loss', 'val_acc', 'lr']

const dir = mkdtempSync(join(tmpdir(), 'mw-store-bench-'))
const rows: Array<[string, string]> = []
const report = (what: string, value: string) => {
  rows.push([what, value])
}

function pointsFor(count: number): MetricPoint[] {
  const steps = Math.ceil(count / METRIC_NAMES.length)
  const points: MetricPoint[] = []
  for (let step = 0; step < steps && points.length < count; step++) {
    for (const name of METRIC_NAMES) {
      if (points.length === count) break
      points.push({ step, epoch: Math.floor(step / 200), name, value: Math.exp(-step / 500) + Math.random() * 0.01, time: 1_700_000_000_000 + step * 5 })
    }
  }
  return points
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now()
  const result = fn()
  return { result, ms: performance.now() - start }
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function rate(rowsWritten: number, ms: number): number {
  return rowsWritten / (ms / 1000)
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

try {
  // ── 1. write throughput ─────────────────────────────────────────────────────────
  console.error('write throughput…')
  const throughputPath = join(dir, 'throughput.db')
  const store = WorkbenchStore.open(throughputPath)
  const batchedRun = store.createRun(sampleRunInput({ name: 'batched' })).id
  const batchedPoints = pointsFor(200_000)
  const batched = timed(() => {
    const writer = store.metricWriter(batchedRun)
    // The trainer hands over a few points per batch; so does the benchmark.
    for (let i = 0; i < batchedPoints.length; i += METRIC_NAMES.length) writer.append(batchedPoints.slice(i, i + METRIC_NAMES.length))
    writer.close()
  })
  const batchedRate = rate(batchedPoints.length, batched.ms)

  // Baseline: a second connection with the store's own pragmas, one INSERT per autocommit transaction.
  const naiveRun = store.createRun(sampleRunInput({ name: 'naive' })).id
  const naiveDb = new Database(throughputPath)
  naiveDb.pragma('journal_mode = WAL')
  naiveDb.pragma('synchronous = NORMAL')
  naiveDb.pragma('foreign_keys = ON')
  const insert = naiveDb.prepare('INSERT INTO metrics (run_id, step, epoch, name, value, time) VALUES (?, ?, ?, ?, ?, ?)')
  const naivePoints = pointsFor(20_000)
  const naive = timed(() => {
    for (const p of naivePoints) insert.run(naiveRun, p.step, p.epoch, p.name, p.value, p.time)
  })
  // SQLite's default durability (fsync on every commit) for context: what naive code gets out of the box.
  naiveDb.pragma('synchronous = FULL')
  const fullSyncPoints = pointsFor(2_000)
  const fullSync = timed(() => {
    for (const p of fullSyncPoints) insert.run(naiveRun, p.step, p.epoch, p.name, p.value, p.time)
  })
  naiveDb.close()
  const naiveRate = rate(naivePoints.length, naive.ms)
  store.close()
  report('MetricWriter, batched (rows/s)', `${fmt(batchedRate)}  (${fmt(batchedPoints.length)} rows)`)
  report('one insert per transaction (rows/s)', `${fmt(naiveRate)}  (${fmt(naivePoints.length)} rows)`)
  report('batched / naive', `${(batchedRate / naiveRate).toFixed(1)}x`)
  report('one insert per transaction, synchronous=FULL (rows/s)', `${fmt(rate(fullSyncPoints.length, fullSync.ms))}  (${fmt(fullSyncPoints.length)} rows)`)

  // ── 2. a big database: RUNS runs × ROWS_PER_RUN metric rows ────────────────────────
  console.error(`building ${fmt(RUNS)} runs × ${fmt(ROWS_PER_RUN)} metric rows…`)
  const bigPath = join(dir, 'big', 'workbench.db')
  const big = WorkbenchStore.open(bigPath)
  const perRun = pointsFor(ROWS_PER_RUN)
  let lastRun = ''
  const build = timed(() => {
    for (let r = 0; r < RUNS; r++) {
      const { id } = big.createRun(sampleRunInput({ name: `run ${r}` }))
      big.markRunning(id, { backend_info: cpuBackend, versions: {} })
      const writer = big.metricWriter(id, { maxBufferedRows: 5000 })
      for (let i = 0; i < perRun.length; i += METRIC_NAMES.length) writer.append(perRun.slice(i, i + METRIC_NAMES.length))
      writer.close()
      big.finishRun(id, { status: 'finished', final_metrics: { loss: 0.1, acc: 0.97 }, best_metrics: { val_acc: 0.98 }, best_epoch: 9, error: null, diverged_at_step: null })
      lastRun = id
      if (r % 100 === 99) console.error(`  ${r + 1} runs`)
    }
  })
  big.close()
  report(`build ${fmt(RUNS)} × ${fmt(ROWS_PER_RUN)} rows (rows/s)`, `${fmt(rate(RUNS * ROWS_PER_RUN, build.ms))}  (${(build.ms / 1000).toFixed(1)} s)`)
  report('database size', `${(statSync(bigPath).size / 2 ** 20).toFixed(0)} MiB`)

  const reopened = WorkbenchStore.open(bigPath)
  const firstList = timed(() => reopened.listRuns())
  const listSamples = Array.from({ length: 20 }, () => timed(() => reopened.listRuns()).ms)
  report(`listRuns() over ${fmt(firstList.result.length)} runs, first call (ms)`, firstList.ms.toFixed(2))
  report('listRuns(), median / best of 20 (ms)', `${median(listSamples).toFixed(2)} / ${Math.min(...listSamples).toFixed(2)}`)

  const seriesSamples = Array.from({ length: 20 }, () => timed(() => reopened.series(lastRun, 1000)).ms)
  const full = timed(() => reopened.series(lastRun, 100_000))
  const fullPoints = Object.values(full.result).reduce((n, s) => n + s.step.length, 0)
  report(`series(run, 1000) of ${fmt(ROWS_PER_RUN)} rows, median / best of 20 (ms)`, `${median(seriesSamples).toFixed(2)} / ${Math.min(...seriesSamples).toFixed(2)}`)
  report(`series(run, 100000): all ${fmt(fullPoints)} points (ms)`, full.ms.toFixed(2))
  reopened.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const width = Math.max(...rows.map(([what]) => what.length))
console.log(`\nrun store benchmark (node ${process.version}, better-sqlite3, WAL, synchronous=NORMAL; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`)
for (const [what, value] of rows) console.log(`${what.padEnd(width)}  ${value}`)
