// The run store: one SQLite database (WAL, foreign keys) holding data sets, saved model specs,
// runs with their config snapshots and results, metric series and artifacts. Several processes
// may open one data folder at once (the app, `serve`, the command line): each read-then-write
// runs in an IMMEDIATE transaction, busy answers are retried for a bounded time, and each run
// records its owner process (host, pid, start time) and a heartbeat, so that any process can
// tell a live run from one whose owner died. Trainers report to their owner and never open the
// database themselves.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import type { SavedModel } from '../../shared/contract'
import type { DatasetDescriptor } from '../../shared/dataset'
import { ACTIVE_STATUSES, type BackendInfo, type MetricValues, type RunDetail, type RunSeries, type RunStatus, type RunSummary } from '../../shared/run'
import type { ModelSpec } from '../../shared/model-spec'
import type { TrainingConfig } from '../../shared/training'
import { DEFAULT_BUSY, withBusyRetry, writeTransaction, type BusyOptions } from './busy'
import { StoreError, runNotFound } from './errors'
import { evenlySpacedIndices } from './downsample'
import { MetricWriter, createMetricInserter, type MetricWriterOptions } from './metric-writer'
import { describeOwner, ownerState, systemProbe, type OwnerState, type ProcessProbe } from './process-owner'
import { migrate } from './schema'
import { SweepStore } from './sweep-store'

export { processIsAlive } from './process-owner'

export interface StoreOptions extends Partial<BusyOptions> {
  /** A run whose heartbeat is older than this is taken for interrupted by other processes (ms). */
  staleAfterMs?: number
  /** How processes are checked (tests pass their own). */
  probe?: ProcessProbe
}

export const DEFAULT_STALE_AFTER_MS = 30_000

/** Who owns an active run and how it looks from here. */
export interface RunOwnerInfo {
  status: RunStatus
  owner: { host: string | null; pid: number | null; start: string | null }
  /** ms since the epoch of the owner's last heartbeat. */
  heartbeat_at: number | null
  /** This very process. */
  self: boolean
  state: OwnerState
}

interface ActiveRow {
  id: string
  status: RunStatus
  final_metrics: string
  owner_pid: number | null
  owner_host: string | null
  owner_start: string | null
  heartbeat_at: number | null
}

export type DatasetRef = Pick<DatasetDescriptor, 'id' | 'name' | 'fingerprint'>

export interface CreateRunInput {
  id?: string
  name: string
  model_name: string
  dataset: DatasetRef
  spec: ModelSpec
  config: TrainingConfig
}

export interface RunningInfo {
  backend_info: BackendInfo
  versions: Record<string, string>
  started_at?: string
}

export type EndStatus = Exclude<RunStatus, 'queued' | 'running' | 'paused'>
export const END_STATUSES: readonly EndStatus[] = ['finished', 'stopped', 'diverged', 'failed', 'interrupted']

export interface RunEnd {
  status: EndStatus
  final_metrics: MetricValues
  best_metrics: MetricValues
  best_epoch: number | null
  error: string | null
  diverged_at_step: number | null
  ended_at?: string
}

export interface RunPatch {
  name?: string
  tags?: string[]
  notes?: string
}

export interface Artifact {
  run_id: string
  kind: string
  path: string
  sha256: string
  created_at: string
}

interface RunRow {
  id: string
  name: string
  model_name: string
  dataset_id: string
  dataset_name: string
  dataset_fingerprint: string
  status: RunStatus
  spec: string
  config: string
  seed: number
  optimizer: string
  learning_rate: number
  batch_size: number
  epochs: number | null
  steps: number | null
  backend: string | null
  backend_info: string | null
  versions: string
  created_at: string
  started_at: string | null
  ended_at: string | null
  final_metrics: string
  best_metrics: string
  best_epoch: number | null
  error: string | null
  diverged_at_step: number | null
  tags: string
  notes: string
}
type SummaryRow = Omit<RunRow, 'dataset_fingerprint' | 'spec' | 'config' | 'seed' | 'backend_info' | 'versions' | 'error' | 'diverged_at_step'>

// listRuns reads only these columns of the runs table: never the metrics, never the big JSON blobs.
const SUMMARY_COLUMNS =
  'id, name, model_name, dataset_id, dataset_name, status, optimizer, learning_rate, batch_size, epochs, steps, backend, created_at, started_at, ended_at, final_metrics, best_metrics, best_epoch, tags, notes'

