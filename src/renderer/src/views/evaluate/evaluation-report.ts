// What the Evaluate view computes from the back end's answers: which runs and splits can be
// evaluated, the confusion matrix normalised per true class, macro averages of the per-class
// report, regression errors, and how one prediction reads (class, confidence, right or wrong).
import type { DatasetDescriptor, SplitName } from '../../../../shared/dataset'
import type { RunSummary } from '../../../../shared/run'
import { errorData } from '../../../../shared/errors'

/** Splits in the order the picker offers them: held-out data first. */
export const SPLIT_ORDER: readonly SplitName[] = ['test', 'validation', 'train']

/** The splits this data set actually holds (a split with no rows is left out). */
export function availableSplits(descriptor: Pick<DatasetDescriptor, 'splits'> | null | undefined): SplitName[] {
  if (!descriptor) return []
  return SPLIT_ORDER.filter((name) => (descriptor.splits[name]?.count ?? 0) > 0)
}

/** Runs still training have no final weights to evaluate yet. */
export function isEvaluable(run: Pick<RunSummary, 'status'>): boolean {
  return !['queued', 'running', 'paused'].includes(run.status)
}

/**
 * The run the view opens on: the one asked for (from the Runs view) when it exists, else the most
 * recently created finished run, else the most recent run that is not training, else none.
 */
export function defaultRunId(runs: readonly Pick<RunSummary, 'id' | 'status' | 'created_at'>[], requested: string | null): string | null {
  if (requested && runs.some((run) => run.id === requested)) return requested
  const newestFirst = [...runs].sort((a, b) => b.created_at.localeCompare(a.created_at))
  return newestFirst.find((run) => run.status === 'finished')?.id ?? newestFirst.find(isEvaluable)?.id ?? null
}

/**
 * Each row of confusion[true][predicted] divided by its row total, so the colour of a cell says
 * which share of that true class went where, whatever the class sizes. Empty rows stay 0.
 */
export function normaliseConfusionRows(confusion: readonly (readonly number[])[]): number[][] {
  return confusion.map((row) => {
    const total = row.reduce((sum, count) => sum + count, 0)
    return row.map((count) => (total > 0 ? count / total : 0))
  })
}

/** Share of samples on the diagonal; null when the matrix counts nothing. */
export function confusionAccuracy(confusion: readonly (readonly number[])[]): number | null {
  let total = 0
  let correct = 0
  confusion.forEach((row, i) => {
    row.forEach((count, j) => {
      total += count
      if (i === j) correct += count
    })
  })
  return total > 0 ? correct / total : null
}

export interface ClassReportRow {
  label: string
  precision: number
  recall: number
  f1: number
  support: number
}

/**
 * Macro averages (every class weighs the same) over the classes that occur in the split
 * (support > 0): a class absent from the split would otherwise drag recall to 0 unfairly.
 * Weighted averages weigh each class by its support. Support is the total.
 */
export function classReportAverages(rows: readonly ClassReportRow[]): { macro: ClassReportRow; weighted: ClassReportRow } {
  const present = rows.filter((row) => row.support > 0)
  const support = present.reduce((sum, row) => sum + row.support, 0)
  const mean = (pick: (row: ClassReportRow) => number): number => (present.length ? present.reduce((sum, row) => sum + pick(row), 0) / present.length : 0)
  const weightedMean = (pick: (row: ClassReportRow) => number): number => (support > 0 ? present.reduce((sum, row) => sum + pick(row) * row.support, 0) / support : 0)
  return {
    macro: { label: 'macro', precision: mean((r) => r.precision), recall: mean((r) => r.recall), f1: mean((r) => r.f1), support },
    weighted: { label: 'weighted', precision: weightedMean((r) => r.precision), recall: weightedMean((r) => r.recall), f1: weightedMean((r) => r.f1), support }
  }
}

/** The back end labels classes by index; show the data set's class names where it has them. */
export function classNames(count: number, names: readonly string[]): string[] {
  return Array.from({ length: count }, (_, i) => names[i] ?? String(i))
}

export interface RegressionErrors {
  count: number
  mae: number
  mse: number
  /** Coefficient of determination; null when the targets do not vary. */
  r2: number | null
}

export function regressionErrors(truth: readonly number[], predicted: readonly number[]): RegressionErrors {
  if (truth.length !== predicted.length) throw new Error(`regressionErrors: ${truth.length} targets but ${predicted.length} predictions`)
  const count = truth.length
  if (count === 0) return { count: 0, mae: 0, mse: 0, r2: null }
  let absolute = 0
  let squared = 0
  let mean = 0
  for (let i = 0; i < count; i++) {
    const error = predicted[i] - truth[i]
    absolute += Math.abs(error)
    squared += error * error
    mean += truth[i]
  }
  mean /= count
  let variance = 0
  for (const value of truth) variance += (value - mean) ** 2
  return { count, mae: absolute / count, mse: squared / count, r2: variance > 0 ? 1 - squared / variance : null }
}

export interface PredictionOutcome {
  predicted: number
  /** Probability the model gives its chosen class, 0..1. */
  confidence: number
  correct: boolean
}

/**
 * How one classification prediction reads. A single sigmoid output is P(class 1), so the
 * confidence of a "0" answer is 1 - p; a softmax row's confidence is its largest probability.
 */
export function predictionOutcome(probabilities: readonly number[], predictedClass: number | null, truth: number): PredictionOutcome {
  let predicted: number
  let confidence: number
  if (probabilities.length === 1) {
    const p = probabilities[0]
    predicted = predictedClass ?? (p > 0.5 ? 1 : 0)
    confidence = predicted === 1 ? p : 1 - p
  } else {
    predicted = predictedClass ?? probabilities.indexOf(Math.max(...probabilities))
    confidence = probabilities[predicted] ?? 0
  }
  return { predicted, confidence, correct: predicted === Math.round(truth) }
}

/** Keras-style metric names the view knows how to label; the rest are shown as they are. */
export const KNOWN_METRICS = ['loss', 'acc', 'accuracy', 'mae', 'mse', 'auc', 'precision', 'recall'] as const

/** Metric names in a stable reading order: the known ones first, in KNOWN_METRICS order. */
export function orderedMetricNames(metrics: Record<string, number>): string[] {
  const rank = (name: string): number => {
    const index = (KNOWN_METRICS as readonly string[]).indexOf(name)
    return index === -1 ? KNOWN_METRICS.length : index
  }
  return Object.keys(metrics).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/**
 * Whether a failed call says the run has no trained weights on disk (it ended before saving any,
 * or its folder was cleaned): the one failure the user fixes by training, not by retrying.
 */
export function isMissingWeights(error: unknown): boolean {
  const { reason } = errorData(error)
  return reason === 'run.no_weights' || reason === 'run.weights_unavailable'
}
