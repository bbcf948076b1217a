// What can be asked of a trained model: evaluation on a split (metrics, confusion matrix,
// per-class precision/recall/F1), predictions for given rows, and its layer weights (seeds
// 000/004 read weights with get_weights). Pure over tf + model + arrays; the trainer process
// runs these for the parent.
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import type { Evaluation } from '../../shared/contract'
import type { LossName, TrainingConfig } from '../../shared/training'
import type { Tf } from './backend'
import { planMetrics } from './metric-plan'
import { EVAL_CHUNK, evaluateRows, modelInputShape, outputUnits, type SplitArrays, type TrainingData } from './training-loop'
import { HostRows } from './host-batches'

export type SplitName = Evaluation['split']

export interface LabelledSplit extends SplitArrays {
  task: TrainingData['task']
  numClasses: number
  targetSize: number
}

/** How a row's outputs turn into a class: argmax, a 0.5 threshold, or none (regression). */
export function classRule(loss: LossName, units: number, task?: TrainingData['task']): 'argmax' | 'threshold' | null {
  if (task === 'regression') return null
  if (units > 1) return 'argmax'
  if (loss === 'binary_crossentropy' || task === 'binary') return 'threshold'
  return null
}

/** Classes predicted for every row and the model's outputs (rows × units), a chunk at a time from host rows (no slice of a big device tensor). */
async function predictedClasses(tf: Tf, model: LayersModel, rows: HostRows, rule: 'argmax' | 'threshold', units: number): Promise<{ classes: Int32Array; outputs: Float32Array }> {
  const out = new Int32Array(rows.count)
  const outputs = new Float32Array(rows.count * units)
  for (let start = 0; start < rows.count; start += EVAL_CHUNK) {
    const size = Math.min(EVAL_CHUNK, rows.count - start)
    const batch = rows.batch(tf, null, start, size)
    const y = tf.tidy(() => model.predict(batch.x) as Tensor)
    const classes = tf.tidy(() => (rule === 'argmax' ? tf.argMax(y, -1).toInt() : tf.cast(tf.greater(tf.reshape(y, [-1]), 0.5), 'int32')))
    tf.dispose([batch.x, batch.y])
    outputs.set((await y.data()), start * units)
    out.set((await classes.data()), start)
    tf.dispose([y, classes])
  }
  return { classes: out, outputs }
}

export async function evaluateModel(tf: Tf, model: LayersModel, config: Pick<TrainingConfig, 'loss' | 'metrics'>, split: LabelledSplit, splitName: SplitName): Promise<Evaluation> {
  const data: TrainingData = { train: split, task: split.task, numClasses: split.numClasses, targetSize: split.targetSize }
  const units = outputUnits(model)
  const plan = planMetrics({ loss: config.loss, metrics: config.metrics, outputUnits: units, task: split.task, numClasses: split.numClasses, targetSize: split.targetSize })
  const rows = new HostRows(split, null, modelInputShape(model), { form: plan.labelForm, numClasses: data.numClasses, targetSize: data.targetSize }, EVAL_CHUNK)
  const metrics = await evaluateRows(tf, model, plan, rows)
  const rule = classRule(config.loss, units, split.task)
  if (!rule || split.targetSize !== 1) return { split: splitName, metrics, confusion: null, per_class: null }
  const classCount = Math.max(split.numClasses, rule === 'threshold' ? 2 : units)
  const { classes: predicted, outputs } = await predictedClasses(tf, model, rows, rule, units)
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  for (let i = 0; i < split.count; i++) {
    const truth = Math.round(split.y[i])
    if (truth >= 0 && truth < classCount && predicted[i] < classCount) confusion[truth][predicted[i]]++
  }
  const per_class = confusion.map((row, k) => {
    const tp = row[k]
    const support = row.reduce((a, b) => a + b, 0)
    const predictedK = confusion.reduce((sum, r) => sum + r[k], 0)
    const precision = predictedK > 0 ? tp / predictedK : 0
    const recall = support > 0 ? tp / support : 0
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
    return { label: String(k), precision, recall, f1, support }
  })
  // Per-sample outputs and labels: the view's ROC/PR curves, thresholds and sample browser.
  const scores = Array.from({ length: split.count }, (_, i) => Array.from(outputs.subarray(i * units, (i + 1) * units)))
  const truth = Array.from(split.y.subarray(0, split.count), (v) => Math.round(v))
  return { split: splitName, metrics, confusion, per_class, scores, truth }
}

export interface Prediction {
  probabilities: number[][]
  classes: number[] | null
}

export async function predictRows(tf: Tf, model: LayersModel, loss: LossName, rows: number[][]): Promise<Prediction> {
  const inputShape = modelInputShape(model)
  const width = inputShape.reduce((a, b) => a * b, 1)
  rows.forEach((row, i) => {
    if (row.length !== width) throw new Error(`Input row ${i} has ${row.length} values; the model expects ${width} (shape [${inputShape.join(', ')}]).`)
  })
  const units = outputUnits(model)
  const output = tf.tidy(() => model.predict(tf.tensor(rows.flat(), [rows.length, ...inputShape])) as Tensor)
  const flat = Array.from((await output.data()) as Float32Array)
  output.dispose()
  const probabilities = rows.map((_, i) => flat.slice(i * units, (i + 1) * units))
  const rule = classRule(loss, units)
  const classes = rule === 'argmax'
    ? probabilities.map((p) => p.indexOf(Math.max(...p)))
    : rule === 'threshold' ? probabilities.map((p) => (p[0] > 0.5 ? 1 : 0)) : null
  return { probabilities, classes }
}

export interface LayerWeight {
  /** Layer and weight name, e.g. dense_Dense1/kernel. */
  name: string
  layer: string
  shape: number[]
  /** Row-major values. */
  values: number[]
}

export async function readLayerWeights(model: LayersModel): Promise<LayerWeight[]> {
  const out: LayerWeight[] = []
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const values = await weight.read().data()
      out.push({ name: weight.originalName ?? weight.name, layer: layer.name, shape: weight.shape.map((d) => d ?? 0), values: Array.from(values as Float32Array) })
    }
  }
  return out
}
