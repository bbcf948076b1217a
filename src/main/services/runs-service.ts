// The run methods: starting a run (validated spec, materialised data set, a trainer process per
// run), relaying its events into the store and to clients, stop/pause/resume, and the
// short-lived evaluate / predict / weights jobs on a run's saved model.
//
// Several processes may share one data folder. This one beats a heartbeat for the runs it
// trains and, whenever runs are listed or read (and on every heartbeat), records as interrupted
// the active runs of owners that died or fell silent. A store error in a trainer callback never
// escapes: it is logged, a write the database refused while locked is retried later, and a run
// whose end could not be recorded keeps being retried while this process lives.
import { rm } from 'node:fs/promises'
import { ACTIVE_STATUSES, type ActiveRun as ActiveRunInfo, type ProgressEvent } from '../../shared/run'
import type { MetricPoint, RunSummary } from '../../shared/run'
import { isScoreMetric, metricDirection } from '../../shared/metric-best'
import type { DatasetDescriptor } from '../../shared/dataset'
import type { ModelSpec } from '../../shared/model-spec'
import { encodeRecords, specPreprocessing } from '../export/preprocessing'
import { positiveScore } from '../../shared/roc'
import { checkSpecLimits } from '../../shared/model-spec/limits'
import { checkMonitor, trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import { evaluateRun, predictRun, readRunWeights, startTraining, type TrainingHandle } from '../engine/supervisor'
import { END_STATUSES, MetricWriteError, StoreError, describeOwner, isBusyError, type EndStatus, type MetricWriter, type RunEnd, type WorkbenchStore } from '../store'
import type { EndedEvent } from '../engine/supervisor'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import { WorkbenchError, type Handlers } from './dispatcher'
import { packageVersion } from './versions'
import { chooseWeights } from './weights-choice'
import { requireInputFits, requireTrainableSpec } from './spec-checks'

type RunMethods =
  | 'runs.start'
  | 'runs.stop'
  | 'runs.pause'
  | 'runs.resume'
  | 'runs.list'
  | 'runs.active'
  | 'runs.get'
  | 'runs.series'
  | 'runs.update'
  | 'runs.delete'
  | 'runs.evaluate'
  | 'runs.predict'
  | 'runs.setThreshold'
  | 'runs.weights'

interface ActiveRun {
  handle: TrainingHandle
  writer: MetricWriter
  ended: Promise<void>
  /** When Stop was first asked for; a second Stop at least FORCE_STOP_AFTER_MS later kills the trainer. */
  stopRequestedAt: number | null
  /** Status writes the database refused while locked, retried in order before the next one and at each heartbeat. */
  pending: { what: string; write: () => void }[]
  /** What runs.active answers for it: status and the trainer's latest progress, kept from its events. */
  info: ActiveRunInfo
}

export interface RunsOptions {
  /** How often this process beats the heartbeat of its runs and looks for runs of dead owners (ms). */
  heartbeatMs?: number
  /** How long the end of a run is retried at once while the database is locked (ms), before it is left to the heartbeat. */
  endRetryMs?: number
}

export const DEFAULT_HEARTBEAT_MS = 5_000
const DEFAULT_END_RETRY_MS = 30_000
/** Stop pressed again within this time is the same request (a double click); later, it kills the trainer. */
export const FORCE_STOP_AFTER_MS = 1_000

function log(message: string): void {
  console.error(`[runs] ${message}`)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

export interface Runs {
  handlers: Pick<Handlers, RunMethods>
  /** Waits for a run's trainer to end (resolves at once for a run that is not active). */
  waitFor(runId: string): Promise<void>
  isActive(runId: string): boolean
  /** The run's folder, refusing a run whose trainer has not saved a model yet. */
  trainedRunDir(runId: string, name: string): string
  /** Stops every active run and waits for their trainers to end. */
  stopAll(): Promise<void>
  /** runs.start with the run id chosen beforehand (a sweep claims the id before starting the run). */
  startWithId(request: { name?: string; spec: ModelSpec; config: TrainingConfig; dataset_id: string }, runId: string): Promise<{ run_id: string }>
}

/**
 * Metric names in the store: per-batch values are kept under `batch/<name>` (step-indexed),
 * per-epoch values under their Keras names (loss, acc, val_loss, lr, …) at the step the epoch
 * ended, so that charts can show both without guessing.
 */
export function progressToMetricPoints(event: ProgressEvent, now: number): MetricPoint[] {
  if (event.type === 'batch') {
    const losses = event.step_losses
    // With step_losses, batch/loss is each step's own loss (not the epoch's running mean in metrics.loss).
    const points = Object.entries(event.metrics)
      .filter(([name]) => !(losses && name === 'loss'))
      .map(([name, value]) => ({ step: event.step, epoch: event.epoch, name: `batch/${name}`, value, time: now }))
    if (losses) {
      const first = event.step - losses.length + 1
      losses.forEach((value, i) => points.push({ step: first + i, epoch: event.epoch, name: 'batch/loss', value, time: now }))
    }
    return points
  }
  if (event.type === 'epoch') {
    return Object.entries(event.metrics).map(([name, value]) => ({ step: event.step, epoch: event.epoch, name, value, time: now }))
  }
  return []
}

/**
 * The network's input rows for a predict request: raw rows by column name (encoded as in the data
 * set's import) or raw number arrays, scaled as in training; `preprocessed` passes arrays as they are.
 */
export function predictionInputs(spec: ModelSpec, descriptor: DatasetDescriptor, request: { inputs?: number[][]; records?: Array<Record<string, unknown>>; preprocessed: boolean }): number[][] {
  const features = spec.input_shape.reduce((a, b) => a * b, 1)
  const { preprocessing, scaling } = specPreprocessing(spec, descriptor)
  let raw: number[][]
  if (request.records) {
    if (request.inputs) throw new WorkbenchError('bad_input', 'give either records (rows by column name) or inputs (rows of numbers), not both', { reason: 'predict.both_forms' })
    if (request.preprocessed) throw new WorkbenchError('bad_input', 'records by column name are raw by definition; drop --preprocessed, or give inputs as already-scaled numbers', { reason: 'predict.records_preprocessed' })
    const encoded = encodeRecords(preprocessing, request.records)
    if (encoded.errors.length) throw new WorkbenchError('bad_input', `${encoded.errors.slice(0, 5).join('; ')}${encoded.errors.length > 5 ? `; and ${encoded.errors.length - 5} more` : ''}`, { reason: 'predict.bad_records', details: { count: encoded.errors.length, first: encoded.errors[0] ?? '' } })
    raw = Array.from({ length: request.records.length }, (_, r) => Array.from(encoded.raw.subarray(r * features, (r + 1) * features)))
  } else if (request.inputs) {
    raw = request.inputs
  } else {
    throw new WorkbenchError('bad_input', 'nothing to predict: give records (rows by column name) or inputs (rows of numbers)', { reason: 'predict.nothing' })
  }
  raw.forEach((row, r) => {
    if (row.length !== features) throw new WorkbenchError('bad_input', `row ${r + 1} has ${row.length} values but the model takes ${features} (${preprocessing.feature_names.length ? preprocessing.feature_names.slice(0, 8).join(', ') + (features > 8 ? ', …' : '') : `shape ${spec.input_shape.join('×')}`})`, { reason: 'predict.row_width', details: { row: r + 1, got: row.length, expected: features } })
  })
  if (request.preprocessed || !scaling) return raw
  return raw.map((row) => row.map((value, f) => (value - scaling.offset[f]) * scaling.scale[f]))
}

/** The decision threshold saved with a run (`runs.setThreshold`, kept in its config JSON), or null. */
export function savedThreshold(config: unknown): number | null {
  const value = typeof config === 'object' && config !== null ? (config as { decision_threshold?: unknown }).decision_threshold : undefined
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** Whether the model answers probabilities for a two-class task (one sigmoid unit, or a two-unit softmax): the case a threshold decides. */
export function isBinaryClassifier(spec: ModelSpec, descriptor: DatasetDescriptor): boolean {
  if (descriptor.task === 'regression' || descriptor.target_size !== 1 || descriptor.classes.length > 2) return false
  const { preprocessing } = specPreprocessing(spec, descriptor)
  return preprocessing.output.kind === 'probabilities' && (preprocessing.output.size === 1 || preprocessing.output.size === 2)
}

/** A finished run's best values never change: computed once per process, keyed by run id with its status and end. */
export type MetricBestCache = Map<string, { key: string; best_values: Record<string, number>; epochs_trained: number | null }>

/**
 * A run summary with `best_values` (min or max of each per-epoch metric over its epochs, by the
 * metric's direction: metric-best.ts) and `epochs_trained`, read from the metric rows through the
 * series index. Active runs are read afresh; ended ones come from `cache` after the first time.
 */
export function withMetricBests<T extends RunSummary>(store: WorkbenchStore, run: T, cache: MetricBestCache): T {
  const key = `${run.status}|${run.ended_at ?? ''}`
  let entry = cache.get(run.id)
  if (!entry || entry.key !== key || ACTIVE_STATUSES.includes(run.status)) {
    const names = ACTIVE_STATUSES.includes(run.status) || Object.keys(run.final_metrics).length === 0 ? null : Object.keys(run.final_metrics).filter((name) => !name.startsWith('test_') && !name.startsWith('batch/'))
    const ranges = store.metricRanges(run.id, names)
    const bestValues: Record<string, number> = {}
    let epochs: number | null = null
    for (const [name, range] of Object.entries(ranges)) {
      if (range.epochs !== null) epochs = Math.max(epochs ?? 0, range.epochs)
      if (!isScoreMetric(name)) continue
      const value = metricDirection(name) === 'max' ? range.max : range.min
      if (value !== null) bestValues[name] = value
    }
    entry = { key, best_values: bestValues, epochs_trained: epochs }
    cache.set(run.id, entry)
  }
  return { ...run, best_values: entry.best_values, epochs_trained: entry.epochs_trained }
}

/** Why a run this process does not train cannot be stopped, paused or resumed from here. */

function notRunningHere(store: WorkbenchStore, runId: string, verb: string): WorkbenchError {
  const info = notFound(() => store.runOwner(runId))
  if ((ACTIVE_STATUSES as readonly string[]).includes(info.status) && !info.self) {
    return new WorkbenchError('conflict', `run ${runId} is ${info.status} in another process (${describeOwner(info.owner)}); ${verb} it from the window or command that started it`, { reason: 'run.elsewhere', details: { run_id: runId, status: info.status, owner: describeOwner(info.owner), action: verb } })
  }
  if (info.status === 'interrupted') {
    return new WorkbenchError('conflict', `run ${runId} is not running anywhere: it was interrupted (the process that trained it stopped); there is nothing to ${verb}. Delete it, or start a new run to train again`, { reason: 'run.interrupted', details: { run_id: runId, action: verb } })
  }
  return new WorkbenchError('conflict', `run ${runId} is not running anywhere: it has already ended as ${info.status}; there is nothing to ${verb}`, { reason: 'run.ended', details: { run_id: runId, status: info.status, action: verb } })
}

/** Keeps a run's latest progress (for runs.active) from its trainer's events. */
export function trackProgress(info: ActiveRunInfo, event: ProgressEvent): void {
  switch (event.type) {
    case 'started':
      info.backend = event.backend
      info.total_steps = event.total_steps
      info.steps_per_epoch = event.steps_per_epoch
      info.epochs = event.epochs
      info.status = 'running'
      break
    case 'batch':
      info.step = event.step
      info.epoch = event.epoch
      info.progress = event.progress
      info.samples_per_s = event.samples_per_s
      info.eta_s = event.eta_s
      break
    case 'epoch':
      info.epoch = event.epoch
      info.step = Math.max(info.step, event.step)
      info.last_epoch_metrics = event.metrics
      break
    case 'status':
      info.status = event.status
      break
    case 'ended':
      info.status = event.status
      info.stopping = false
      break
  }
}

export function createRuns(ctx: ServiceContext, datasets: Datasets, options: RunsOptions = {}): Runs {
  const { store, emit, folders, dataDir } = ctx
  const active = new Map<string, ActiveRun>()
  const metricBests: MetricBestCache = new Map()
  /** Ends the database refused to record for longer than endRetryMs: retried at each heartbeat. */
  const unrecorded = new Map<string, () => boolean>()
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const endRetryMs = options.endRetryMs ?? DEFAULT_END_RETRY_MS

  function activeRun(runId: string, verb: string): ActiveRun {
    const run = active.get(runId)
    if (!run) {
      reap()
      throw notRunningHere(store, runId, verb)
    }
    return run
  }

  /** Records the runs of dead or silent owners as interrupted; never fails the caller. */
  function reap(): void {
    if (store.isClosed) return
    try {
      for (const runId of store.reapOrphanedRuns()) emit('runs.changed', { run_id: runId })
    } catch (error) {
      log(`could not check other processes' runs: ${messageOf(error)}`)
    }
  }

  /** Applies the run's refused status writes in order; false while the database is still locked. */
  function applyPending(run: ActiveRun, runId: string): boolean {
    while (run.pending.length > 0) {
      const next = run.pending[0]
      try {
        next.write()
      } catch (error) {
        if (isBusyError(error)) return false
        log(`run ${runId}: could not ${next.what}: ${messageOf(error)}`)
      }
      run.pending.shift()
    }
    return true
  }

  /** A status write from a trainer event: applied now, or queued when the database is locked. */
  function statusWrite(run: ActiveRun, runId: string, what: string, write: () => void): void {
    run.pending.push({ what, write })
    if (!applyPending(run, runId)) log(`run ${runId}: could not ${what} yet, the run database is locked by another process; retrying`)
  }

  function appendPoints(writer: MetricWriter, runId: string, points: MetricPoint[]): void {
    try {
      writer.append(points)
    } catch (error) {
      // A locked database keeps the points in the writer's buffer (MetricWriteError.kept).
      log(`run ${runId}: ${messageOf(error)}`)
    }
  }

  function heartbeat(): void {
    if (store.isClosed) return
    for (const [runId, run] of active) applyPending(run, runId)
    for (const [runId, retry] of unrecorded) if (retry()) unrecorded.delete(runId)
    try {
      const { revived, gone } = store.heartbeat([...active.keys()])
      for (const runId of revived) {
        log(`run ${runId} had been taken for interrupted while this process was silent; it is running here, so it is active again`)
        emit('runs.changed', { run_id: runId })
      }
      for (const runId of gone) {
        log(`run ${runId} was deleted or ended by another process; stopping its trainer`)
        active.get(runId)?.handle.stop()
      }
    } catch (error) {
      log(`could not record the heartbeat of active runs: ${messageOf(error)}`)
    }
    reap()
  }
  const timer = setInterval(heartbeat, heartbeatMs)
  timer.unref()

  /** The end as the store takes it: an unknown trainer status becomes failed. */
  function endRecord(end: EndedEvent): RunEnd {
    const status = (END_STATUSES as readonly string[]).includes(end.status) ? (end.status as EndStatus) : 'failed'
    return { ...end, status, error: status === end.status ? end.error : `trainer ended in state ${end.status}` }
  }

  /**
   * One attempt at writing a run's end: flush its metrics, apply its pending status writes,
   * record the end. 'retry' while the database is locked; 'done' when written, or when it can
   * never be (the run was deleted or ended elsewhere: logged); a run whose end cannot be written
   * for another reason is recorded failed with that reason.
   */
  function tryRecordEnd(runId: string, run: ActiveRun, record: RunEnd): 'done' | 'retry' {
    try {
      run.writer.close()
    } catch (error) {
      if (error instanceof MetricWriteError && error.kept) return 'retry'
      log(`run ${runId}: ${messageOf(error)}`)
    }
    if (!applyPending(run, runId)) return 'retry'
    try {
      store.finishRun(runId, record)
      return 'done'
    } catch (error) {
      if (isBusyError(error)) return 'retry'
      if (error instanceof StoreError && (error.code === 'not_found' || error.code === 'conflict')) {
        log(`run ${runId} ended as ${record.status}, but ${messageOf(error)}`)
        return 'done'
      }
      const reason = messageOf(error)
      log(`run ${runId}: could not record its end (${record.status}): ${reason}`)
      try {
        store.finishRun(runId, { status: 'failed', final_metrics: record.final_metrics, best_metrics: record.best_metrics, best_epoch: record.best_epoch, error: `the run ended as ${record.status}, but its end could not be recorded: ${reason}`, diverged_at_step: record.diverged_at_step })
        return 'done'
      } catch (second) {
        if (isBusyError(second)) return 'retry'
        log(`run ${runId}: could not record it as failed either: ${messageOf(second)}`)
        return 'done'
      }
    }
  }

  async function recordEnd(runId: string, run: ActiveRun, end: EndedEvent): Promise<void> {
    const record = endRecord(end)
    const giveUpAt = Date.now() + endRetryMs
    let wait = 50
    let outcome = store.isClosed ? 'done' : tryRecordEnd(runId, run, record)
    while (outcome === 'retry' && Date.now() < giveUpAt) {
      log(`run ${runId} ended as ${record.status}; the run database is locked by another process, retrying`)
      await delay(wait)
      wait = Math.min(wait * 2, 2_000)
      outcome = store.isClosed ? 'done' : tryRecordEnd(runId, run, record)
    }
    active.delete(runId)
    if (outcome === 'retry') {
      // Still beaten by the heartbeat timer's retries; if this process exits first, the run's
      // dead owner makes the next process that looks at it record it as interrupted.
      log(`run ${runId}: its end (${record.status}) is not recorded yet; retrying at each heartbeat`)
      unrecorded.set(runId, () => store.isClosed || tryRecordEnd(runId, run, record) === 'done')
    }
    emit('run.progress', end)
    emit('runs.changed', { run_id: runId })
  }

  function trainedRunDir(runId: string, name: string): string {
    if (!folders.available(runId).length) throw new WorkbenchError('conflict', `run "${name}" has no saved weights yet: weights are saved after the first epoch (or when a run ends); train it longer or re-run it`, { reason: 'run.no_weights', details: { run: name, run_id: runId } })
    return folders.dir(runId)
  }

  function launch(runId: string, spec: ModelSpec, config: TrainingConfig, datasetId: string, summary: { name: string; model_name: string }): void {
    const writer = store.metricWriter(runId, { onError: (error) => log(`run ${runId}: ${error.message}`) })
    const handle = startTraining({ runId, runDir: folders.dir(runId), dataDir, datasetId, spec, config }, { fork: ctx.fork })
    const info: ActiveRunInfo = {
      run_id: runId, name: summary.name, model_name: summary.model_name, dataset_id: datasetId, status: 'queued', stopping: false, backend: null,
      total_steps: null, steps_per_epoch: null, epochs: null, step: 0, epoch: 0, progress: 0, samples_per_s: null, eta_s: null, last_epoch_metrics: {}
    }
    const run: ActiveRun = { handle, writer, ended: Promise.resolve(), stopRequestedAt: null, pending: [], info }
    handle.onEvent((event) => {
      trackProgress(info, event)
      const points = progressToMetricPoints(event, Date.now())
      if (points.length) appendPoints(writer, runId, points)
      if (event.type === 'started') {
        const info = { backend_info: event.backend, versions: { ...event.versions, 'model-workbench': packageVersion() } }
        statusWrite(run, runId, 'mark it running', () => store.markRunning(runId, info))
        emit('runs.changed', { run_id: runId })
      } else if (event.type === 'status') {
        const status = event.status
        statusWrite(run, runId, `set it ${status}`, () => store.setStatus(runId, status))
        emit('runs.changed', { run_id: runId })
      }
      if (event.type !== 'ended') emit('run.progress', event)
    })
    const failedEnd = (error: unknown): EndedEvent => ({ type: 'ended', run_id: runId, status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: messageOf(error), diverged_at_step: null })
    run.ended = handle.done
      .then(
        (end) => recordEnd(runId, run, end),
        (error: unknown) => recordEnd(runId, run, failedEnd(error))
      )
      .catch((error: unknown) => {
        // Nothing above should throw; if it does, the server stays up and the run is not left active here.
        active.delete(runId)
        log(`run ${runId}: ${messageOf(error)}`)
      })
    active.set(runId, run)
  }

  /** Stop: the trainer finishes its batch, saves and ends `stopped`; asked again later, it is killed. */
  function requestStop(run: ActiveRun): void {
    const now = Date.now()
    if (run.stopRequestedAt !== null && now - run.stopRequestedAt >= FORCE_STOP_AFTER_MS) {
      run.handle.kill(`Stopped by force (Stop asked for twice): the trainer was killed before it ended cleanly; the last checkpoint, if any, is kept.`)
      return
    }
    run.stopRequestedAt ??= now
    run.info.stopping = true
    run.handle.stop()
  }

  async function startRun(request: { name?: string; spec: ModelSpec; config: TrainingConfig; dataset_id: string }, runId?: string): Promise<{ run_id: string }> {
    const checked = requireTrainableSpec(request.spec)
    const tooBig = checkSpecLimits(checked.summary, request.config.batch_size)
    if (tooBig) throw new WorkbenchError('bad_input', `the model is too big to train: ${tooBig}`, { reason: 'run.model_too_big', details: { problem: tooBig } })
    const monitorProblem = checkMonitor(trainingConfigSchema.parse(request.config))
    if (monitorProblem) throw new WorkbenchError('bad_input', monitorProblem, { reason: 'run.bad_monitor', details: { problem: monitorProblem } })
    const descriptor = await datasets.get(request.dataset_id)
    requireInputFits(request.spec, descriptor)
    const run = store.createRun({
      ...(runId === undefined ? {} : { id: runId }),
      name: request.name?.trim() || `${request.spec.name} on ${descriptor.name}`,
      model_name: request.spec.name,
      dataset: descriptor,
      spec: request.spec,
      config: request.config
    })
    launch(run.id, request.spec, request.config, descriptor.id, { name: run.name, model_name: run.model_name })
    emit('runs.changed', { run_id: run.id })
    return { run_id: run.id }
  }

  return {
    waitFor: async (runId) => {
      await active.get(runId)?.ended
    },
    isActive: (runId) => active.has(runId),
    trainedRunDir,
    startWithId: (request, runId) => startRun(request, runId),
    async stopAll() {
      clearInterval(timer)
      for (const run of active.values()) run.handle.stop()
      await Promise.allSettled([...active.values()].map((run) => run.ended))
    },
    handlers: {
      'runs.start': (request) => startRun(request),
      'runs.stop': async ({ run_id }) => {
        requestStop(activeRun(run_id, 'stop'))
        return { ok: true as const }
      },
      'runs.pause': async ({ run_id }) => {
        activeRun(run_id, 'pause').handle.pause()
        return { ok: true as const }
      },
      'runs.resume': async ({ run_id }) => {
        activeRun(run_id, 'resume').handle.resume()
        return { ok: true as const }
      },
      'runs.list': async () => {
        reap()
        return store.listRuns().map((run) => withMetricBests(store, run, metricBests))
      },
      'runs.active': async () => [...active.values()].map((run) => ({ ...run.info, last_epoch_metrics: { ...run.info.last_epoch_metrics } })),
      'runs.get': async ({ run_id }) => {
        reap()
        return withMetricBests(store, notFound(() => store.getRun(run_id)), metricBests)
      },
      'runs.series': async ({ run_id, max_points }) => {
        const run = active.get(run_id)
        if (run) {
          try {
            run.writer.flush()
          } catch (error) {
            // Locked by another process: the points stay buffered; the series shows what is committed.
            log(`run ${run_id}: ${messageOf(error)}`)
          }
        }
        return notFound(() => store.series(run_id, max_points))
      },
      'runs.update': async ({ run_id, ...patch }) => {
        const updated = notFound(() => store.updateRun(run_id, patch))
        const live = active.get(run_id)
        if (live) live.info.name = updated.name
        emit('runs.changed', { run_id })
        return updated
      },
      'runs.delete': async ({ run_id }) => {
        if (active.has(run_id)) throw new WorkbenchError('conflict', `run ${run_id} is still training; stop it before deleting it`, { reason: 'run.still_training', details: { run_id } })
        reap()
        try {
          notFound(() => store.deleteRun(run_id))
        } catch (error) {
          if (error instanceof StoreError && error.code === 'conflict') {
            const info = store.runOwner(run_id)
            if (info.self) throw new WorkbenchError('conflict', `run ${run_id} has ended but its end is not recorded yet (the run database is locked by another process); try again in a moment`, { reason: 'run.end_not_recorded', details: { run_id } })
            throw new WorkbenchError('conflict', `run ${run_id} is ${info.status} in another process (${describeOwner(info.owner)}); stop it there before deleting it`, { reason: 'run.elsewhere', details: { run_id, status: info.status, owner: describeOwner(info.owner), action: 'delete' } })
          }
          throw error
        }
        await rm(folders.dir(run_id), { recursive: true, force: true })
        emit('runs.changed', { run_id })
        return { ok: true as const }
      },
      'runs.evaluate': async ({ run_id, split, weights, scores }) => {
        const run = notFound(() => store.getRun(run_id))
        const chosen = chooseWeights(run, folders, weights)
        const evaluation = await evaluateRun({ runDir: folders.dir(run_id), weights: chosen.which, dataDir, datasetId: run.dataset_id, spec: run.spec, config: run.config, split }, { fork: ctx.fork })
        // Per-sample rows only when asked: a 60 000-row split would otherwise ride along every answer.
        const { scores: rows, truth, ...summary } = evaluation
        const perSample = scores && rows && truth ? { scores: rows, truth } : {}
        return { ...summary, ...perSample, weights: { which: chosen.which, epoch: chosen.epoch, default: chosen.default }, decision_threshold: savedThreshold(run.config) }
      },
      'runs.predict': async ({ run_id, inputs, records, preprocessed, weights, threshold }) => {
        const run = notFound(() => store.getRun(run_id))
        const chosen = chooseWeights(run, folders, weights)
        const descriptor = await datasets.get(run.dataset_id)
        const rows = predictionInputs(run.spec, descriptor, { inputs, records, preprocessed })
        const prediction = await predictRun({ runDir: folders.dir(run_id), weights: chosen.which, spec: run.spec, config: run.config, inputs: rows }, { fork: ctx.fork })
        // A binary classifier's class is P(class 1) > the threshold: the request's, else the run's saved one, else 0.5.
        const binary = isBinaryClassifier(run.spec, descriptor)
        const used = binary ? (threshold ?? savedThreshold(run.config) ?? 0.5) : null
        const classes = used !== null ? prediction.probabilities.map((row) => (positiveScore(row) > used ? 1 : 0)) : prediction.classes
        const labels = classes && descriptor.classes.length ? classes.map((c) => descriptor.classes[c] ?? String(c)) : null
        return { ...prediction, classes, labels, threshold: used, weights: { which: chosen.which, epoch: chosen.epoch, default: chosen.default } }
      },
      'runs.setThreshold': async ({ run_id, threshold }) => {
        const run = notFound(() => store.getRun(run_id))
        const descriptor = await datasets.get(run.dataset_id)
        if (!isBinaryClassifier(run.spec, descriptor)) {
          throw new WorkbenchError('bad_input', `run "${run.name}" is not a binary classifier (data set "${descriptor.name}" is ${descriptor.task}); a decision threshold applies only to a model that answers P(class 1) for two classes`, { reason: 'evaluate.threshold_not_binary', details: { run: run.name, dataset: descriptor.name, task: descriptor.task } })
        }
        notFound(() => store.setDecisionThreshold(run_id, threshold))
        emit('runs.changed', { run_id })
        return { run_id, threshold }
      },
      'runs.weights': async ({ run_id }) => {
        const run = notFound(() => store.getRunSummary(run_id))
        return readRunWeights({ runDir: trainedRunDir(run_id, run.name) }, { fork: ctx.fork })
      }
    }
  }
}
