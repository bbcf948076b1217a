import { describe, expect, it } from 'vitest'
import { abbreviate, boundedValueAxis, coincidentGroups, isScore, legendLabels, metricChartSeries, metricNames, metricValue, parallelAxes, parallelAxisTitle, parallelRows, runLabels, xFieldOf } from './compare-view'
import { diffRuns } from '../../../../shared/compare'
import { trainingConfigSchema } from '../../../../shared/training'
import type { RunSeries } from '../../../../shared/run'
import type { ModelSpec } from '../../../../shared/model-spec'

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
  it('judges scores, not the learning rate', () => {
    expect(isScore('val_loss')).toBe(true)
    expect(isScore('lr')).toBe(false)
    expect(isScore('batch/lr')).toBe(false)
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
  it('draws a learning-rate sweep on a log axis and a narrow range on a linear one', () => {
    const sweep = diffRuns([0.001, 0.01, 0.1].map((lr, i) => ({ spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', batch_size: [4, 4, 2][i], optimizer: { name: 'sgd', learning_rate: lr } }) })))
    const axes = parallelAxes(sweep, 'loss', 6, [1.5, 0.05, 0.02])
    expect(axes.find((a) => a.key === 'optimizer.learning_rate')?.type).toBe('log')
    expect(axes.find((a) => a.key === 'batch_size')).toEqual({ key: 'batch_size', type: 'value', integer: true })
    expect(axes.find((a) => a.key === 'optimizer.learning_rate')?.integer).toBeUndefined()
    expect(axes.at(-1)).toEqual({ key: 'loss', type: 'log' })
    expect(parallelAxes(sweep, 'loss', 6, [0.5, 0.4, null]).at(-1)?.type).toBe('value')
    expect(parallelAxes(sweep, 'loss', 6, [0.5, -1, 40]).at(-1)?.type).toBe('value')
  })
  it('gives no axis to settings that only another optimizer has', () => {
    const mixed = diffRuns([
      { spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', optimizer: { name: 'sgd', learning_rate: 0.01 } }) },
      { spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', optimizer: { name: 'adam', learning_rate: 0.05 } }) }
    ])
    // The table still lists adam's beta_1 and sgd's momentum as differences…
    expect(mixed.filter((r) => r.differs).map((r) => r.key)).toEqual(expect.arrayContaining(['optimizer.beta_1', 'optimizer.momentum']))
    // …but the chart shows the optimizer and the learning rate, then the metric.
    expect(parallelAxes(mixed, 'loss').map((a) => a.key)).toEqual(['optimizer.name', 'optimizer.learning_rate', 'loss'])
  })
  it('keeps one axis for a group of settings only some runs have when nothing else explains them', () => {
    const stopped = diffRuns([
      { spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error' }) },
      { spec: spec(8), config: trainingConfigSchema.parse({ loss: 'mean_squared_error', early_stopping: { patience: 3 } }) }
    ])
    const keys = parallelAxes(stopped, 'loss').map((a) => a.key)
    expect(keys.filter((k) => k.startsWith('early_stopping.'))).toHaveLength(1)
    expect(keys).not.toContain('early_stopping')
  })
  it('titles axes briefly', () => {
    expect(parallelAxisTitle('optimizer.name')).toBe('optimizer')
    expect(parallelAxisTitle('optimizer.learning_rate')).toBe('lr')
    expect(parallelAxisTitle('schedule.kind')).toBe('schedule')
    expect(parallelAxisTitle('layers[1].units')).toBe('L1 units')
    expect(parallelAxisTitle('batch_size')).toBe('batch')
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

describe('legend labels', () => {
  it('drops the words every run shares and keeps what tells them apart', () => {
    expect(legendLabels(['linear-2x lr=0.1', 'linear-2x lr=0.03'])).toEqual(['lr=0.1', 'lr=0.03'])
  })
  it('shows only the id when the runs share a name', () => {
    expect(legendLabels(runLabels([{ id: 'run-1-151b67', name: 'random-binary on Random binary (noise)' }, { id: 'run-2-af1223', name: 'random-binary on Random binary (noise)' }]))).toEqual(['151b67', 'af1223'])
  })
  it('cuts long labels to the limit, keeping a trailing id', () => {
    const [withId, plain] = legendLabels(['mnist-32 on MNIST with dropout (a8b2be)', 'mnist-512 on MNIST with a long name'])
    expect(withId).toBe('mnist-32 on MN… (a8b2be)')
    expect(withId.length).toBeLessThanOrEqual(24)
    expect(plain).toBe('mnist-512 on MNIST with…')
  })
  it('never reduces a label to nothing', () => {
    expect(legendLabels(['lr ', 'lr x'])).toEqual(['lr ', 'lr x'])
    expect(legendLabels(['a b', 'a b c'])).toEqual(['b', 'b c'])
    expect(legendLabels(['solo run name'])).toEqual(['solo run name'])
  })
})

describe('coincident curves', () => {
  const same = series({ loss: [1, 0.5, 0.25] })
  const other = series({ loss: [1, 0.6, 0.3] })
  it('groups runs whose curve is identical point for point', () => {
    expect(coincidentGroups('loss', [same, other, series({ loss: [1, 0.5, 0.25] }), same])).toEqual([[0, 2, 3]])
    expect(coincidentGroups('loss', [same, other])).toEqual([])
    expect(coincidentGroups('val_loss', [same, same])).toEqual([])
  })
  it('interleaves the dashes of coincident runs so every colour shows, and leaves the others solid', () => {
    const out = metricChartSeries('loss', [{ label: 'A', series: same }, { label: 'B', series: other }, { label: 'C', series: same }]) as { lineStyle: { type?: number[]; dashOffset?: number } }[]
    expect(out[1].lineStyle.type).toBeUndefined()
    expect(out[0].lineStyle.type).toEqual(out[2].lineStyle.type)
    expect(out[0].lineStyle.dashOffset).not.toBe(out[2].lineStyle.dashOffset)
    const [dash, gap] = out[0].lineStyle.type!
    expect(gap).toBe(dash)
  })
})

describe('axes and colours of the curves', () => {
  it('an accuracy axis never runs past 1 and a loss axis never below 0', () => {
    const acc = boundedValueAxis('val_acc')
    expect(acc.max?.({ min: 0.5, max: 0.98 })).toBe(1)
    expect(acc.max?.({ min: 0.2, max: 0.5 }), 'far from 1: automatic').toBeNull()
    expect(boundedValueAxis('val_loss').min?.({ min: 0.01, max: 2 })).toBe(0)
    expect(boundedValueAxis('val_loss').min?.({ min: 1.5, max: 2 })).toBeNull()
    // Values past the bound stay visible: no cap at 1 for an "accuracy" of 1.01.
    expect(acc.max?.({ min: 0.8, max: 1.01 })).toBeNull()
    expect(boundedValueAxis('val_loss', true).min).toBeUndefined()
  })
  it('draws each run in the colour given for it, whatever its index', () => {
    const s = { loss: { step: [1, 2], epoch: [1, 2], value: [1, 0.5] } }
    const out = metricChartSeries('loss', [{ label: 'A', series: s, color: '#ff0000' }, { label: 'B', series: s, color: '#00ff00' }]) as { color: string; lineStyle: { color: string } }[]
    expect(out.map((o) => o.lineStyle.color)).toEqual(['#ff0000', '#00ff00'])
  })
  it('puts seconds since the run started on a wall-time axis', () => {
    const s = { loss: { step: [10, 20], epoch: [1, 2], value: [1, 0.5], time: [5_000, 7_500] }, acc: { step: [10], epoch: [1], value: [0.5], time: [4_000] } }
    const [out] = metricChartSeries('loss', [{ label: 'A', series: s }], 'time') as { data: number[][] }[]
    expect(out!.data).toEqual([[1, 1], [3.5, 0.5]])
  })
  it('takes the best of a per-epoch metric from best_values when given', () => {
    const s = { val_loss: { step: [1], epoch: [1], value: [0.5] } }
    expect(metricValue(s, 'val_loss', 'best', { val_loss: 0.25 })).toBe(0.25)
    expect(metricValue(s, 'val_loss', 'last', { val_loss: 0.25 })).toBe(0.5)
  })
  it('abbreviates long titles', () => {
    expect(abbreviate('learning_rate', 8)).toBe('learnin…')
    expect(abbreviate('lr', 8)).toBe('lr')
  })
})
