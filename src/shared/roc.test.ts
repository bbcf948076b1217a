// ROC/PR against values worked out by hand (each case says how) and against a pairwise count.
import { describe, expect, it } from 'vitest'
import { binaryCurves, kerasAuc, kerasThresholds, oneVsRest, positiveScore, reportAt, rocPointAt } from './roc'

describe('binaryCurves', () => {
  it('sklearn’s documented example: AUC 0.75, average precision 0.8333', () => {
    // roc_auc_score / average_precision_score docs: y = [0,0,1,1], s = [0.1,0.4,0.35,0.8].
    const curves = binaryCurves([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    expect(curves.auc).toBeCloseTo(0.75, 12)
    // Descending: 0.8 (R .5, P 1), 0.4 (R .5), 0.35 (R 1, P 2/3), 0.1 (R 1): .5·1 + .5·2/3.
    expect(curves.averagePrecision).toBeCloseTo(5 / 6, 12)
    expect(curves.roc.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]])
    expect(curves.positives).toBe(2)
    expect(curves.negatives).toBe(2)
  })

  it('ties move together and count half: pairs (0.6 vs 0.6) = ½ gives 3.5/4', () => {
    const curves = binaryCurves([0.2, 0.6, 0.6, 0.9], [0, 0, 1, 1])
    expect(curves.auc).toBeCloseTo(0.875, 12)
    expect(curves.roc.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]])
    // 0.9: R .5 P 1; 0.6 (both): R 1 P 2/3 → .5 + .5·2/3.
    expect(curves.averagePrecision).toBeCloseTo(5 / 6, 12)
    // No two distinct scores share a Keras bucket here, so its 200-threshold value is exact too.
    expect(curves.kerasAuc).toBeCloseTo(0.875, 6)
  })

  it('all scores tied: the diagonal, AUC ½, precision = prevalence', () => {
    const curves = binaryCurves([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])
    expect(curves.auc).toBe(0.5)
    expect(curves.roc.map((p) => [p.fpr, p.tpr])).toEqual([[0, 0], [1, 1]])
    expect(curves.averagePrecision).toBe(0.5)
    expect(curves.kerasAuc).toBeCloseTo(0.5, 6)
  })

  it('perfect and inverted rankings', () => {
    const perfect = binaryCurves([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    expect(perfect.auc).toBe(1)
    expect(perfect.averagePrecision).toBe(1)
    expect(perfect.kerasAuc).toBeCloseTo(1, 6)
    const inverted = binaryCurves([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])
    expect(inverted.auc).toBe(0)
    // Both negatives first (P 0), then 0.2: R .5 P 1/3, then 0.1: R 1 P 1/2 → .5/3 + .5/2 = 5/12.
    expect(inverted.averagePrecision).toBeCloseTo(5 / 12, 12)
    expect(inverted.kerasAuc).toBeCloseTo(0, 6)
  })

  it('one class only: no ROC AUC; Keras reports 0 (divide-no-nan rates)', () => {
    const positives = binaryCurves([0.2, 0.5, 0.7], [1, 1, 1])
    expect(positives.auc).toBeNull()
    expect(positives.averagePrecision).toBeCloseTo(1, 12)
    expect(positives.kerasAuc).toBe(0)
    const negatives = binaryCurves([0.2, 0.5, 0.7], [0, 0, 0])
    expect(negatives.auc).toBeNull()
    expect(negatives.averagePrecision).toBeNull()
    expect(negatives.kerasAuc).toBe(0)
  })

  it('equals the pairwise count (Mann–Whitney, ties ½) on seeded random scores with many ties', () => {
    let state = 12345
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const scores = Array.from({ length: 300 }, () => Math.round(next() * 20) / 20)
    const labels = scores.map((s) => (next() < 0.3 + 0.4 * s ? 1 : 0))
    let wins = 0
    let pairs = 0
    scores.forEach((p, i) => {
      if (labels[i] !== 1) return
      scores.forEach((n, j) => {
        if (labels[j] !== 0) return
        pairs++
        wins += p > n ? 1 : p === n ? 0.5 : 0
      })
    })
    const curves = binaryCurves(scores, labels)
    expect(curves.auc).toBeCloseTo(wins / pairs, 12)
    // Scores on a 0.05 grid never share a bucket of width 1/199, so Keras agrees to float32 precision.
    expect(curves.kerasAuc).toBeCloseTo(wins / pairs, 5)
  })
})

