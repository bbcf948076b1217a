// Hyperparameter sweeps: `sweeps.create` expands the swept fields (src/shared/sweep.ts) into
// queued items in the store; a scheduler in this process claims queued items (atomically, in the
// store, so another process on the same data folder never takes the same one) and starts their
// runs as slots free up, `concurrency` at a time across all processes. Pause stops new starts,
// resume restarts them, cancel drops the queued items and stops the running runs. Queued items
// survive a restart: opening the workbench resumes the active sweeps; a run that was running when
// its process died is recorded interrupted by the reaper and is not run again.
import { expandSweep, shortFieldName, sweepCounts, canonicalField, type SweepDetail, type SweepSummary } from '../../shared/sweep'
import { newId, type SweepItemRecord, type SweepRecord } from '../store'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import type { Handlers } from './dispatcher'
import type { Runs } from './runs-service'
import { requireTrainableSpec } from './spec-checks'

type SweepMethods = 'sweeps.create' | 'sweeps.list' | 'sweeps.get' | 'sweeps.pause' | 'sweeps.resume' | 'sweeps.cancel' | 'sweeps.retry'

export interface SweepsOptions {
  /** How often the scheduler looks at the queue for work other processes freed or changed (ms). */
  pollMs?: number
}

export const DEFAULT_SWEEP_POLL_MS = 2_000

export interface Sweeps {
  handlers: Pick<Handlers, SweepMethods>
  /** Starts the scheduler: resumes the active sweeps of the data folder (called once the workbench is open). */
  start(): void
  /** Stops scheduling (the runs themselves are stopped by the runs service). */
  close(): void
}

function log(message: string): void {
  console.error(`[sweeps] ${message}`)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function finiteOnly(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)))
}

