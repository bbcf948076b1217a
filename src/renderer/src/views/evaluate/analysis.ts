// From an evaluation's per-sample scores to what the analysis panels show: the class each sample
// gets (argmax, or P(class 1) > threshold for a binary classifier), the confusion matrix that
// follows, and the samples behind a cell or every mistake, most confident first.
import type { Evaluation } from '../../../../shared/contract'
import { positiveScore } from '../../../../shared/roc'

/** Whether the scores are a binary classifier's (one sigmoid unit, or a two-class softmax): the case a threshold decides. */
export function isBinaryScores(scores: readonly (readonly number[])[] | undefined, classCount: number): boolean {
  if (!scores?.length) return false
  const width = scores[0]!.length
  return width === 1 || (width === 2 && classCount <= 2)
}

export interface SampleDecision {
  /** Position of the sample in the split. */
  index: number
  truth: number
  predicted: number
  /** The probability the model gives its chosen class (0–1). */
  confidence: number
}

/** Every sample's class at `threshold` (binary) or by argmax, with its confidence. */
export function decisions(evaluation: Pick<Evaluation, 'scores' | 'truth'>, threshold: number, binary: boolean): SampleDecision[] {
  const scores = evaluation.scores ?? []
  const truth = evaluation.truth ?? []
  return scores.map((row, index) => {
    if (binary) {
      const p = positiveScore(row)
      const predicted = p > threshold ? 1 : 0
      return { index, truth: truth[index] ?? 0, predicted, confidence: predicted === 1 ? p : 1 - p }
    }
    let best = 0
    for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k
    return { index, truth: truth[index] ?? 0, predicted: best, confidence: row[best] ?? 0 }
  })
}

/** confusion[true][predicted] over `classCount` classes. */
export function confusionOf(list: readonly SampleDecision[], classCount: number): number[][] {
  const confusion = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  for (const d of list) if (d.truth >= 0 && d.truth < classCount && d.predicted >= 0 && d.predicted < classCount) confusion[d.truth]![d.predicted]!++
  return confusion
}

/** Per-class precision, recall, F1 and support from a confusion matrix (labels are class indices). */
export function perClassReport(confusion: readonly (readonly number[])[]): { label: string; precision: number; recall: number; f1: number; support: number }[] {
  return confusion.map((row, k) => {
    const tp = row[k] ?? 0
    const support = row.reduce((a, b) => a + b, 0)
    const called = confusion.reduce((sum, r) => sum + (r[k] ?? 0), 0)
    const precision = called > 0 ? tp / called : 0
    const recall = support > 0 ? tp / support : 0
    return { label: String(k), precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, support }
  })
}

/** The samples of one cell (true class, predicted class), or every misclassified one when `cell` is null; most confident first. */
export function samplesBehind(list: readonly SampleDecision[], cell: { truth: number; predicted: number } | null): SampleDecision[] {
  const chosen = list.filter((d) => (cell ? d.truth === cell.truth && d.predicted === cell.predicted : d.truth !== d.predicted))
  return chosen.sort((a, b) => b.confidence - a.confidence || a.index - b.index)
}
