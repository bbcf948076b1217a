// The training loop: our own step loop around optimizer.minimize (not model.fit), so that
// metrics stay on the device and are read every ~100 ms instead of after every batch (tfjs's
// fit resolves every batch's logs once an onBatchEnd callback is given: CustomCallback.onBatchEnd
// awaits resolveScalarsInLogs in tfjs-layers base_callbacks). Runs in-process on in-memory
// arrays; the trainer process wraps it with data loading, messages and checkpoints.
//
// Metric names: loss, acc, mse, mae, precision, recall, auc (train), the same with `val_` on
// validation data and `test_` on the test split, and `lr` (the rate used in the last step).
// Steps are counted from 1 in events: step n is the n-th optimizer update.
import type { LayersModel, Tensor, Variable, Scalar, Tensor1D } from '@tensorflow/tfjs'
import type { BackendInfo, MetricValues, ProgressEvent } from '../../shared/run'
import { canonicalMetricName, checkMonitor, type OptimizerConfig, type TrainingConfig } from '../../shared/training'
import type { Tf } from './backend'
import { EarlyStopper } from './early-stopping'
import { applyLearningRate, metricPrefersHigher, PlateauReducer, scheduledLearningRate } from './learning-rate'
import { denseLabels, planMetrics, type MetricPlan } from './metric-plan'
import { createRandom, permutation, range, sampleWithoutReplacement } from './seeded-random'

export type EndedEvent = Extract<ProgressEvent, { type: 'ended' }>

export interface SplitArrays {
  x: Float32Array
  y: Float32Array
  count: number
  featureShape: number[]
}

export interface TrainingData {
  train: SplitArrays
  /** The data set's own validation rows (config.validation.kind === 'dataset'). */
  validation?: SplitArrays | null
  /** The test split, evaluated at the end when config.evaluate_test is on. */
  test?: SplitArrays | null
  task: 'binary' | 'multiclass' | 'regression'
  numClasses: number
  targetSize: number
}

/** Stop / pause / resume, set from outside (the trainer's message handler) and read by the loop. */
export class TrainingControl {
  stopRequested = false
  private paused: { promise: Promise<void>; release: () => void } | null = null

  stop(): void {
    this.stopRequested = true
    this.resume()
  }
  pause(): void {
    if (this.paused || this.stopRequested) return
    let release = (): void => {}
    const promise = new Promise<void>((resolve) => (release = resolve))
    this.paused = { promise, release }
  }
  resume(): void {
    this.paused?.release()
    this.paused = null
  }
  get isPaused(): boolean {
    return this.paused !== null
  }
  /** Resolves when not paused (immediately if running). */
  whenRunning(): Promise<void> {
    return this.paused?.promise ?? Promise.resolve()
  }
}

export interface TrainOptions {
  tf: Tf
  model: LayersModel
  config: TrainingConfig
  data: TrainingData
  runId: string
  backend: BackendInfo
  versions?: Record<string, string>
  emit: (event: ProgressEvent) => void
  control?: TrainingControl
  /** How often the loop reads losses from the device (ms). */
  readEveryMs?: number
  /** Minimum spacing of batch progress events (ms): at most ~10 per second. */
  progressEveryMs?: number
  /** Keep every step's loss and learning rate in the outcome (tests, determinism checks). */
  recordSteps?: boolean
  /** Called after each epoch's bookkeeping, with the model holding that epoch's weights (checkpoints). */
  onEpochEnd?: (epoch: number) => Promise<void>
}

export interface TrainingOutcome {
  ended: EndedEvent
  /** Weights at the end of training (before any restore of the best ones). Caller disposes. */
  lastWeights: Tensor[]
  /** Weights of the best epoch, or null when no epoch finished. Caller disposes. */
  bestWeights: Tensor[] | null
  epochs: MetricValues[]
  stepLosses: number[]
  stepLearningRates: number[]
}

export function createOptimizer(tf: Tf, config: OptimizerConfig) {
  switch (config.name) {
    case 'sgd':
      return config.momentum > 0 || config.nesterov ? tf.train.momentum(config.learning_rate, config.momentum, config.nesterov) : tf.train.sgd(config.learning_rate)
    case 'rmsprop':
      return tf.train.rmsprop(config.learning_rate, config.rho, config.momentum, config.epsilon)
    case 'adam':
      return tf.train.adam(config.learning_rate, config.beta_1, config.beta_2, config.epsilon)
    case 'adagrad':
      return tf.train.adagrad(config.learning_rate, config.initial_accumulator_value)
    case 'adadelta':
      return tf.train.adadelta(config.learning_rate, config.rho, config.epsilon)
    case 'adamax':
      return tf.train.adamax(config.learning_rate, config.beta_1, config.beta_2, config.epsilon)
  }
}

