import { describe, expect, it } from 'vitest'
import { metricChartSeries, metricNames, metricValue, parallelAxes, parallelRows, runLabels, xFieldOf } from './compare-view'
import { diffRuns } from '../../../../shared/compare'
import { trainingConfigSchema } from '../../../../shared/training'
import type { RunSeries } from '../../../../shared/run'
import type { ModelSpec } from '../../../../shared/spec'

const series = (values: Record<string, number[]>): RunSeries =>
  Object.fromEntries(Object.entries(values).map(([name, v]) => [name, { step: v.map((_, i) => (i + 1) * 10), epoch: v.map((_, i) => i + 1), value: v }]))

describe('metric charts', () => {
  const a = series({ loss: [1, 0.5], val_loss: [1.1, 0.6], val_acc: [0.5, 0.8], 'batch/loss': [2, 1, 0.5], test_acc: [0.9] })
  const b = series({ loss: [0.9, 0.4], val_auc: [0.7] })

  it('orders validation metrics first, hides per-batch series unless asked, never charts test metrics', () => {
    expect(metricNames([a, b], false)).toEqual(['val_acc', 'val_auc', 'val_loss', 'loss'])
    expect(metricNames([a, b], true)).toContain('batch/loss')
    expect(metricNames([a], true)).not.toContain('test_acc')
  })
  it('plots per-batch series against steps and the rest against epochs', () => {
    expect(xFieldOf('batch/loss')).toBe('step')
    expect(xFieldOf('val_loss')).toBe('epoch')
    const out = metricChartSeries('batch/loss', [{ label: 'A', series: a }, { label: 'B', series: b }]) as { data: number[][]; name: string }[]
    expect(out[0].data).toEqual([[10, 2], [20, 1], [30, 0.5]])
    expect(out[1].data).toEqual([])
  })
  it('switches big series to large mode without animation', () => {
    const big = series({ loss: Array.from({ length: 10_000 }, (_, i) => 1 / (i + 1)) })
    const [s] = metricChartSeries('loss', [{ label: 'big', series: big }]) as { large: boolean; animation: boolean; sampling: string; showSymbol: boolean }[]
    expect(s).toMatchObject({ large: true, animation: false, sampling: 'lttb', showSymbol: false })
  })
  it('gives last or best by the metric goal', () => {
    expect(metricValue(a, 'val_loss', 'last')).toBe(0.6)
    expect(metricValue(a, 'val_loss', 'best')).toBe(0.6)
    expect(metricValue(series({ val_loss: [0.3, 0.6] }), 'val_loss', 'best')).toBe(0.3)
    expect(metricValue(a, 'val_acc', 'best')).toBe(0.8)
    expect(metricValue(b, 'val_acc', 'best')).toBeNull()
  })
  it('labels runs uniquely', () => {
    expect(runLabels([{ id: 'r-aaaaaa1', name: 'x' }, { id: 'r-bbbbbb2', name: 'x' }, { id: 'r3', name: 'y' }])).toEqual(['x (aaaaa1)', 'x (bbbbb2)', 'y'])
  })
})

describe('parallel coordinates', () => {
  const spec = (units: number): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [4], layers: [{ class_name: 'Dense', config: { units } }] })
  const rows = diffRuns([
    { spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', batch_size: 16 }) },
    { spec: spec(16), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', batch_size: 64, optimizer: { name: 'sgd' } }) }
  ])

  it('puts differing training keys first, categories for text, the metric last', () => {
    const axes = parallelAxes(rows, 'val_loss', 20)
    expect(axes.at(-1)).toEqual({ key: 'val_loss', type: 'value' })
    expect(axes.find((a) => a.key === 'optimizer.name')).toEqual({ key: 'optimizer.name', type: 'category', categories: ['adam', 'sgd'] })
    expect(axes.find((a) => a.key === 'batch_size')?.type).toBe('value')
    const firstArchitecture = axes.findIndex((a) => a.key.startsWith('layers'))
    const lastTraining = axes.map((a) => a.key).lastIndexOf('batch_size')
    expect(lastTraining).toBeLessThan(firstArchitecture)
    expect(parallelAxes(rows, 'val_loss', 2)).toHaveLength(3)
  })
  it('gives one row per run with its values on each axis', () => {
    const axes = parallelAxes(rows, 'val_loss', 3)
    const data = parallelRows(rows, axes, [0.1, 0.2])
    expect(data).toHaveLength(2)
    expect(data[0].at(-1)).toBe(0.1)
    expect(data[1].at(-1)).toBe(0.2)
    expect(data[0]).toHaveLength(axes.length)
  })
})
