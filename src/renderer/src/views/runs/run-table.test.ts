import { describe, expect, it } from 'vitest'
import { DEFAULT_RUN_QUERY, bestMetric, formatDuration, headlineMetric, matchesSearch, queryRuns, visibleWindow } from './run-table'
import { makeRun } from './run-fixtures.test-helper'


describe('queryRuns', () => {
  const runs = Array.from({ length: 30 }, (_, i) => makeRun(i))

  it('filters by status and data set and sorts newest first by default', () => {
    const rows = queryRuns(runs, { ...DEFAULT_RUN_QUERY, status: 'failed', datasetId: 'xor' })
    expect(rows.map((r) => r.id)).toEqual(['run-15', 'run-0'])
  })
  it('sorts by best validation metric, best first when descending, runs without one last', () => {
    const withNone = [...runs, makeRun(99, { final_metrics: {}, best_metrics: {} })]
    const rows = queryRuns(withNone, { ...DEFAULT_RUN_QUERY, sortBy: 'best', descending: true })
    expect(rows[0].id).toBe('run-29')
    expect(rows.at(-1)?.id).toBe('run-99')
    const ascending = queryRuns(withNone, { ...DEFAULT_RUN_QUERY, sortBy: 'best', descending: false })
    expect(ascending[0].id).toBe('run-0')
    expect(ascending.at(-1)?.id).toBe('run-99')
  })
  it('treats a lower loss as better when a run only has val_loss', () => {
    const a = makeRun(1, { final_metrics: { val_loss: 0.2 }, best_metrics: { val_loss: 0.2 } })
    const b = makeRun(2, { final_metrics: { val_loss: 0.5 }, best_metrics: { val_loss: 0.5 } })
    expect(queryRuns([b, a], { ...DEFAULT_RUN_QUERY, sortBy: 'best', descending: true })[0].id).toBe('run-1')
  })
  it('searches every word across name, tags and notes', () => {
    expect(matchesSearch(makeRun(10), 'baseline cnn')).toBe(true)
    expect(matchesSearch(makeRun(10), '#baseline')).toBe(true)
    expect(matchesSearch(makeRun(11), 'baseline')).toBe(false)
    expect(matchesSearch(makeRun(11, { notes: 'Tried higher LR' }), 'higher lr')).toBe(true)
  })
  it('filters and sorts 5 000 runs (its speed is measured by bench/renderer.bench.ts)', () => {
    const many = Array.from({ length: 5000 }, (_, i) => makeRun(i))
    const rows = queryRuns(many, { ...DEFAULT_RUN_QUERY, search: 'run', sortBy: 'best' })
    expect(rows.length).toBe(5000)
    expect(new Set(rows.map((r) => r.id)).size).toBe(5000)
  })
})

describe('headline and best metric', () => {
  it('prefers validation accuracy and reports the best value', () => {
    expect(headlineMetric(makeRun(5))).toBe('val_acc')
    expect(bestMetric(makeRun(5)).name).toBe('val_acc')
    expect(bestMetric(makeRun(5)).value).toBeCloseTo(0.051, 12)
    expect(bestMetric(makeRun(5, { final_metrics: {}, best_metrics: {} }))).toEqual({ name: null, value: null })
  })
  it('has no headline for a run that only logged per-batch series', () => {
    const stoppedEarly = makeRun(6, { final_metrics: { 'batch/loss': 2.15, 'batch/lr': 0.01 }, best_metrics: {} })
    expect(headlineMetric(stoppedEarly)).toBeNull()
    expect(bestMetric(stoppedEarly).value).toBeNull()
    expect(headlineMetric(makeRun(7, { final_metrics: { 'batch/loss': 2, lr: 0.01, mae: 0.3 }, best_metrics: {} }))).toBe('mae')
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
