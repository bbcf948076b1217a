import { describe, expect, it } from 'vitest'
import {
  availableSplits,
  classNames,
  classReportAverages,
  confusionAccuracy,
  defaultRunId,
  isMissingWeights,
  normaliseConfusionRows,
  orderedMetricNames,
  predictionOutcome,
  regressionErrors
} from './evaluation-report'
import { compactNumber, histogram, shapeText, weightStatistics } from './weight-stats'
import { samplePixels } from './sample-image'
import { EXPORT_FORMATS } from '../../../../shared/contract'
import { base64ToBytes, byteSize, EXPORT_CHOICES, exportBlob, formatDelta, verificationState } from './export-file'
import { confusionHeatmapOption, niceBounds, regressionScatterOption, weightHistogramOption } from './evaluation-charts'

describe('splits and runs', () => {
  it('offers only the splits the data set holds, held-out data first', () => {
    expect(availableSplits({ splits: { train: { count: 100 }, test: { count: 20 } } })).toEqual(['test', 'train'])
    expect(availableSplits({ splits: { train: { count: 100 }, validation: { count: 0 }, test: { count: 5 } } })).toEqual(['test', 'train'])
    expect(availableSplits({ splits: { train: { count: 100 }, validation: { count: 10 }, test: { count: 5 } } })).toEqual(['test', 'validation', 'train'])
    expect(availableSplits(null)).toEqual([])
  })

  const runs = [
    { id: 'old-finished', status: 'finished' as const, created_at: '2024-01-01T00:00:00Z' },
    { id: 'new-finished', status: 'finished' as const, created_at: '2024-03-01T00:00:00Z' },
    { id: 'stopped', status: 'stopped' as const, created_at: '2024-04-01T00:00:00Z' },
    { id: 'running', status: 'running' as const, created_at: '2024-05-01T00:00:00Z' }
  ]

  it('opens the run asked for, else the newest finished run', () => {
    expect(defaultRunId(runs, 'old-finished')).toBe('old-finished')
    expect(defaultRunId(runs, null)).toBe('new-finished')
    expect(defaultRunId(runs, 'deleted-meanwhile')).toBe('new-finished')
  })

  it('falls back to a run that is not training when none finished, and to none at all', () => {
    expect(defaultRunId(runs.filter((r) => r.status !== 'finished'), null)).toBe('stopped')
    expect(defaultRunId([runs[3]], null)).toBeNull()
    expect(defaultRunId([], null)).toBeNull()
  })
})

describe('missing weights', () => {
  it('recognises the back end saying a run has no trained weights (by reason, never by its words), and nothing else', () => {
    expect(isMissingWeights({ code: 'conflict', reason: 'run.no_weights', message: 'anything', details: { run_id: 'a' } })).toBe(true)
    expect(isMissingWeights({ code: 'conflict', reason: 'run.weights_unavailable', message: 'anything' })).toBe(true)
    expect(isMissingWeights({ code: 'internal', message: 'Run folder /x holds no saved model (best/ or last/); train the run first.' })).toBe(false)
    expect(isMissingWeights({ code: 'timeout', message: 'runs.evaluate did not answer in 600 s' })).toBe(false)
    expect(isMissingWeights('boom')).toBe(false)
  })
})

describe('confusion matrix', () => {
  const confusion = [
    [8, 2, 0],
    [1, 3, 0],
    [0, 0, 0]
  ]

  it('normalises each true row to shares of that class, leaving empty rows at zero', () => {
    const shares = normaliseConfusionRows(confusion)
    expect(shares[0]).toEqual([0.8, 0.2, 0])
    expect(shares[1]).toEqual([0.25, 0.75, 0])
    expect(shares[2]).toEqual([0, 0, 0])
    for (const row of shares.slice(0, 2)) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1)
  })

  it('reads accuracy off the diagonal', () => {
    expect(confusionAccuracy(confusion)).toBeCloseTo(11 / 14)
    expect(confusionAccuracy([[0, 0], [0, 0]])).toBeNull()
  })

  it('names classes from the data set and falls back to the index', () => {
    expect(classNames(3, ['cat', 'dog'])).toEqual(['cat', 'dog', '2'])
  })

  it('draws counts in the cells and colours by row share, true classes top to bottom', () => {
    const option = confusionHeatmapOption(confusion, ['a', 'b', 'c'], 'light', { predicted: 'P', truth: 'T', cell: (v) => `${v.truth}>${v.predicted}:${v.count}:${v.share}` }) as {
      series: { data: { value: number[] }[]; label: { formatter: (p: unknown) => string } }[]
      yAxis: { inverse: boolean; data: string[] }
      tooltip: { formatter: (p: unknown) => string }
    }
    const cells = option.series[0].data
    expect(cells).toHaveLength(9)
    const trueB_predA = cells.find((c) => c.value[0] === 0 && c.value[1] === 1)!
    expect(trueB_predA.value).toEqual([0, 1, 0.25, 1])
    expect(option.series[0].label.formatter(trueB_predA)).toBe('1')
    expect(option.tooltip.formatter(trueB_predA)).toBe('b>a:1:25.0%')
    expect(option.yAxis).toMatchObject({ inverse: true, data: ['a', 'b', 'c'] })
  })
})

