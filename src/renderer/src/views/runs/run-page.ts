// The run page's pure logic: the metrics table (final, best over the epochs, value at the best
// epoch of the monitored metric — three notions, three labels) and the curves, train beside val.
import type { RunDetail, RunSeries, RunSummary } from '../../../../shared/run'
import { bestEpoch, isScoreMetric, metricBaseName, metricDirection, type MetricDirection } from '../../../../shared/metric-best'
import { canonicalMetricName, type TrainingConfig } from '../../../../shared/training'

/** The metric whose best epoch a run records (early stopping's monitor, else val_loss with validation, else loss). */
export function monitorOf(run: Pick<RunSummary, 'final_metrics' | 'best_metrics'>, config: Pick<TrainingConfig, 'early_stopping'> | null): string {
  if (config?.early_stopping) return canonicalMetricName(config.early_stopping.monitor)
  const names = Object.keys({ ...run.final_metrics, ...run.best_metrics })
  return names.includes('val_loss') ? 'val_loss' : 'loss'
}

export interface MetricRow {
  name: string
  final: number | null
  /** The best value over the epochs (null for test metrics: one evaluation). */
  best: number | null
  direction: MetricDirection
  /** The epoch where this metric was best, from the series when they are loaded. */
  bestEpoch: number | null
  /** The value at the run's best epoch of its monitor (`best_metrics`). */
  atBestEpoch: number | null
}

function order(name: string): number {
  if (name.startsWith('test_')) return 3
  if (name.startsWith('val_')) return 1
  return 2
}

/** One row per metric of the run: validation, training, then test metrics; no per-batch series or lr. */
export function metricRows(run: RunSummary, series: RunSeries | null): MetricRow[] {
  const names = new Set([...Object.keys(run.final_metrics), ...Object.keys(run.best_values ?? {}), ...Object.keys(run.best_metrics)])
  return [...names]
    .filter((name) => !name.startsWith('batch/') && isScoreMetric(name))
    .sort((a, b) => order(a) - order(b) || metricBaseName(a).localeCompare(metricBaseName(b)) || a.localeCompare(b))
    .map((name) => {
      const s = series?.[name]
      return {
        name,
        final: run.final_metrics[name] ?? null,
        best: name.startsWith('test_') ? null : run.best_values?.[name] ?? null,
        direction: metricDirection(name),
        bestEpoch: s ? bestEpoch(name, s) : null,
        atBestEpoch: run.best_metrics[name] ?? null
      }
    })
}

export interface CurveGroup {
  /** The base metric (loss, acc, mae…), the chart's title. */
  base: string
  /** Series of the run for it: train first, then val. */
  names: string[]
}

/** Per-epoch charts, one per base metric with its train and val series together; lr last; per-batch loss on its own (by step). */
export function curveGroups(series: RunSeries): CurveGroup[] {
  const groups = new Map<string, string[]>()
  for (const name of Object.keys(series)) {
    if (name.startsWith('batch/') || name.startsWith('test_')) continue
    const base = metricBaseName(name)
    const list = groups.get(base) ?? []
    list.push(name)
    groups.set(base, list)
  }
  const rank = (base: string): number => (base === 'loss' ? 0 : base === 'lr' ? 2 : 1)
  const out = [...groups].map(([base, names]) => ({ base, names: names.sort((a, b) => (a.startsWith('val_') ? 1 : 0) - (b.startsWith('val_') ? 1 : 0)) }))
  out.sort((a, b) => rank(a.base) - rank(b.base) || a.base.localeCompare(b.base))
  if (series['batch/loss']) out.push({ base: 'batch/loss', names: ['batch/loss'] })
  return out
}

/** Seconds between two ISO times, null when either is missing. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  if (!from || !to) return null
  const ms = Date.parse(to) - Date.parse(from)
  return Number.isFinite(ms) ? Math.max(0, ms / 1000) : null
}

/** Whether the run detail is one this page can show fully (spec and config present). */
export function isDetail(run: RunSummary | RunDetail): run is RunDetail {
  return 'config' in run && 'spec' in run
}
