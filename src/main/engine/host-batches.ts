// Batches assembled on the host. The rows of a split stay in their Float32Arrays; each batch's
// x and y are copied into buffers reused from batch to batch and uploaded with tf.tensor, which
// every backend copies at once (wasm: into its heap) or before the step's ops return (cpu keeps
// the array, but the batch's tensors are disposed before the buffer is filled again).
// Why: wasm's slice copies the whole source tensor on each call (116 ms per batch on 60 000
// MNIST rows), and gathering from a device-resident copy of the data set costs its memory too.
import type { Tensor } from '@tensorflow/tfjs'
import type { Tf } from './backend'
import type { LabelForm } from './metric-plan'

export interface SplitArrays {
  x: Float32Array
  y: Float32Array
  count: number
  featureShape: number[]
}

export interface LabelLayout {
  form: LabelForm
  numClasses: number
  /** Values per sample in the split's y. */
  targetSize: number
}

export interface HostBatch {
  x: Tensor
  y: Tensor
  size: number
}

/**
 * Rows of a split (all of them, or the ones `rows` names, in that order) shaped for a model's
 * input, uploaded a batch at a time. Positions given to {@link batch} index these rows.
 */
export class HostRows {
  readonly count: number
  private readonly width: number
  private readonly labelWidth: number
  private readonly xBuffer: Float32Array
  private readonly yBuffer: Float32Array

  constructor(
    private readonly split: SplitArrays,
    private readonly rows: Int32Array | null,
    private readonly inputShape: number[],
    private readonly labels: LabelLayout,
    /** The largest batch that will be asked for (the buffers' size). */
    capacity: number
  ) {
    const width = inputShape.reduce((a, b) => a * b, 1)
    const given = split.featureShape.reduce((a, b) => a * b, 1)
    if (width !== given) {
      throw new Error(`The model expects inputs of shape [${inputShape.join(', ')}] (${width} values) but the data set's samples have shape [${split.featureShape.join(', ')}] (${given} values).`)
    }
    if (labels.form === 'one_hot' && labels.targetSize !== 1) {
      throw new Error(`The loss needs one class index per sample, but the data set's targets have ${labels.targetSize} values each; use a regression loss (mean_squared_error) for vector targets.`)
    }
    this.width = width
    this.count = rows ? rows.length : split.count
    this.labelWidth = labels.form === 'one_hot' ? labels.numClasses : labels.targetSize
    const size = Math.max(1, Math.min(capacity, this.count))
    this.xBuffer = new Float32Array(size * width)
    this.yBuffer = new Float32Array(size * this.labelWidth)
  }

  /** The source row of position `i`. */
  private source(i: number): number {
    return this.rows ? this.rows[i] : i
  }

  /** Upload the rows at `positions` (or the `size` rows from `start`) as one batch; the caller disposes. */
  batch(tf: Tf, positions: Int32Array | null, start = 0, size = positions ? positions.length : 0): HostBatch {
    const { x, y } = this.split
    const width = this.width
    const targetSize = this.labels.targetSize
    const oneHot = this.labels.form === 'one_hot'
    const numClasses = this.labels.numClasses
    const xOut = this.xBuffer.subarray(0, size * width)
    const yOut = this.yBuffer.subarray(0, size * this.labelWidth)
    if (oneHot) yOut.fill(0)
    for (let i = 0; i < size; i++) {
      const row = this.source(positions ? positions[i] : start + i)
      xOut.set(x.subarray(row * width, (row + 1) * width), i * width)
      if (oneHot) {
        // As tf.oneHot of the labels as int32: truncated, and a row of zeros when out of range.
        const label = y[row] | 0
        if (label >= 0 && label < numClasses) yOut[i * numClasses + label] = 1
      } else {
        yOut.set(y.subarray(row * targetSize, (row + 1) * targetSize), i * targetSize)
      }
    }
    return {
      x: tf.tensor(xOut, [size, ...this.inputShape]),
      y: tf.tensor2d(yOut, [size, this.labelWidth]),
      size
    }
  }
}