/** The statement behind listRuns; exported so a test can check its query plan never touches metrics. */
export const LIST_RUNS_SQL = `SELECT ${SUMMARY_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC`

const ACTIVE_SQL = ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')

function nowIso(): string {
  return new Date().toISOString()
}

/** `<prefix>-20261123T101530Z-3f9a1c`: sortable by creation time, safe in file names and contract ids. */
export function newId(prefix: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`
}

/** NaN and ±Infinity do not survive JSON; record them as strings so a diverged run's final loss still reads "NaN". */
/** JSON with object keys sorted at every level: equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v
  )
}

function metricsToJson(values: MetricValues): string {
  return JSON.stringify(values, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))
}

function metricsFromJson(text: string): MetricValues {
  const raw = JSON.parse(text) as Record<string, number | string | null>
  const values: MetricValues = {}
  for (const [name, value] of Object.entries(raw)) values[name] = typeof value === 'number' ? value : Number(value ?? NaN)
  return values
}

function durationSeconds(startedAt: string | null, endedAt: string | null): number | null {
  if (startedAt === null || endedAt === null) return null
  const ms = Date.parse(endedAt) - Date.parse(startedAt)
  return Number.isFinite(ms) ? Math.max(0, ms / 1000) : null
}

function toSummary(row: SummaryRow): RunSummary {
  return {
    id: row.id,
    name: row.name,
    model_name: row.model_name,
    dataset_id: row.dataset_id,
    dataset_name: row.dataset_name,
    status: row.status,
    optimizer: row.optimizer,
    learning_rate: row.learning_rate,
    batch_size: row.batch_size,
    epochs: row.epochs,
    steps: row.steps,
    backend: row.backend,
    created_at: row.created_at,
    started_at: row.started_at,
    ended_at: row.ended_at,
    duration_s: durationSeconds(row.started_at, row.ended_at),
    final_metrics: metricsFromJson(row.final_metrics),
    best_metrics: metricsFromJson(row.best_metrics),
    best_epoch: row.best_epoch,
    tags: JSON.parse(row.tags) as string[],
    notes: row.notes
  }
}

function toDetail(row: RunRow): RunDetail {
  return {
    ...toSummary(row),
    spec: JSON.parse(row.spec) as ModelSpec,
    config: JSON.parse(row.config) as TrainingConfig,
    dataset_fingerprint: row.dataset_fingerprint,
    seed: row.seed,
    backend_info: row.backend_info === null ? null : (JSON.parse(row.backend_info) as BackendInfo),
    versions: JSON.parse(row.versions) as Record<string, string>,
    error: row.error,
    diverged_at_step: row.diverged_at_step
  }
}

function isEndStatus(status: string): status is EndStatus {
  return (END_STATUSES as readonly string[]).includes(status)
}

export class WorkbenchStore {
  private readonly writers = new Set<MetricWriter>()
  private readonly insertMetrics: ReturnType<typeof createMetricInserter>
  private readonly statements
  private closed = false
  private readonly busy: BusyOptions
  private readonly probe: ProcessProbe
  readonly staleAfterMs: number

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
    options: StoreOptions
  ) {
    this.busy = { busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY.busyTimeoutMs, retryBudgetMs: options.retryBudgetMs ?? DEFAULT_BUSY.retryBudgetMs }
    this.probe = options.probe ?? systemProbe
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS
    this.insertMetrics = createMetricInserter(db, this.busy)
    this.statements = {
      runStatus: db.prepare<[string], { status: RunStatus }>('SELECT status FROM runs WHERE id = ?'),
      runSummary: db.prepare<[string], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = ?`),
      runDetail: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?'),
      listRuns: db.prepare<[], SummaryRow>(LIST_RUNS_SQL),
      seriesNames: db.prepare<[string], { name: string; n: number }>('SELECT name, count(*) AS n FROM metrics WHERE run_id = ? GROUP BY name ORDER BY name'),
      seriesRows: db.prepare<[string, string], [number, number, number | null, number]>('SELECT step, epoch, value, time FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, rowid').raw(true),
      seriesRowsAt: db
        .prepare<[string, string, string], [number, number, number | null, number]>(
          `SELECT step, epoch, value, time FROM (
             SELECT step, epoch, value, time, row_number() OVER (ORDER BY step, rowid) - 1 AS i FROM metrics WHERE run_id = ? AND name = ?
           ) WHERE i IN (SELECT value FROM json_each(?)) ORDER BY i`
        )
        .raw(true),
      lastValue: db.prepare<[string, string], { value: number | null }>('SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC, rowid DESC LIMIT 1'),
      activeRuns: db.prepare<[], ActiveRow>(`SELECT id, status, final_metrics, owner_pid, owner_host, owner_start, heartbeat_at FROM runs WHERE status IN (${ACTIVE_SQL})`),
      activeRun: db.prepare<[string], ActiveRow & { interrupted_from: RunStatus | null }>('SELECT id, status, final_metrics, owner_pid, owner_host, owner_start, heartbeat_at, interrupted_from FROM runs WHERE id = ?')
    }
  }

  /**
   * Opens (creating folders and file as needed) and migrates the database at `dbPath`. Options:
   * SQLite's busy timeout and the retry budget after it (5 s each by default), and how old a
   * heartbeat may get before other processes take a run for interrupted (30 s).
   */
  static open(dbPath: string, options: StoreOptions = {}): WorkbenchStore {
    if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true })
    let db: Database.Database
    try {
      db = new Database(dbPath)
    } catch (cause) {
      throw new StoreError('incompatible', `Cannot open the run database ${dbPath}: ${(cause as Error).message}. Check that the folder is writable.`)
    }
    try {
      const budget = { retryBudgetMs: options.retryBudgetMs ?? DEFAULT_BUSY.retryBudgetMs }
      db.pragma(`busy_timeout = ${Math.max(0, Math.round(options.busyTimeoutMs ?? DEFAULT_BUSY.busyTimeoutMs))}`)
      // Switching a new file to WAL writes it; another process may be doing the same.
      const mode = withBusyRetry('open the run database', () => db.pragma('journal_mode = WAL', { simple: true }), budget)
      if (mode !== 'wal' && dbPath !== ':memory:') throw new Error(`journal mode is ${String(mode)}, WAL is required (is the folder on a network file system?)`)
      // With WAL, NORMAL loses nothing when the process is killed; only a power cut may drop the last commits.
      db.pragma('synchronous = NORMAL')
      db.pragma('foreign_keys = ON')
      migrate(db, dbPath)
    } catch (cause) {
      db.close()
      if (cause instanceof StoreError) throw cause
      throw new StoreError('incompatible', `${dbPath} is not a usable Model Workbench database: ${(cause as Error).message}. Move it aside and restart to start a fresh one.`)
    }
    return new WorkbenchStore(db, dbPath, options)
  }

  private sweepStore: SweepStore | null = null
  /** The sweeps and their queue, over the same connection (src/main/store/sweep-store.ts). */
  get sweeps(): SweepStore {
    this.sweepStore ??= new SweepStore(this.db, this.busy, this.probe)
    return this.sweepStore
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Flushes every open metric writer, then closes the database. */
  close(): void {
    if (this.closed) return
    for (const writer of [...this.writers]) {
      try {
        writer.close()
      } catch (error) {
        console.error(`[store] ${(error as Error).message}`)
      }
    }
    this.closed = true
    this.db.close()
  }

  /** `PRAGMA integrity_check`: 'ok' for a healthy database, otherwise SQLite's list of problems. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[]
    return rows.map((r) => r.integrity_check).join('\n')
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }))
  }

  // ── runs ────────────────────────────────────────────────────────────────────────────

  createRun(input: CreateRunInput): RunSummary {
    const id = input.id ?? newId('run')
    const { config } = input
    const name = input.name.trim()
    if (name === '') throw new StoreError('bad_input', 'A run needs a non-empty name.', { reason: 'run.name_blank' })
    const owner = this.probe.self
    const insert = this.db.prepare(
      `INSERT INTO runs (id, name, model_name, dataset_id, dataset_name, dataset_fingerprint, status, spec, config, seed,
         optimizer, learning_rate, batch_size, epochs, steps, created_at, owner_pid, owner_host, owner_start, heartbeat_at)
       VALUES (@id, @name, @model_name, @dataset_id, @dataset_name, @dataset_fingerprint, 'queued', @spec, @config, @seed,
         @optimizer, @learning_rate, @batch_size, @epochs, @steps, @created_at, @owner_pid, @owner_host, @owner_start, @heartbeat_at)`
    )
    try {
      this.write('record the new run', () =>
        insert.run({
          id,
          name,
          model_name: input.model_name,
          dataset_id: input.dataset.id,
          dataset_name: input.dataset.name,
          dataset_fingerprint: input.dataset.fingerprint,
          spec: JSON.stringify(input.spec),
          config: JSON.stringify(config),
          seed: config.seed,
          optimizer: config.optimizer.name,
          learning_rate: config.optimizer.learning_rate,
          batch_size: config.batch_size,
          epochs: config.budget.kind === 'epochs' ? config.budget.epochs : null,
          owner_pid: owner.pid,
          owner_host: owner.host,
          owner_start: owner.start,
          heartbeat_at: Date.now(),
          steps: config.budget.kind === 'steps' ? config.budget.steps : null,
          created_at: nowIso()
        })
      )
    } catch (cause) {
      if ((cause as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new StoreError('conflict', `A run with id ${JSON.stringify(id)} already exists; choose another id or leave it out to get a fresh one.`)
      }
      throw cause
    }
    return this.getRunSummary(id)
  }

  /** The trainer has started: record the backend it got, package versions and the start time. */
  markRunning(runId: string, info: RunningInfo): void {
    this.transition(runId, ['queued', 'running'], 'mark it running', () => {
      this.db
        .prepare(`UPDATE runs SET status = 'running', backend = ?, backend_info = ?, versions = ?, started_at = ?, heartbeat_at = ?, interrupted_from = NULL, error = NULL WHERE id = ?`)
        .run(info.backend_info.name, JSON.stringify(info.backend_info), JSON.stringify(info.versions), info.started_at ?? nowIso(), Date.now(), runId)
    })
  }

  /** Pause or resume an active run. */
  setStatus(runId: string, status: RunStatus): void {
    if (status !== 'paused' && status !== 'running') {
      throw new StoreError('bad_input', `setStatus only pauses or resumes a run (got ${JSON.stringify(status)}); use finishRun to end it.`)
    }
    this.transition(runId, ACTIVE_STATUSES, `set it ${status}`, () => {
      this.db.prepare('UPDATE runs SET status = ?, heartbeat_at = ?, interrupted_from = NULL, error = NULL WHERE id = ?').run(status, Date.now(), runId)
    })
  }

  /** Records how an active run ended. A run that has already ended is left as it is (conflict error). */
  finishRun(runId: string, end: RunEnd): void {
    if (!isEndStatus(end.status)) {
      throw new StoreError('bad_input', `finishRun needs an end status (${END_STATUSES.join(', ')}); got ${JSON.stringify(end.status)}.`)
    }
    this.transition(runId, ACTIVE_STATUSES, `end it as ${end.status}`, () => {
      this.db
        .prepare(
          `UPDATE runs SET status = ?, ended_at = ?, final_metrics = ?, best_metrics = ?, best_epoch = ?, error = ?, diverged_at_step = ?, interrupted_from = NULL
           WHERE id = ?`
        )
        .run(end.status, end.ended_at ?? nowIso(), metricsToJson(end.final_metrics), metricsToJson(end.best_metrics), end.best_epoch, end.error, end.diverged_at_step, runId)
    })
  }

  /**
   * For a process opening the data folder: runs left queued, running or paused by an owner that
   * is gone can no longer progress (their trainer died with it). Marks them `interrupted` (never
   * `finished`), keeps their last reported metric values as final metrics, and returns their ids.
   * Runs of another live process (the app while the CLI lists runs) are left alone. `isAlive`
   * replaces the pid check (tests).
   */
  recoverInterrupted(isAlive?: (pid: number) => boolean): string[] {
    const probe: ProcessProbe = isAlive ? { self: this.probe.self, isAlive, startTime: () => null } : this.probe
    return this.reapOrphanedRuns({ startup: true, probe })
  }

  /**
   * What every process that lists or reads runs calls first: an active run whose owner is dead
   * (same host: its pid is gone, or belongs to a process started at another time) or whose
   * heartbeat is older than `staleAfterMs` (an owner on another host, or one that hangs) is
   * recorded as `interrupted` (W&B's "crashed"). A silent owner that turns out to be alive takes
   * its run back with its next heartbeat or status write. Returns the ids it marked.
   */
  reapOrphanedRuns(options: { now?: number; startup?: boolean; probe?: ProcessProbe } = {}): string[] {
    const now = options.now ?? Date.now()
    const probe = options.probe ?? this.probe
    // A plain read first: most calls find nothing to do and take no write lock.
    const candidates = new Map<string, string>()
    for (const row of this.statements.activeRuns.all()) {
      const reason = this.orphanReason(row, now, options.startup === true, probe)
      if (reason !== null) candidates.set(row.id, reason)
    }
    if (candidates.size === 0) return []
    const detectedAt = new Date(now).toISOString()
    return this.write('mark runs of a stopped owner interrupted', () => {
      const update = this.db.prepare(`UPDATE runs SET status = 'interrupted', error = ?, final_metrics = ?, interrupted_from = ? WHERE id = ?`)
      const marked: string[] = []
      for (const [id, kind] of candidates) {
        // Re-read under the write lock: the owner may have ended it or beaten since.
        const row = this.statements.activeRun.get(id)
        if (row === undefined || !(ACTIVE_STATUSES as readonly string[]).includes(row.status)) continue
        const reason = this.orphanReason(row, now, options.startup === true, probe)
        if (reason === null) continue
        const stale = kind.startsWith('stale:')
        const why = stale ? reason.slice('stale:'.length) : reason
        const error =
          row.status === 'queued'
            ? `Interrupted: ${why} before this run started (noticed at ${detectedAt}). Start it again to train.`
            : `Interrupted: ${why} while this run was ${row.status} (noticed at ${detectedAt}). Metrics up to the last saved batch are kept; start a new run to train again.`
        const final = row.final_metrics === '{}' ? metricsToJson(this.lastValues(id)) : row.final_metrics
        // Only a run taken for stale may come back (its owner may just have been slow).
        update.run(error, final, stale ? row.status : null, id)
        marked.push(id)
      }
      return marked
    })
  }

  /**
   * The owner's heartbeat for the runs it is training: refreshes their heartbeat and takes back
   * any that another process marked interrupted while this one was silent. Returns the ids it
   * took back and those no longer in the store as an active run of this process (deleted
   * elsewhere), whose trainers the caller should stop.
   */
  heartbeat(runIds: readonly string[], now = Date.now()): { revived: string[]; gone: string[] } {
    if (runIds.length === 0) return { revived: [], gone: [] }
    return this.write('record the heartbeat of active runs', () => {
      const revived: string[] = []
      const gone: string[] = []
      const beat = this.db.prepare('UPDATE runs SET heartbeat_at = ? WHERE id = ?')
      const revive = this.db.prepare(`UPDATE runs SET status = interrupted_from, interrupted_from = NULL, error = NULL, final_metrics = '{}', heartbeat_at = ? WHERE id = ?`)
      for (const id of runIds) {
        const row = this.statements.activeRun.get(id)
        if (row === undefined || !this.ownedHere(row)) gone.push(id)
        else if ((ACTIVE_STATUSES as readonly string[]).includes(row.status)) beat.run(now, id)
        else if (row.status === 'interrupted' && row.interrupted_from !== null) {
          revive.run(now, id)
          revived.push(id)
        } else gone.push(id)
      }
      return { revived, gone }
    })
  }

  /** The run's status and owner as this process sees them (for "running in another process" answers). */
  runOwner(runId: string): RunOwnerInfo {
    const row = this.statements.activeRun.get(runId)
    if (row === undefined) throw runNotFound(runId)
    const owner = { host: row.owner_host, pid: row.owner_pid, start: row.owner_start }
    const self = this.ownedHere(row)
    return { status: row.status, owner, heartbeat_at: row.heartbeat_at, self, state: self ? 'alive' : ownerState(owner, this.probe) }
  }

    listRuns(): RunSummary[] {
    return this.statements.listRuns.all().map(toSummary)
  }

  getRun(runId: string): RunDetail {
    const row = this.statements.runDetail.get(runId)
    if (row === undefined) throw runNotFound(runId)
    return toDetail(row)
  }

  getRunSummary(runId: string): RunSummary {
    const row = this.statements.runSummary.get(runId)
    if (row === undefined) throw runNotFound(runId)
    return toSummary(row)
  }

  private metricRangeStatement?: Database.Statement<[string, string], { min: number | null; max: number | null; epochs: number | null }>
  private metricNamesStatement?: Database.Statement<[string], { name: string }>

  /**
   * Minimum, maximum and number of rows (epochs) of each named metric of a run (all its per-epoch metrics when
   * `names` is null), one index range per name: the batch rows are never read for named metrics.
   */
  metricRanges(runId: string, names: readonly string[] | null): Record<string, { min: number | null; max: number | null; epochs: number | null }> {
    this.metricRangeStatement ??= this.db.prepare('SELECT MIN(value) AS min, MAX(value) AS max, COUNT(*) AS epochs FROM metrics WHERE run_id = ? AND name = ?')
    this.metricNamesStatement ??= this.db.prepare("SELECT DISTINCT name FROM metrics WHERE run_id = ? AND name NOT LIKE 'batch/%'")
    const wanted = names ?? this.metricNamesStatement.all(runId).map((row) => row.name)
    const out: Record<string, { min: number | null; max: number | null; epochs: number | null }> = {}
    for (const name of wanted) {
      const row = this.metricRangeStatement.get(runId, name)
      if (row && row.epochs) out[name] = row
    }
    return out
  }

  /** Every metric of a run, by name, in step order, each series evenly thinned to at most `maxPoints` (first and last kept). NaN values read back as NaN. */
  series(runId: string, maxPoints: number): RunSeries {
    this.requireRun(runId)
    const result: RunSeries = {}
    for (const { name, n } of this.statements.seriesNames.all(runId)) {
      const keep = evenlySpacedIndices(n, maxPoints)
      // Thinning happens inside SQLite, so skipped rows never become JavaScript objects.
      const rows = keep.length === n ? this.statements.seriesRows.all(runId, name) : this.statements.seriesRowsAt.all(runId, name, JSON.stringify(keep))
      const step = new Array<number>(rows.length)
      const epoch = new Array<number>(rows.length)
      const value = new Array<number>(rows.length)
      const time = new Array<number>(rows.length)
      for (let i = 0; i < rows.length; i++) {
        const [s, e, v, w] = rows[i]
        step[i] = s
        epoch[i] = e
        value[i] = v ?? NaN
        time[i] = w
      }
      result[name] = { step, epoch, value, time }
    }
    return result
  }

  updateRun(runId: string, patch: RunPatch): RunSummary {
    this.requireRun(runId)
    const sets: string[] = []
    const values: unknown[] = []
    if (patch.name !== undefined) {
      const name = patch.name.trim()
      if (name === '') throw new StoreError('bad_input', 'A run name cannot be empty.', { reason: 'run.name_blank' })
      sets.push('name = ?')
      values.push(name)
    }
    if (patch.tags !== undefined) {
      const tags = [...new Set(patch.tags.map((t) => t.trim()).filter((t) => t !== ''))]
      sets.push('tags = ?')
      values.push(JSON.stringify(tags))
    }
    if (patch.notes !== undefined) {
      sets.push('notes = ?')
      values.push(patch.notes)
    }
    if (sets.length > 0) {
      const { changes } = this.write(`update run ${runId}`, () => this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...values, runId))
      if (changes === 0) throw runNotFound(runId)
    }
    return this.getRunSummary(runId)
  }

  /**
   * A binary classifier's decision threshold, kept in the run's config JSON as `decision_threshold`
   * (no schema change; a re-run drops it, since the training config schema does not know it). null removes it.
   */
  setDecisionThreshold(runId: string, threshold: number | null): void {
    const sql = threshold === null ? "UPDATE runs SET config = json_remove(config, '$.decision_threshold') WHERE id = ?" : "UPDATE runs SET config = json_set(config, '$.decision_threshold', ?) WHERE id = ?"
    const { changes } = this.write(`set the decision threshold of run ${runId}`, () => (threshold === null ? this.db.prepare(sql).run(runId) : this.db.prepare(sql).run(threshold, runId)))
    if (changes === 0) throw runNotFound(runId)
  }

  /** Deletes an ended run with its metrics and artifact records (not the files: see listArtifacts). */
  deleteRun(runId: string): void {
    this.write(`delete run ${runId}`, () => {
      const status = this.requireRun(runId)
      if ((ACTIVE_STATUSES as readonly string[]).includes(status)) {
        throw new StoreError('conflict', `Run ${runId} is ${status}; stop it before deleting it.`)
      }
      for (const writer of this.writers) if (writer.runId === runId) writer.close()
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId)
    })
  }

  /** A buffered writer for one run's metrics; the store flushes it on close(). */
  metricWriter(runId: string, options?: MetricWriterOptions): MetricWriter {
    this.requireRun(runId)
    const writer = new MetricWriter(runId, this.insertMetrics, options, (w) => this.writers.delete(w))
    this.writers.add(writer)
    return writer
  }

  countMetrics(runId: string): number {
    this.requireRun(runId)
    return (this.db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?').get(runId) as { n: number }).n
  }

  // ── data sets ───────────────────────────────────────────────────────────────────────

  /** Adds a data set, or replaces the record of one with the same id. */
  registerDataset(descriptor: DatasetDescriptor): void {
    const upsert = this.db.prepare(
        `INSERT INTO datasets (id, name, descriptor, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, descriptor = excluded.descriptor, fingerprint = excluded.fingerprint, created_at = excluded.created_at`
    )
    this.write(`record data set ${descriptor.id}`, () => upsert.run(descriptor.id, descriptor.name, JSON.stringify(descriptor), descriptor.fingerprint, descriptor.created_at))
  }

  listDatasets(): DatasetDescriptor[] {
    return this.db
      .prepare<[], { descriptor: string }>('SELECT descriptor FROM datasets ORDER BY created_at, name')
      .all()
      .map((r) => JSON.parse(r.descriptor) as DatasetDescriptor)
  }

  getDataset(id: string): DatasetDescriptor {
    const row = this.db.prepare<[string], { descriptor: string }>('SELECT descriptor FROM datasets WHERE id = ?').get(id)
    if (row === undefined) throw new StoreError('not_found', `Data set ${JSON.stringify(id)} not found in the run store.`, { reason: 'dataset.not_found', details: { dataset_id: id } })
    return JSON.parse(row.descriptor) as DatasetDescriptor
  }

  /** Removes the data set's record; runs trained on it keep its name and fingerprint. */
  deleteDataset(id: string): void {
    const { changes } = this.write(`delete data set ${id}`, () => this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id))
    if (changes === 0) throw new StoreError('not_found', `Data set ${JSON.stringify(id)} not found in the run store.`, { reason: 'dataset.not_found', details: { dataset_id: id } })
  }

  // ── saved models ────────────────────────────────────────────────────────────────────

  /**
   * Saves a new version of the named model (1 for a new name, then the next integer). A spec equal
   * to the latest version's (keys in any order) makes no new version: that one comes back with
   * `unchanged: true`.
   */
  saveModel(name: string, spec: ModelSpec): SavedModel {
    const trimmed = name.trim()
    if (trimmed === '') throw new StoreError('bad_input', 'A saved model needs a non-empty name.', { reason: 'model.name_blank' })
    return this.write(`save model ${JSON.stringify(trimmed)}`, () => {
      const latestRow = this.db
        .prepare<[string], { id: string; name: string; version: number; spec: string; created_at: string }>('SELECT * FROM models WHERE name = ? ORDER BY version DESC LIMIT 1')
        .get(trimmed)
      if (latestRow !== undefined) {
        const latestSpec = JSON.parse(latestRow.spec) as ModelSpec
        if (canonicalJson(latestSpec) === canonicalJson(spec)) return { ...latestRow, spec: latestSpec, unchanged: true }
      }
      const model: SavedModel = { id: newId('model'), name: trimmed, version: (latestRow?.version ?? 0) + 1, spec, created_at: nowIso() }
      this.db.prepare('INSERT INTO models (id, name, version, spec, created_at) VALUES (?, ?, ?, ?, ?)').run(model.id, model.name, model.version, JSON.stringify(spec), model.created_at)
      return model
    })
  }

  /** Every saved version, grouped by name, newest version first. */
  listModels(): SavedModel[] {
    return this.db
      .prepare<[], { id: string; name: string; version: number; spec: string; created_at: string }>('SELECT * FROM models ORDER BY name, version DESC')
      .all()
      .map((r) => ({ ...r, spec: JSON.parse(r.spec) as ModelSpec }))
  }

  getModel(id: string): SavedModel {
    const row = this.db.prepare<[string], { id: string; name: string; version: number; spec: string; created_at: string }>('SELECT * FROM models WHERE id = ?').get(id)
    if (row === undefined) throw new StoreError('not_found', `Saved model ${JSON.stringify(id)} not found in the run store.`)
    return { ...row, spec: JSON.parse(row.spec) as ModelSpec }
  }

  // ── artifacts ───────────────────────────────────────────────────────────────────────

  /** Records a file a run produced (weights, checkpoint, export); the same path again replaces its record. */
  addArtifact(runId: string, kind: string, path: string, sha256: string): void {
    const upsert = this.db.prepare(
      `INSERT INTO artifacts (run_id, kind, path, sha256, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, path) DO UPDATE SET kind = excluded.kind, sha256 = excluded.sha256, created_at = excluded.created_at`
    )
    this.write(`record an artifact of run ${runId}`, () => {
      this.requireRun(runId)
      upsert.run(runId, kind, path, sha256, nowIso())
    })
  }

  listArtifacts(runId: string): Artifact[] {
    this.requireRun(runId)
    return this.db.prepare<[string], Artifact>('SELECT run_id, kind, path, sha256, created_at FROM artifacts WHERE run_id = ? ORDER BY created_at, path').all(runId)
  }

  // ── internals ───────────────────────────────────────────────────────────────────────

  private requireRun(runId: string): RunStatus {
    const row = this.statements.runStatus.get(runId)
    if (row === undefined) throw runNotFound(runId)
    return row.status
  }

  /** A write (or read-then-write) in an IMMEDIATE transaction, retried while another process holds the lock. */
  private write<T>(action: string, work: () => T): T {
    return writeTransaction(this.db, action, work, this.busy)
  }

  /**
   * Read-then-write of a run's status under the write lock. A run another process marked
   * interrupted because this process was silent is this process's to take back.
   */
  private transition(runId: string, allowedFrom: readonly RunStatus[], action: string, apply: () => void): void {
    this.write(`${action} (run ${runId})`, () => {
      const row = this.statements.activeRun.get(runId)
      if (row === undefined) throw runNotFound(runId)
      const takenBack = row.status === 'interrupted' && row.interrupted_from !== null && this.ownedHere(row)
      if (!allowedFrom.includes(row.status) && !takenBack) {
        throw new StoreError('conflict', `Cannot ${action}: run ${runId} is already ${row.status}.`)
      }
      apply()
    })
  }

  /** Recorded as owned by this very process (host, pid and start time). */
  private ownedHere(row: Pick<ActiveRow, 'owner_pid' | 'owner_host' | 'owner_start'>): boolean {
    const self = this.probe.self
    return row.owner_pid === self.pid && (row.owner_host === null || row.owner_host === self.host) && row.owner_start === self.start
  }

  /** Why an active run can no longer progress, or null while its owner may still be working on it. A `stale:` prefix marks a silent but possibly live owner. */
  private orphanReason(row: ActiveRow, now: number, startup: boolean, probe: ProcessProbe): string | null {
    const owner = { host: row.owner_host, pid: row.owner_pid, start: row.owner_start }
    // Databases from before owners were recorded: no process can claim the run.
    if (owner.pid === null) return 'the workbench or its trainer process stopped'
    const self = probe.self
    if ((owner.host === null || owner.host === self.host) && owner.pid === self.pid) {
      if (owner.start !== null && self.start !== null) return owner.start === self.start ? null : `the workbench that owned it (${describeOwner(owner)}, an earlier process with this pid) stopped`
      // No start times (no /proc): at start-up, an active run under our own pid is a previous process's.
      return startup ? 'the workbench or its trainer process stopped' : null
    }
    if (ownerState(owner, probe) === 'dead') return `the workbench that owned it (${describeOwner(owner)}) stopped`
    if (row.heartbeat_at !== null && now - row.heartbeat_at > this.staleAfterMs) {
      return `stale:the workbench that owned it (${describeOwner(owner)}) sent no heartbeat for ${Math.round((now - row.heartbeat_at) / 1000)} s`
    }
    return null
  }

  private lastValues(runId: string): MetricValues {
    const values: MetricValues = {}
    for (const { name } of this.statements.seriesNames.all(runId)) {
      values[name] = this.statements.lastValue.get(runId, name)?.value ?? NaN
    }
    return values
  }
}
