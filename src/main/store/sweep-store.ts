// Sweeps in the run store: a sweep row (its definition, concurrency and status) and one item per
// expanded config. Items are the queue: a process CLAIMS the next queued item in an IMMEDIATE
// transaction (recording itself and the run id it will create), then creates and starts that run.
// So two processes sharing the data folder never start the same item, a run is never started
// twice, and a claim whose process died before its run row existed goes back to the queue
// (nothing ran). A run that was running when its process died is recorded interrupted by the
// runs' reaper and stays so: the scheduler does not run it again.
import type Database from 'better-sqlite3'
import type { ModelSpec } from '../../shared/model-spec'
import { ACTIVE_STATUSES, type RunStatus } from '../../shared/run'
import type { SweepAxis, SweepMode, SweepPoint } from '../../shared/sweep'
import type { TrainingConfig } from '../../shared/training'
import { writeTransaction, type BusyOptions } from './busy'
import { StoreError } from './errors'
import { ownerState, type ProcessOwner, type ProcessProbe } from './process-owner'

export type SweepStatus = 'active' | 'paused' | 'cancelled' | 'finished'
export type SweepItemState = 'queued' | 'claimed' | 'cancelled' | 'failed'

export interface SweepRecord {
  id: string
  name: string
  dataset_id: string
  spec: ModelSpec
  base_config: TrainingConfig
  axes: SweepAxis[]
  mode: SweepMode
  trials: number | null
  seed: number | null
  concurrency: number
  status: SweepStatus
  created_at: string
  ended_at: string | null
}

export interface SweepItemRecord {
  index: number
  label: string
  values: Record<string, number | string | boolean>
  config: TrainingConfig
  state: SweepItemState
  run_id: string | null
  /** The run's status, null while no run row exists (queued, or claimed and being created). */
  run_status: RunStatus | null
  error: string | null
}

export interface CreateSweepInput {
  id: string
  name: string
  dataset_id: string
  spec: ModelSpec
  base_config: TrainingConfig
  axes: readonly SweepAxis[]
  mode: SweepMode
  trials: number | null
  seed: number | null
  concurrency: number
  points: readonly SweepPoint[]
}

export interface Claim {
  sweep_id: string
  index: number
  label: string
  run_id: string
  config: TrainingConfig
}

interface SweepRow {
  id: string
  name: string
  dataset_id: string
  spec: string
  base_config: string
  axes: string
  mode: SweepMode
  trials: number | null
  seed: number | null
  concurrency: number
  status: SweepStatus
  created_at: string
  ended_at: string | null
}

interface ItemRow {
  idx: number
  label: string
  sweep_values: string
  config: string
  state: SweepItemState
  run_id: string | null
  run_status: RunStatus | null
  claimed_host: string | null
  claimed_pid: number | null
  claimed_start: string | null
  error: string | null
}

const ACTIVE_SQL = ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')

const ITEMS_SQL = `SELECT i.idx, i.label, i.sweep_values, i.config, i.state, i.run_id, r.status AS run_status, i.claimed_host, i.claimed_pid, i.claimed_start, i.error
  FROM sweep_items i LEFT JOIN runs r ON r.id = i.run_id WHERE i.sweep_id = ? ORDER BY i.idx`

function toSweep(row: SweepRow): SweepRecord {
  return {
    id: row.id,
    name: row.name,
    dataset_id: row.dataset_id,
    spec: JSON.parse(row.spec) as ModelSpec,
    base_config: JSON.parse(row.base_config) as TrainingConfig,
    axes: JSON.parse(row.axes) as SweepAxis[],
    mode: row.mode,
    trials: row.trials,
    seed: row.seed,
    concurrency: row.concurrency,
    status: row.status,
    created_at: row.created_at,
    ended_at: row.ended_at
  }
}

function toItem(row: ItemRow): SweepItemRecord {
  return {
    index: row.idx,
    label: row.label,
    values: JSON.parse(row.sweep_values) as Record<string, number | string | boolean>,
    config: JSON.parse(row.config) as TrainingConfig,
    state: row.state,
    run_id: row.run_id,
    run_status: row.run_status,
    error: row.error
  }
}

export function sweepNotFound(sweepId: string): StoreError {
  return new StoreError('not_found', `There is no sweep ${JSON.stringify(sweepId)}; it may have been deleted.`, { reason: 'sweep.not_found', details: { sweep_id: sweepId } })
}

export class SweepStore {
  constructor(
    private readonly db: Database.Database,
    private readonly busy: BusyOptions,
    private readonly probe: ProcessProbe
  ) {}

  private write<T>(action: string, work: () => T): T {
    return writeTransaction(this.db, action, work, this.busy)
  }

