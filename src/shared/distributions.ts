// Weights and activations over time (issue 12 §3): what the trainer records per layer at epoch 0
// (before training) and after each epoch, on a fixed probe batch, and the flags read from it.
// Shared by the engine (which records), the run service (which answers runs.distributions) and the
// views (which draw TensorBoard-style bands and list the flags).
import { z } from 'zod'

/** Histogram bins per tensor: fixed, so that epochs compare bin by bin. */
export const DISTRIBUTION_BINS = 30
/** Rows in the probe batch (fewer when the training split is smaller). */
export const PROBE_ROWS = 64
/**
 * The percentiles of each band, TensorBoard's (its distributions dashboard compresses a histogram
 * to these basis points: 0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100 %: ±1σ, ±1.5σ, ±2σ of a normal).
 */
export const BAND_PERCENTILES = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100] as const
/** A sigmoid/tanh output this close to a bound counts as saturated. */
export const SATURATION_MARGIN = 1e-3
/** A unit is saturated when at least this share of the probe rows are saturated. */
export const SATURATION_SHARE = 0.99

export const summarySchema = z.object({
  count: z.number(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  std: z.number(),
  /** DISTRIBUTION_BINS counts over [min, max] (all in the last bin when min = max). */
  bins: z.array(z.number()),
  /** The values at BAND_PERCENTILES, in order. */
  percentiles: z.array(z.number())
})
export type Summary = z.infer<typeof summarySchema>

export const layerRecordSchema = z.object({
  layer: z.string(),
  class_name: z.string(),
  /** The layer's activation ('relu', 'sigmoid', …) when it has one, else null. */
  activation: z.string().nullable(),
  /** Per weight of the layer (kernel, bias, …). */
  weights: z.array(z.object({ name: z.string(), shape: z.array(z.number()), summary: summarySchema })),
  /** The layer's outputs on the probe batch (every unit, every row); null for layers without an output we read. */
  activations: summarySchema.nullable(),
  /** Output units (the last axis). */
  units: z.number(),
  /** relu-like layers: units never positive on the probe batch. */
  dead_units: z.array(z.number()),
  /** sigmoid/tanh layers: units within SATURATION_MARGIN of a bound on ≥ SATURATION_SHARE of the rows. */
  saturated_units: z.array(z.number())
})
export type LayerRecord = z.infer<typeof layerRecordSchema>

export const distributionEpochSchema = z.object({
  /** 0: before training; n: after the n-th epoch. */
  epoch: z.number().int(),
  step: z.number().int(),
  layers: z.array(layerRecordSchema)
})
export type DistributionEpoch = z.infer<typeof distributionEpochSchema>

export const distributionFlagSchema = z.object({
  kind: z.enum(['dead_relu', 'saturated']),
  layer: z.string(),
  activation: z.string(),
  /** The units, 0-based. */
  units: z.array(z.number()),
  /** The layer's output units. */
  layer_units: z.number(),
  /** The first recorded epoch from which these units stayed dead/saturated up to the last record (0: from the start). */
  since_epoch: z.number().int()
})
export type DistributionFlag = z.infer<typeof distributionFlagSchema>

export const distributionsSchema = z.object({
  run_id: z.string(),
  /** Rows of the probe batch (seeded rows of the training split, the same every epoch). */
  probe_rows: z.number(),
  epochs: z.array(distributionEpochSchema),
  flags: z.array(distributionFlagSchema)
})
export type Distributions = z.infer<typeof distributionsSchema>

const RELU_LIKE = new Set(['relu', 'relu6'])
const SATURATING: Record<string, [number, number]> = { sigmoid: [0, 1], tanh: [-1, 1], hard_sigmoid: [0, 1], softsign: [-1, 1] }

export function isReluLike(activation: string | null): boolean {
  return activation !== null && RELU_LIKE.has(activation)
}

/** The output bounds of a saturating activation, or null. */
export function saturationBounds(activation: string | null): [number, number] | null {
  return activation !== null ? (SATURATING[activation] ?? null) : null
}

/** Up to this many values the percentiles come from a sort; above, from a fine histogram (linear time). */
const EXACT_UP_TO = 4096
/** Fine bins per coarse bin for the percentiles of big tensors (error ≤ (max − min) / 3 000). */
const FINE_PER_BIN = 100

/** min, max, mean, std, fixed bins and band percentiles of `values` (small arrays are sorted in place: pass a copy you own). */
export function summarize(values: Float32Array): Summary {
  const count = values.length
  const bins = new Array<number>(DISTRIBUTION_BINS).fill(0)
  if (count === 0) return { count, min: 0, max: 0, mean: 0, std: 0, bins, percentiles: BAND_PERCENTILES.map(() => 0) }
  let min = Infinity
  let max = -Infinity
  let sum = 0
  for (let i = 0; i < count; i++) {
    const v = values[i]
    if (v < min) min = v
    if (v > max) max = v
    sum += v
  }
  const mean = sum / count
  let squares = 0
  const fineCount = DISTRIBUTION_BINS * FINE_PER_BIN
  const fine = new Float64Array(fineCount)
  const scale = max > min ? fineCount / (max - min) : 0
  for (let i = 0; i < count; i++) {
    const v = values[i]
    squares += (v - mean) * (v - mean)
    fine[scale > 0 ? Math.min(fineCount - 1, Math.floor((v - min) * scale)) : fineCount - 1]++
  }
  for (let b = 0; b < fineCount; b++) bins[Math.floor(b / FINE_PER_BIN)] += fine[b]
  let percentiles: number[]
  if (count <= EXACT_UP_TO) {
    values.sort()
    percentiles = BAND_PERCENTILES.map((p) => {
      const at = (p / 100) * (count - 1)
      const lo = Math.floor(at)
      const hi = Math.min(count - 1, lo + 1)
      return values[lo] + (values[hi] - values[lo]) * (at - lo)
    })
  } else {
    // The value below which a share p of the values lie, interpolated inside its fine bin.
    percentiles = BAND_PERCENTILES.map((p) => {
      if (p <= 0) return min
      if (p >= 100) return max
      const target = (p / 100) * count
      let seen = 0
      for (let b = 0; b < fineCount; b++) {
        if (seen + fine[b] >= target) return min + (b + (target - seen) / fine[b]) / scale
        seen += fine[b]
      }
      return max
    })
  }
  return { count, min, max, mean, std: Math.sqrt(squares / count), bins, percentiles }
}

/**
 * Per unit of a [rows, units] output: relu-like layers list the units never positive on any row;
 * saturating ones the units within the margin of a bound on ≥ 99 % of the rows.
 */
export function unitFlags(output: Float32Array, rows: number, units: number, activation: string | null): { dead: number[]; saturated: number[] } {
  const dead: number[] = []
  const saturated: number[] = []
  if (rows === 0) return { dead, saturated }
  const bounds = saturationBounds(activation)
  for (let u = 0; u < units; u++) {
    if (isReluLike(activation)) {
      let positive = false
      for (let r = 0; r < rows && !positive; r++) positive = output[r * units + u] > 0
      if (!positive) dead.push(u)
    } else if (bounds) {
      let near = 0
      for (let r = 0; r < rows; r++) {
        const v = output[r * units + u]
        if (v - bounds[0] <= SATURATION_MARGIN || bounds[1] - v <= SATURATION_MARGIN) near++
      }
      if (near >= SATURATION_SHARE * rows) saturated.push(u)
    }
  }
  return { dead, saturated }
}

/**
 * The flags of a run: per layer and kind, the units dead (saturated) at the last record, grouped
 * by the first epoch of the streak that lasts to it (a unit that died at epoch 3 and stayed dead).
 */
export function distributionFlags(epochs: DistributionEpoch[]): DistributionFlag[] {
  const last = epochs[epochs.length - 1]
  if (!last) return []
  const flags: DistributionFlag[] = []
  for (const layer of last.layers) {
    for (const kind of ['dead_relu', 'saturated'] as const) {
      const pick = (record: LayerRecord): number[] => (kind === 'dead_relu' ? record.dead_units : record.saturated_units)
      const bySince = new Map<number, number[]>()
      for (const unit of pick(layer)) {
        let since = last.epoch
        for (let i = epochs.length - 2; i >= 0; i--) {
          const earlier = epochs[i].layers.find((record) => record.layer === layer.layer)
          if (!earlier || !pick(earlier).includes(unit)) break
          since = epochs[i].epoch
        }
        bySince.set(since, [...(bySince.get(since) ?? []), unit])
      }
      for (const [since, units] of [...bySince.entries()].sort((a, b) => a[0] - b[0])) {
        flags.push({ kind, layer: layer.layer, activation: layer.activation ?? '', units, layer_units: layer.units, since_epoch: since })
      }
    }
  }
  return flags
}
