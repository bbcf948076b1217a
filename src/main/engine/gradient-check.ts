// The gradient check (issue 12 §3; seed 004's lesson): nudge one weight at a time, see how the
// loss moves, and compare that slope with the gradient back-propagation (tfjs autodiff) gives.
// Analytic gradients come from tf.variableGrads of the run's loss (its loss function plus the
// layers' weight penalties, inference mode: no dropout noise, BatchNormalization on its moving
// statistics) on a small fixed batch; numeric ones from central differences
//   n = (L(w + h) − L(w − h)) / ((w + h) − (w − h))
// where the denominator is the step as float32 actually stores it (w ± h rounded), so that a
// large weight's rounding does not bias the slope.
//
// Why h = 1e-3 and not seed 004's 1e-4: the loss is computed in float32, whose unit roundoff is
// u = 2^-24 ≈ 6e-8. A central difference carries a rounding error of about u·|L|/h and a
// truncation error of about h²·|L'''|/6; with h = 1e-3 the first is ≈ 6e-5·|L| and the second
// ≈ 1e-7, balanced. Seed 004 used h = 1e-4 with a one-sided difference in float64 numpy, where
// rounding is 1e-16; in float32, h = 1e-4 makes the rounding error ten times larger
// (≈ 6e-4·|L|), which on a loss of 20 is already 0.01 of absolute slope error.
//
// Relative error per weight: |a − n| / max(|a|, |n|, ε), with ε the float32 noise floor of the
// difference quotient, ε = max(1e-6, 512 · u · max(|L|, 1) / h) (NOISE_ULPS): below it a gradient is
// indistinguishable from rounding, and the error is measured against ε instead.
//
// Kinks: ReLU (and ReLU6) are not differentiable at 0 and the absolute error loss where
// prediction = label. When a ReLU unit (or the sign of an absolute error) changes state between w − h and w + h on any row of the batch, the central
// difference straddles a kink and says nothing about the derivative on either side: such
// weights are reported as "kink" and left out of the verdicts.
import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs'
import type { LossName } from '../../shared/training'
import type { Tf } from './backend'
import { createRandom } from './seeded-random'
import { planMetrics } from './metric-plan'
import { HostRows, type SplitArrays } from './host-batches'
import { modelInputShape, outputUnits, type TrainingData } from './training-loop'
import { computingLayers, layerOutputsModel, type ModelLayer } from './model-layers'

export type GradientVerdict = 'pass' | 'suspicious' | 'fail' | 'inconclusive'

/** Tolerances on the largest relative error of a tensor (float32, central differences, h = 1e-3). */
export const GRADIENT_TOLERANCES = {
  /** Below: the gradients agree (float32 noise gives ~1e-4 to 1e-3 on real models). */
  pass: 1e-2,
  /** At or above: the gradient is wrong (a scaled, missing or sign-flipped term gives ≥ 0.1). */
  fail: 1e-1
} as const

export const DEFAULT_GRADIENT_EPSILON = 1e-3
export const DEFAULT_GRADIENT_BATCH = 8
export const DEFAULT_SAMPLES_PER_TENSOR = 50
/** Unit roundoff of float32. */
export const FLOAT32_ROUNDOFF = 2 ** -24
/**
 * The noise floor ε in units of u·|L|/h. Each loss value is off by δ ≈ 0.5 to a few units of
 * roundoff of |L| (measured: 0.5–1 on an 8-row softmax MLP), so the difference quotient is off by
 * about δ/h. With ε = 512·u·|L|/h a weight passes (< 1e-2) while δ < ~5·u·|L| and only fails
 * (≥ 0.1) past ~50·u·|L|, which rounding does not reach; a ×1.5 gradient is still caught wherever
 * |gradient| > 0.2·ε (0.04 on a loss of 1.4).
 */
export const NOISE_ULPS = 512
export const MIN_EPSILON_FLOOR = 1e-6

export interface GradientCheckTensor {
  /** 1-based position of the layer in the spec (given layerIndex), else among the model's computing layers. */
  layer_index: number
  layer: string
  class_name: string
  /** The weight's own name in the layer: kernel, bias, gamma, beta. */
  weight: string
  shape: number[]
  size: number
  /** Weights compared (all of them for small tensors, a seeded sample for big ones). */
  sampled: number
  /** Of those, the ones whose nudge straddled a kink (not in the errors or the verdict). */
  kinks: number
  max_rel_error: number | null
  mean_rel_error: number | null
  /** The flat index (row-major) of the weight with the largest relative error, and its two gradients. */
  worst: { index: number; analytic: number; numeric: number } | null
  verdict: GradientVerdict
}