export function createSweeps(ctx: ServiceContext, datasets: Datasets, runs: Runs, options: SweepsOptions = {}): Sweeps {
  const { store, emit } = ctx
  const pollMs = options.pollMs ?? DEFAULT_SWEEP_POLL_MS
  let timer: NodeJS.Timeout | null = null
  let closed = false
  let ticking = false
  let again = false
  /** Runs this process started for a sweep, by run id → sweep id. */
  const mine = new Map<string, string>()

  function reap(): void {
    try {
      store.reapOrphanedRuns()
    } catch (error) {
      log(`could not look for interrupted runs: ${messageOf(error)}`)
    }
  }

  function items(sweep: SweepRecord): SweepDetail['items'] {
    return store.sweeps.items(sweep.id).map((item: SweepItemRecord) => {
      let final_metrics: Record<string, number> = {}
      let best_metrics: Record<string, number> = {}
      if (item.run_id !== null && item.run_status !== null) {
        try {
          const run = store.getRunSummary(item.run_id)
          final_metrics = finiteOnly(run.final_metrics)
          best_metrics = finiteOnly(run.best_metrics)
        } catch {
          // Deleted since: the item keeps its label and status.
        }
      }
      return { index: item.index, label: item.label, values: item.values, state: item.state, run_id: item.run_id, run_status: item.run_status, error: item.error, final_metrics, best_metrics }
    })
  }

  function summaryOf(sweep: SweepRecord, list = items(sweep)): SweepSummary {
    return {
      id: sweep.id,
      name: sweep.name,
      dataset_id: sweep.dataset_id,
      model_name: sweep.spec.name,
      mode: sweep.mode,
      trials: sweep.trials,
      seed: sweep.seed,
      concurrency: sweep.concurrency,
      status: sweep.status,
      created_at: sweep.created_at,
      ended_at: sweep.ended_at,
      axes: sweep.axes,
      fields: sweep.axes.map((axis) => canonicalField(axis.field)),
      counts: sweepCounts(list)
    }
  }

  function detailOf(sweepId: string): SweepDetail {
    const sweep = notFound(() => store.sweeps.get(sweepId))
    const list = items(sweep)
    return { ...summaryOf(sweep, list), items: list }
  }

  /** Starts queued runs of one sweep while it has free slots. */
  async function fill(sweepId: string): Promise<void> {
    for (;;) {
      if (closed) return
      const claim = store.sweeps.claimNext(sweepId, () => newId('run'))
      if (claim === null) break
      const sweep = store.sweeps.get(sweepId)
      try {
        await runs.startWithId({ name: `${sweep.name} · ${claim.label}`, spec: sweep.spec, config: claim.config, dataset_id: sweep.dataset_id }, claim.run_id)
        mine.set(claim.run_id, sweepId)
        void runs.waitFor(claim.run_id).then(() => {
          mine.delete(claim.run_id)
          emit('sweeps.changed', { sweep_id: sweepId })
          schedule()
        })
      } catch (error) {
        log(`sweep ${sweepId}: run ${claim.label} could not start: ${messageOf(error)}`)
        store.sweeps.markFailed(sweepId, claim.index, messageOf(error))
      }
      emit('sweeps.changed', { sweep_id: sweepId })
    }
    if (store.sweeps.finishIfDone(sweepId)) emit('sweeps.changed', { sweep_id: sweepId })
  }

  /** Stops this process's runs of sweeps cancelled here or elsewhere. */
  function stopCancelled(): void {
    for (const [runId, sweepId] of mine) {
      let status: string
      try {
        status = store.sweeps.get(sweepId).status
      } catch {
        status = 'cancelled'
      }
      if (status === 'cancelled' && runs.isActive(runId)) {
        void runs.handlers['runs.stop']({ run_id: runId }).catch((error: unknown) => log(`could not stop run ${runId}: ${messageOf(error)}`))
      }
    }
  }

  async function tick(): Promise<void> {
    if (ticking) {
      again = true
      return
    }
    ticking = true
    try {
      do {
        again = false
        if (closed || store.isClosed) return
        // The poll runs every few seconds for the app's whole life: with no unfinished sweep
        // and no run of one here, it reads one index and does nothing else (no reaping).
        const active = store.sweeps.activeIds()
        if (active.length === 0 && mine.size === 0) return
        reap()
        stopCancelled()
        for (const sweepId of active) await fill(sweepId)
      } while (again)
    } catch (error) {
      // A locked database or a closing store: the next poll tries again.
      log(messageOf(error))
    } finally {
      ticking = false
    }
  }

  function schedule(): void {
    if (!closed) void tick()
  }

  async function changeStatus(sweepId: string, action: 'pause' | 'resume' | 'cancel'): Promise<SweepSummary> {
    const result = notFound(() => store.sweeps.setStatus(sweepId, action))
    if (action === 'cancel') {
      for (const runId of result.active_runs) {
        if (runs.isActive(runId)) await runs.handlers['runs.stop']({ run_id: runId })
      }
    }
    emit('sweeps.changed', { sweep_id: sweepId })
    if (action === 'resume') schedule()
    if (action === 'pause' && store.sweeps.finishIfDone(sweepId)) emit('sweeps.changed', { sweep_id: sweepId })
    return summaryOf(store.sweeps.get(sweepId))
  }

  async function create(request: Parameters<Handlers['sweeps.create']>[0]): Promise<SweepSummary> {
    requireTrainableSpec(request.spec)
    const descriptor = await datasets.get(request.dataset_id)
    const mode = request.mode ?? 'grid'
    const points = expandSweep({ base_config: request.base_config, axes: request.axes, mode, ...(request.trials === undefined ? {} : { trials: request.trials }), seed: request.seed ?? 0 })
    const fields = request.axes.map((axis) => shortFieldName(canonicalField(axis.field)))
    const sweep = store.sweeps.create({
      id: newId('sweep'),
      name: request.name?.trim() || `${request.spec.name} on ${descriptor.name}: ${fields.join(' × ')}`,
      dataset_id: descriptor.id,
      spec: request.spec,
      base_config: request.base_config,
      axes: request.axes.map((axis) => ({ field: canonicalField(axis.field), values: axis.values.trim() })),
      mode,
      trials: mode === 'random' ? (request.trials ?? null) : null,
      seed: mode === 'random' ? (request.seed ?? 0) : null,
      concurrency: request.concurrency ?? 1,
      points
    })
    emit('sweeps.changed', { sweep_id: sweep.id })
    schedule()
    return summaryOf(sweep)
  }

  return {
    start() {
      if (timer !== null || closed) return
      timer = setInterval(schedule, pollMs)
      timer.unref()
      schedule()
    },
    close() {
      closed = true
      if (timer !== null) clearInterval(timer)
      timer = null
    },
    handlers: {
      'sweeps.create': (request) => create(request),
      'sweeps.list': async () => {
        reap()
        return store.sweeps.list().map((sweep) => summaryOf(sweep))
      },
      'sweeps.get': async ({ sweep_id }) => {
        reap()
        return detailOf(sweep_id)
      },
      'sweeps.pause': ({ sweep_id }) => changeStatus(sweep_id, 'pause'),
      'sweeps.resume': ({ sweep_id }) => changeStatus(sweep_id, 'resume'),
      'sweeps.cancel': ({ sweep_id }) => changeStatus(sweep_id, 'cancel'),
      'sweeps.retry': async ({ sweep_id }) => {
        reap()
        const queued = notFound(() => store.sweeps.retry(sweep_id))
        if (queued > 0) {
          emit('sweeps.changed', { sweep_id })
          schedule()
        }
        return summaryOf(store.sweeps.get(sweep_id))
      }
    }
  }
}
