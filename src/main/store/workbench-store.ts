// The run store: one SQLite database (WAL, foreign keys) holding data sets, saved model specs,
// runs with their config snapshots and results, metric series and artifacts. The main process
// is its only writer; trainers report to it and never open the database themselves.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import type { SavedModel } from '../../shared/contract'
import type { DatasetDescriptor } from '../../shared/dataset'
import { ACTIVE_STATUSES, type BackendInfo, type MetricValues, type RunDetail, type RunSeries, type RunStatus, type RunSummary } from '../../shared/run'
import type { ModelSpec } from '../../shared/spec'
import type { TrainingConfig } from '../../shared/training'
import { StoreError, runNotFound } from './errors'
import { evenlySpacedIndices } from './downsample'
import { MetricWriter, createMetricInserter, type MetricWriterOptions } from './metric-writer'
import { migrate } from './schema'

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

  private constructor(
    private readonly db: Database.Database,
    readonly path: string
  ) {
    this.insertMetrics = createMetricInserter(db)
    this.statements = {
      runStatus: db.prepare<[string], { status: RunStatus }>('SELECT status FROM runs WHERE id = ?'),
      runSummary: db.prepare<[string], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = ?`),
      runDetail: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?'),
      listRuns: db.prepare<[], SummaryRow>(LIST_RUNS_SQL),
      seriesNames: db.prepare<[string], { name: string; n: number }>('SELECT name, count(*) AS n FROM metrics WHERE run_id = ? GROUP BY name ORDER BY name'),
      seriesRows: db.prepare<[string, string], [number, number, number | null]>('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, rowid').raw(true),
      seriesRowsAt: db
        .prepare<[string, string, string], [number, number, number | null]>(
          `SELECT step, epoch, value FROM (
             SELECT step, epoch, value, row_number() OVER (ORDER BY step, rowid) - 1 AS i FROM metrics WHERE run_id = ? AND name = ?
           ) WHERE i IN (SELECT value FROM json_each(?)) ORDER BY i`
        )
        .raw(true),
      lastValue: db.prepare<[string, string], { value: number | null }>('SELECT value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step DESC, rowid DESC LIMIT 1')
    }
  }

  /** Opens (creating folders and file as needed) and migrates the database at `dbPath`. */
  static open(dbPath: string): WorkbenchStore {
    if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true })
    let db: Database.Database
    try {
      db = new Database(dbPath)
    } catch (cause) {
      throw new StoreError('incompatible', `Cannot open the run database ${dbPath}: ${(cause as Error).message}. Check that the folder is writable.`)
    }
    try {
      db.pragma('busy_timeout = 5000')
      const mode = db.pragma('journal_mode = WAL', { simple: true })
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
    return new WorkbenchStore(db, dbPath)
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
    if (name === '') throw new StoreError('bad_input', 'A run needs a non-empty name.')
    try {
      this.db
        .prepare(
          `INSERT INTO runs (id, name, model_name, dataset_id, dataset_name, dataset_fingerprint, status, spec, config, seed,
             optimizer, learning_rate, batch_size, epochs, steps, created_at, owner_pid)
           VALUES (@id, @name, @model_name, @dataset_id, @dataset_name, @dataset_fingerprint, 'queued', @spec, @config, @seed,
             @optimizer, @learning_rate, @batch_size, @epochs, @steps, @created_at, @owner_pid)`
        )
        .run({
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
          owner_pid: process.pid,
          steps: config.budget.kind === 'steps' ? config.budget.steps : null,
          created_at: nowIso()
        })
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
        .prepare(`UPDATE runs SET status = 'running', backend = ?, backend_info = ?, versions = ?, started_at = ? WHERE id = ?`)
        .run(info.backend_info.name, JSON.stringify(info.backend_info), JSON.stringify(info.versions), info.started_at ?? nowIso(), runId)
    })
  }

  /** Pause or resume an active run. */
  setStatus(runId: string, status: RunStatus): void {
    if (status !== 'paused' && status !== 'running') {
      throw new StoreError('bad_input', `setStatus only pauses or resumes a run (got ${JSON.stringify(status)}); use finishRun to end it.`)
    }
    this.transition(runId, ACTIVE_STATUSES, `set it ${status}`, () => {
      this.db.prepare('UPDATE runs SET status = ? WHERE id = ?').run(status, runId)
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
          `UPDATE runs SET status = ?, ended_at = ?, final_metrics = ?, best_metrics = ?, best_epoch = ?, error = ?, diverged_at_step = ?
           WHERE id = ?`
        )
        .run(end.status, end.ended_at ?? nowIso(), metricsToJson(end.final_metrics), metricsToJson(end.best_metrics), end.best_epoch, end.error, end.diverged_at_step, runId)
    })
  }

  /**
   * For the owner starting up: runs a previous owner left queued, running or paused can no
   * longer progress (their trainer died with it). Marks them `interrupted` (never `finished`),
   * keeps their last reported metric values as final metrics, and returns their ids.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean = processIsAlive): string[] {
    const detectedAt = nowIso()
    return this.db.transaction(() => {
      // Runs of another live process (the app while the CLI lists runs) are still going.
      const stale = this.db
        .prepare<[], { id: string; status: RunStatus; final_metrics: string; owner_pid: number | null }>(`SELECT id, status, final_metrics, owner_pid FROM runs WHERE status IN (${ACTIVE_SQL})`)
        .all()
        .filter((run) => run.owner_pid === null || run.owner_pid === process.pid || !isAlive(run.owner_pid))
      const update = this.db.prepare(`UPDATE runs SET status = 'interrupted', error = ?, final_metrics = ? WHERE id = ?`)
      for (const run of stale) {
        const error =
          run.status === 'queued'
            ? `Interrupted: the workbench closed before this run started (noticed at ${detectedAt}). Start it again to train.`
            : `Interrupted: the workbench or its trainer process stopped while this run was ${run.status} (noticed at ${detectedAt}). Metrics up to the last saved batch are kept; start a new run to train again.`
        const final = run.final_metrics === '{}' ? metricsToJson(this.lastValues(run.id)) : run.final_metrics
        update.run(error, final, run.id)
      }
      return stale.map((r) => r.id)
    })()
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
      for (let i = 0; i < rows.length; i++) {
        const [s, e, v] = rows[i]
        step[i] = s
        epoch[i] = e
        value[i] = v ?? NaN
      }
      result[name] = { step, epoch, value }
    }
    return result
  }

  updateRun(runId: string, patch: RunPatch): RunSummary {
    this.requireRun(runId)
    const sets: string[] = []
    const values: unknown[] = []
    if (patch.name !== undefined) {
      const name = patch.name.trim()
      if (name === '') throw new StoreError('bad_input', 'A run name cannot be empty.')
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
    if (sets.length > 0) this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = ?`).run(...values, runId)
    return this.getRunSummary(runId)
  }

  /** Deletes an ended run with its metrics and artifact records (not the files: see listArtifacts). */
  deleteRun(runId: string): void {
    const status = this.requireRun(runId)
    if ((ACTIVE_STATUSES as readonly string[]).includes(status)) {
      throw new StoreError('conflict', `Run ${runId} is ${status}; stop it before deleting it.`)
    }
    for (const writer of this.writers) if (writer.runId === runId) writer.close()
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId)
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
    this.db
      .prepare(
        `INSERT INTO datasets (id, name, descriptor, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, descriptor = excluded.descriptor, fingerprint = excluded.fingerprint, created_at = excluded.created_at`
      )
      .run(descriptor.id, descriptor.name, JSON.stringify(descriptor), descriptor.fingerprint, descriptor.created_at)
  }

  listDatasets(): DatasetDescriptor[] {
    return this.db
      .prepare<[], { descriptor: string }>('SELECT descriptor FROM datasets ORDER BY created_at, name')
      .all()
      .map((r) => JSON.parse(r.descriptor) as DatasetDescriptor)
  }

  getDataset(id: string): DatasetDescriptor {
    const row = this.db.prepare<[string], { descriptor: string }>('SELECT descriptor FROM datasets WHERE id = ?').get(id)
    if (row === undefined) throw new StoreError('not_found', `Data set ${JSON.stringify(id)} not found in the run store.`)
    return JSON.parse(row.descriptor) as DatasetDescriptor
  }

  /** Removes the data set's record; runs trained on it keep its name and fingerprint. */
  deleteDataset(id: string): void {
    const { changes } = this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
    if (changes === 0) throw new StoreError('not_found', `Data set ${JSON.stringify(id)} not found in the run store.`)
  }

  // ── saved models ────────────────────────────────────────────────────────────────────

  /** Saves a new version of the named model (1 for a new name, then the next integer). */
  saveModel(name: string, spec: ModelSpec): SavedModel {
    const trimmed = name.trim()
    if (trimmed === '') throw new StoreError('bad_input', 'A saved model needs a non-empty name.')
    return this.db.transaction(() => {
      const { latest } = this.db.prepare<[string], { latest: number | null }>('SELECT max(version) AS latest FROM models WHERE name = ?').get(trimmed)!
      const model: SavedModel = { id: newId('model'), name: trimmed, version: (latest ?? 0) + 1, spec, created_at: nowIso() }
      this.db.prepare('INSERT INTO models (id, name, version, spec, created_at) VALUES (?, ?, ?, ?, ?)').run(model.id, model.name, model.version, JSON.stringify(spec), model.created_at)
      return model
    })()
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
    this.requireRun(runId)
    this.db
      .prepare(
        `INSERT INTO artifacts (run_id, kind, path, sha256, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (run_id, path) DO UPDATE SET kind = excluded.kind, sha256 = excluded.sha256, created_at = excluded.created_at`
      )
      .run(runId, kind, path, sha256, nowIso())
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

  private transition(runId: string, allowedFrom: readonly RunStatus[], action: string, apply: () => void): void {
    this.db.transaction(() => {
      const status = this.requireRun(runId)
      if (!allowedFrom.includes(status)) {
        throw new StoreError('conflict', `Cannot ${action}: run ${runId} is already ${status}.`)
      }
      apply()
    })()
  }

  private lastValues(runId: string): MetricValues {
    const values: MetricValues = {}
    for (const { name } of this.statements.seriesNames.all(runId)) {
      values[name] = this.statements.lastValue.get(runId, name)?.value ?? NaN
    }
    return values
  }
}

/** Whether a process with this id exists (signal 0 tests without sending anything). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
