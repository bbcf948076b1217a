// The one definition of "best" for a metric, used by the engine's `mode: 'auto'`, the Runs
// table and run page, Compare and the command line:
//
// * a metric's DIRECTION: losses and errors improve downwards (min), accuracy-like scores
//   upwards (max); `val_`/`test_`/`train_` prefixes and the `batch/` namespace follow the base
//   metric;
// * the BEST VALUE of a metric is its minimum or maximum over the epochs it was reported;
// * "the value AT THE BEST EPOCH of <monitor>" (what early stopping keeps, the run's
//   `best_metrics`) is a different notion and is labelled as such wherever it is shown.

export type MetricDirection = 'min' | 'max'

/** The metric a name is about: `batch/val_acc` → `acc`, `test_accuracy` → `accuracy`. */
export function metricBaseName(name: string): string {
  return name.replace(/^batch\//, '').replace(/^(val|test|train)_/, '')
}

// Scores that improve upwards, matched at the end of the base name (top_k_categorical_accuracy, f1_score…).
const HIGHER_IS_BETTER = /(acc|accuracy|auc|precision|recall|r2|r_squared|f1|f1_score|fbeta_score|iou|dice|specificity|sensitivity)$/

/** Whether a higher or a lower value of a metric is better: max for accuracy, AUC, precision, recall, R²…; min for loss, mse, mae and other errors. */
export function metricDirection(name: string): MetricDirection {
  return HIGHER_IS_BETTER.test(metricBaseName(name)) ? 'max' : 'min'
}

/** Whether a series is a score with a better direction at all: the learning rate is a setting, not a score. */
export function isScoreMetric(name: string): boolean {
  return metricBaseName(name) !== 'lr'
}

/** Whether `a` is strictly better than `b` for this metric. */
export function isBetter(name: string, a: number, b: number): boolean {
  return metricDirection(name) === 'max' ? a > b : a < b
}

/** The best of a list of values (NaN and ±Infinity skipped) and its index; the first one wins ties. Null when no value is finite. */
export function bestOf(name: string, values: readonly number[]): { value: number; index: number } | null {
  let best: { value: number; index: number } | null = null
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (!Number.isFinite(value)) continue
    if (best === null || isBetter(name, value, best.value)) best = { value, index: i }
  }
  return best
}

/** The best value of a metric over its epochs: the minimum of a loss, the maximum of an accuracy. Null when none is finite. */
export function bestValue(name: string, values: readonly number[]): number | null {
  return bestOf(name, values)?.value ?? null
}

/** The last finite value of a series. */
export function lastValue(values: readonly number[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return values[i]
  return null
}

/** A metric's series by epoch (epochs as stored: 1-based). */
export interface EpochSeries {
  epoch: readonly number[]
  value: readonly number[]
}

/** The epoch (1-based, as stored) at which the metric reached its best value; null when it has none. */
export function bestEpoch(name: string, series: EpochSeries): number | null {
  const best = bestOf(name, series.value)
  return best === null ? null : series.epoch[best.index] ?? null
}

/**
 * The value of `name` at the epoch where `monitor` was best: what a run's weights at that epoch
 * scored on `name`, e.g. val_loss at the epoch of the best val_acc. Not "the best val_loss":
 * show it with its own label ("at best epoch of <monitor>").
 */
export function valueAtBestEpochOf(monitor: string, series: Readonly<Record<string, EpochSeries>>, name: string): { epoch: number; value: number } | null {
  const monitored = series[monitor]
  const target = series[name]
  if (!monitored || !target) return null
  const epoch = bestEpoch(monitor, monitored)
  if (epoch === null) return null
  const index = target.epoch.lastIndexOf(epoch)
  if (index < 0) return null
  return { epoch, value: target.value[index] }
}

/** Best values of every per-epoch metric of a run's series (per-batch series and lr left out). */
export function bestValues(series: Readonly<Record<string, EpochSeries>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, s] of Object.entries(series)) {
    if (name.startsWith('batch/') || !isScoreMetric(name)) continue
    const best = bestValue(name, s.value)
    if (best !== null) out[name] = best
  }
  return out
}

/** The best of one value per run (null where a run has none): the index of the winning run, or null. */
export function bestRunIndex(name: string, values: readonly (number | null)[]): number | null {
  let index: number | null = null
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) return
    if (index === null || isBetter(name, value, values[index]!)) index = i
  })
  return index
}

/** For sorting "best first" with one comparator: higher is better after this (losses negated). */
export function sortableScore(name: string, value: number): number {
  return metricDirection(name) === 'max' ? value : -value
}

const UNIT_INTERVAL = /(acc|accuracy|auc|precision|recall|f1|f1_score|fbeta_score|iou|dice|specificity|sensitivity)$/

/**
 * The values a metric can take, for chart axes: accuracy-like scores lie in [0, 1], R² is at most
 * 1, losses and errors are at least 0; anything else is unbounded.
 */
export function metricBounds(name: string): { min?: number; max?: number } {
  const base = metricBaseName(name)
  if (UNIT_INTERVAL.test(base)) return { min: 0, max: 1 }
  if (/(r2|r_squared)$/.test(base)) return { max: 1 }
  if (base === 'lr' || metricDirection(name) === 'min') return { min: 0 }
  return {}
}