export interface GradientCheckResult {
  tensors: GradientCheckTensor[]
  verdict: GradientVerdict
  /** The loss on the batch at the unperturbed weights. */
  loss: number
  loss_name: LossName
  batch_size: number
  epsilon: number
  /** The relative error's floor ε for this loss (see the file header). */
  error_floor: number
  tolerances: { pass: number; fail: number }
  samples_per_tensor: number
  seed: number
  /** Weights compared in all, and how many of them were kinks. */
  compared: number
  kinks: number
}

export interface GradientCheckOptions {
  /** The loss the run minimises (before penalties). */
  lossOf: (yTrue: Tensor, yPred: Tensor) => Scalar
  lossName: LossName
  epsilon?: number
  samplesPerTensor?: number
  seed: number
  /** Called after each weight compared. */
  onProgress?: (done: number, total: number) => void
  /** The 1-based position in the spec of the layer named so (tensors are listed and numbered by it); absent: the model's order. */
  layerIndex?: (layerName: string) => number | undefined
}

export function verdictOf(maxRelError: number | null): GradientVerdict {
  if (maxRelError === null || !Number.isFinite(maxRelError)) return maxRelError === null ? 'inconclusive' : 'fail'
  if (maxRelError < GRADIENT_TOLERANCES.pass) return 'pass'
  if (maxRelError < GRADIENT_TOLERANCES.fail) return 'suspicious'
  return 'fail'
}

/** The worst verdict among tensors that have one; inconclusive when none does. */
export function overallVerdict(verdicts: GradientVerdict[]): GradientVerdict {
  const order: GradientVerdict[] = ['fail', 'suspicious', 'pass']
  for (const verdict of order) if (verdicts.includes(verdict)) return verdict
  return 'inconclusive'
}

/** Seeded choice of `count` distinct flat indices out of `size` (all of them, in order, when count ≥ size). */
export function sampleIndices(size: number, count: number, random: () => number): number[] {
  if (count >= size) return Array.from({ length: size }, (_, i) => i)
  const pool = Array.from({ length: size }, (_, i) => i)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i))
    const swap = pool[i]
    pool[i] = pool[j]!
    pool[j] = swap
  }
  return pool.slice(0, count).sort((a, b) => a - b)
}

function activationName(layer: ModelLayer): string | null {
  const config = layer.getConfig() as { activation?: unknown }
  return typeof config.activation === 'string' ? config.activation : null
}

/**
 * The model's loss on (x, y) and a signature of the non-differentiable points it passes: for
 * each ReLU-like output the state of each unit (0 off, 1 linear, 2 capped for relu6), for the
 * absolute error loss the sign of each error. Two forward passes straddle a kink when their
 * signatures differ. (MaxPooling ties are not tracked: the winner of a window changes within
 * ±h only when two inputs are within h·|gradient| of each other, which random data rarely gives.)
 */
function forward(tf: Tf, probe: Probe, x: Tensor, y: Tensor, options: GradientCheckOptions, penalties: Array<() => Scalar>, withSignature: boolean): { loss: Scalar; signature: Tensor | null } {
  const out = tf.tidy(() => {
    const parts: Tensor[] = []
    let h: Tensor
    if (withSignature) {
      const outputs = probe.outputs.apply(x, false)
      h = outputs.output
      probe.kinked.forEach(({ activation }, i) => {
        const on = tf.cast(tf.greater(outputs.layers[i], 0), 'int32')
        parts.push(activation === 'relu6' ? tf.add(on, tf.cast(tf.greaterEqual(outputs.layers[i], 6), 'int32')).flatten() : on.flatten())
      })
    } else {
      h = probe.model.apply(x, { training: false }) as Tensor
    }
    let loss = options.lossOf(y, h)
    for (const penalty of penalties) loss = tf.add(loss, penalty())
    if (withSignature && options.lossName === 'mean_absolute_error') parts.push(tf.cast(tf.greater(tf.sub(h, tf.reshape(y, h.shape)), 0), 'int32').flatten())
    return parts.length ? [loss, tf.concat(parts)] : [loss]
  })
  return { loss: out[0] as Scalar, signature: out[1] ?? null }
}