export interface DeviceSplit {
  x: Tensor
  y: Tensor
  count: number
}

const EVAL_CHUNK = 1024

/** Input rows shaped for the model: a data set's [28, 28] images feed a [784] input as is. */
function featureTensor(tf: Tf, split: SplitArrays, inputShape: number[], rows?: Int32Array): Tensor {
  const width = inputShape.reduce((a, b) => a * b, 1)
  const given = split.featureShape.reduce((a, b) => a * b, 1)
  if (width !== given) {
    throw new Error(`The model expects inputs of shape [${inputShape.join(', ')}] (${width} values) but the data set's samples have shape [${split.featureShape.join(', ')}] (${given} values).`)
  }
  if (!rows) return tf.tensor(split.x, [split.count, ...inputShape])
  const out = new Float32Array(rows.length * width)
  for (let i = 0; i < rows.length; i++) out.set(split.x.subarray(rows[i] * width, (rows[i] + 1) * width), i * width)
  return tf.tensor(out, [rows.length, ...inputShape])
}

function targetRows(y: Float32Array, targetSize: number, rows?: Int32Array): Float32Array {
  if (!rows) return y
  const out = new Float32Array(rows.length * targetSize)
  for (let i = 0; i < rows.length; i++) out.set(y.subarray(rows[i] * targetSize, (rows[i] + 1) * targetSize), i * targetSize)
  return out
}

export function toDevice(tf: Tf, split: SplitArrays, data: TrainingData, plan: MetricPlan, inputShape: number[], rows?: Int32Array): DeviceSplit {
  const count = rows ? rows.length : split.count
  return {
    x: featureTensor(tf, split, inputShape, rows),
    y: denseLabels(tf, targetRows(split.y, data.targetSize, rows), count, data.targetSize, plan.labelForm, data.numClasses),
    count
  }
}

/** Loss and metrics of a model on device-resident data, in chunks, with one read at the end. */
export async function evaluateOnDevice(tf: Tf, model: LayersModel, plan: MetricPlan, split: DeviceSplit): Promise<Record<string, number>> {
  let total: Tensor1D | null = null
  for (let start = 0; start < split.count; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, split.count - start)
    const chunkStats = tf.tidy(() => {
      const x = split.x.slice(start, size)
      const y = split.y.slice(start, size)
      const predictions = model.apply(x, { training: false }) as Tensor
      const stats = plan.batchStats(tf, y, predictions, plan.lossOf(tf, y, predictions))
      return total ? tf.add(total, stats) : stats
    }) as Tensor1D
    total?.dispose()
    total = chunkStats
  }
  if (!total) return {}
  const values = await total.data()
  total.dispose()
  return plan.finalize(values as Float32Array, split.count)
}

export function outputUnits(model: LayersModel): number {
  const shape = model.outputs[0].shape
  return shape[shape.length - 1] ?? 1
}