describe('kerasAuc', () => {
  it('the example in Keras’s AUC docstring: num_thresholds=3 gives 0.75', () => {
    // thresholds [-1e-7, 0.5, 1+1e-7]: tpr [1, .5, 0], fpr [1, 0, 0] → (1−0)·(1+.5)/2 + 0.
    expect(kerasAuc([0, 0.5, 0.3, 0.9], [0, 0, 1, 1], 3)).toBeCloseTo(0.75, 7)
  })

  it('differs from the exact AUC when distinct scores share a bucket', () => {
    // 0.501 and 0.502 both lie between 99/199 and 100/199: Keras sees a tie (½), the exact AUC is 1.
    expect(binaryCurves([0.501, 0.502], [0, 1]).auc).toBe(1)
    expect(kerasAuc([0.501, 0.502], [0, 1])).toBeCloseTo(0.5, 7)
  })

  it('thresholds: ε below 0, (i+1)/(n−1) inside, ε above 1, in float32', () => {
    const t = kerasThresholds(200)
    expect(t).toHaveLength(200)
    expect(t[0]).toBe(Math.fround(-1e-7))
    expect(t[1]).toBe(Math.fround(1 / 199))
    expect(t[198]).toBe(Math.fround(198 / 199))
    expect(t[199]).toBe(Math.fround(1 + 1e-7))
    expect(() => kerasThresholds(1)).toThrow(/num_thresholds/)
  })
})

describe('reportAt and the curve point', () => {
  it('counts a score strictly above the threshold as positive', () => {
    const scores = [0.1, 0.4, 0.35, 0.8]
    const labels = [0, 0, 1, 1]
    const at03 = reportAt(scores, labels, 0.3)
    expect(at03).toMatchObject({ tp: 2, fp: 1, tn: 1, fn: 0, recall: 1, fpr: 0.5, accuracy: 0.75 })
    expect(at03.precision).toBeCloseTo(2 / 3, 12)
    expect(at03.f1).toBeCloseTo(0.8, 12)
    const at04 = reportAt(scores, labels, 0.4)
    expect(at04).toMatchObject({ tp: 1, fp: 0, tn: 2, fn: 1, precision: 1, recall: 0.5 })
    expect(at04.f1).toBeCloseTo(2 / 3, 12)
    const none = reportAt(scores, labels, 1)
    expect(none).toMatchObject({ tp: 0, fp: 0, precision: 0, recall: 0, f1: 0 })
    const curves = binaryCurves(scores, labels)
    for (const threshold of [0, 0.1, 0.3, 0.35, 0.4, 0.5, 0.8, 1]) {
      const report = reportAt(scores, labels, threshold)
      const point = rocPointAt(curves, threshold)
      expect([point.fpr, point.tpr]).toEqual([report.fpr, report.recall])
    }
  })

  it('refuses scores and labels of different lengths', () => {
    expect(() => reportAt([0.1], [0, 1], 0.5)).toThrow(/1 scores but 2 labels/)
  })
})

describe('one-vs-rest', () => {
  it('takes the class column and the class membership', () => {
    const rows = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
    const { scores, labels } = oneVsRest(rows, [0, 1, 2, 1], 1)
    expect(scores).toEqual([0.2, 0.8, 0.3, 0.3])
    expect(labels).toEqual([false, true, false, true])
    // pos {.8, .3} vs neg {.2, .3}: 1 + 1 + 1 + ½ = 3.5 of 4.
    expect(binaryCurves(scores, labels).auc).toBeCloseTo(0.875, 12)
  })

  it('positive score of a sigmoid unit or a two-class softmax', () => {
    expect(positiveScore([0.3])).toBe(0.3)
    expect(positiveScore([0.3, 0.7])).toBe(0.7)
  })
})
