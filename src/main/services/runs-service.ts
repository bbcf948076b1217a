// The run methods: starting a run (validated spec, materialised data set, a trainer process per
// run), relaying its events into the store and to clients, stop/pause/resume, and the
// short-lived evaluate / predict / weights jobs on a run's saved model.
import { rm } from 'node:fs/promises'
import type { ProgressEvent } from '../../shared/run'
import type { MetricPoint } from '../../shared/run'
import type { DatasetDescriptor } from '../../shared/dataset'
import { inferShapes, validateSpec, type ModelSpec } from '../../shared/spec'
import { encodeRecords, modelPreprocessing } from '../export/preprocessing'
import { checkSpecLimits } from '../../shared/spec/limits'
import { checkMonitor, trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import { evaluateRun, predictRun, readRunWeights, startTraining, type TrainingHandle } from '../engine/supervisor'
import { END_STATUSES, type EndStatus, type MetricWriter } from '../store'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import { WorkbenchError, type Handlers } from './dispatcher'
import { packageVersion } from './versions'
import { chooseWeights } from './weights-choice'

type RunMethods =
  | 'runs.start'
  | 'runs.stop'
  | 'runs.pause'
  | 'runs.resume'
  | 'runs.list'
  | 'runs.get'
  | 'runs.series'
  | 'runs.update'
  | 'runs.delete'
  | 'runs.evaluate'
  | 'runs.predict'
  | 'runs.weights'

interface ActiveRun {
  handle: TrainingHandle
  writer: MetricWriter
  ended: Promise<void>
}

export interface Runs {
  handlers: Pick<Handlers, RunMethods>
  /** Waits for a run's trainer to end (resolves at once for a run that is not active). */
  waitFor(runId: string): Promise<void>
  isActive(runId: string): boolean
  /** The run's folder, refusing a run whose trainer has not saved a model yet. */
  trainedRunDir(runId: string, name: string): string
  /** Stops every active run and waits for their trainers to end. */
  stopAll(): Promise<void>
}

/**
 * Metric names in the store: per-batch values are kept under `batch/<name>` (step-indexed),
 * per-epoch values under their Keras names (loss, acc, val_loss, lr, …) at the step the epoch
 * ended, so that charts can show both without guessing.
 */
export function progressToMetricPoints(event: ProgressEvent, now: number): MetricPoint[] {
  if (event.type === 'batch') {
    return Object.entries(event.metrics).map(([name, value]) => ({ step: event.step, epoch: event.epoch, name: `batch/${name}`, value, time: now }))
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
  const last = inferShapes(spec).layers.at(-1)
  const outputSize = (last?.output_shape.at(-1) as number | null | undefined) ?? 1
  const activation = String(spec.layers.at(-1)?.config.activation ?? 'linear')
  const { preprocessing, scaling } = modelPreprocessing(descriptor, { outputSize, classifier: descriptor.task !== 'regression' && (activation === 'softmax' || activation === 'sigmoid') })
  let raw: number[][]
  if (request.records) {
    if (request.inputs) throw new WorkbenchError('bad_input', 'give either records (rows by column name) or inputs (rows of numbers), not both')
    if (request.preprocessed) throw new WorkbenchError('bad_input', 'records by column name are raw by definition; drop --preprocessed, or give inputs as already-scaled numbers')
    const encoded = encodeRecords(preprocessing, request.records)
    if (encoded.errors.length) throw new WorkbenchError('bad_input', `${encoded.errors.slice(0, 5).join('; ')}${encoded.errors.length > 5 ? `; and ${encoded.errors.length - 5} more` : ''}`)
    raw = Array.from({ length: request.records.length }, (_, r) => Array.from(encoded.raw.subarray(r * features, (r + 1) * features)))
  } else if (request.inputs) {
    raw = request.inputs
  } else {
    throw new WorkbenchError('bad_input', 'nothing to predict: give records (rows by column name) or inputs (rows of numbers)')
  }
  raw.forEach((row, r) => {
    if (row.length !== features) throw new WorkbenchError('bad_input', `row ${r + 1} has ${row.length} values but the model takes ${features} (${preprocessing.feature_names.length ? preprocessing.feature_names.slice(0, 8).join(', ') + (features > 8 ? ', …' : '') : `shape ${spec.input_shape.join('×')}`})`)
  })
  if (request.preprocessed || !scaling) return raw
  return raw.map((row) => row.map((value, f) => (value - scaling.offset[f]!) * scaling.scale[f]!))
}

export function createRuns(ctx: ServiceContext, datasets: Datasets): Runs {
  const { store, emit, folders, dataDir } = ctx
  const active = new Map<string, ActiveRun>()

  function activeRun(runId: string): ActiveRun {
    const run = active.get(runId)
    if (!run) throw new WorkbenchError('conflict', `run ${runId} is not running`)
    return run
  }

  function trainedRunDir(runId: string, name: string): string {
    if (!folders.available(runId).length) throw new WorkbenchError('conflict', `run "${name}" has no saved weights yet: weights are saved after the first epoch (or when a run ends); train it longer or re-run it`)
    return folders.dir(runId)
  }

  function launch(runId: string, spec: ModelSpec, config: TrainingConfig, datasetId: string): void {
    const handle = startTraining({ runId, runDir: folders.dir(runId), dataDir, datasetId, spec, config }, { fork: ctx.fork })
    const writer = store.metricWriter(runId)
    handle.onEvent((event) => {
      const points = progressToMetricPoints(event, Date.now())
      if (points.length) writer.append(points)
      if (event.type === 'started') {
        store.markRunning(runId, { backend_info: event.backend, versions: { ...event.versions, 'model-workbench': packageVersion() } })
        emit('runs.changed', { run_id: runId })
      } else if (event.type === 'status') {
        store.setStatus(runId, event.status)
        emit('runs.changed', { run_id: runId })
      }
      if (event.type !== 'ended') emit('run.progress', event)
    })
    const ended = handle.done.then(
      (end) => {
        writer.flush()
        writer.close()
        const status = (END_STATUSES as readonly string[]).includes(end.status) ? (end.status as EndStatus) : 'failed'
        store.finishRun(runId, { ...end, status, error: status === end.status ? end.error : `trainer ended in state ${end.status}` })
        active.delete(runId)
        emit('run.progress', end)
        emit('runs.changed', { run_id: runId })
      },
      (error: unknown) => {
        writer.close()
        const message = error instanceof Error ? error.message : String(error)
        store.finishRun(runId, { status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: message, diverged_at_step: null })
        active.delete(runId)
        emit('runs.changed', { run_id: runId })
      }
    )
    active.set(runId, { handle, writer, ended })
  }

  async function startRun(request: { name?: string; spec: ModelSpec; config: TrainingConfig; dataset_id: string }): Promise<{ run_id: string }> {
    const checked = validateSpec(request.spec)
    if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`)
    const tooBig = checkSpecLimits(checked.summary, request.config.batch_size)
    if (tooBig) throw new WorkbenchError('bad_input', `the model is too big to train: ${tooBig}`)
    const monitorProblem = checkMonitor(trainingConfigSchema.parse(request.config))
    if (monitorProblem) throw new WorkbenchError('bad_input', monitorProblem)
    const descriptor = await datasets.get(request.dataset_id)
    const wanted = descriptor.feature_shape.join('x')
    const got = request.spec.input_shape.join('x')
    if (wanted !== got && descriptor.feature_shape.reduce((a, b) => a * b, 1) !== request.spec.input_shape.reduce((a, b) => a * b, 1)) {
      throw new WorkbenchError('bad_input', `the model expects inputs of shape (${request.spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')}); set the model's input shape to match`)
    }
    const run = store.createRun({
      name: request.name?.trim() || `${request.spec.name} on ${descriptor.name}`,
      model_name: request.spec.name,
      dataset: descriptor,
      spec: request.spec,
      config: request.config
    })
    launch(run.id, request.spec, request.config, descriptor.id)
    emit('runs.changed', { run_id: run.id })
    return { run_id: run.id }
  }

  return {
    waitFor: async (runId) => {
      await active.get(runId)?.ended
    },
    isActive: (runId) => active.has(runId),
    trainedRunDir,
    async stopAll() {
      for (const run of active.values()) run.handle.stop()
      await Promise.allSettled([...active.values()].map((run) => run.ended))
    },
    handlers: {
      'runs.start': startRun,
      'runs.stop': async ({ run_id }) => {
        activeRun(run_id).handle.stop()
        return { ok: true as const }
      },
      'runs.pause': async ({ run_id }) => {
        activeRun(run_id).handle.pause()
        return { ok: true as const }
      },
      'runs.resume': async ({ run_id }) => {
        activeRun(run_id).handle.resume()
        return { ok: true as const }
      },
      'runs.list': async () => store.listRuns(),
      'runs.get': async ({ run_id }) => notFound(() => store.getRun(run_id)),
      'runs.series': async ({ run_id, max_points }) => {
        active.get(run_id)?.writer.flush()
        return notFound(() => store.series(run_id, max_points))
      },
      'runs.update': async ({ run_id, ...patch }) => {
        const updated = notFound(() => store.updateRun(run_id, patch))
        emit('runs.changed', { run_id })
        return updated
      },
      'runs.delete': async ({ run_id }) => {
        if (active.has(run_id)) throw new WorkbenchError('conflict', `run ${run_id} is still training; stop it before deleting it`)
        notFound(() => store.deleteRun(run_id))
        await rm(folders.dir(run_id), { recursive: true, force: true })
        emit('runs.changed', { run_id })
        return { ok: true as const }
      },
      'runs.evaluate': async ({ run_id, split, weights }) => {
        const run = notFound(() => store.getRun(run_id))
        const chosen = chooseWeights(run, folders, weights)
        const evaluation = await evaluateRun({ runDir: folders.dir(run_id), weights: chosen.which, dataDir, datasetId: run.dataset_id, spec: run.spec, config: run.config, split }, { fork: ctx.fork })
        return { ...evaluation, weights: { which: chosen.which, epoch: chosen.epoch, default: chosen.default } }
      },
      'runs.predict': async ({ run_id, inputs, records, preprocessed, weights }) => {
        const run = notFound(() => store.getRun(run_id))
        const chosen = chooseWeights(run, folders, weights)
        const descriptor = await datasets.get(run.dataset_id)
        const rows = predictionInputs(run.spec, descriptor, { inputs, records, preprocessed })
        const prediction = await predictRun({ runDir: folders.dir(run_id), weights: chosen.which, spec: run.spec, config: run.config, inputs: rows }, { fork: ctx.fork })
        const labels = prediction.classes && descriptor.classes.length ? prediction.classes.map((c) => descriptor.classes[c] ?? String(c)) : null
        return { ...prediction, labels, weights: { which: chosen.which, epoch: chosen.epoch, default: chosen.default } }
      },
      'runs.weights': async ({ run_id }) => {
        const run = notFound(() => store.getRunSummary(run_id))
        return readRunWeights({ runDir: trainedRunDir(run_id, run.name) }, { fork: ctx.fork })
      }
    }
  }
}