describe('per-class report averages', () => {
  const rows = [
    { label: 'a', precision: 1, recall: 0.5, f1: 2 / 3, support: 30 },
    { label: 'b', precision: 0.5, recall: 1, f1: 2 / 3, support: 10 },
    { label: 'absent', precision: 0, recall: 0, f1: 0, support: 0 }
  ]

  it('macro-averages over the classes present, each weighing the same', () => {
    const { macro } = classReportAverages(rows)
    expect(macro.precision).toBeCloseTo(0.75)
    expect(macro.recall).toBeCloseTo(0.75)
    expect(macro.f1).toBeCloseTo(2 / 3)
    expect(macro.support).toBe(40)
  })

  it('weights by support for the weighted average', () => {
    const { weighted } = classReportAverages(rows)
    expect(weighted.precision).toBeCloseTo((1 * 30 + 0.5 * 10) / 40)
    expect(weighted.recall).toBeCloseTo((0.5 * 30 + 1 * 10) / 40)
  })

  it('gives zeros, not NaN, for an empty report', () => {
    const { macro, weighted } = classReportAverages([])
    expect([macro.precision, macro.f1, weighted.recall]).toEqual([0, 0, 0])
  })
})

describe('predictions', () => {
  it('reads a softmax row: argmax class, its probability, right or wrong', () => {
    expect(predictionOutcome([0.1, 0.7, 0.2], 1, 1)).toEqual({ predicted: 1, confidence: 0.7, correct: true })
    expect(predictionOutcome([0.1, 0.2, 0.7], null, 1)).toEqual({ predicted: 2, confidence: 0.7, correct: false })
  })

  it('reads a single sigmoid output as P(class 1), so a "0" answer is confident when p is small', () => {
    expect(predictionOutcome([0.1], 0, 0)).toMatchObject({ predicted: 0, correct: true })
    expect(predictionOutcome([0.1], 0, 0).confidence).toBeCloseTo(0.9)
    expect(predictionOutcome([0.8], null, 0)).toMatchObject({ predicted: 1, confidence: 0.8, correct: false })
  })

  it('computes regression errors', () => {
    const errors = regressionErrors([1, 2, 3, 4], [1, 2, 4, 2])
    expect(errors.count).toBe(4)
    expect(errors.mae).toBeCloseTo(0.75)
    expect(errors.mse).toBeCloseTo(1.25)
    expect(errors.r2).toBeCloseTo(1 - 5 / 5)
    expect(regressionErrors([2, 2], [1, 3]).r2).toBeNull()
    expect(() => regressionErrors([1], [])).toThrow(/1 targets but 0 predictions/)
  })

  it('draws the scatter with the identity line over the range of both axes', () => {
    const option = regressionScatterOption([0, 10], [1, 8], 'dark', { truth: 'T', predicted: 'P', identity: 'y=x' }) as { series: { data: number[][] }[]; xAxis: { min: number; max: number } }
    expect(option.series[0].data).toEqual([[0, 1], [10, 8]])
    expect(option.series[1].data).toEqual([[option.xAxis.min, option.xAxis.min], [option.xAxis.max, option.xAxis.max]])
    expect(option.xAxis.min).toBeLessThanOrEqual(0)
    expect(option.xAxis.max).toBeGreaterThanOrEqual(10)
  })

  it('rounds the scatter bounds to a 1-2-5 grid around the data', () => {
    expect(niceBounds(9.79, 12)).toEqual({ min: 9.5, max: 12 })
    expect(niceBounds(-3.2, 46)).toEqual({ min: -10, max: 50 })
    expect(niceBounds(-3.2, 47)).toEqual({ min: -20, max: 60 })
    expect(niceBounds(0.1, 0.3)).toEqual({ min: 0.1, max: 0.3 })
    expect(niceBounds(5, 5)).toEqual({ min: 4, max: 6 })
  })

  it('puts the known metrics first, in a fixed order', () => {
    expect(orderedMetricNames({ zeta: 1, acc: 0.9, loss: 0.3, auc: 0.8 })).toEqual(['loss', 'acc', 'auc', 'zeta'])
  })
})

