// The training loop: our own step loop around optimizer.minimize (not model.fit), so that
// metrics stay on the device and are read every ~100 ms instead of after every batch (tfjs's
// fit resolves every batch's logs once an onBatchEnd callback is given: CustomCallback.onBatchEnd
// awaits resolveScalarsInLogs in tfjs-layers base_callbacks). Runs in-process on in-memory
// arrays; the trainer process wraps it with data loading, messages and checkpoints.
//
// What happens around the steps is callbacks (callbacks/, Keras's seam): progress events, the
// learning-rate schedule or reduce-on-plateau, early stopping with the best weights, divergence,
// and what the caller adds (the trainer's checkpoints). Batches and evaluation chunks are
// assembled on the host and uploaded one at a time (host-batches.ts): no copy of a data set
// lives on the device. Stop and Pause are looked at every ~20 ms between steps (a yield to the
// event loop, no device sync), so a Stop ends training within about a step; the test split is
// then evaluated and the trainer saves.
//
// Metric names: loss, acc, mse, mae, precision, recall, auc (train), the same with `val_` on
// validation data and `test_` on the test split, and `lr` (the rate used in the last step).
// Steps are counted from 1 in events: step n is the n-th optimizer update.
import type { LayersModel, Tensor, Variable, Scalar, Tensor1D } from '@tensorflow/tfjs'
import type { BackendInfo, MetricValues, ProgressEvent } from '../../shared/run'
import { checkMonitor, type OptimizerConfig, type TrainingConfig } from '../../shared/training'
import type { Tf } from './backend'
import type { BatchLogs, TrainingCallback, TrainingContext, TrainingParams } from './callbacks/callback'
import { Divergence } from './callbacks/divergence'
import { EarlyStopping } from './callbacks/early-stopping'
import { LearningRateSchedule } from './callbacks/learning-rate-schedule'
import { Progress } from './callbacks/progress'
import { ReduceOnPlateau } from './callbacks/reduce-on-plateau'
import { HostRows, type SplitArrays } from './host-batches'
import { applyLearningRate } from './learning-rate'
import { denseLabels, planMetrics, type MetricPlan } from './metric-plan'
import { createRandom, permutation, range, sampleWithoutReplacement } from './seeded-random'

type Penalty = () => Scalar

/**
 * The model's weight penalties (kernel, recurrent and bias regularizers) as functions of its
 * weights. They live on each layer; a recurrent layer keeps them on its cell, and a Bidirectional
 * layer on its forward and backward copies, where neither the model's calculateLosses() nor the
 * layer's own `losses` reaches them, so they are collected from every level.
 */
export function modelPenalties(model: LayersModel): Penalty[] {
  const collect = (layer: LayersModel['layers'][number]): Penalty[] => {
    const nested = layer as unknown as { cell?: typeof layer; forwardLayer?: typeof layer; backwardLayer?: typeof layer }
    const own = (layer.losses as unknown as Penalty[]).filter((penalty) => typeof penalty === 'function')
    return [...own, ...[nested.cell, nested.forwardLayer, nested.backwardLayer].filter((inner) => inner !== undefined).flatMap(collect)]
  }
  return model.layers.flatMap(collect)
}

export type EndedEvent = Extract<ProgressEvent, { type: 'ended' }>

export type { SplitArrays } from './host-batches'

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
  /** More callbacks (the trainer's checkpoints), called after the built-in ones at each hook. */
  callbacks?: TrainingCallback[]
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

/** Rows per evaluation chunk. */
export const EVAL_CHUNK = 1024

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

/** A whole split uploaded as two tensors (run-analysis's evaluate; training uses {@link HostRows}). */
export function toDevice(tf: Tf, split: SplitArrays, data: TrainingData, plan: MetricPlan, inputShape: number[], rows?: Int32Array): DeviceSplit {
  const count = rows ? rows.length : split.count
  return {
    x: featureTensor(tf, split, inputShape, rows),
    y: denseLabels(tf, targetRows(split.y, data.targetSize, rows), count, data.targetSize, plan.labelForm, data.numClasses),
    count
  }
}

