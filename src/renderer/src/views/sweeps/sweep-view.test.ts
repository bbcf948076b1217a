import { describe, expect, it } from 'vitest'
import type { SweepItem } from '../../../../shared/sweep'
import { defaultSweepMetric, itemStatus, rankItems } from './sweep-view'

function item(index: number, state: SweepItem['state'], run_status: string | null, loss?: number, acc?: number): SweepItem {
  return { index, label: `lr=${index}`, values: { 'optimizer.learning_rate': index }, state, run_id: run_status ? `run-${index}` : null, run_status, error: null, final_metrics: {}, best_metrics: { ...(loss === undefined ? {} : { loss }), ...(acc === undefined ? {} : { acc }) } }
}

describe('sweep views', () => {
  it('names each item status', () => {
    expect(itemStatus(item(0, 'queued', null))).toBe('queued')
    expect(itemStatus(item(0, 'claimed', null))).toBe('starting')
    expect(itemStatus(item(0, 'claimed', 'interrupted'))).toBe('interrupted')
    expect(itemStatus(item(0, 'cancelled', null))).toBe('cancelled')
  })

  it('ranks by the best value: lowest loss first, highest accuracy first, runs without it last', () => {
    const items = [item(0, 'claimed', 'finished', 0.5, 0.7), item(1, 'claimed', 'finished', 0.2, 0.6), item(2, 'queued', null), item(3, 'claimed', 'running', 0.3, 0.9)]
    const byLoss = rankItems(items, 'loss', (i) => i.best_metrics.loss)
    expect(byLoss.ranked.map((r) => r.index)).toEqual([1, 3, 0, 2])
    expect(byLoss.bestIndex).toBe(1)
    const byAcc = rankItems(items, 'acc', (i) => i.best_metrics.acc)
    expect(byAcc.ranked.map((r) => r.index)).toEqual([3, 0, 1, 2])
    expect(byAcc.bestIndex).toBe(3)
    expect(rankItems([item(0, 'queued', null)], 'loss', () => undefined).bestIndex).toBeNull()
  })

  it('judges by validation loss when there is one', () => {
    expect(defaultSweepMetric(['loss', 'acc', 'val_loss'])).toBe('val_loss')
    expect(defaultSweepMetric(['loss', 'mae'])).toBe('loss')
  })
})