describe('weight statistics', () => {
  it('matches numpy min / max / mean / population std', () => {
    const stats = weightStatistics([1, 2, 3, 4])
    expect(stats).toMatchObject({ count: 4, min: 1, max: 4, mean: 2.5 })
    expect(stats.std).toBeCloseTo(Math.sqrt(1.25))
  })

  it('stays accurate for many large, close values (no catastrophic cancellation)', () => {
    const values = Float32Array.from({ length: 100_000 }, (_, i) => 1e4 + (i % 2 === 0 ? 0.5 : -0.5))
    const stats = weightStatistics(values)
    expect(stats.mean).toBeCloseTo(1e4, 6)
    expect(stats.std).toBeCloseTo(0.5, 6)
  })

  it('handles an empty tensor', () => {
    expect(weightStatistics([])).toEqual({ count: 0, min: 0, max: 0, mean: 0, std: 0 })
  })

  it('bins every value once, the maximum into the last bin', () => {
    const values = [0, 0.1, 0.5, 0.9, 1]
    const hist = histogram(values, 2)
    expect(hist.edges).toEqual([0, 0.5, 1])
    expect(hist.counts).toEqual([2, 3])
    expect(histogram([3, 3, 3], 10)).toEqual({ edges: [3, 3], counts: [3] })
    expect(() => histogram(values, 0)).toThrow(/at least 1/)
  })

  it('builds a bar chart of the bins with bin-centre labels', () => {
    const option = weightHistogramOption({ edges: [0, 0.5, 1], counts: [2, 3] }, 'light', { value: 'v', count: 'n' }) as { series: { data: number[] }[]; xAxis: { data: string[] } }
    expect(option.series[0].data).toEqual([2, 3])
    expect(option.xAxis.data).toEqual(['0.25', '0.75'])
  })

  it('writes weight values in three significant digits so the table fits its panel', () => {
    expect([compactNumber(0.0082561), compactNumber(-0.44831), compactNumber(123456), compactNumber(0.00001234), compactNumber(0)]).toEqual(['0.00826', '-0.448', '1.2e+5', '1.2e-5', '0'])
  })

  it('writes shapes the way Keras summaries read', () => {
    expect(shapeText([784, 128])).toBe('784 × 128')
    expect(shapeText([])).toBe('()')
  })
})

describe('sample images and exports', () => {
  it('stretches a grey image to its own range', () => {
    const { width, height, rgba } = samplePixels([0, 0.5, 1, 0.25], [2, 2, 1])
    expect([width, height]).toEqual([2, 2])
    expect(Array.from(rgba.slice(0, 8))).toEqual([0, 0, 0, 255, 128, 128, 128, 255])
    expect(rgba[8]).toBe(255)
  })

  it('keeps colour channels apart', () => {
    const { rgba } = samplePixels([1, 0, 0], [1, 1, 3])
    expect(Array.from(rgba)).toEqual([255, 0, 0, 255])
  })

  it('decodes the back end’s base64 into the exact bytes', async () => {
    const bytes = base64ToBytes(Buffer.from([0, 255, 10, 128]).toString('base64'))
    expect(Array.from(bytes)).toEqual([0, 255, 10, 128])
    const blob = exportBlob({ mime: 'text/csv', data_base64: Buffer.from('a,b\n1,2\n').toString('base64') })
    expect(blob.type).toBe('text/csv')
    expect(await blob.text()).toBe('a,b\n1,2\n')
  })

  it('offers every export format once, with the test ids the end-to-end tests use', () => {
    expect(EXPORT_CHOICES.map((c) => c.format).sort()).toEqual([...EXPORT_FORMATS].sort())
    expect(new Set(EXPORT_CHOICES.map((c) => c.testid)).size).toBe(EXPORT_CHOICES.length)
    expect(verificationState({ verified_by: 'onnxruntime-node 1.30.0', max_abs_diff: 2e-7, rows: 200, note: null })).toBe('ok')
    expect(verificationState({ verified_by: null, max_abs_diff: null, rows: 0, note: 'python3 with torch not found' })).toBe('unverified')
    expect(verificationState(null)).toBe('none')
    expect(formatDelta(3.14e-7)).toBe('3.1e-7')
    expect(EXPORT_CHOICES.map((c) => c.testid)).toEqual(expect.arrayContaining(['export-tfjs', 'export-keras', 'export-metrics-csv']))
    expect(byteSize(512)).toBe('512 B')
    expect(byteSize(2048)).toBe('2.0 KB')
    expect(byteSize(3 * 1024 * 1024)).toBe('3.0 MB')
  })
})
