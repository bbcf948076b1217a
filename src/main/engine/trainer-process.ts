// The trainer process: one per run (and a short-lived one per evaluate / predict / weights
// request). Loads the data, builds the model, trains on the best backend, streams progress
// events to its parent and writes model files to the run folder. It never opens the
// database (the parent is its single writer) and exits when its parent goes away.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { trainingConfigSchema } from '../../shared/training'
import { TypedError } from '../../shared/errors'
import type { ProgressEvent } from '../../shared/run'
import { loadSplit } from '../data'
import { buildModel } from './model-builder'
import { layerNames } from '../../shared/model-spec'
import { selectBackend, specHasConvolution, type SelectedBackend } from './backend'
import { trainingKernelNeeds } from './training-kernels'
import { TrainingControl, trainModel, type EndedEvent, type SplitArrays } from './training-loop'
import { Checkpoint } from './callbacks/checkpoint'
import { evaluateModel, predictRows, readLayerWeights } from './run-analysis'
import { loadModelFolder, modelFolder, saveModelFolder } from './weights-store'
import { runExportJob } from '../export/job'
import { ExportRefusal } from '../export/types'
import { distributionsRecorder, lrFinderJob } from './insights-jobs'
import type { EvaluateJob, FromTrainer, GradientCheckJob, MaterialiseJob, PredictJob, ToTrainer, TrainingJob, WeightsJob } from './trainer-protocol'
import { gradientCheckOnSplit } from './gradient-check'

interface ParentChannel {
  send(message: FromTrainer): Promise<void>
  onMessage(listener: (message: ToTrainer) => void): void
}

/** Electron's utilityProcess child talks through process.parentPort; a forked Node child through process.send. */
function openParentChannel(): ParentChannel | null {
  const parentPort = (process as unknown as { parentPort?: { on(e: 'message', cb: (event: { data: unknown }) => void): void; postMessage(m: unknown): void } }).parentPort
  if (parentPort) {
    return {
      send: async (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToTrainer))
    }
  }
  if (typeof process.send !== 'function') return null
  // A parent that dies (or disconnects) takes its trainer with it: no orphaned training.
  process.on('disconnect', () => process.exit(0))
  // Ctrl-C in a terminal is the owner's to handle (it stops this trainer cleanly and records
  // `stopped`); a trainer that shares the terminal's process group must not die of it first.
  process.on('SIGINT', () => {})
  return {
    send: (message) => new Promise((resolve) => {
      if (!process.connected) return resolve()
      process.send?.(message, undefined, {}, () => resolve())
    }),
    onMessage: (listener) => process.on('message', (message) => listener(message as ToTrainer))
  }
}

async function loadLabelled(dataDir: string, datasetId: string, split: 'train' | 'validation' | 'test') {
  return loadSplit(dataDir, datasetId, split)
}

async function optionalSplit(dataDir: string, datasetId: string, split: 'validation' | 'test'): Promise<SplitArrays | null> {
  try {
    return await loadSplit(dataDir, datasetId, split)
  } catch {
    return null
  }
}

const CHECKPOINT_EVERY_MS = 5_000

async function backendFor(job: { spec: TrainingJob['spec']; config: TrainingJob['config'] }): Promise<SelectedBackend> {
  return selectBackend(job.config.backend, { convolution: specHasConvolution(job.spec.layers), threads: job.config.threads, kernels: trainingKernelNeeds(job.spec.layers) })
}

