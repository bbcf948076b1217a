// ROC and precision-recall analysis of a scored binary decision (one-vs-rest for multiclass):
// the curves over every distinct threshold, the exact ROC AUC (trapezoids, ties counted half, as
// sklearn's roc_auc_score), Keras's AUC metric as `tf.keras.metrics.AUC(num_thresholds=200)`
// reports it, average precision (sklearn's step-wise definition), and the counts, precision,
// recall and F1 at one threshold. Pure: used by the Evaluate view and by the tests.
//
// The decision rule everywhere is the app's and Keras's: a sample is called positive when its
// score is strictly greater than the threshold (`p > 0.5`), so the counts at a threshold are
// always one vertex of the ROC polyline.

export interface BinaryCounts {
  tp: number
  fp: number
  tn: number
  fn: number
}

export interface ThresholdReport extends BinaryCounts {
  threshold: number
  /** tp / (tp + fp); 0 when nothing is called positive (sklearn's zero_division=0). */
  precision: number
  /** tp / (tp + fn), the true-positive rate; 0 when there are no positives. */
  recall: number
  f1: number
  /** fp / (fp + tn); 0 when there are no negatives. */
  fpr: number
  accuracy: number
}

export interface RocPoint {
  /** Samples with a score ≥ this are called positive at this vertex (Infinity: none are). */
  threshold: number
  fpr: number
  tpr: number
}

export interface PrPoint {
  threshold: number
  recall: number
  precision: number
}

export interface BinaryCurves {
  positives: number
  negatives: number
  /** From (0, 0) (nothing positive) to (1, 1) (everything positive), one vertex per distinct score. */
  roc: RocPoint[]
  /** One point per distinct score, recall rising; precision of the first point is that of the highest score. */
  pr: PrPoint[]
  /** Exact area under the ROC curve; null when one class is absent (the curve is undefined). */
  auc: number | null
  /** sklearn's average_precision_score: Σ (Rₙ − Rₙ₋₁)·Pₙ; null when there are no positives. */
  averagePrecision: number | null
  /** What Keras's AUC metric (200 thresholds, ROC, interpolation) reports for these scores. */
  kerasAuc: number
}

function isPositive(label: number | boolean): boolean {
  return label === true || label === 1
}

function checkLengths(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): void {
  if (scores.length !== labels.length) throw new Error(`roc: ${scores.length} scores but ${labels.length} labels`)
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0
}

/** Counts, precision, recall and F1 when a score above `threshold` means positive. */
export function reportAt(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, threshold: number): ThresholdReport {
  checkLengths(scores, labels)
  const counts: BinaryCounts = { tp: 0, fp: 0, tn: 0, fn: 0 }
  for (let i = 0; i < scores.length; i++) {
    const called = scores[i] > threshold
    if (isPositive(labels[i])) {
      if (called) counts.tp++
      else counts.fn++
    } else if (called) counts.fp++
    else counts.tn++
  }
  return withRates(counts, threshold)
}

export function withRates(counts: BinaryCounts, threshold: number): ThresholdReport {
  const precision = ratio(counts.tp, counts.tp + counts.fp)
  const recall = ratio(counts.tp, counts.tp + counts.fn)
  const total = counts.tp + counts.fp + counts.tn + counts.fn
  return {
    ...counts,
    threshold,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    fpr: ratio(counts.fp, counts.fp + counts.tn),
    accuracy: ratio(counts.tp + counts.tn, total)
  }
}