/** Loss and metrics over `count` rows in chunks of EVAL_CHUNK, with one read at the end. */
async function evaluateChunks(tf: Tf, model: LayersModel, plan: MetricPlan, count: number, chunk: (start: number, size: number) => { x: Tensor; y: Tensor }): Promise<Record<string, number>> {
  let total: Tensor1D | null = null
  for (let start = 0; start < count; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, count - start)
    const chunkStats = tf.tidy<Tensor1D>(() => {
      const { x, y } = chunk(start, size)
      const predictions = model.apply(x, { training: false }) as Tensor
      const stats = plan.batchStats(tf, y, predictions, plan.lossOf(tf, y, predictions))
      return total ? tf.add(total, stats) : stats
    })
    total?.dispose()
    total = chunkStats
  }
  if (!total) return {}
  const values = await total.data()
  total.dispose()
  return plan.finalize(values as Float32Array, count)
}

/** Loss and metrics of a model on device-resident data, in chunks, with one read at the end. */
export function evaluateOnDevice(tf: Tf, model: LayersModel, plan: MetricPlan, split: DeviceSplit): Promise<Record<string, number>> {
  return evaluateChunks(tf, model, plan, split.count, (start, size) => ({ x: split.x.slice(start, size), y: split.y.slice(start, size) }))
}

/** The same on host rows: each chunk is assembled on the host and uploaded (no slice of a big tensor). */
export function evaluateRows(tf: Tf, model: LayersModel, plan: MetricPlan, rows: HostRows): Promise<Record<string, number>> {
  return evaluateChunks(tf, model, plan, rows.count, (start, size) => rows.batch(tf, null, start, size))
}

export function outputUnits(model: LayersModel): number {
  const shape = model.outputs[0].shape
  return shape[shape.length - 1] ?? 1
}

