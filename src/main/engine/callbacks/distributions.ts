// Weights and activations over time: before the first step (epoch 0) and at each epoch end, per
// layer, a summary (min, max, mean, std, DISTRIBUTION_BINS bins, band percentiles) of every weight
// and of the layer's outputs on a fixed probe batch (seeded rows of the training split, the same
// every epoch), with the relu units never positive on it (dead) and the sigmoid/tanh units stuck
// at a bound (saturated). One device read per record: every weight and every layer's probe output
// concatenated into one tensor; the summaries are computed on the host.
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { summarize, unitFlags, type DistributionEpoch, type LayerRecord } from '../../../shared/distributions'
import type { SplitArrays } from '../host-batches'
import { createRandom, permutation } from '../seeded-random'
import type { TrainingCallback, TrainingContext } from './callback'
import { computingLayers, type ModelLayer } from '../model-layers'

export interface ProbeBatch {
  /** Rows × features, row-major, as the model's input expects them. */
  x: Float32Array
  rows: number
}

/** `count` seeded rows of a split (all of them when it has fewer), in a stable order. */
export function probeBatch(split: SplitArrays, count: number, seed: number, rows?: Int32Array | null): ProbeBatch {
  const pool = rows ?? null
  const available = pool ? pool.length : split.count
  const take = Math.min(count, available)
  const order = permutation(available, createRandom(seed ^ 0x5eed)).subarray(0, take)
  const width = split.featureShape.reduce((a, b) => a * b, 1)
  const x = new Float32Array(take * width)
  for (let i = 0; i < take; i++) {
    const row = pool ? pool[order[i]] : order[i]
    x.set(split.x.subarray(row * width, (row + 1) * width), i * width)
  }
  return { x, rows: take }
}

/** The activation a layer applies to its output: Dense/Conv's `activation`, an Activation layer's, else null. */
export function layerActivation(config: Record<string, unknown>): string | null {
  const activation = config.activation
  if (typeof activation === 'string') return activation === 'linear' ? null : activation
  return null
}

export interface DistributionsOptions {
  probe: ProbeBatch
  /** Receives each record (epoch 0 before training, then each epoch); awaited. */
  record: (epoch: DistributionEpoch) => void | Promise<void>
  /**
   * The most of the training time recording may take (default 0.03). An epoch end is recorded
   * while the time spent recording stays within this share of the time trained so far; when
   * epochs are so short that it would not (S7: one 1 ms step per epoch), records thin out, and
   * the last epoch is always recorded at the end of training. 1 records every epoch.
   */
  maxShare?: number
  /** Recording time always allowed, whatever the share (default 1 000 ms): a short run records every epoch. */
  allowanceMs?: number
  /**
   * The layer names in the order records list them (the spec's); layers not named follow in the
   * model's order. Absent: the model's order (a graph's, tfjs's topological one).
   */
  layerOrder?: readonly string[]
}

/** The default share of training time distributions may cost. */
export const DISTRIBUTIONS_MAX_SHARE = 0.03
/** The recording time a run may always spend (a second in all: nothing next to a run's start-up). */
export const DISTRIBUTIONS_ALLOWANCE_MS = 1000

/** `layers` in the order of `names` (those it does not name after them, as they came). */
function orderedLayers(layers: ModelLayer[], names: readonly string[] | undefined): ModelLayer[] {
  if (!names) return layers
  const rank = new Map(names.map((name, i) => [name, i]))
  return layers.map((layer, i) => ({ layer, key: rank.get(layer.name) ?? names.length + i })).sort((a, b) => a.key - b.key).map((entry) => entry.layer)
}

export class Distributions implements TrainingCallback {
  private probeModel: LayersModel | null = null
  /** The layers recorded: every layer that computes something (not an InputLayer), in record order. */
  private layers: ModelLayer[] = []
  readonly records: DistributionEpoch[] = []
  /** Milliseconds spent recording so far (the probe pass, the read, the summaries and the sink). */
  spentMs = 0
  private lastEpoch = 0

  constructor(private readonly options: DistributionsOptions) {}

  /** Why recording stopped (a model it cannot probe, a sink that failed): the run itself goes on. */
  failure: string | null = null

