import { describe, expect, it } from 'vitest'
import { curveGroups, metricRows, monitorOf, secondsBetween } from './run-page'
import { makeRun } from './run-fixtures.test-helper'

describe('metricRows', () => {
  it('gives final, best over epochs and the value at the monitor\'s best epoch as three numbers', () => {
    const run = makeRun(1, { final_metrics: { loss: 0.3, val_loss: 0.5, val_acc: 0.8, test_acc: 0.79, lr: 0.01, 'batch/loss': 0.2 }, best_values: { loss: 0.3, val_loss: 0.4, val_acc: 0.85 }, best_metrics: { val_loss: 0.4, val_acc: 0.82, loss: 0.35 } })
    const series = { val_acc: { step: [1, 2, 3], epoch: [1, 2, 3], value: [0.7, 0.85, 0.8] } }
    const rows = metricRows(run, series)
    expect(rows.map((r) => r.name)).toEqual(['val_acc', 'val_loss', 'loss', 'test_acc'])
    expect(rows[0]).toEqual({ name: 'val_acc', final: 0.8, best: 0.85, direction: 'max', bestEpoch: 2, atBestEpoch: 0.82 })
    expect(rows[1]).toMatchObject({ name: 'val_loss', best: 0.4, direction: 'min', bestEpoch: null })
    // A test metric is evaluated once: no "best over epochs".
    expect(rows[3]).toMatchObject({ name: 'test_acc', final: 0.79, best: null })
  })
})

describe('curveGroups', () => {
  it('puts train and val of one metric in one chart, loss first, lr last, per-batch loss by itself', () => {
    const s = (n: number) => ({ step: [n], epoch: [n], value: [n] })
    const groups = curveGroups({ lr: s(1), val_acc: s(1), acc: s(1), val_loss: s(1), loss: s(1), 'batch/loss': s(1), test_acc: s(1) })
    expect(groups).toEqual([
      { base: 'loss', names: ['loss', 'val_loss'] },
      { base: 'acc', names: ['acc', 'val_acc'] },
      { base: 'lr', names: ['lr'] },
      { base: 'batch/loss', names: ['batch/loss'] }
    ])
  })
})

describe('monitorOf and secondsBetween', () => {
  it('names early stopping\'s monitor in our names, else val_loss with validation, else loss', () => {
    const run = makeRun(1, { final_metrics: { loss: 1, val_loss: 1 }, best_metrics: {} })
    expect(monitorOf(run, { early_stopping: { monitor: 'val_accuracy', patience: 3, min_delta: 0, mode: 'auto', restore_best_weights: false } })).toBe('val_acc')
    expect(monitorOf(run, { early_stopping: null })).toBe('val_loss')
    expect(monitorOf(makeRun(2, { final_metrics: { loss: 1 }, best_metrics: {} }), null)).toBe('loss')
  })
  it('measures seconds between two times', () => {
    expect(secondsBetween('2026-01-01T00:00:00Z', '2026-01-01T00:00:02.5Z')).toBe(2.5)
    expect(secondsBetween(null, '2026-01-01T00:00:00Z')).toBeNull()
  })
})