/** The model, and its ReLU-like layers' outputs beside its own (for the kink signature), over the chain or the graph. */
interface Probe {
  model: LayersModel
  kinked: Array<{ layer: ModelLayer; activation: 'relu' | 'relu6' }>
  outputs: ReturnType<typeof layerOutputsModel>
}

function probeOf(tf: Tf, model: LayersModel): Probe {
  const kinked = computingLayers(model).flatMap((layer): Probe['kinked'] => {
    const activation = activationName(layer)
    return activation === 'relu' || activation === 'relu6' ? [{ layer, activation }] : []
  })
  return { model, kinked, outputs: layerOutputsModel(tf, model, kinked.map((k) => k.layer)) }
}

function sameSignature(a: Int32Array | null, b: Int32Array | null): boolean {
  if (!a || !b) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Compares analytic and numeric gradients of the loss on (x, y) for every trainable weight
 * tensor of `model` (a seeded sample of at most `samplesPerTensor` weights each). Leaves the
 * model's weights as it found them.
 */
export async function gradientCheck(tf: Tf, model: LayersModel, x: Tensor, y: Tensor, options: GradientCheckOptions): Promise<GradientCheckResult> {
  const h = options.epsilon ?? DEFAULT_GRADIENT_EPSILON
  const samples = options.samplesPerTensor ?? DEFAULT_SAMPLES_PER_TENSOR
  const random = createRandom(options.seed)
  const penalties = model.layers.flatMap((layer) => layer.losses as unknown as Array<() => Scalar>).filter((penalty) => typeof penalty === 'function')

  // The tensors to check, with the layer each belongs to: in spec order when the caller says where
  // each layer sits in the spec, else in the model's order (a graph's tfjs InputLayer not counted).
  const targets: Array<{ layerIndex: number; layer: ModelLayer; variable: Variable; weight: string }> = []
  computingLayers(model).forEach((layer, i) => {
    const layerIndex = options.layerIndex?.(layer.name) ?? i + 1
    for (const weight of layer.trainableWeights) {
      const name = (weight.originalName ?? weight.name).split('/').pop() ?? weight.name
      targets.push({ layerIndex, layer, variable: weight.read() as Variable, weight: name.replace(/_\d+$/, '') })
    }
  })
  // Stable: a layer's own tensors keep their order (kernel before bias).
  targets.sort((a, b) => a.layerIndex - b.layerIndex)
  const variables = targets.map((t) => t.variable)
  const probe = probeOf(tf, model)

  // Analytic gradients at the unperturbed weights.
  const { value, grads } = tf.variableGrads(() => forward(tf, probe, x, y, options, penalties, false).loss, variables)
  const loss = (await value.data())[0]
  value.dispose()
  const analytic = new Map<string, Float32Array>()
  for (const variable of variables) {
    const grad = grads[variable.name]
    analytic.set(variable.name, grad ? ((await grad.data()) as Float32Array) : new Float32Array(variable.size))
  }
  tf.dispose(Object.values(grads))

  // A loss below 1 is still off by about u in absolute terms (a cross-entropy near 0 sums −log p
  // with p rounded near 1), so the floor never drops below that of a loss of 1.
  const floor = Math.max(MIN_EPSILON_FLOOR, (NOISE_ULPS * FLOAT32_ROUNDOFF * Math.max(Math.abs(loss), 1)) / h)
  const picks = targets.map((t) => sampleIndices(t.variable.size, samples, random))
  const total = picks.reduce((sum, p) => sum + p.length, 0)
  let done = 0

  const lossAt = async (): Promise<{ loss: number; signature: Int32Array | null }> => {
    const out = forward(tf, probe, x, y, options, penalties, true)
    const value = (await out.loss.data())[0]
    const signature = out.signature ? ((await out.signature.data()) as Int32Array) : null
    tf.dispose([out.loss, ...(out.signature ? [out.signature] : [])])
    return { loss: value, signature }
  }

  const tensors: GradientCheckTensor[] = []
  let compared = 0
  let kinkCount = 0
  for (let t = 0; t < targets.length; t++) {
    const target = targets[t]
    const original = (await target.variable.data()) as Float32Array
    const values = new Float32Array(original)
    const grad = analytic.get(target.variable.name)!
    const shape = target.variable.shape
    const errors: number[] = []
    let kinks = 0
    let worst: GradientCheckTensor['worst'] = null
    let worstError = -1
    const set = (): void => {
      const next = tf.tensor(values, shape)
      target.variable.assign(next)
      next.dispose()
    }
    try {
      for (const index of picks[t]) {
        const w = original[index]
        const plus = Math.fround(w + h)
        const minus = Math.fround(w - h)
        values[index] = plus
        set()
        const up = await lossAt()
        values[index] = minus
        set()
        const down = await lossAt()
        values[index] = w
        const numeric = (up.loss - down.loss) / (plus - minus)
        const a = grad[index]
        done++
        compared++
        if (!sameSignature(up.signature, down.signature)) {
          kinks++
          kinkCount++
        } else {
          const error = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor)
          const e = Number.isFinite(error) ? error : Infinity
          errors.push(e)
          if (e > worstError) {
            worstError = e
            worst = { index, analytic: a, numeric }
          }
        }
        options.onProgress?.(done, total)
      }
    } finally {
      values.set(original)
      set()
    }
    const max = errors.length ? Math.max(...errors) : null
    const mean = errors.length ? errors.reduce((s, e) => s + e, 0) / errors.length : null
    tensors.push({
      layer_index: target.layerIndex,
      layer: target.layer.name,
      class_name: target.layer.getClassName(),
      weight: target.weight,
      shape: [...shape],
      size: target.variable.size,
      sampled: picks[t].length,
      kinks,
      max_rel_error: max,
      mean_rel_error: mean,
      worst,
      verdict: verdictOf(max)
    })
  }
  return {
    tensors,
    verdict: overallVerdict(tensors.map((row) => row.verdict)),
    loss,
    loss_name: options.lossName,
    batch_size: x.shape[0] ?? 0,
    epsilon: h,
    error_floor: floor,
    tolerances: { ...GRADIENT_TOLERANCES },
    samples_per_tensor: samples,
    seed: options.seed,
    compared,
    kinks: kinkCount
  }
}