export function modelInputShape(model: LayersModel): number[] {
  return model.inputs[0].shape.slice(1).map((d) => d ?? 1)
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** How often the loop yields to the event loop between reads, to see Stop and Pause (ms). */
const CONTROL_EVERY_MS = 20

/** The loop's state, as its callbacks see it. */
class LoopContext implements TrainingContext {
  step = 0
  epoch = 0
  stopTraining = false
  status: EndedEvent['status'] = 'finished'
  error: string | null = null
  divergedAt: number | null = null
  private rate: number
  private pausedMs = 0
  private pausedSince: number | null = null
  private readonly startedAt = performance.now()

  constructor(
    readonly tf: Tf,
    readonly model: LayersModel,
    readonly params: TrainingParams,
    readonly emit: (event: ProgressEvent) => void,
    private readonly optimizer: unknown,
    private readonly control: TrainingControl
  ) {
    this.rate = params.baseRate
  }

  get learningRate(): number {
    return this.rate
  }
  set learningRate(rate: number) {
    this.rate = rate
    applyLearningRate(this.optimizer, rate)
  }
  get stopRequested(): boolean {
    return this.control.stopRequested
  }
  get ended(): boolean {
    return this.status === 'diverged' || this.status === 'failed'
  }
  trainingMs(): number {
    const now = performance.now()
    return now - this.startedAt - this.pausedMs - (this.pausedSince === null ? 0 : now - this.pausedSince)
  }
  pausedFrom(): void {
    this.pausedSince = performance.now()
  }
  resumed(): void {
    if (this.pausedSince !== null) this.pausedMs += performance.now() - this.pausedSince
    this.pausedSince = null
  }
  end(status: 'diverged' | 'failed', error: string, divergedAtStep?: number): void {
    this.stopTraining = true
    if (this.ended) return
    this.status = status
    this.error = error
    this.divergedAt = status === 'diverged' ? (divergedAtStep ?? this.step) : null
  }
}

/**
 * Train `model` in place. Never throws for a diverging run (a non-finite loss, output or weight
 * ends it as `diverged`); throws for configuration errors found before the first step (shapes,
 * labels, a monitor the run does not report).
 */
/**
 * The training and validation rows of a `validation_split` run: the tail `fraction` of the rows
 * (Keras's rule), taken after a seeded shuffle when shuffle is on so that class-sorted files still
 * validate fairly. `random` is the run's own stream (its first draws); the export job calls this
 * with a fresh stream of the run's seed to get the very rows the trainer held out.
 */
export function validationSplitRows(count: number, fraction: number, shuffle: boolean, random: () => number): { train: Int32Array; validation: Int32Array } {
  const order = shuffle ? permutation(count, random) : range(count)
  const validationCount = Math.floor(count * fraction)
  if (validationCount < 1 || validationCount >= count) {
    throw new Error(`A validation fraction of ${fraction} leaves no rows for ${validationCount < 1 ? 'validation' : 'training'} out of ${count}; choose ${validationCount < 1 ? 'a larger fraction or no validation' : 'a smaller fraction'} (CLI: --validation-split).`)
  }
  return { train: order.slice(0, count - validationCount), validation: order.slice(count - validationCount) }
}

export async function trainModel(options: TrainOptions): Promise<TrainingOutcome> {
  const { tf, model, config, data, runId, emit } = options
  const control = options.control ?? new TrainingControl()
  const readEveryMs = options.readEveryMs ?? 100
  const plan = planMetrics({ loss: config.loss, metrics: config.metrics, outputUnits: outputUnits(model), task: data.task, numClasses: data.numClasses, targetSize: data.targetSize })
  const inputShape = modelInputShape(model)
  const labels = { form: plan.labelForm, numClasses: data.numClasses, targetSize: data.targetSize }
  const random = createRandom(config.seed)
  // The monitors must name metrics this run reports (Keras names accepted); refused before any work.
  const willValidate = config.validation.kind !== 'none'
  const monitorError = checkMonitor(config, willValidate ? [...plan.names, ...plan.names.map((name) => `val_${name}`)] : plan.names)
  if (monitorError) throw new Error(monitorError)

  // Rows for training and validation (Keras's validation_split takes the tail of the rows;
  // we shuffle first when shuffle is on, so that class-sorted files still validate fairly).
  let trainRows: Int32Array | null = null
  let validation: HostRows | null = null
  if (config.validation.kind === 'split') {
    const split = validationSplitRows(data.train.count, config.validation.fraction, config.shuffle, random)
    trainRows = split.train
    validation = new HostRows(data.train, split.validation, inputShape, labels, EVAL_CHUNK)
  } else if (config.validation.kind === 'dataset') {
    if (!data.validation) throw new Error(`The training config asks for the data set's ${config.validation.split} split for validation, but the data set has none; choose a validation fraction instead.`)
    validation = new HostRows(data.validation, null, inputShape, labels, EVAL_CHUNK)
  }
  const trainCount = trainRows ? trainRows.length : data.train.count
  const batchSize = Math.min(config.batch_size, trainCount)
  const train = new HostRows(data.train, trainRows, inputShape, labels, batchSize)

  const optimizer = createOptimizer(tf, config.optimizer)
  const trainable = model.trainableWeights.map((weight) => weight.read() as Variable)
  const penalties = modelPenalties(model)

  const byEpochs = config.budget.kind === 'epochs'
  const stepsPerEpoch = config.budget.kind === 'epochs' ? Math.ceil(train.count / batchSize) : config.budget.eval_every
  const totalSteps = config.budget.kind === 'epochs' ? stepsPerEpoch * config.budget.epochs : config.budget.steps
  const totalEpochs = Math.ceil(totalSteps / stepsPerEpoch)
  const params: TrainingParams = { runId, totalSteps, stepsPerEpoch, totalEpochs, batchSize, byEpochs, baseRate: config.optimizer.learning_rate, hasValidation: validation !== null }
  const ctx = new LoopContext(tf, model, params, emit, optimizer, control)

  // The built-in callbacks, in the order each hook calls them: divergence first (nothing reports
  // a step that diverged), progress before the monitors (the epoch event precedes their verdict).
  const schedule = config.schedule
  const earlyStopping = new EarlyStopping(config.early_stopping, validation !== null)
  const callbacks: TrainingCallback[] = [
    new Divergence(),
    new Progress({ backend: options.backend, versions: options.versions, everyMs: options.progressEveryMs }),
    schedule.kind === 'reduce_on_plateau' ? new ReduceOnPlateau(schedule, params.baseRate) : new LearningRateSchedule(schedule, params.baseRate),
    earlyStopping,
    ...(options.callbacks ?? [])
  ]
  /** Calls one async hook of each callback in order; a callback that ends the run skips the rest. */
  const each = async (hook: (callback: TrainingCallback) => void | Promise<void>): Promise<void> => {
    for (const callback of callbacks) {
      await hook(callback)
      if (ctx.ended) return
    }
  }

  const epochs: MetricValues[] = []
  const stepLosses: number[] = []
  const stepLearningRates: number[] = []
  let pendingLosses: Scalar[] = []
  /** Per pending step, the sum of the model's outputs on its batch: non-finite once any output is. */
  let pendingOutputs: Scalar[] = []
  let epochStats: Tensor1D | null = null
  let epochSamples = 0
  let lastRead = performance.now()
  const scratch = range(train.count)

  /** One scalar over every trainable weight: NaN or infinite as soon as any weight is (sum of per-variable sums). */
  const weightsCheck = (): Scalar => tf.tidy<Scalar>(() => tf.addN(trainable.map((weight) => tf.sum(weight))))

  /**
   * Read the losses queued on the device, with the same read each step's output sum and one
   * check over the weights, and hand them to the callbacks (onBatchEnd per step, then onRead).
   */
  const read = async (): Promise<void> => {
    if (pendingLosses.length === 0) return
    const n = pendingLosses.length
    const stacked = tf.tidy(() => tf.concat([tf.stack(pendingLosses), tf.stack(pendingOutputs), weightsCheck().reshape([1])]))
    const values = (await stacked.data()) as Float32Array
    stacked.dispose()
    tf.dispose(pendingLosses)
    tf.dispose(pendingOutputs)
    pendingLosses = []
    pendingOutputs = []
    lastRead = performance.now()
    const firstStep = ctx.step - n + 1
    for (let i = 0; i < n; i++) {
      const logs: BatchLogs = { loss: values[i], outputSum: values[n + i] }
      for (const callback of callbacks) {
        callback.onBatchEnd?.(firstStep + i, logs, ctx)
        if (ctx.ended) return
      }
      if (options.recordSteps) stepLosses.push(values[i])
    }
    const readLogs = { weightsSum: values[2 * n] }
    for (const callback of callbacks) {
      callback.onRead?.(readLogs, ctx)
      if (ctx.ended) return
    }
  }

  let lastYield = performance.now()
  /**
   * Between steps: honour pause and stop; true when the run must end now. Before pausing or
   * stopping, the steps not read yet are read (and checked: a divergence in them wins).
   */
  const checkControl = async (): Promise<boolean> => {
    // Let the trainer's message handler run (Stop, Pause arrive as messages). Yielding to the
    // event loop syncs nothing on the device.
    await nextTick()
    lastYield = performance.now()
    if (!control.isPaused && !control.stopRequested) return false
    await read()
    if (ctx.stopTraining) return true
    if (control.isPaused && !control.stopRequested) {
      ctx.pausedFrom()
      emit({ type: 'status', run_id: runId, status: 'paused' })
      await control.whenRunning()
      ctx.resumed()
      if (!control.stopRequested) emit({ type: 'status', run_id: runId, status: 'running' })
    }
    if (control.stopRequested) {
      ctx.status = 'stopped'
      ctx.stopTraining = true
      return true
    }
    return false
  }

  await each((callback) => callback.onTrainBegin?.(ctx))
  outer: for (let epoch = 0; epoch < totalEpochs && !ctx.stopTraining; epoch++) {
    ctx.epoch = epoch
    const order = byEpochs && config.shuffle ? permutation(train.count, random) : null
    const stepsThisEpoch = Math.min(stepsPerEpoch, totalSteps - ctx.step)
    await each((callback) => callback.onEpochBegin?.(epoch, ctx))
    if (ctx.stopTraining) break
    epochSamples = 0
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
      for (const callback of callbacks) callback.onBatchBegin?.(ctx.step + 1, ctx)
      if (options.recordSteps) stepLearningRates.push(ctx.learningRate)

      let batchStats: Tensor1D | null = null
      let outputSum: Scalar | null = null
      const batchLoss = tf.tidy(() => {
        const { x: xb, y: yb } = train.batch(tf, indices, start, size)
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
        const sum: Tensor1D = tf.add<Tensor1D>(epochStats, stats)
        epochStats.dispose()
        stats.dispose()
        epochStats = sum
      } else {
        epochStats = stats
      }
      epochSamples += size
      pendingLosses.push(batchLoss)
      pendingOutputs.push(outputSum as unknown as Scalar)
      ctx.step++

      const now = performance.now()
      const readDue = now - lastRead >= readEveryMs || pendingLosses.length >= 4096
      if (readDue) {
        await read()
        if (ctx.stopTraining) break outer
      }
      // Stop and Pause are looked at more often than the device is read: Stop within ~20 ms plus a step.
      if ((readDue || now - lastYield >= CONTROL_EVERY_MS) && (await checkControl())) break outer
    }
    await read()
    if (ctx.stopTraining) break
    // Epoch end: one read of the accumulated train stats, then validation.
    const trainValues = (await (epochStats)?.data()) as Float32Array | undefined
    epochStats?.dispose()
    epochStats = null
    const metrics: MetricValues = trainValues ? plan.finalize(trainValues, epochSamples) : {}
    if (validation) {
      for (const [name, value] of Object.entries(await evaluateRows(tf, model, plan, validation))) metrics[`val_${name}`] = value
    }
    metrics.lr = ctx.learningRate
    epochs.push(metrics)
    await each((callback) => callback.onEpochEnd?.(epoch, metrics, ctx))
    if (ctx.stopTraining) break
    if (await checkControl()) break
  }
  if (pendingLosses.length > 0) tf.dispose(pendingLosses)
  if (pendingOutputs.length > 0) tf.dispose(pendingOutputs)
  epochStats?.dispose()

  const lastWeights = model.getWeights().map((weight) => tf.keep(tf.clone(weight)))
  // onTrainEnd of every callback, also after a divergence (EarlyStopping restores only after a run that trained).
  for (const callback of callbacks) await callback.onTrainEnd?.(ctx)
  const finalMetrics: MetricValues = { ...(epochs[epochs.length - 1] ?? {}) }
  if (config.evaluate_test && data.test && !ctx.ended) {
    const test = new HostRows(data.test, null, inputShape, labels, EVAL_CHUNK)
    for (const [name, value] of Object.entries(await evaluateRows(tf, model, plan, test))) finalMetrics[`test_${name}`] = value
  }
  optimizer.dispose()

  const ended: EndedEvent = { type: 'ended', run_id: runId, status: ctx.status, final_metrics: finalMetrics, best_metrics: earlyStopping.bestMetrics, best_epoch: earlyStopping.bestEpoch, error: ctx.error, diverged_at_step: ctx.divergedAt }
  return { ended, lastWeights, bestWeights: earlyStopping.bestWeights, epochs, stepLosses, stepLearningRates }
}