  async onTrainBegin(ctx: TrainingContext): Promise<void> {
    const { tf, model } = ctx
    try {
      // Each layer's output on the probe batch through a model that shares the run model's layers:
      // for a graph every layer's output is a tensor of the same functional graph, skips included.
      this.layers = orderedLayers(computingLayers(model), this.options.layerOrder)
      this.probeModel = tf.model({ inputs: model.inputs, outputs: this.layers.map((layer) => layer.output as never) })
    } catch (error) {
      this.fail(error)
      return
    }
    await this.safely(0, ctx)
  }

  async onEpochEnd(epoch: number, _metrics: unknown, ctx: TrainingContext): Promise<void> {
    this.lastEpoch = epoch + 1
    const share = this.options.maxShare ?? DISTRIBUTIONS_MAX_SHARE
    const allowance = this.options.allowanceMs ?? DISTRIBUTIONS_ALLOWANCE_MS
    if (share >= 1 || this.spentMs <= Math.max(allowance, share * ctx.trainingMs())) await this.safely(epoch + 1, ctx)
  }

  /** A record, or none: recording never fails a run (it stops, and says why on stderr). */
  private async safely(epoch: number, ctx: TrainingContext): Promise<void> {
    if (!this.probeModel || this.failure) return
    try {
      await this.take(epoch, ctx)
    } catch (error) {
      this.fail(error)
    }
  }

  private fail(error: unknown): void {
    this.failure = error instanceof Error ? error.message : String(error)
    this.probeModel = null
    process.stderr.write(`[distributions] recording stopped: ${this.failure}\n`)
  }

  /** One record of the model as it is now. */
  async take(epoch: number, ctx: TrainingContext): Promise<DistributionEpoch> {
    const { tf, model } = ctx
    const probeModel = this.probeModel
    if (!probeModel) throw new Error('Distributions.take before onTrainBegin')
    const startedAt = performance.now()
    const { probe } = this.options
    const inputShape = model.inputs[0].shape.slice(1).map((d) => d ?? 1)
    const layers = this.layers
    const sizes: number[] = []
    const flat = tf.tidy(() => {
      const x = tf.tensor(probe.x, [probe.rows, ...inputShape])
      const raw = probeModel.predict(x)
      const outputs = Array.isArray(raw) ? raw : [raw]
      const parts: Tensor[] = []
      for (const layer of layers) for (const weight of layer.getWeights()) parts.push(weight.reshape([-1]))
      for (const output of outputs) parts.push(output.reshape([-1]))
      for (const part of parts) sizes.push(part.size)
      return tf.concat(parts)
    })
    const values = (await flat.data()) as Float32Array
    flat.dispose()
    let offset = 0
    const next = (): Float32Array => {
      const size = sizes.shift() ?? 0
      const part = values.slice(offset, offset + size)
      offset += size
      return part
    }
    const records: LayerRecord[] = layers.map((layer) => ({
      layer: layer.name,
      class_name: layer.getClassName(),
      activation: layerActivation(layer.getConfig() as Record<string, unknown>),
      weights: layer.weights.map((weight) => ({ name: weight.originalName.split('/').pop() ?? weight.name, shape: weight.shape.map((d) => d ?? 1), summary: summarize(next()) })),
      activations: null,
      units: 0,
      dead_units: [],
      saturated_units: []
    }))
    layers.forEach((layer, i) => {
      const output = next()
      const shape = (layer.outputShape as Array<number | null>).map((d) => d ?? 1)
      const units = shape[shape.length - 1] ?? 1
      const rows = units > 0 ? output.length / units : 0
      const flags = unitFlags(output, rows, units, records[i].activation)
      records[i].units = units
      records[i].dead_units = flags.dead
      records[i].saturated_units = flags.saturated
      records[i].activations = summarize(output)
    })
    const record: DistributionEpoch = { epoch, step: ctx.step, layers: records }
    this.records.push(record)
    await this.options.record(record)
    this.spentMs += performance.now() - startedAt
    return record
  }

  async onTrainEnd(ctx: TrainingContext): Promise<void> {
    // The last finished epoch, when the budget skipped it (a run that diverged ends on its NaN weights: recorded too).
    const last = this.records[this.records.length - 1]
    if (this.probeModel && last && last.epoch < this.lastEpoch) await this.safely(this.lastEpoch, ctx)
    // The probe model shares the run model's layers and weights: nothing of its own to dispose.
    this.probeModel = null
  }
}
