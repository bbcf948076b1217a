// Summaries of one trained weight tensor for the Weights panel: min / max / mean / standard
// deviation and a fixed-bin histogram, in one pass each so 400 000-value kernels stay cheap.

export interface WeightStatistics {
  count: number
  min: number
  max: number
  mean: number
  /** Population standard deviation (as numpy's std()). */
  std: number
}

export function weightStatistics(values: ArrayLike<number>): WeightStatistics {
  const count = values.length
  if (count === 0) return { count: 0, min: 0, max: 0, mean: 0, std: 0 }
  let min = Infinity
  let max = -Infinity
  // Welford's update: stable for many values of similar size, unlike sum of squares minus square of sums.
  let mean = 0
  let m2 = 0
  for (let i = 0; i < count; i++) {
    const value = values[i]
    if (value < min) min = value
    if (value > max) max = value
    const delta = value - mean
    mean += delta / (i + 1)
    m2 += delta * (value - mean)
  }
  return { count, min, max, mean, std: Math.sqrt(m2 / count) }
}

export interface Histogram {
  /** bins + 1 edges, ascending. */
  edges: number[]
  counts: number[]
}

/** Equal-width bins over [min, max]; the top edge is inclusive. All-equal values go into one bin. */
export function histogram(values: ArrayLike<number>, bins: number, range?: { min: number; max: number }): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be a whole number of at least 1, got ${bins}`)
  const { min, max } = range ?? weightStatistics(values)
  if (values.length === 0) return { edges: [0, 0], counts: [0] }
  if (max <= min) return { edges: [min, max], counts: [values.length] }
  const width = (max - min) / bins
  const counts = new Array<number>(bins).fill(0)
  for (let i = 0; i < values.length; i++) {
    const index = Math.min(bins - 1, Math.floor((values[i] - min) / width))
    if (index >= 0) counts[index]++
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => min + i * width), counts }
}

/** "784 × 128" for a kernel, "()" for a scalar. */
export function shapeText(shape: readonly number[]): string {
  return shape.length ? shape.join(' × ') : '()'
}

/** Three significant digits, exponent form for tiny and huge values: weight tables are narrow. */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs === 0) return '0'
  if (abs < 1e-3 || abs >= 1e5) return value.toExponential(1)
  return String(Number(value.toPrecision(3)))
}
