// The finder's chart: loss and smoothed loss against the rate on a log axis from start to end,
// the suggestion and the minimum marked; rates worded with 3 significant digits.
import { describe, expect, it } from 'vitest'
import { lrFinderOption, rateText } from './lr-finder-chart'
import type { LrFinderAnswer } from '../../../../shared/lr-finder'

const labels = { lr: 'lr', loss: 'loss', raw: 'raw', smoothed: 'smoothed', suggestion: 'suggested', minimum: 'min' }

describe('learning-rate finder chart', () => {
  it('words rates', () => {
    expect(rateText(0.003841)).toBe('3.84e-3')
    expect(rateText(1e-7)).toBe('1e-7')
    expect(rateText(0.0384)).toBe('0.0384')
    expect(rateText(1.2249)).toBe('1.22')
  })

  it('draws both curves on a log x axis with the suggestion and the minimum marked', () => {
    const result: LrFinderAnswer = {
      points: [1e-4, 1e-3, 1e-2, 1e-1].map((lr, i) => ({ step: i + 1, lr, loss: [2, 1.5, 1, 6][i]!, smoothed: [2, 1.8, 1.2, 3][i]! })),
      suggestion: { lr: 1e-3, rule: 'min_over_10', min_lr: 1e-2, min_loss: 1.2, steepest_lr: 1e-3 },
      stopped: 'diverged', start: 1e-7, end: 10, steps: 4
    }
    const option = lrFinderOption(result, 'light', labels) as { xAxis: { type: string; min: number; max: number }; yAxis: { max: number }; series: Array<{ data: number[][]; markLine: { data: Array<Array<{ coord: number[] }>> } }> }
    expect(option.xAxis).toMatchObject({ type: 'log', min: 1e-7, max: 10 })
    expect(option.series[0].data).toEqual([[1e-4, 2], [1e-3, 1.5], [1e-2, 1], [1e-1, 6]])
    expect(option.series[1].data[3]).toEqual([1e-1, 3])
    // Each mark a vertical segment at its rate, from the lowest loss (1) to the axis top (3).
    expect(option.series[0].markLine.data.map((mark) => mark.map((end) => end.coord))).toEqual([[[1e-3, 1], [1e-3, 3]]])
    expect(option.series[1].markLine.data.map((mark) => mark.map((end) => end.coord))).toEqual([[[1e-2, 1], [1e-2, 3]]])
    expect(option.yAxis.max).toBe(3) // 1.5 × the first smoothed loss: the blow-up does not flatten the curve
  })
})