/** The ROC and PR curves, exact AUC, average precision and Keras's 200-threshold AUC. */
export function binaryCurves(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): BinaryCurves {
  checkLengths(scores, labels)
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a])
  let positives = 0
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i])) positives++
  const negatives = scores.length - positives
  const roc: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }]
  const pr: PrPoint[] = []
  let tp = 0
  let fp = 0
  let area = 0
  let ap = 0
  let lastRecall = 0
  for (let k = 0; k < order.length; ) {
    // Every sample tied at this score changes side together: one vertex per distinct score.
    const score = scores[order[k]]
    while (k < order.length && scores[order[k]] === score) {
      if (isPositive(labels[order[k]])) tp++
      else fp++
      k++
    }
    const previous = roc[roc.length - 1]
    const point = { threshold: score, fpr: ratio(fp, negatives), tpr: ratio(tp, positives) }
    area += ((point.fpr - previous.fpr) * (point.tpr + previous.tpr)) / 2
    roc.push(point)
    const recall = ratio(tp, positives)
    const precision = ratio(tp, tp + fp)
    ap += (recall - lastRecall) * precision
    lastRecall = recall
    pr.push({ threshold: score, recall, precision })
  }
  return {
    positives,
    negatives,
    roc,
    pr,
    auc: positives > 0 && negatives > 0 ? area : null,
    averagePrecision: positives > 0 ? ap : null,
    kerasAuc: kerasAuc(scores, labels)
  }
}

/** Keras's thresholds: 0 − ε, then (i+1)/(n−1) for i < n−2, then 1 + ε (ε = 1e-7), in float32 as Keras keeps them. */
export function kerasThresholds(numThresholds = 200): number[] {
  if (!Number.isInteger(numThresholds) || numThresholds < 2) throw new Error(`kerasThresholds: num_thresholds must be an integer > 1, got ${numThresholds}`)
  const epsilon = 1e-7
  const inner = Array.from({ length: numThresholds - 2 }, (_, i) => ((i + 1) * 1.0) / (numThresholds - 1))
  return [0 - epsilon, ...inner, 1 + epsilon].map(Math.fround)
}

/**
 * `tf.keras.metrics.AUC(num_thresholds)` (curve ROC, summation interpolation, one label): the
 * counts of scores strictly above each threshold, rates with divide-no-nan (0/0 = 0), and
 * Σ (fprᵢ − fprᵢ₊₁)·(tprᵢ + tprᵢ₊₁)/2. Scores are compared in float32, as Keras does. For
 * multiclass, Keras (multi_label=False) flattens one-hot labels against the score rows: pass the
 * flattened arrays for that value.
 */
export function kerasAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, numThresholds = 200): number {
  checkLengths(scores, labels)
  const thresholds = kerasThresholds(numThresholds)
  const positive: number[] = []
  const negative: number[] = []
  for (let i = 0; i < scores.length; i++) (isPositive(labels[i]) ? positive : negative).push(Math.fround(scores[i]))
  positive.sort((a, b) => a - b)
  negative.sort((a, b) => a - b)
  const tpr = thresholds.map((t) => ratio(countAbove(positive, t), positive.length))
  const fpr = thresholds.map((t) => ratio(countAbove(negative, t), negative.length))
  let sum = 0
  for (let i = 0; i < numThresholds - 1; i++) sum += (fpr[i] - fpr[i + 1]) * ((tpr[i] + tpr[i + 1]) / 2)
  return sum
}

/** How many of the ascending values are > t (binary search). */
function countAbove(ascending: readonly number[], t: number): number {
  let lo = 0
  let hi = ascending.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ascending[mid] > t) hi = mid
    else lo = mid + 1
  }
  return ascending.length - lo
}

/** The score a binary decision is taken on: P(class 1) from a sigmoid unit, or the class-1 column of a two-class softmax. */
export function positiveScore(row: readonly number[]): number {
  return row.length === 1 ? row[0] : (row[1] ?? 0)
}

/** One class against the rest: that class's column of the probability rows, and whether each sample is that class. */
export function oneVsRest(rows: readonly (readonly number[])[], truth: readonly number[], k: number): { scores: number[]; labels: boolean[] } {
  if (rows.length !== truth.length) throw new Error(`oneVsRest: ${rows.length} score rows but ${truth.length} labels`)
  return { scores: rows.map((row) => row[k] ?? 0), labels: truth.map((label) => Math.round(label) === k) }
}

/** The point of a ROC curve reached at a decision threshold (score > threshold is positive). */
export function rocPointAt(curves: Pick<BinaryCurves, 'roc'>, threshold: number): RocPoint {
  // Vertices are in descending threshold order; the one reached is the last whose samples (≥ its score) are all > threshold.
  let reached = curves.roc[0]
  for (const point of curves.roc) {
    if (point.threshold > threshold) reached = point
    else break
  }
  return reached
}
