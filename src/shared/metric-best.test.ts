import { describe, expect, it } from 'vitest'
import { bestEpoch, bestOf, bestRunIndex, bestValue, bestValues, isScoreMetric, lastValue, metricBaseName, metricBounds, metricDirection, sortableScore, valueAtBestEpochOf } from './metric-best'

describe('metricDirection', () => {
  it('losses and errors improve downwards', () => {
    for (const name of ['loss', 'val_loss', 'mse', 'val_mse', 'mae', 'test_mae', 'batch/loss', 'mean_squared_error', 'val_error', 'train_loss']) expect(metricDirection(name), name).toBe('min')
  })
  it('accuracy-like scores improve upwards, with val_/test_/batch prefixes following the base', () => {
    for (const name of ['acc', 'accuracy', 'val_acc', 'val_accuracy', 'test_acc', 'auc', 'val_auc', 'precision', 'recall', 'val_recall', 'r2', 'val_r2', 'batch/acc', 'batch/val_acc', 'top_k_categorical_accuracy', 'f1_score']) expect(metricDirection(name), name).toBe('max')
  })
  it('strips only one prefix and the batch namespace', () => {
    expect(metricBaseName('batch/val_acc')).toBe('acc')
    expect(metricBaseName('test_loss')).toBe('loss')
    expect(metricBaseName('valley')).toBe('valley')
  })
  it('the learning rate is no score', () => {
    expect(isScoreMetric('lr')).toBe(false)
    expect(isScoreMetric('batch/lr')).toBe(false)
    expect(isScoreMetric('val_loss')).toBe(true)
  })
})

describe('bestValue and bestEpoch', () => {
  const valLoss = { epoch: [1, 2, 3, 4], value: [0.9, 0.3, 0.35, 0.31] }
  const valAcc = { epoch: [1, 2, 3, 4], value: [0.5, 0.8, 0.92, 0.9] }
  it('is the minimum of a loss and the maximum of an accuracy', () => {
    expect(bestValue('val_loss', valLoss.value)).toBe(0.3)
    expect(bestValue('val_acc', valAcc.value)).toBe(0.92)
    expect(bestEpoch('val_loss', valLoss)).toBe(2)
    expect(bestEpoch('val_acc', valAcc)).toBe(3)
  })
  it('skips NaN and infinities, and has no best without a finite value', () => {
    expect(bestOf('loss', [Number.NaN, 2, Number.NEGATIVE_INFINITY, 1.5, Number.NaN])).toEqual({ value: 1.5, index: 3 })
    expect(bestValue('loss', [Number.NaN])).toBeNull()
    expect(bestValue('loss', [])).toBeNull()
    expect(lastValue([1, 2, Number.NaN])).toBe(2)
    expect(lastValue([])).toBeNull()
  })
  it('keeps the first epoch on ties', () => {
    expect(bestEpoch('acc', { epoch: [1, 2, 3], value: [0.5, 0.9, 0.9] })).toBe(2)
  })
  it('"value at the best epoch of a monitor" differs from the best value of that metric', () => {
    // val_loss at the epoch of the best val_acc (epoch 3) is 0.35, while the best val_loss is 0.3.
    expect(valueAtBestEpochOf('val_acc', { val_acc: valAcc, val_loss: valLoss }, 'val_loss')).toEqual({ epoch: 3, value: 0.35 })
    expect(bestValue('val_loss', valLoss.value)).toBe(0.3)
    expect(valueAtBestEpochOf('val_auc', { val_acc: valAcc }, 'val_acc')).toBeNull()
  })
  it('bestValues covers per-epoch scores only', () => {
    expect(bestValues({ loss: { epoch: [1, 2], value: [2, 1] }, acc: { epoch: [1, 2], value: [0.4, 0.3] }, lr: { epoch: [1, 2], value: [0.1, 0.01] }, 'batch/loss': { epoch: [1, 1], value: [5, 0.1] } })).toEqual({ loss: 1, acc: 0.4 })
  })
})

describe('comparing runs', () => {
  it('picks the best run by the metric direction, skipping runs without a value', () => {
    expect(bestRunIndex('val_loss', [0.4, null, 0.2, 0.3])).toBe(2)
    expect(bestRunIndex('val_acc', [0.4, null, 0.2, 0.9])).toBe(3)
    expect(bestRunIndex('val_acc', [null, null])).toBeNull()
  })
  it('sortableScore puts the best first in descending order', () => {
    expect(sortableScore('loss', 0.1)).toBeGreaterThan(sortableScore('loss', 0.2))
    expect(sortableScore('acc', 0.9)).toBeGreaterThan(sortableScore('acc', 0.8))
  })
})

describe('metricBounds', () => {
  it('gives accuracy-like scores [0, 1], R² a ceiling of 1 and losses a floor of 0', () => {
    expect(metricBounds('val_acc')).toEqual({ min: 0, max: 1 })
    expect(metricBounds('batch/auc')).toEqual({ min: 0, max: 1 })
    expect(metricBounds('val_r2')).toEqual({ max: 1 })
    expect(metricBounds('val_loss')).toEqual({ min: 0 })
    expect(metricBounds('mae')).toEqual({ min: 0 })
  })
})