async function runTraining(job: TrainingJob, control: TrainingControl, send: (m: FromTrainer) => Promise<void>): Promise<void> {
  const config = trainingConfigSchema.parse(job.config)
  const emit = (event: ProgressEvent): void => void send(event)
  const failed = (message: string): EndedEvent => ({ type: 'ended', run_id: job.runId, status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: message, diverged_at_step: null })
  let ended: EndedEvent
  try {
    const { tf, info, versions } = await backendFor({ spec: job.spec, config })
    const train = await loadLabelled(job.dataDir, job.datasetId, 'train')
    let validation: SplitArrays | null = null
    if (config.validation.kind === 'dataset') {
      // The data set's validation split, or its test split when it has none.
      validation = (await optionalSplit(job.dataDir, job.datasetId, config.validation.split)) ?? (await optionalSplit(job.dataDir, job.datasetId, 'test'))
    }
    const test = config.evaluate_test ? await optionalSplit(job.dataDir, job.datasetId, 'test') : null
    const model: LayersModel = buildModel(tf, job.spec, { seed: config.seed })
    await mkdir(job.runDir, { recursive: true })
    await writeFile(join(job.runDir, 'run.json'), JSON.stringify({ run_id: job.runId, dataset_id: job.datasetId, spec: job.spec, config, backend: info, versions }, null, 2))
    // A checkpoint of the current weights after the first epoch and then at most every few
    // seconds, so that a run that crashes (or whose owner is killed) still leaves a model.
    const checkpoint = new Checkpoint({
      everyMs: CHECKPOINT_EVERY_MS,
      save: async (epoch) => {
        await saveModelFolder(tf, model, join(job.runDir, 'last'))
        await writeFile(join(job.runDir, 'last', 'meta.json'), JSON.stringify({ which: 'last', epoch }))
      }
    })
    const outcome = await trainModel({
      tf, model, config, runId: job.runId, backend: info, versions, emit, control, callbacks: [checkpoint, distributionsRecorder(job.runDir, train, config, job.spec)],
      data: { train, validation, test, task: train.task, numClasses: train.numClasses, targetSize: train.targetSize }
    })
    // Last weights first, then the best ones (the model ends on whichever the config asked for).
    const finalWeights = model.getWeights().map((w) => tf.keep(tf.clone(w)))
    model.setWeights(outcome.lastWeights)
    await saveModelFolder(tf, model, join(job.runDir, 'last'))
    await writeFile(join(job.runDir, 'last', 'meta.json'), JSON.stringify({ which: 'last', epoch: outcome.epochs.length }))
    if (outcome.bestWeights) {
      model.setWeights(outcome.bestWeights)
      await saveModelFolder(tf, model, join(job.runDir, 'best'))
      await writeFile(join(job.runDir, 'best', 'meta.json'), JSON.stringify({ which: 'best', epoch: outcome.ended.best_epoch }))
    }
    model.setWeights(finalWeights)
    tf.dispose([...finalWeights, ...outcome.lastWeights, ...(outcome.bestWeights ?? [])] as Tensor[])
    ended = outcome.ended
  } catch (error) {
    ended = failed((error as Error).message)
  }
  await send(ended)
}

/** The model folder a job asked for, or the default (best when kept, else last). */
function jobFolder(job: { runDir: string; weights?: 'best' | 'last' }): string | null {
  if (job.weights) return existsSync(join(job.runDir, job.weights, 'model.json')) ? join(job.runDir, job.weights) : null
  return modelFolder(job.runDir)
}

function noSavedModel(runDir: string): TypedError {
  return new TypedError('conflict', `Run folder ${runDir} holds no saved model (best/ or last/); train the run first.`, { reason: 'run.no_weights', details: { run: basename(runDir), run_id: basename(runDir) } })
}

/** A job's failure as the reply carries it: code, reason and details for the failures we raise on purpose. */
function errorReply(error: Error): FromTrainer {
  if (error instanceof ExportRefusal) return { type: 'error', message: error.message, code: 'bad_input', reason: 'export.refused', details: { format: error.format, problem: error.message, ...(error.layer ? { layer: error.layer.index, class_name: error.layer.class_name } : {}) } }
  if (error instanceof TypedError) return { type: 'error', message: error.message, code: error.code, ...(error.reason ? { reason: error.reason } : {}), ...(error.details ? { details: error.details } : {}) }
  return { type: 'error', message: error.message }
}

async function evaluateJob(job: EvaluateJob): Promise<unknown> {
  const { tf } = await backendFor(job)
  const folder = jobFolder(job)
  if (!folder) throw noSavedModel(job.runDir)
  const model = await loadModelFolder(tf, folder)
  const split = await loadLabelled(job.dataDir, job.datasetId, job.split)
  return evaluateModel(tf, model, trainingConfigSchema.parse(job.config), split, job.split)
}

async function predictJob(job: PredictJob): Promise<unknown> {
  const { tf } = await backendFor(job)
  const folder = jobFolder(job)
  if (!folder) throw noSavedModel(job.runDir)
  return predictRows(tf, await loadModelFolder(tf, folder), job.config.loss, job.inputs)
}

