// What the sweep views show, as pure functions: each item's status word, the metric a sweep is
// judged by, its runs ranked by their best value of that metric (src/shared/metric-best.ts: min
// for losses and errors, max for scores) and the best so far.
import { bestRunIndex, sortableScore } from '../../../../shared/metric-best'
import { formatSweepValue, type SweepItem } from '../../../../shared/sweep'

/** The status an item shows: its run's once the run exists, else queued / starting / cancelled / failed. */
export function itemStatus(item: Pick<SweepItem, 'state' | 'run_status'>): string {
  if (item.state === 'claimed') return item.run_status ?? 'starting'
  return item.state
}

export function statusTone(status: string): string {
  if (status === 'finished') return 'ok'
  if (status === 'running' || status === 'starting') return 'info'
  if (status === 'queued') return ''
  if (status === 'paused' || status === 'stopped' || status === 'cancelled' || status === 'active') return 'warn'
  return 'danger'
}

/** The metric a sweep is judged by when none is chosen: validation loss when its runs report it, else loss. */
export function defaultSweepMetric(names: readonly string[]): string {
  return ['val_loss', 'loss', 'val_acc', 'acc'].find((n) => names.includes(n)) ?? names[0] ?? 'loss'
}

export interface RankedItem {
  index: number
  label: string
  run_id: string | null
  status: string
  values: Record<string, number | string | boolean>
  best: number | null
}

/**
 * The items ranked by `bestOf(item)` (best first; items without a value keep their order after
 * the others), and the position of the best one in the input (null when none has a value).
 */
export function rankItems(items: readonly SweepItem[], metric: string, bestOf: (item: SweepItem) => number | undefined): { ranked: RankedItem[]; bestIndex: number | null } {
  const rows = items.map((item) => {
    const value = bestOf(item)
    return { index: item.index, label: item.label, run_id: item.run_id, status: itemStatus(item), values: item.values, best: value !== undefined && Number.isFinite(value) ? value : null }
  })
  const bestPosition = bestRunIndex(metric, rows.map((r) => r.best))
  const ranked = [...rows].sort((a, b) => {
    if (a.best === null || b.best === null) return a.best === null ? (b.best === null ? a.index - b.index : 1) : -1
    return sortableScore(metric, b.best) - sortableScore(metric, a.best) || a.index - b.index
  })
  return { ranked, bestIndex: bestPosition === null ? null : rows[bestPosition]!.index }
}

export function valueText(value: number | string | boolean | undefined): string {
  return value === undefined ? '—' : formatSweepValue(value)
}
