// Losses and metrics as device-side sums. Each batch turns into one small 1-D "stats" tensor
// (loss sum, correct count, error sums, confusion counts); the loop adds these on the device
// and reads them rarely, so metrics never force a sync per batch.
//
// Metric names (one scheme everywhere): loss, acc, mse, mae, precision, recall, auc, lr; the
// same with a `val_` prefix on the validation data and `test_` on the test split.
import type { Tensor, Tensor1D, Scalar } from '@tensorflow/tfjs'
import type { LossName, MetricName } from '../../shared/training'
import type { Tf } from './backend'

/** Keras's backend epsilon, used to clip probabilities before taking logs. */
const EPSILON = 1e-7
/** Keras's AUC default: 200 thresholds, ROC curve. */
const AUC_THRESHOLDS = 200

export type AccuracyKind = 'binary' | 'categorical'

/** How labels are laid out for the loss: as given (regression / one sigmoid) or one-hot. */
export type LabelForm = 'as_is' | 'one_hot'

export interface MetricPlan {
  loss: LossName
  labelForm: LabelForm
  accuracy: AccuracyKind
  /** Metric names this plan reports, `loss` first. */
  names: string[]
  size: number
  /** Mean loss of a batch (the tensor minimised). */
  lossOf(tf: Tf, yTrue: Tensor, yPred: Tensor): Scalar
  /** The batch's sums; `loss` is the batch-mean loss already computed. */
  batchStats(tf: Tf, yTrue: Tensor, yPred: Tensor, loss: Scalar): Tensor1D
  /** Turn accumulated sums over `count` samples into metric values. */
  finalize(stats: Float32Array | number[], count: number): Record<string, number>
}

export interface PlanInput {
  loss: LossName
  metrics: readonly MetricName[]
  /** Units of the model's output layer. */
  outputUnits: number
  task: 'binary' | 'multiclass' | 'regression'
  numClasses: number
  /** Values per sample in the data set's y (1 for a class index). */
  targetSize: number
}

export class MetricPlanError extends Error {}

/** Decide label layout, accuracy flavour and the stats vector layout, as Keras would. */
export function planMetrics(input: PlanInput): MetricPlan {
  const { loss, outputUnits } = input
  let labelForm: LabelForm
  if (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy') {
    if (input.task === 'regression') throw new MetricPlanError(`The loss ${loss} needs class labels, but the data set is a regression data set; use mean_squared_error or mean_absolute_error.`)
    if (outputUnits !== input.numClasses) throw new MetricPlanError(`The loss ${loss} needs one output unit per class: the data set has ${input.numClasses} classes but the output layer has ${outputUnits} units.`)
    labelForm = 'one_hot'
  } else if (input.task !== 'regression' && outputUnits === input.numClasses && outputUnits > 1 && input.targetSize === 1) {
    labelForm = 'one_hot'
  } else if (outputUnits === input.targetSize) {
    labelForm = 'as_is'
  } else {
    throw new MetricPlanError(
      `The output layer has ${outputUnits} units but each target has ${input.targetSize} value(s)` +
        (input.task === 'regression' ? '.' : ` and ${input.numClasses} classes; use ${input.numClasses} units with softmax, or 1 unit with sigmoid for a binary task.`)
    )
  }
  if (loss === 'binary_crossentropy' && input.task === 'multiclass' && labelForm !== 'one_hot') {
    throw new MetricPlanError('binary_crossentropy needs labels 0/1; this data set has more than two classes.')
  }
  // Keras: accuracy is binary for a single output (or binary CE), categorical otherwise.
  const accuracy: AccuracyKind = loss === 'binary_crossentropy' || outputUnits === 1 ? 'binary' : 'categorical'

  const wanted = new Set(input.metrics)
  const names = ['loss']
  let size = 1
  const offsets: Partial<Record<MetricName, number>> = {}
  const reserve = (metric: MetricName, width: number): void => {
    offsets[metric] = size
    size += width
  }
  if (wanted.has('accuracy')) { reserve('accuracy', 1); names.push('acc') }
  if (wanted.has('mse')) { reserve('mse', 1); names.push('mse') }
  if (wanted.has('mae')) { reserve('mae', 1); names.push('mae') }
  const needsCounts = wanted.has('precision') || wanted.has('recall')
  if (needsCounts) reserve('precision', 3) // true positives, false positives, false negatives
  if (wanted.has('precision')) names.push('precision')
  if (wanted.has('recall')) names.push('recall')
  if (wanted.has('auc')) { reserve('auc', 4 * AUC_THRESHOLDS); names.push('auc') }
  const elementsPerSample = outputUnits

  const lossOf = (tf: Tf, yTrue: Tensor, yPred: Tensor): Scalar => computeLoss(tf, loss, yTrue, yPred)

  const batchStats = (tf: Tf, yTrue: Tensor, yPred: Tensor, batchLoss: Scalar): Tensor1D =>
    tf.tidy(() => {
      const batch = yPred.shape[0] ?? 1
      const parts: Tensor[] = [tf.mul(batchLoss, batch).reshape([1])]
      if (offsets.accuracy !== undefined) parts.push(correctCount(tf, accuracy, yTrue, yPred).reshape([1]))
      if (offsets.mse !== undefined) parts.push(tf.sum(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1)).reshape([1]))
      if (offsets.mae !== undefined) parts.push(tf.sum(tf.mean(tf.abs(tf.sub(yPred, yTrue)), -1)).reshape([1]))
      if (needsCounts) {
        const predicted = tf.cast(tf.greater(yPred, 0.5), 'float32')
        const truth = tf.cast(tf.greater(yTrue, 0.5), 'float32')
        const tp = tf.sum(tf.mul(predicted, truth))
        const fp = tf.sum(tf.mul(predicted, tf.sub(1, truth)))
        const fn = tf.sum(tf.mul(tf.sub(1, predicted), truth))
        parts.push(tf.stack([tp, fp, fn]))
      }
      if (offsets.auc !== undefined) parts.push(aucCounts(tf, yTrue, yPred))
      return tf.concat(parts) as Tensor1D
    })

  const finalize = (stats: Float32Array | number[], count: number): Record<string, number> => {
    const values: Record<string, number> = { loss: stats[0] / count }
    if (offsets.accuracy !== undefined) values.acc = stats[offsets.accuracy] / (accuracy === 'binary' ? count * elementsPerSample : count)
    if (offsets.mse !== undefined) values.mse = stats[offsets.mse] / count
    if (offsets.mae !== undefined) values.mae = stats[offsets.mae] / count
    if (needsCounts) {
      const at = offsets.precision as number
      const [tp, fp, fn] = [stats[at], stats[at + 1], stats[at + 2]]
      if (wanted.has('precision')) values.precision = tp + fp > 0 ? tp / (tp + fp) : 0
      if (wanted.has('recall')) values.recall = tp + fn > 0 ? tp / (tp + fn) : 0
    }
    if (offsets.auc !== undefined) values.auc = aucFromCounts(stats, offsets.auc)
    return values
  }

  return { loss, labelForm, accuracy, names, size, lossOf, batchStats, finalize }
}