export function modelInputShape(model: LayersModel): number[] {
  return model.inputs[0].shape.slice(1).map((d) => d ?? 1)
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Train `model` in place. Never throws for a diverging run (a non-finite loss, output or weight
 * ends it as `diverged`); throws for configuration errors found before the first step (shapes,
 * labels, a monitor the run does not report).
 */
export async function trainModel(options: TrainOptions): Promise<TrainingOutcome> {
  const { tf, model, config, data, runId, emit } = options
  const control = options.control ?? new TrainingControl()
  const readEveryMs = options.readEveryMs ?? 100
  const progressEveryMs = options.progressEveryMs ?? 100
  const plan = planMetrics({ loss: config.loss, metrics: config.metrics, outputUnits: outputUnits(model), task: data.task, numClasses: data.numClasses, targetSize: data.targetSize })
  const inputShape = modelInputShape(model)
  const random = createRandom(config.seed)
  // The monitors must name metrics this run reports (Keras names accepted); refused before any work.
  const willValidate = config.validation.kind !== 'none'
  const monitorError = checkMonitor(config, willValidate ? [...plan.names, ...plan.names.map((name) => `val_${name}`)] : plan.names)
  if (monitorError) throw new Error(monitorError)

  // Rows for training and validation (Keras's validation_split takes the tail of the rows;
  // we shuffle first when shuffle is on, so that class-sorted files still validate fairly).
  let trainRows: Int32Array | undefined
  let validation: DeviceSplit | null = null
  const tensorsToFree: Tensor[] = []
  if (config.validation.kind === 'split') {
    const order = config.shuffle ? permutation(data.train.count, random) : range(data.train.count)
    const validationCount = Math.floor(data.train.count * config.validation.fraction)
    if (validationCount < 1 || validationCount >= data.train.count) {
      throw new Error(`A validation fraction of ${config.validation.fraction} leaves no rows for ${validationCount < 1 ? 'validation' : 'training'} out of ${data.train.count}; choose ${validationCount < 1 ? 'a larger fraction or no validation' : 'a smaller fraction'} (CLI: --validation-split).`)
    }
    trainRows = order.slice(0, data.train.count - validationCount)
    validation = toDevice(tf, data.train, data, plan, inputShape, order.slice(data.train.count - validationCount))
  } else if (config.validation.kind === 'dataset') {
    if (!data.validation) throw new Error(`The training config asks for the data set's ${config.validation.split} split for validation, but the data set has none; choose a validation fraction instead.`)
    validation = toDevice(tf, data.validation, data, plan, inputShape)
  }
  const train = toDevice(tf, data.train, data, plan, inputShape, trainRows)
  if (validation) tensorsToFree.push(validation.x, validation.y)
  tensorsToFree.push(train.x, train.y)

  const optimizer = createOptimizer(tf, config.optimizer)
  const baseRate = config.optimizer.learning_rate
  const plateau = config.schedule.kind === 'reduce_on_plateau' ? new PlateauReducer(config.schedule, baseRate) : null
  const trainable = model.trainableWeights.map((weight) => weight.read() as Variable)
  // Weight penalties (kernel/bias regularizers) live on each layer as functions of its weights.
  // A Sequential's calculateLosses() does not reach them, so collect them from the layers.
  const penalties = model.layers.flatMap((layer) => layer.losses as unknown as Array<() => Scalar>).filter((penalty) => typeof penalty === 'function')

  const batchSize = Math.min(config.batch_size, train.count)
  const byEpochs = config.budget.kind === 'epochs'
  const stepsPerEpoch = config.budget.kind === 'epochs' ? Math.ceil(train.count / batchSize) : config.budget.eval_every
  const totalSteps = config.budget.kind === 'epochs' ? stepsPerEpoch * config.budget.epochs : config.budget.steps
  const totalEpochs = Math.ceil(totalSteps / stepsPerEpoch)

  emit({ type: 'started', run_id: runId, backend: options.backend, total_steps: totalSteps, steps_per_epoch: stepsPerEpoch, epochs: byEpochs ? totalEpochs : null, versions: options.versions ?? {} })
  emit({ type: 'status', run_id: runId, status: 'running' })

  // Early stopping and best-weights bookkeeping (Keras's EarlyStopping; without early stopping
  // it only tracks the best epoch of val_loss, or loss without validation).
  const stopping = config.early_stopping
  const monitor = canonicalMetricName(stopping?.monitor ?? (validation ? 'val_loss' : 'loss'))
  const stopper = new EarlyStopper({
    patience: stopping ? stopping.patience : Number.POSITIVE_INFINITY,
    min_delta: stopping?.min_delta ?? 0,
    mode: stopping && stopping.mode !== 'auto' ? stopping.mode : metricPrefersHigher(monitor) ? 'max' : 'min'
  })
  const plateauMonitor = config.schedule.kind === 'reduce_on_plateau' ? canonicalMetricName(config.schedule.monitor) : null
  let bestMetrics: MetricValues = {}
  let bestWeights: Tensor[] | null = null

  const epochs: MetricValues[] = []
  const stepLosses: number[] = []
  const stepLearningRates: number[] = []
  let status = 'finished' as EndedEvent['status']
  let error: string | null = null
  let divergedAt: number | null = null

  let step = 0
  let rate = baseRate
  let pendingLosses: Scalar[] = []
  /** Per pending step, the sum of the model's outputs on its batch: non-finite once any output is. */
  let pendingOutputs: Scalar[] = []
  let pendingFirstStep = 1
  let epochStats: Tensor1D | null = null
  let epochSamples = 0
  let epochLossSum = 0
  let epochLossSamples = 0
  let lastRead = performance.now()
  let lastProgress = 0
  let trainingMs = 0
  let segmentStart = performance.now()
  const scratch = range(train.count)

  /** One scalar over every trainable weight: NaN or infinite as soon as any weight is (sum of per-variable sums). */
  const weightsCheck = (): Scalar => tf.tidy(() => tf.addN(trainable.map((weight) => tf.sum(weight))) as Scalar)
  const describe = (value: number): string => (Number.isNaN(value) ? 'NaN' : 'infinite')

  /**
   * Read the losses queued on the device, with the same read: each step's output sum and one
   * check over the weights. False on divergence: a loss, an output or a weight that is NaN/Inf.
   */
  const readLosses = async (epoch: number): Promise<boolean> => {
    if (pendingLosses.length === 0) return true
    const n = pendingLosses.length
    const stacked = tf.tidy(() => tf.concat([tf.stack(pendingLosses), tf.stack(pendingOutputs), weightsCheck().reshape([1])]))
    const read = (await stacked.data()) as Float32Array
    stacked.dispose()
    tf.dispose(pendingLosses)
    tf.dispose(pendingOutputs)
    pendingLosses = []
    pendingOutputs = []
    lastRead = performance.now()
    const values = read.subarray(0, n)
    const diverge = (at: number, message: string): false => {
      divergedAt = at
      status = 'diverged'
      error = message
      return false
    }
    for (let i = 0; i < n; i++) {
      const at = pendingFirstStep + i
      const where = `at step ${at} (epoch ${epoch + 1})`
      if (!Number.isFinite(values[i])) return diverge(at, `The loss became ${describe(values[i])} ${where}; lower the learning rate, scale the inputs, or check the data for invalid values.`)
      if (!Number.isFinite(read[n + i])) return diverge(at, `The model's outputs became ${describe(read[n + i])} ${where} although the loss looked finite; lower the learning rate or scale the inputs.`)
      if (options.recordSteps) stepLosses.push(values[i])
    }
    if (!Number.isFinite(read[2 * n])) {
      return diverge(step, `The weights became ${describe(read[2 * n])} by step ${step} (epoch ${epoch + 1}; the outputs of every step before were finite); lower the learning rate.`)
    }
    // Running mean over the epoch so far (batches of the epoch are full except maybe the last).
    for (let i = 0; i < values.length; i++) {
      epochLossSum += values[i] * batchSize
      epochLossSamples += batchSize
    }
    pendingFirstStep = step + 1
    const now = performance.now()
    if (now - lastProgress >= progressEveryMs) {
      lastProgress = now
      const elapsedS = (trainingMs + (now - segmentStart)) / 1000
      const stepsPerS = step / Math.max(elapsedS, 1e-9)
      emit({
        type: 'batch', run_id: runId, step, epoch: epoch + 1,
        metrics: { loss: epochLossSum / Math.max(epochLossSamples, 1), lr: rate },
        samples_per_s: stepsPerS * batchSize,
        eta_s: stepsPerS > 0 ? (totalSteps - step) / stepsPerS : null,
        progress: step / totalSteps
      })
    }
    return true
  }

  const snapshotWeights = (): Tensor[] => model.getWeights().map((weight) => tf.keep(tf.clone(weight)))

  /** Between steps: honour pause and stop; true when the run must end now. */
  const checkControl = async (): Promise<boolean> => {
    await nextTick()
    if (control.isPaused && !control.stopRequested) {
      trainingMs += performance.now() - segmentStart
      emit({ type: 'status', run_id: runId, status: 'paused' })
      await control.whenRunning()
      segmentStart = performance.now()
      if (!control.stopRequested) emit({ type: 'status', run_id: runId, status: 'running' })
    }
    if (control.stopRequested) {
      status = 'stopped'
      return true
    }
    return false
  }

  let epoch = 0
  outer: for (; epoch < totalEpochs; epoch++) {
    const order = byEpochs && config.shuffle ? permutation(train.count, random) : null
    const stepsThisEpoch = Math.min(stepsPerEpoch, totalSteps - step)
    epochSamples = 0
    epochLossSum = 0
    epochLossSamples = 0
    for (let b = 0; b < stepsThisEpoch; b++) {
      let indices: Int32Array | null
      let start = 0
      let size: number
      if (!byEpochs) {
        indices = sampleWithoutReplacement(train.count, batchSize, random, scratch)
        size = batchSize
      } else {
        start = b * batchSize
        size = Math.min(batchSize, train.count - start)
        indices = order ? order.subarray(start, start + size) : null
      }
      rate = plateau ? plateau.learningRate : scheduledLearningRate(config.schedule, baseRate, step, epoch)
      applyLearningRate(optimizer, rate)
      if (options.recordSteps) stepLearningRates.push(rate)

      let batchStats: Tensor1D | null = null
      let outputSum: Scalar | null = null
      const batchLoss = tf.tidy(() => {
        let xb: Tensor
        let yb: Tensor
        if (indices) {
          const picked = tf.tensor1d(indices, 'int32')
          xb = tf.gather(train.x, picked)
          yb = tf.gather(train.y, picked)
        } else {
          xb = train.x.slice(start, size)
          yb = train.y.slice(start, size)
        }
        return optimizer.minimize(() => {
          const predictions = model.apply(xb, { training: true }) as Tensor
          let loss = plan.lossOf(tf, yb, predictions)
          batchStats = tf.keep(plan.batchStats(tf, yb, predictions, loss))
          outputSum = tf.keep(tf.sum(predictions))
          for (const penalty of penalties) loss = tf.add(loss, penalty())
          return loss
        }, true, trainable) as Scalar
      })
      const stats = batchStats as unknown as Tensor1D
      if (epochStats) {
        const sum = tf.add(epochStats, stats) as Tensor1D
        epochStats.dispose()
        stats.dispose()
        epochStats = sum
      } else {
        epochStats = stats
      }
      epochSamples += size
      pendingLosses.push(batchLoss)
      pendingOutputs.push(outputSum as unknown as Scalar)
      step++

      if (performance.now() - lastRead >= readEveryMs || pendingLosses.length >= 4096) {
        if (!(await readLosses(epoch))) break outer
        if (await checkControl()) break outer
      }
    }
    if (!(await readLosses(epoch))) break
    // Epoch end: one read of the accumulated train stats, then validation.
    const trainValues = (await (epochStats as Tensor1D | null)?.data()) as Float32Array | undefined
    epochStats?.dispose()
    epochStats = null
    const metrics: MetricValues = trainValues ? plan.finalize(trainValues, epochSamples) : {}
    if (validation) {
      for (const [name, value] of Object.entries(await evaluateOnDevice(tf, model, plan, validation))) metrics[`val_${name}`] = value
    }
    metrics.lr = rate
    epochs.push(metrics)
    emit({ type: 'epoch', run_id: runId, step, epoch: epoch + 1, metrics })
    // The monitors were checked when the run started; one missing here fails the run, never a silent switch.
    const missing = [plateauMonitor, monitor].find((name): name is string => name !== null && metrics[name] === undefined)
    if (missing) {
      status = 'failed'
      error = `The monitored metric "${missing}" is missing from epoch ${epoch + 1}, which reported ${Object.keys(metrics).join(', ')}; the run cannot go on without it.`
      epoch++
      break
    }
    if (plateau) plateau.observe(metrics[plateauMonitor!])
    const { improved, stop } = stopper.observe(epoch, metrics[monitor]!)
    if (improved) {
      bestMetrics = metrics
      if (bestWeights) tf.dispose(bestWeights)
      bestWeights = snapshotWeights()
    }
    if (stopping && stop) {
      const best = stopper.bestEpoch === null ? 'no epoch improved' : `best ${stopper.best} at epoch ${stopper.bestEpoch + 1}`
      emit({ type: 'status', run_id: runId, status: 'running', message: `Early stopping after epoch ${epoch + 1}: ${monitor} has not improved for ${stopper.wait} epochs (${best}).` })
      epoch++
      break
    }
    await options.onEpochEnd?.(epoch + 1)
    if (await checkControl()) {
      epoch++
      break
    }
  }
  if (pendingLosses.length > 0) tf.dispose(pendingLosses)
  if (pendingOutputs.length > 0) tf.dispose(pendingOutputs)
  epochStats?.dispose()

  const lastWeights = snapshotWeights()
  const trained = status === 'finished' || status === 'stopped'
  if (stopping?.restore_best_weights && bestWeights && trained) model.setWeights(bestWeights)
  const finalMetrics: MetricValues = { ...(epochs[epochs.length - 1] ?? {}) }
  if (config.evaluate_test && data.test && trained) {
    const test = toDevice(tf, data.test, data, plan, inputShape)
    try {
      for (const [name, value] of Object.entries(await evaluateOnDevice(tf, model, plan, test))) finalMetrics[`test_${name}`] = value
    } finally {
      tf.dispose([test.x, test.y])
    }
  }
  tf.dispose(tensorsToFree)
  optimizer.dispose()

  const bestEpoch = stopper.bestEpoch === null ? null : stopper.bestEpoch + 1
  const ended: EndedEvent = { type: 'ended', run_id: runId, status, final_metrics: finalMetrics, best_metrics: bestMetrics, best_epoch: bestEpoch, error, diverged_at_step: divergedAt }
  return { ended, lastWeights, bestWeights, epochs, stepLosses, stepLearningRates }
}
