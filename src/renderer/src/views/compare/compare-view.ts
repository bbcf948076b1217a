// The Compare view's pure logic: which metric charts to draw from N runs' series, the series
// ECharts gets for them (tuned for big data), and the parallel-coordinates option.
import type { RunDetail, RunSeries } from '../../../../shared/run'
import { formatDiffValue, lastAndBest, type DiffRow } from '../../../../shared/compare'
import { metricBounds } from '../../../../shared/metric-best'

export type ValueMode = 'last' | 'best'
/** The x axis of the curves: epochs (per-batch curves: steps), or seconds since the run's first point. */
export type XMode = 'epoch' | 'time'

/** Chart order: validation metrics first (what runs are judged by), then training, then per-batch, then lr and test. */
export function metricOrder(name: string): number {
  if (name.startsWith('val_')) return name === 'val_loss' ? 1 : 0
  if (name.startsWith('test_')) return 6
  if (name === 'lr' || name === 'batch/lr') return 5
  if (name.startsWith('batch/')) return name === 'batch/loss' ? 3 : 4
  return name === 'loss' ? 2.5 : 2
}

/** Every metric name that any of the series has, ordered for display; per-batch names only when asked. */
export function metricNames(series: readonly RunSeries[], includeBatch: boolean): string[] {
  const names = new Set<string>()
  for (const s of series) for (const name of Object.keys(s)) if (includeBatch || !name.startsWith('batch/')) names.add(name)
  return [...names].filter((name) => !name.startsWith('test_')).sort((a, b) => metricOrder(a) - metricOrder(b) || a.localeCompare(b))
}

/** Whether a series is a score with a better direction; the learning rate is a setting, not a score. */
export function isScore(name: string): boolean {
  return name !== 'lr' && name !== 'batch/lr'
}

/** Per-batch series are indexed by step; the rest by epoch. */
export function xFieldOf(name: string): 'step' | 'epoch' {
  return name.startsWith('batch/') ? 'step' : 'epoch'
}

/**
 * Groups of runs (indices into `runs`, two or more per group) whose curve for `name` is the same
 * point for point: drawn plainly, the last one would hide the others completely.
 */
export function coincidentGroups(name: string, runs: readonly RunSeries[]): number[][] {
  const field = xFieldOf(name)
  const byCurve = new Map<string, number[]>()
  runs.forEach((series, index) => {
    const s = series[name]
    if (!s || s.value.length === 0) return
    const key = `${s[field].join(',')}|${s.value.join(',')}`
    const group = byCurve.get(key)
    if (group) group.push(index)
    else byCurve.set(key, [index])
  })
  return [...byCurve.values()].filter((group) => group.length > 1)
}

/** Dash length (px) of the interleaved dashes that keep coincident curves visible. */
const COINCIDENT_DASH = 6

/** The time a run's first metric point was recorded (ms), for wall-time axes; null without times. */
export function seriesStart(series: RunSeries): number | null {
  let start: number | null = null
  for (const s of Object.values(series)) {
    const first = s.time?.[0]
    if (first !== undefined && (start === null || first < start)) start = first
  }
  return start
}

/** Line series for one metric chart: one per run, [x, y] pairs, with the options that keep 10 × 10 000 points fast. Colour: the run's own. */
export function metricChartSeries(name: string, runs: readonly { label: string; series: RunSeries; color?: string }[], xMode: XMode = 'epoch'): object[] {
  const field = xFieldOf(name)
  // Runs with the same curve take turns along it: member k of n draws every n-th dash, offset by k
  // dashes, so the line shows all their colours instead of only the topmost one.
  const dashOf = new Map<number, { type: number[]; dashOffset: number }>()
  for (const group of coincidentGroups(name, runs.map((r) => r.series))) {
    const n = group.length
    group.forEach((runIndex, k) => dashOf.set(runIndex, { type: [COINCIDENT_DASH, COINCIDENT_DASH * (n - 1)], dashOffset: ((n - k) % n) * COINCIDENT_DASH }))
  }
  return runs.map(({ label, series, color }, runIndex) => {
    const s = series[name]
    const data: [number, number][] = []
    const start = xMode === 'time' ? seriesStart(series) : null
    if (s) {
      if (xMode === 'time') {
        if (s.time && start !== null) for (let i = 0; i < s.value.length; i++) data.push([(s.time[i]! - start) / 1000, s.value[i]!])
      } else for (let i = 0; i < s.value.length; i++) data.push([s[field][i]!, s.value[i]!])
    }
    const big = data.length > 2000
    return {
      type: 'line',
      name: label,
      data,
      showSymbol: !big && data.length < 60,
      symbolSize: 4,
      animation: false,
      sampling: 'lttb',
      large: big,
      largeThreshold: 2000,
      progressive: big ? 5000 : 0,
      ...(color ? { color, itemStyle: { color } } : {}),
      lineStyle: { width: big ? 1.2 : 1.8, ...(color ? { color } : {}), ...dashOf.get(runIndex) },
      emphasis: { disabled: big }
    }
  })
}