async function weightsJob(job: WeightsJob): Promise<unknown> {
  const { tf } = await selectBackend('auto')
  const folder = jobFolder(job)
  if (!folder) throw noSavedModel(job.runDir)
  return readLayerWeights(await loadModelFolder(tf, folder))
}

/**
 * The gradient check on the run's chosen weights, or on the spec built untrained with its seed;
 * progress at most every 100 ms. On the backend the run trains on (the ladder's pick: wasm here),
 * so its own kernels' backward passes (ours on wasm: transposed MatMul, Conv2DBackpropFilter) are
 * what is checked; 8× faster than cpu on a 784-512-10 MLP (1.4 s against 11.6 s for 160 weights).
 */
async function gradientCheckJob(job: GradientCheckJob, send: (m: FromTrainer) => Promise<void>): Promise<unknown> {
  const config = trainingConfigSchema.parse(job.config)
  const { tf } = await backendFor({ spec: job.spec, config })
  let model: LayersModel
  if (job.runDir) {
    const folder = jobFolder({ runDir: job.runDir, ...(job.weights ? { weights: job.weights } : {}) })
    if (!folder) throw noSavedModel(job.runDir)
    model = await loadModelFolder(tf, folder)
  } else {
    model = buildModel(tf, job.spec, { seed: config.seed })
  }
  try {
    const split = await loadLabelled(job.dataDir, job.datasetId, 'train')
    let last = 0
    const position = new Map(layerNames(job.spec.layers).map((name, i) => [name, i + 1]))
    return await gradientCheckOnSplit(tf, model, split, config.loss, {
      seed: config.seed,
      layerIndex: (name) => position.get(name),
      ...(job.batchSize !== undefined ? { batchSize: job.batchSize } : {}),
      ...(job.samplesPerTensor !== undefined ? { samplesPerTensor: job.samplesPerTensor } : {}),
      ...(job.epsilon !== undefined ? { epsilon: job.epsilon } : {}),
      onProgress: (done, total) => {
        const now = Date.now()
        if (done === total || now - last >= 100) {
          last = now
          void send({ type: 'job_progress', done, total })
        }
      }
    })
  } finally {
    model.dispose()
  }
}

async function materialiseJob(job: MaterialiseJob): Promise<unknown> {
  const { tf } = await selectBackend('cpu')
  const model = buildModel(tf, job.spec, { seed: 0 })
  try {
    await saveModelFolder(tf, model, job.folder)
    await writeFile(join(job.folder, 'meta.json'), JSON.stringify({ which: job.which, epoch: job.epoch }))
    return { folder: job.folder }
  } finally {
    model.dispose()
  }
}

function main(): void {
  // Everything a trainer writes (weights, checkpoints, exports) is the user's alone: files 0600, folders 0700.
  process.umask(0o077)
  const channel = openParentChannel()
  if (!channel) {
    process.stderr.write('trainer.js is started by Model Workbench as a child process; it is not meant to be run directly.\n')
    process.exit(2)
  }
  const control = new TrainingControl()
  let busy = false
  const finish = (): void => {
    // Give the IPC channel a moment to drain before leaving.
    setTimeout(() => process.exit(0), 20)
  }
  channel.onMessage((message) => {
    switch (message.type) {
      case 'stop':
        control.stop()
        return
      case 'pause':
        control.pause()
        return
      case 'resume':
        control.resume()
        return
      default:
        // A job or a start: handled below, one at a time.
        break
    }
    if (busy) {
      void channel.send({ type: 'error', message: `The trainer is busy; "${message.type}" was ignored.` })
      return
    }
    busy = true
    if (message.type === 'start') {
      void runTraining(message, control, channel.send).finally(finish)
      return
    }
    const work =
      message.type === 'evaluate' ? evaluateJob(message) : message.type === 'predict' ? predictJob(message) : message.type === 'export'
            ? runExportJob(message)
            : message.type === 'materialise'
              ? materialiseJob(message)
              : message.type === 'lr_finder'
                ? lrFinderJob(message, (done, total) => void channel.send({ type: 'job_progress', done, total }))
              : message.type === 'gradient_check'
                ? gradientCheckJob(message, channel.send)
                : weightsJob(message)
    work
      .then((result) => channel.send({ type: 'result', result }))
      .catch((error: Error) => channel.send(errorReply(error)))
      .finally(finish)
  })
}

main()
