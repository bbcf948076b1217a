// The analysis helpers: classes at a threshold, the confusion that follows, the samples behind a
// cell, and stored tabular rows back to the file's values.
import { describe, expect, it } from 'vitest'
import { confusionOf, decisions, isBinaryScores, perClassReport, samplesBehind } from './analysis'
import { formatRawValue, rawRow, unscaleFeatures } from './raw-values'

describe('decisions at a threshold', () => {
  const evaluation = { scores: [[0.9], [0.6], [0.4], [0.2], [0.7]], truth: [1, 0, 1, 0, 1] }
  it('moves samples between cells as the threshold moves', () => {
    expect(isBinaryScores(evaluation.scores, 2)).toBe(true)
    const at05 = decisions(evaluation, 0.5, true)
    expect(confusionOf(at05, 2)).toEqual([[1, 1], [1, 2]])
    const at065 = decisions(evaluation, 0.65, true)
    expect(confusionOf(at065, 2)).toEqual([[2, 0], [1, 2]])
    expect(at05[2]).toMatchObject({ predicted: 0 })
    expect(at05[2]!.confidence).toBeCloseTo(0.6, 12)
    // Mistakes, most confident first: 0.6 called 1 (truth 0, conf .6) and 0.4 called 0 (truth 1, conf .6); ties by index.
    expect(samplesBehind(at05, null).map((d) => d.index)).toEqual([1, 2])
    expect(samplesBehind(at05, { truth: 1, predicted: 1 }).map((d) => d.index)).toEqual([0, 4])
    expect(perClassReport(confusionOf(at05, 2))[1]).toMatchObject({ precision: 2 / 3, recall: 2 / 3, support: 3 })
  })
  it('takes the argmax for multiclass scores', () => {
    const list = decisions({ scores: [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], truth: [1, 2] }, 0.5, false)
    expect(list.map((d) => d.predicted)).toEqual([1, 0])
    expect(isBinaryScores([[0.1, 0.7, 0.2]], 3)).toBe(false)
    expect(confusionOf(list, 3)).toEqual([[0, 0, 0], [0, 1, 0], [1, 0, 0]])
  })
})

describe('raw values', () => {
  const descriptor = {
    preprocessing: { scaling: 'standard' as const, one_hot_columns: ['colour'], scaler: { offset: [0, 0, 0, 10], scale: [1, 1, 1, 0.5] } },
    columns: [
      { name: 'colour', role: 'feature' as const, type: 'categorical' as const, min: null, max: null, mean: null, std: null, missing: 0, categories: ['red', 'green', 'blue'] },
      { name: 'size', role: 'feature' as const, type: 'numeric' as const, min: 4, max: 30, mean: 12, std: 2, missing: 0 },
      { name: 'label', role: 'target' as const, type: 'categorical' as const, min: null, max: null, mean: null, std: null, missing: 0, categories: ['a', 'b'] }
    ],
    feature_names: ['colour=red', 'colour=green', 'colour=blue', 'size']
  }
  it('inverts the scaling and reads one-hot groups back as categories', () => {
    expect(unscaleFeatures([0, 1, 0, 3], descriptor)).toEqual([0, 1, 0, 16])
    expect(rawRow([0, 1, 0, 3], descriptor)).toEqual([{ name: 'colour', value: 'green' }, { name: 'size', value: 16 }])
    expect(formatRawValue(16.000000953674316)).toBe('16')
    expect(formatRawValue('green')).toBe('green')
  })
  it('falls back to feature names when the set has no column descriptions', () => {
    expect(rawRow([1, 2], { preprocessing: { scaling: 'none', one_hot_columns: [] }, columns: [], feature_names: ['a', 'b'] })).toEqual([{ name: 'a', value: 1 }, { name: 'b', value: 2 }])
  })
})
