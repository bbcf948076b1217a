// The distribution bands: one stacked pair per percentile band (the lower edge, then the band's
// height on top of it) and the median line, per record that has the tensor.
import { describe, expect, it } from 'vitest'
import { bandRows, distributionBandsOption } from './distribution-charts'
import type { DistributionEpoch, Summary } from '../../../../shared/distributions'

const summary = (shift: number): Summary => ({ count: 9, min: shift, max: shift + 8, mean: shift + 4, std: 2, bins: [], percentiles: [0, 1, 2, 3, 4, 5, 6, 7, 8].map((v) => v + shift) })
const record = (epoch: number): DistributionEpoch => ({ epoch, step: epoch * 10, layers: [{ layer: 'd', class_name: 'Dense', activation: 'relu', weights: [{ name: 'kernel', shape: [3, 3], summary: summary(epoch) }], activations: summary(10 * epoch), units: 3, dead_units: [], saturated_units: [] }] })

describe('distribution bands', () => {
  it('takes the chosen tensor of the layer from every record', () => {
    const epochs = [record(0), record(1)]
    expect(bandRows(epochs, 'd', { kind: 'weight', name: 'kernel' }).map((row) => [row.epoch, row.percentiles[4]])).toEqual([[0, 4], [1, 5]])
    expect(bandRows(epochs, 'd', { kind: 'activations' }).map((row) => row.percentiles[0])).toEqual([0, 10])
    expect(bandRows(epochs, 'other', { kind: 'activations' })).toEqual([])
  })

  it('stacks each band on its lower percentile and draws the median', () => {
    const option = distributionBandsOption([record(0), record(2)], 'd', { kind: 'weight', name: 'kernel' }, 'light', { epoch: 'epoch', value: 'value', median: 'median', percentile: (p) => `${p} %` }) as { series: Array<{ name: string; stack?: string; data: number[][] }> }
    expect(option.series).toHaveLength(9)
    const [lo0, hi0] = option.series
    expect(lo0.stack).toBe(hi0.stack)
    expect(lo0.data).toEqual([[0, 0], [2, 2]])
    expect(hi0.data).toEqual([[0, 8], [2, 8]]) // 100 % − 0 %
    expect(option.series[7].data).toEqual([[0, 2], [2, 2]]) // 69.15 % − 30.85 %: 5 − 3
    expect(option.series[8]).toMatchObject({ name: 'median', data: [[0, 4], [2, 6]] })
  })
})