/**
 * A value axis that stays inside what the metric can take: an accuracy axis never runs past 1,
 * a loss axis never below 0 (a log axis keeps its own lower end). The bound is pinned only when
 * the data come near it (and stay inside it); otherwise ECharts picks its own round ends (null:
 * automatic).
 */
export function boundedValueAxis(name: string, log = false): { min?: (extent: { min: number; max: number }) => number | null; max?: (extent: { min: number; max: number }) => number | null } {
  const bounds = metricBounds(name)
  const near = (extent: { min: number; max: number }) => Math.max(extent.max - extent.min, Math.abs(extent.max) * 0.01) * 0.25
  return {
    // Data past the bound (a metric that only looks like an accuracy) is never cut off.
    ...(bounds.min !== undefined && !log ? { min: (extent: { min: number; max: number }) => (extent.min >= bounds.min! && extent.min - near(extent) <= bounds.min! ? bounds.min! : null) } : {}),
    ...(bounds.max !== undefined ? { max: (extent: { min: number; max: number }) => (extent.max <= bounds.max! && extent.max + near(extent) >= bounds.max! ? bounds.max! : null) } : {})
  }
}

/**
 * The value of a metric for a run: its last, or its best by the metric's direction. The best of a
 * per-epoch metric comes from the run's `best_values` when given (the store's exact min/max, the
 * number the Runs table shows), else from the series.
 */
export function metricValue(series: RunSeries, name: string, mode: ValueMode, bestValues?: Readonly<Record<string, number>>): number | null {
  if (mode === 'best' && bestValues && !name.startsWith('batch/') && bestValues[name] !== undefined) return bestValues[name]!
  const s = series[name]
  if (!s) return null
  const { last, best } = lastAndBest(name, s.value)
  return mode === 'last' ? last : best
}

/** Unique legend names: the run name, with the id's tail when two runs share one. */
export function runLabels(runs: readonly Pick<RunDetail, 'id' | 'name'>[]): string[] {
  const counts = new Map<string, number>()
  for (const run of runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1)
  return runs.map((run) => ((counts.get(run.name) ?? 0) > 1 ? `${run.name} (${run.id.slice(-6)})` : run.name))
}

/**
 * Legend text for each run label: what tells the runs apart. Leading words that every label
 * shares are dropped ("linear-2x lr=0.1", "linear-2x lr=0.03" → "lr=0.1", "lr=0.03"; runs that
 * share a name keep their id), then anything longer than `max` characters is cut with an
 * ellipsis, keeping a trailing "(id)". The full label stays in the legend's tooltip.
 */
export function legendLabels(labels: readonly string[], max = 24): string[] {
  let shared = 0
  if (labels.length > 1) {
    let prefix = labels[0]
    for (const label of labels) while (!label.startsWith(prefix)) prefix = prefix.slice(0, -1)
    // Only whole words, and never the whole of a label.
    const lastSpace = prefix.lastIndexOf(' ')
    shared = lastSpace >= 0 && labels.every((label) => label.length > lastSpace + 1) ? lastSpace + 1 : 0
  }
  return labels.map((label) => {
    let text = label.slice(shared)
    const idOnly = /^\(([^()]+)\)$/.exec(text)
    if (idOnly) text = idOnly[1]
    if (text.length <= max) return text
    const id = /\s\([^()]{1,12}\)$/.exec(text)
    if (id && id[0].length + 4 < max) return `${text.slice(0, max - id[0].length - 1).trimEnd()}…${id[0]}`
    return `${text.slice(0, max - 1).trimEnd()}…`
  })
}

export interface ParallelAxis {
  key: string
  type: 'value' | 'log' | 'category'
  categories?: string[]
  /** Whole numbers only (batch size, units): the axis gets no ticks between them. */
  integer?: boolean
}