function computeLoss(tf: Tf, loss: LossName, yTrue: Tensor, yPred: Tensor): Scalar {
  return tf.tidy<Scalar>(() => {
    switch (loss) {
      case 'mean_squared_error':
        return tf.mean(tf.square(tf.sub(yPred, yTrue)))
      case 'mean_absolute_error':
        return tf.mean(tf.abs(tf.sub(yPred, yTrue)))
      case 'binary_crossentropy': {
        const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON)
        const perElement = tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p))))
        return tf.neg(tf.mean(perElement))
      }
      case 'categorical_crossentropy':
      case 'sparse_categorical_crossentropy': {
        // Labels arrive one-hot for both (sparse indices are one-hot on the device once).
        const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON)
        return tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.log(p)), -1)))
      }
    }
  })
}

function correctCount(tf: Tf, kind: AccuracyKind, yTrue: Tensor, yPred: Tensor): Tensor {
  if (kind === 'binary') return tf.sum(tf.cast(tf.equal(tf.greater(yPred, 0.5), tf.greater(yTrue, 0.5)), 'float32'))
  return tf.sum(tf.cast(tf.equal(tf.argMax(yPred, -1), tf.argMax(yTrue, -1)), 'float32'))
}

let thresholdCache: { tf: Tf; values: Tensor } | null = null

function thresholds(tf: Tf): Tensor {
  if (thresholdCache?.tf !== tf || thresholdCache.values.isDisposed) {
    // As Keras: 0 - eps, evenly spaced interior points, 1 + eps.
    const values = [-EPSILON]
    for (let i = 1; i < AUC_THRESHOLDS - 1; i++) values.push(i / (AUC_THRESHOLDS - 1))
    values.push(1 + EPSILON)
    thresholdCache = { tf, values: tf.keep(tf.tensor1d(values)) }
  }
  return thresholdCache.values
}

/** Per threshold: true positives, false positives, true negatives, false negatives (flattened, as Keras's AUC with multi_label off). */
function aucCounts(tf: Tf, yTrue: Tensor, yPred: Tensor): Tensor {
  const predictions = tf.reshape(yPred, [-1, 1])
  const truth = tf.cast(tf.greater(tf.reshape(yTrue, [-1, 1]), 0.5), 'float32')
  const above = tf.cast(tf.greater(predictions, thresholds(tf).reshape([1, -1])), 'float32')
  const below = tf.sub(1, above)
  const negatives = tf.sub(1, truth)
  return tf.concat([
    tf.sum(tf.mul(above, truth), 0),
    tf.sum(tf.mul(above, negatives), 0),
    tf.sum(tf.mul(below, negatives), 0),
    tf.sum(tf.mul(below, truth), 0)
  ])
}

/** ROC AUC from per-threshold counts by the trapezoid rule. */
export function aucFromCounts(stats: Float32Array | number[], at: number): number {
  const n = AUC_THRESHOLDS
  let area = 0
  let previous: [number, number] | null = null
  for (let i = 0; i < n; i++) {
    const tp = stats[at + i]
    const fp = stats[at + n + i]
    const tn = stats[at + 2 * n + i]
    const fn = stats[at + 3 * n + i]
    const tpr = tp + fn > 0 ? tp / (tp + fn) : 0
    const fpr = fp + tn > 0 ? fp / (fp + tn) : 0
    if (previous) area += (previous[0] - fpr) * (previous[1] + tpr) / 2
    previous = [fpr, tpr]
  }
  return area
}

/** Labels in the layout the loss expects: class indices one-hot, or the raw targets. */
export function denseLabels(tf: Tf, y: Float32Array, count: number, targetSize: number, form: LabelForm, numClasses: number): Tensor {
  return tf.tidy(() => {
    if (form === 'one_hot') return tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), numClasses).toFloat()
    return tf.tensor2d(y, [count, targetSize])
  })
}