/** The data a check runs on: a split with its task layout (as loadSplit gives it). */
export interface CheckSplit extends SplitArrays {
  task: TrainingData['task']
  numClasses: number
  targetSize: number
}

/**
 * The check on a fixed batch of a split: `batchSize` rows drawn with the seed (all rows when the
 * split is smaller), labels laid out as the run's loss needs them, the run's loss function.
 */
export async function gradientCheckOnSplit(tf: Tf, model: LayersModel, split: CheckSplit, loss: LossName, options: { batchSize?: number; samplesPerTensor?: number; epsilon?: number; seed: number; onProgress?: (done: number, total: number) => void; layerIndex?: (layerName: string) => number | undefined }): Promise<GradientCheckResult & { rows: number[] }> {
  const plan = planMetrics({ loss, metrics: [], outputUnits: outputUnits(model), task: split.task, numClasses: split.numClasses, targetSize: split.targetSize })
  const size = Math.min(options.batchSize ?? DEFAULT_GRADIENT_BATCH, split.count)
  const rows = Int32Array.from(sampleIndices(split.count, size, createRandom(options.seed ^ 0x5eed)))
  const host = new HostRows(split, rows, modelInputShape(model), { form: plan.labelForm, numClasses: split.numClasses, targetSize: split.targetSize }, size)
  const batch = host.batch(tf, null, 0, size)
  try {
    const result = await gradientCheck(tf, model, batch.x, batch.y, {
      lossOf: (yTrue, yPred) => plan.lossOf(tf, yTrue, yPred),
      lossName: loss,
      seed: options.seed,
      ...(options.epsilon !== undefined ? { epsilon: options.epsilon } : {}),
      ...(options.samplesPerTensor !== undefined ? { samplesPerTensor: options.samplesPerTensor } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.layerIndex ? { layerIndex: options.layerIndex } : {})
    })
    return { ...result, rows: Array.from(rows) }
  } finally {
    tf.dispose([batch.x, batch.y])
  }
}