/** Axis for numbers: logarithmic when they are all positive and span 20× or more (a learning-rate sweep), else linear. */
function numericAxisType(values: readonly (number | null)[]): 'value' | 'log' {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v))
  if (present.length < 2 || present.some((v) => v <= 0)) return 'value'
  return Math.max(...present) / Math.min(...present) >= 20 ? 'log' : 'value'
}

function parentOf(key: string): string {
  const dot = key.lastIndexOf('.')
  return dot < 0 ? '' : key.slice(0, dot)
}

/** A row that differs only in which runs have it: every run that has it has the same value. */
function differsOnlyInPresence(row: DiffRow): boolean {
  const present = row.values.filter((v) => v !== null)
  return present.length < row.values.length && present.every((v) => v === present[0])
}

/**
 * Axes of the parallel-coordinates chart: the hyperparameters that differ between the runs
 * (numbers as value axes, logarithmic for wide positive ranges; anything else as categories),
 * at most `maxAxes`, then the metric. A key that only some runs have and that has one value
 * where present (adam's beta_1 beside sgd runs) repeats what a sibling key already shows
 * (`optimizer.name`), so it gets no axis of its own; without such a sibling, one key per
 * pattern of presence stands for its group.
 */
export function parallelAxes(rows: readonly DiffRow[], metric: string, maxAxes = 6, metricValues: readonly (number | null)[] = []): ParallelAxis[] {
  const axes: ParallelAxis[] = []
  const differing = rows.filter((row) => row.differs)
  const explained = new Set(differing.filter((row) => !differsOnlyInPresence(row)).map((row) => parentOf(row.key)))
  const presencePatterns = new Set<string>()
  const candidates = differing.filter((row) => {
    if (row.values.every((v) => v === null)) return false
    if (!differsOnlyInPresence(row)) return true
    const parent = parentOf(row.key)
    if (explained.has(parent)) return false
    const pattern = `${parent}|${row.values.map((v) => (v === null ? 0 : 1)).join('')}`
    if (presencePatterns.has(pattern)) return false
    presencePatterns.add(pattern)
    return true
  })
  // Training keys first: they are what people sweep; architecture keys after.
  candidates.sort((a, b) => (a.section === b.section ? 0 : a.section === 'training' ? -1 : 1))
  for (const row of candidates) {
    if (axes.length >= maxAxes) break
    const numeric = row.values.every((value) => value === null || typeof value === 'number')
    if (numeric) {
      const values = row.values as (number | null)[]
      const integer = values.every((value) => value === null || Number.isInteger(value))
      axes.push({ key: row.key, type: numericAxisType(values), ...(integer ? { integer } : {}) })
    }
    else axes.push({ key: row.key, type: 'category', categories: [...new Set(row.values.map(formatDiffValue))] })
  }
  axes.push({ key: metric, type: numericAxisType(metricValues) })
  return axes
}

const SHORT_TITLES: Record<string, string> = { learning_rate: 'lr', batch_size: 'batch', 'budget.epochs': 'epochs', 'budget.steps': 'steps', 'validation.fraction': 'val. fraction' }

/**
 * A short axis title, so neighbouring titles do not run into each other: `optimizer.name` →
 * `optimizer`, `optimizer.learning_rate` → `lr`, `layers[1].units` → `L1 units`. The chart lists
 * what each short title stands for.
 */
export function parallelAxisTitle(key: string): string {
  const named = /^(.+)\.(name|kind)$/.exec(key)
  if (named) return named[1]!
  const layer = /^layers\[(\d+)\]\.(.+)$/.exec(key)
  if (layer) return `L${layer[1]} ${layer[2]}`
  const bare = key.startsWith('optimizer.') ? key.slice('optimizer.'.length) : key
  return SHORT_TITLES[bare] ?? SHORT_TITLES[key] ?? bare
}

/** Text that fits `maxChars`: longer text is cut with an ellipsis (the full text goes into a tooltip or key). */
export function abbreviate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(1, maxChars - 1))}…`
}

/** One line of the parallel chart per run: its value on every axis (null when missing). */
export function parallelRows(rows: readonly DiffRow[], axes: readonly ParallelAxis[], metricValues: readonly (number | null)[]): (number | string | null)[][] {
  return metricValues.map((metricValue, runIndex) =>
    axes.map((axis, axisIndex) => {
      if (axisIndex === axes.length - 1) return metricValue
      const row = rows.find((r) => r.key === axis.key)
      const value = row ? row.values[runIndex] : null
      if (axis.type === 'category') return formatDiffValue(value)
      return typeof value === 'number' ? value : null
    })
  )
}
