import { describe, expect, it } from 'vitest'
import { DEFAULT_RUN_QUERY, availableMetricColumns, defaultColumns, epochsCell, formatDuration, matchesSearch, metricCell, queryRuns, shownColumns, visibleWindow } from './run-table'
import { makeRun } from './run-fixtures.test-helper'
import { parseRunQuery } from '../../../../shared/run-query'

describe('queryRuns', () => {
  const runs = Array.from({ length: 30 }, (_, i) => makeRun(i))

  it('filters by status and data set and sorts newest first by default', () => {
    const rows = queryRuns(runs, { ...DEFAULT_RUN_QUERY, status: 'failed', datasetId: 'xor' })
    expect(rows.map((r) => r.id)).toEqual(['run-15', 'run-0'])
  })
  it('sorts by a metric column best first when descending, runs without one last', () => {
    const withNone = [...runs, makeRun(99, { final_metrics: {}, best_metrics: {}, best_values: {} })]
    const rows = queryRuns(withNone, { ...DEFAULT_RUN_QUERY, sortBy: 'best:val_acc', descending: true })
    expect(rows[0].id).toBe('run-29')
    expect(rows.at(-1)?.id).toBe('run-99')
    const ascending = queryRuns(withNone, { ...DEFAULT_RUN_QUERY, sortBy: 'best:val_acc', descending: false })
    expect(ascending[0].id).toBe('run-0')
    expect(ascending.at(-1)?.id).toBe('run-99')
  })
  it('treats a lower loss as better', () => {
    const a = makeRun(1, { best_values: { val_loss: 0.2 } })
    const b = makeRun(2, { best_values: { val_loss: 0.5 } })
    expect(queryRuns([b, a], { ...DEFAULT_RUN_QUERY, sortBy: 'best:val_loss', descending: true })[0].id).toBe('run-1')
  })
  it('searches every word across name, tags and notes', () => {
    expect(matchesSearch(makeRun(10), 'baseline cnn')).toBe(true)
    expect(matchesSearch(makeRun(10), '#baseline')).toBe(true)
    expect(matchesSearch(makeRun(11), 'baseline')).toBe(false)
    expect(matchesSearch(makeRun(11, { notes: 'Tried higher LR' }), 'higher lr')).toBe(true)
  })
  it('applies query clauses instead of search words', () => {
    const clauses = parseRunQuery('params.lr < 0.003 and best.val_acc > 0.2 and status = finished')
    const rows = queryRuns(runs, DEFAULT_RUN_QUERY, clauses)
    expect(rows.length).toBeGreaterThan(0)
    for (const run of rows) {
      expect(run.learning_rate).toBeLessThan(0.003)
      expect(run.best_values?.val_acc).toBeGreaterThan(0.2)
      expect(run.status).toBe('finished')
    }
    const expected = runs.filter((r) => r.learning_rate < 0.003 && (r.best_values?.val_acc ?? 0) > 0.2 && r.status === 'finished').length
    expect(rows.length).toBe(expected)
  })
  it('filters and sorts 5 000 runs (its speed is measured by bench/renderer.bench.ts)', () => {
    const many = Array.from({ length: 5000 }, (_, i) => makeRun(i))
    const rows = queryRuns(many, { ...DEFAULT_RUN_QUERY, search: 'run', sortBy: 'best:val_acc' })
    expect(rows.length).toBe(5000)
    expect(new Set(rows.map((r) => r.id)).size).toBe(5000)
  })
})

describe('metric columns', () => {
  it('one best and one final column per per-epoch metric, test metrics final only, no batch or lr columns', () => {
    const run = makeRun(1, { final_metrics: { loss: 0.3, acc: 0.9, val_loss: 0.4, val_acc: 0.85, test_acc: 0.8, lr: 0.01, 'batch/loss': 0.2 }, best_values: { loss: 0.3, acc: 0.9, val_loss: 0.35, val_acc: 0.88 } })
    expect(availableMetricColumns([run])).toEqual(['best:val_acc', 'final:val_acc', 'best:val_loss', 'final:val_loss', 'best:acc', 'final:acc', 'best:loss', 'final:loss', 'final:test_acc'])
    expect(metricCell(run, 'best:val_loss')).toBe(0.35)
    expect(metricCell(run, 'final:val_loss')).toBe(0.4)
    expect(metricCell(run, 'best:mae')).toBeNull()
  })
  it('the best column is the best value over epochs, never the value at the monitor\'s best epoch', () => {
    const run = makeRun(2, { final_metrics: { val_loss: 0.4 }, best_metrics: { val_loss: 0.5 }, best_values: { val_loss: 0.3 } })
    expect(metricCell(run, 'best:val_loss')).toBe(0.3)
  })
  it('defaults to best validation scores and test accuracy; a choice is kept in table order', () => {
    const available = availableMetricColumns([makeRun(1, { final_metrics: { val_acc: 1, val_loss: 1, test_acc: 1, loss: 1 } })])
    expect(defaultColumns(available)).toEqual(['name', 'model', 'dataset', 'optimizer', 'learning_rate', 'batch_size', 'epochs', 'best:val_acc', 'best:val_loss', 'final:test_acc', 'duration', 'status', 'created'])
    expect(shownColumns(['created', 'final:loss', 'backend', 'best:gone'], available)).toEqual(['name', 'final:loss', 'backend', 'created'])
    expect(shownColumns(null, available)).toEqual(defaultColumns(available))
    // Without validation: the training scores' bests, and the test error.
    const noValidation = availableMetricColumns([makeRun(2, { final_metrics: { loss: 1, mae: 1, test_mae: 1 }, best_values: { loss: 1, mae: 1 } })])
    expect(defaultColumns(noValidation)).toEqual(['name', 'model', 'dataset', 'optimizer', 'learning_rate', 'batch_size', 'epochs', 'best:loss', 'best:mae', 'final:test_mae', 'duration', 'status', 'created'])
  })
  it('epochs are trained over configured', () => {
    expect(epochsCell(makeRun(1, { epochs: 1500, epochs_trained: 140 }))).toEqual({ trained: 140, configured: 1500, steps: null })
    expect(epochsCell(makeRun(1, { epochs: null, steps: 3000, epochs_trained: 3 }))).toEqual({ trained: 3, configured: null, steps: 3000 })
  })
})

describe('visibleWindow', () => {
  it('renders only the rows in view plus overscan', () => {
    expect(visibleWindow(0, 320, 32, 5000, 5)).toEqual({ start: 0, end: 15 })
    expect(visibleWindow(3200, 320, 32, 5000, 5)).toEqual({ start: 95, end: 115 })
    // scrolled past the end after the list shrank: still shows its last rows
    expect(visibleWindow(1e9, 320, 32, 5000, 5)).toEqual({ start: 4985, end: 5000 })
    expect(visibleWindow(0, 320, 32, 3, 5)).toEqual({ start: 0, end: 3 })
  })
})

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(null)).toBe('—')
    expect(formatDuration(42.4)).toBe('42 s')
    expect(formatDuration(0.04)).toBe('0.1 s')
    expect(formatDuration(7.24)).toBe('7.2 s')
    expect(formatDuration(9.97)).toBe('10 s')
    expect(formatDuration(185)).toBe('3 min 05 s')
    expect(formatDuration(7620)).toBe('2 h 07 min')
  })
})