  create(input: CreateSweepInput): SweepRecord {
    const now = new Date().toISOString()
    this.write(`create sweep ${input.id}`, () => {
      this.db
        .prepare('INSERT INTO sweeps (id, name, dataset_id, spec, base_config, axes, mode, trials, seed, concurrency, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(input.id, input.name, input.dataset_id, JSON.stringify(input.spec), JSON.stringify(input.base_config), JSON.stringify(input.axes), input.mode, input.trials, input.seed, input.concurrency, 'active', now)
      const insert = this.db.prepare("INSERT INTO sweep_items (sweep_id, idx, label, sweep_values, config, state) VALUES (?, ?, ?, ?, ?, 'queued')")
      for (const point of input.points) insert.run(input.id, point.index, point.label, JSON.stringify(point.values), JSON.stringify(point.config))
    })
    return this.get(input.id)
  }

  get(sweepId: string): SweepRecord {
    const row = this.db.prepare<[string], SweepRow>('SELECT * FROM sweeps WHERE id = ?').get(sweepId)
    if (row === undefined) throw sweepNotFound(sweepId)
    return toSweep(row)
  }

  list(): SweepRecord[] {
    return this.db.prepare<[], SweepRow>('SELECT * FROM sweeps ORDER BY created_at DESC, rowid DESC').all().map(toSweep)
  }

  /** Ids of the sweeps that may still start runs (active) — what a scheduler looks after. */
  activeIds(): string[] {
    return this.db.prepare<[], { id: string }>("SELECT id FROM sweeps WHERE status = 'active' ORDER BY created_at").all().map((r) => r.id)
  }

  items(sweepId: string): SweepItemRecord[] {
    this.get(sweepId)
    return this.db.prepare<[string], ItemRow>(ITEMS_SQL).all(sweepId).map(toItem)
  }

  /** The sweep a run belongs to, or null. */
  sweepOfRun(runId: string): { sweep_id: string; index: number } | null {
    const row = this.db.prepare<[string], { sweep_id: string; idx: number }>('SELECT sweep_id, idx FROM sweep_items WHERE run_id = ?').get(runId)
    return row ? { sweep_id: row.sweep_id, index: row.idx } : null
  }

  private claimerIsSelf(row: Pick<ItemRow, 'claimed_host' | 'claimed_pid' | 'claimed_start'>, self: ProcessOwner): boolean {
    return row.claimed_pid === self.pid && row.claimed_host === self.host && row.claimed_start === self.start
  }

  /** A claimed item whose run row does not exist yet is "starting" while its claimer lives. */
  private startingIsLive(row: ItemRow): boolean {
    if (this.claimerIsSelf(row, this.probe.self)) return true
    return ownerState({ host: row.claimed_host, pid: row.claimed_pid, start: row.claimed_start }, this.probe) !== 'dead'
  }

  /**
   * Claims the next queued item of an active sweep when fewer than `concurrency` of its runs are
   * active (in any process), or returns null. Claims whose process died before creating the run go
   * back to the queue first.
   */
  claimNext(sweepId: string, runId: () => string): Claim | null {
    const self = this.probe.self
    return this.write(`claim a run of sweep ${sweepId}`, () => {
      const sweep = this.db.prepare<[string], { status: SweepStatus; concurrency: number }>('SELECT status, concurrency FROM sweeps WHERE id = ?').get(sweepId)
      if (sweep === undefined) throw sweepNotFound(sweepId)
      if (sweep.status !== 'active') return null
      const rows = this.db.prepare<[string], ItemRow>(ITEMS_SQL).all(sweepId)
      let busy = 0
      for (const row of rows) {
        if (row.state !== 'claimed') continue
        if (row.run_status === null) {
          if (this.startingIsLive(row)) busy++
          else this.db.prepare("UPDATE sweep_items SET state = 'queued', run_id = NULL, claimed_host = NULL, claimed_pid = NULL, claimed_start = NULL, claimed_at = NULL WHERE sweep_id = ? AND idx = ?").run(sweepId, row.idx)
        } else if ((ACTIVE_STATUSES as readonly string[]).includes(row.run_status)) busy++
      }
      if (busy >= sweep.concurrency) return null
      const next = this.db.prepare<[string], ItemRow>("SELECT idx, label, config FROM sweep_items WHERE sweep_id = ? AND state = 'queued' ORDER BY idx LIMIT 1").get(sweepId)
      if (next === undefined) return null
      const id = runId()
      this.db
        .prepare("UPDATE sweep_items SET state = 'claimed', run_id = ?, claimed_host = ?, claimed_pid = ?, claimed_start = ?, claimed_at = ? WHERE sweep_id = ? AND idx = ? AND state = 'queued'")
        .run(id, self.host, self.pid, self.start, new Date().toISOString(), sweepId, next.idx)
      return { sweep_id: sweepId, index: next.idx, label: next.label, run_id: id, config: JSON.parse(next.config) as TrainingConfig }
    })
  }

  /**
   * Queues again, as new items, the configs whose run was interrupted or could not start and that
   * have not been queued again already; an ended sweep becomes active again. Nothing is re-run
   * unless asked for here. Returns how many items were queued.
   */
  retry(sweepId: string): number {
    return this.write(`re-run the interrupted runs of sweep ${sweepId}`, () => {
      const sweep = this.db.prepare<[string], { status: SweepStatus }>('SELECT status FROM sweeps WHERE id = ?').get(sweepId)
      if (sweep === undefined) throw sweepNotFound(sweepId)
      if (sweep.status === 'cancelled') {
        throw new StoreError('conflict', `Cannot re-run runs of sweep ${sweepId}: it is already cancelled.`, { reason: 'sweep.ended', details: { sweep_id: sweepId, status: sweep.status, action: 'retry' } })
      }
      const rows = this.db
        .prepare<[string], { idx: number; label: string; sweep_values: string; config: string; state: SweepItemState; run_status: RunStatus | null; retry_of: number | null }>(
          'SELECT i.idx, i.label, i.sweep_values, i.config, i.state, r.status AS run_status, i.retry_of FROM sweep_items i LEFT JOIN runs r ON r.id = i.run_id WHERE i.sweep_id = ? ORDER BY i.idx'
        )
        .all(sweepId)
      const retried = new Set(rows.map((r) => r.retry_of).filter((x): x is number => x !== null))
      let next = rows.reduce((max, r) => Math.max(max, r.idx), -1) + 1
      let count = 0
      const insert = this.db.prepare("INSERT INTO sweep_items (sweep_id, idx, label, sweep_values, config, state, retry_of) VALUES (?, ?, ?, ?, ?, 'queued', ?)")
      for (const row of rows) {
        const lost = row.state === 'failed' || (row.state === 'claimed' && row.run_status === 'interrupted')
        if (!lost || retried.has(row.idx)) continue
        insert.run(sweepId, next++, row.label, row.sweep_values, row.config, row.idx)
        count++
      }
      if (count > 0 && sweep.status === 'finished') this.db.prepare("UPDATE sweeps SET status = 'active', ended_at = NULL WHERE id = ?").run(sweepId)
      return count
    })
  }

  /** The claimed item's run could not be started (its config was refused): recorded, never retried. */
  markFailed(sweepId: string, index: number, error: string): void {
    this.write(`record a failed start in sweep ${sweepId}`, () => {
      this.db.prepare("UPDATE sweep_items SET state = 'failed', error = ? WHERE sweep_id = ? AND idx = ?").run(error, sweepId, index)
    })
  }

  /** Finishes an active or paused sweep with nothing queued and no run active or starting; returns whether it did. */
  finishIfDone(sweepId: string): boolean {
    return this.write(`finish sweep ${sweepId}`, () => {
      const sweep = this.db.prepare<[string], { status: SweepStatus }>('SELECT status FROM sweeps WHERE id = ?').get(sweepId)
      if (sweep === undefined || (sweep.status !== 'active' && sweep.status !== 'paused')) return false
      const rows = this.db.prepare<[string], ItemRow>(ITEMS_SQL).all(sweepId)
      const open = rows.some((row) => row.state === 'queued' || (row.state === 'claimed' && (row.run_status === null ? this.startingIsLive(row) : (ACTIVE_STATUSES as readonly string[]).includes(row.run_status))))
      if (open) return false
      this.db.prepare("UPDATE sweeps SET status = 'finished', ended_at = ? WHERE id = ?").run(new Date().toISOString(), sweepId)
      return true
    })
  }

  /**
   * pause: active → paused; resume: paused → active; cancel: active or paused → cancelled, its
   * queued items cancelled. Returns the run ids of the sweep that are active now (cancel stops them).
   */
  setStatus(sweepId: string, action: 'pause' | 'resume' | 'cancel'): { status: SweepStatus; active_runs: string[] } {
    return this.write(`${action} sweep ${sweepId}`, () => {
      const sweep = this.db.prepare<[string], { status: SweepStatus }>('SELECT status FROM sweeps WHERE id = ?').get(sweepId)
      if (sweep === undefined) throw sweepNotFound(sweepId)
      const allowed: Record<typeof action, SweepStatus[]> = { pause: ['active', 'paused'], resume: ['paused', 'active'], cancel: ['active', 'paused', 'cancelled'] }
      if (!allowed[action].includes(sweep.status)) {
        throw new StoreError('conflict', `Cannot ${action} sweep ${sweepId}: it is already ${sweep.status}.`, { reason: 'sweep.ended', details: { sweep_id: sweepId, status: sweep.status, action } })
      }
      const next: SweepStatus = action === 'pause' ? 'paused' : action === 'resume' ? 'active' : 'cancelled'
      this.db.prepare('UPDATE sweeps SET status = ?, ended_at = ? WHERE id = ?').run(next, next === 'cancelled' ? new Date().toISOString() : null, sweepId)
      if (next === 'cancelled') this.db.prepare("UPDATE sweep_items SET state = 'cancelled' WHERE sweep_id = ? AND state = 'queued'").run(sweepId)
      const active = this.db
        .prepare<[string], { run_id: string }>(`SELECT i.run_id FROM sweep_items i JOIN runs r ON r.id = i.run_id WHERE i.sweep_id = ? AND r.status IN (${ACTIVE_SQL})`)
        .all(sweepId)
        .map((r) => r.run_id)
      return { status: next, active_runs: active }
    })
  }
}
