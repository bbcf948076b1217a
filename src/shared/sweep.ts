// Hyperparameter sweeps: which fields of the training config vary and how, expanded into the
// concrete configs of the runs a sweep queues. A field is a dotted path into the config
// (`optimizer.learning_rate`, `batch_size`, `budget.epochs`, `optimizer.name`); its values are a
// list (`32,64,128`, `adam,sgd`) or a range (`1e-4..1e-1:log:6`, `0.1..0.5:lin:5`). Grid mode
// takes the cartesian product (the first field varies slowest); random mode draws `trials`
// configs with a seeded generator (ranges are sampled continuously, lists uniformly), so one seed
// always gives the same sweep. Every expanded config is validated with the training config
// schema; each failure is a TypedError with a reason and details for the views.
import { z } from 'zod'
import { TypedError, type ErrorDetails } from './errors'
import { createSeededRandom } from './random'
import { trainingConfigSchema, type TrainingConfig, type TrainingConfigInput } from './training'

/** The most runs one sweep may queue. */
export const MAX_SWEEP_RUNS = 500

export const SWEEP_MODES = ['grid', 'random'] as const
export type SweepMode = (typeof SWEEP_MODES)[number]

/** One swept field as typed: the dotted field and its values text. */
export const sweepAxisSchema = z.object({ field: z.string().min(1).max(100), values: z.string().min(1).max(2000) })
export type SweepAxis = z.infer<typeof sweepAxisSchema>

/** Short names for the fields people sweep most. */
export const SWEEP_FIELD_ALIASES: Readonly<Record<string, string>> = {
  learning_rate: 'optimizer.learning_rate',
  lr: 'optimizer.learning_rate',
  optimizer: 'optimizer.name',
  epochs: 'budget.epochs',
  steps: 'budget.steps',
  validation_fraction: 'validation.fraction'
}

/** Fields whose values are whole numbers: a range over them is rounded (and repeats dropped). */
const INTEGER_FIELDS = new Set([
  'batch_size',
  'seed',
  'threads',
  'budget.epochs',
  'budget.steps',
  'budget.eval_every',
  'early_stopping.patience',
  'schedule.patience',
  'schedule.cooldown',
  'schedule.every_epochs',
  'schedule.decay_steps'
])

/** The fields the Train form offers to sweep, with their kind. */
export const SWEEPABLE_FIELDS = [
  { field: 'optimizer.learning_rate', kind: 'number' },
  { field: 'batch_size', kind: 'integer' },
  { field: 'budget.epochs', kind: 'integer' },
  { field: 'optimizer.name', kind: 'choice' },
  { field: 'seed', kind: 'integer' },
  { field: 'validation.fraction', kind: 'number' }
] as const

/** A parsed axis: the canonical field and either its list of values or a range. */
export type ParsedAxis =
  | { field: string; kind: 'list'; values: Array<number | string | boolean> }
  | { field: string; kind: 'range'; low: number; high: number; scale: 'lin' | 'log'; count: number; values: number[] }

export interface SweepPoint {
  /** 0-based position in the sweep. */
  index: number
  /** `learning_rate=0.001 batch_size=32`: the swept values, short field names. */
  label: string
  /** The swept values by canonical field. */
  values: Record<string, number | string | boolean>
  config: TrainingConfig
}

function sweepError(reason: string, message: string, details: ErrorDetails): TypedError {
  return new TypedError('bad_input', message, { reason, details })
}

export function canonicalField(field: string): string {
  const trimmed = field.trim()
  return SWEEP_FIELD_ALIASES[trimmed] ?? trimmed
}

/** The last segment of a dotted field: what labels and table headers show. */
export function shortFieldName(field: string): string {
  const parts = field.split('.')
  return parts[parts.length - 1]
}

function readPath(config: unknown, path: string): unknown {
  let value: unknown = config
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function writePath(config: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let target = config
  for (const part of parts.slice(0, -1)) {
    const next = target[part]
    if (next === null || typeof next !== 'object') {
      const created: Record<string, unknown> = {}
      target[part] = created
      target = created
    } else {
      const copy = { ...(next as Record<string, unknown>) }
      target[part] = copy
      target = copy
    }
  }
  target[parts[parts.length - 1]] = value
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

function parseNumber(text: string): number | null {
  const trimmed = text.trim()
  return NUMBER.test(trimmed) ? Number(trimmed) : null
}

/** Rounds away binary noise (0.30000000000000004 → 0.3) so labels and stored configs read cleanly. */
function tidy(value: number): number {
  return Number(value.toPrecision(12))
}

/** A value for labels: up to 4 significant digits, exponent form for very small or large numbers. */
export function formatSweepValue(value: number | string | boolean): string {
  if (typeof value !== 'number') return String(value)
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e')
  return String(Number(value.toPrecision(4)))
}

/**
 * Parses one axis. `known` is the base config (parsed), used to tell a field that exists from a
 * misspelt one and a number field from a choice field.
 */
export function parseSweepAxis(axis: SweepAxis, base: TrainingConfig): ParsedAxis {
  const field = canonicalField(axis.field)
  const text = axis.values.trim()
  const details = { field, text }
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/.test(field)) {
    throw sweepError('sweep.bad_field', `"${axis.field}" is not a config field: write a dotted path such as optimizer.learning_rate or batch_size`, { field: axis.field })
  }
  const current = readPath(base, field)
  if (current === undefined || (current !== null && typeof current === 'object')) {
    throw sweepError('sweep.unknown_field', `the training config has no field "${field}" that takes a number or a choice; fields you can sweep include ${SWEEPABLE_FIELDS.map((f) => f.field).join(', ')}`, {
      field,
      known: SWEEPABLE_FIELDS.map((f) => f.field).join(', ')
    })
  }
  const integer = INTEGER_FIELDS.has(field)
  const range = /^(.+?)\.\.(.+?)(?::([a-z]+))?(?::([^:]+))?$/i.exec(text)
  if (range && parseNumber(range[1]) !== null) {
    if (typeof current !== 'number') throw sweepError('sweep.range_not_number', `${field} is a choice (now "${String(current)}"), so it takes a list such as adam,sgd, not a range`, details)
    const low = parseNumber(range[1])
    const high = parseNumber(range[2])
    if (low === null || high === null) throw sweepError('sweep.bad_range', `"${text}" is not a range: write low..high:lin:count or low..high:log:count, e.g. 1e-4..1e-1:log:6`, details)
    const scaleText = (range[3] ?? 'lin').toLowerCase()
    if (scaleText !== 'lin' && scaleText !== 'log') throw sweepError('sweep.bad_scale', `the scale of ${field} must be lin or log, got "${range[3]}"`, { ...details, got: range[3] ?? '' })
    const scale = scaleText
    const countText = range[4]
    const count = countText === undefined ? (integer ? Math.floor(Math.abs(high - low)) + 1 : NaN) : Number(countText)
    if (!Number.isInteger(count) || count < 1 || count > MAX_SWEEP_RUNS) {
      throw sweepError('sweep.bad_count', `the number of values of ${field} must be a whole number from 1 to ${MAX_SWEEP_RUNS} (low..high:${scale}:count), got "${countText ?? ''}"`, { ...details, got: countText ?? '', max: MAX_SWEEP_RUNS })
    }
    if (low > high) throw sweepError('sweep.range_reversed', `the range of ${field} goes from ${low} down to ${high}: write the smaller value first`, { ...details, low, high })
    if (scale === 'log' && low <= 0) throw sweepError('sweep.log_nonpositive', `a log range needs values above 0, but ${field} starts at ${low}`, { ...details, low })
    const values: number[] = []
    for (let i = 0; i < count; i++) {
      const t = count === 1 ? 0 : i / (count - 1)
      let value = scale === 'log' ? Math.exp(Math.log(low) + t * (Math.log(high) - Math.log(low))) : low + t * (high - low)
      value = i === count - 1 && count > 1 ? high : tidy(value)
      if (integer) value = Math.round(value)
      if (!values.includes(value)) values.push(value)
    }
    return { field, kind: 'range', low, high, scale, count, values }
  }
  const items = text.split(',').map((item) => item.trim())
  if (items.some((item) => item === '')) throw sweepError('sweep.empty_value', `the values of ${field} have an empty item: separate values with single commas, e.g. 32,64,128`, details)
  const values: Array<number | string | boolean> = []
  for (const item of items) {
    let value: number | string | boolean
    if (typeof current === 'number') {
      const number = parseNumber(item)
      if (number === null) throw sweepError('sweep.not_a_number', `${field} takes numbers, but "${item}" is not one`, { ...details, value: item })
      if (integer && !Number.isInteger(number)) throw sweepError('sweep.not_an_integer', `${field} takes whole numbers, but got ${item}`, { ...details, value: item })
      value = number
    } else if (typeof current === 'boolean') {
      if (item !== 'true' && item !== 'false') throw sweepError('sweep.not_a_boolean', `${field} is true or false, but got "${item}"`, { ...details, value: item })
      value = item === 'true'
    } else {
      value = item
    }
    if (values.includes(value)) throw sweepError('sweep.duplicate_value', `${field} lists ${item} twice`, { ...details, value: item })
    values.push(value)
  }
  return { field, kind: 'list', values }
}

export interface SweepDefinition {
  base_config: TrainingConfigInput | TrainingConfig
  axes: readonly SweepAxis[]
  mode: SweepMode
  /** Random mode: how many configs to draw. */
  trials?: number
  /** Random mode: the generator's seed (default 0). */
  seed?: number
}

function drawValue(axis: ParsedAxis, random: ReturnType<typeof createSeededRandom>): number | string | boolean {
  if (axis.kind === 'list') return axis.values[random.int(axis.values.length)]
  if (axis.low === axis.high) return axis.low
  const u = random.next()
  const value = axis.scale === 'log' ? Math.exp(Math.log(axis.low) + u * (Math.log(axis.high) - Math.log(axis.low))) : axis.low + u * (axis.high - axis.low)
  return INTEGER_FIELDS.has(axis.field) ? Math.round(value) : Number(value.toPrecision(4))
}

/** How many runs a sweep queues, without building them (the form's preview). Throws like {@link expandSweep}. */
export function countSweepRuns(definition: SweepDefinition): number {
  const base = trainingConfigSchema.parse(definition.base_config)
  const axes = parseAxes(definition.axes, base)
  if (definition.mode === 'random') return checkTrials(definition.trials)
  return axes.reduce((n, axis) => n * axis.values.length, 1)
}

function checkTrials(trials: number | undefined): number {
  if (trials === undefined || !Number.isInteger(trials) || trials < 1 || trials > MAX_SWEEP_RUNS) {
    throw sweepError('sweep.bad_trials', `a random sweep needs a number of trials from 1 to ${MAX_SWEEP_RUNS}, got ${trials ?? 'none'}`, { got: trials ?? null, max: MAX_SWEEP_RUNS })
  }
  return trials
}

function parseAxes(axes: readonly SweepAxis[], base: TrainingConfig): ParsedAxis[] {
  if (axes.length === 0) throw sweepError('sweep.no_axes', 'a sweep needs at least one field with a list or a range of values', {})
  const parsed = axes.map((axis) => parseSweepAxis(axis, base))
  const seen = new Set<string>()
  for (const axis of parsed) {
    if (seen.has(axis.field)) throw sweepError('sweep.duplicate_field', `${axis.field} is swept twice: give it one list or range`, { field: axis.field })
    seen.add(axis.field)
  }
  return parsed
}

/** The configs of a sweep, in order, each validated with the training config schema. */
export function expandSweep(definition: SweepDefinition): SweepPoint[] {
  const base = trainingConfigSchema.parse(definition.base_config)
  const axes = parseAxes(definition.axes, base)
  const combos: Array<Array<number | string | boolean>> = []
  if (definition.mode === 'random') {
    const trials = checkTrials(definition.trials)
    const random = createSeededRandom(definition.seed ?? 0)
    for (let t = 0; t < trials; t++) combos.push(axes.map((axis) => drawValue(axis, random)))
  } else {
    const total = axes.reduce((n, axis) => n * axis.values.length, 1)
    if (total > MAX_SWEEP_RUNS) throw sweepError('sweep.too_many', `this grid has ${total} runs, more than the ${MAX_SWEEP_RUNS} a sweep may queue: use fewer values, or random mode with a number of trials`, { count: total, max: MAX_SWEEP_RUNS })
    for (let i = 0; i < total; i++) {
      let rest = i
      const combo: Array<number | string | boolean> = new Array(axes.length)
      for (let a = axes.length - 1; a >= 0; a--) {
        const n = axes[a].values.length
        combo[a] = axes[a].values[rest % n]!
        rest = Math.floor(rest / n)
      }
      combos.push(combo)
    }
  }
  return combos.map((combo, index) => {
    const raw = structuredClone(base) as unknown as Record<string, unknown>
    const values: Record<string, number | string | boolean> = {}
    axes.forEach((axis, a) => {
      writePath(raw, axis.field, combo[a])
      values[axis.field] = combo[a]!
    })
    const label = axes.map((axis, a) => `${shortFieldName(axis.field)}=${formatSweepValue(combo[a])}`).join(' ')
    const checked = trainingConfigSchema.safeParse(raw)
    if (!checked.success) {
      const issue = checked.error.issues[0]
      const path = issue.path.join('.')
      throw sweepError('sweep.invalid_config', `the run ${label} has an invalid config: ${path ? `${path}: ` : ''}${issue.message}`, { label, field: path, problem: issue.message })
    }
    // The schema drops what a changed optimizer does not take; the swept value must survive it.
    for (const axis of axes) {
      if (readPath(checked.data, axis.field) === undefined) {
        throw sweepError('sweep.field_dropped', `the run ${label} has no ${axis.field} once its other values are applied (that optimizer or schedule does not take it)`, { label, field: axis.field })
      }
    }
    return { index, label, values, config: checked.data }
  })
}

// What the contract carries about sweeps (src/shared/contract.ts: sweeps.*).
export const SWEEP_STATUSES = ['active', 'paused', 'cancelled', 'finished'] as const
export const SWEEP_ITEM_STATES = ['queued', 'claimed', 'cancelled', 'failed'] as const
const sweepValueSchema = z.union([z.number(), z.string(), z.boolean()])

export const sweepCountsSchema = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  /** Claimed and not ended yet (starting, running or paused). */
  running: z.number().int(),
  finished: z.number().int(),
  /** Ended other than finished: stopped, diverged, failed, or could not start. */
  failed: z.number().int(),
  /** Running when its process died: reported, not run again. */
  interrupted: z.number().int(),
  cancelled: z.number().int()
})
export type SweepCounts = z.infer<typeof sweepCountsSchema>

export const sweepSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  dataset_id: z.string(),
  model_name: z.string(),
  mode: z.enum(SWEEP_MODES),
  trials: z.number().nullable(),
  seed: z.number().nullable(),
  concurrency: z.number().int(),
  status: z.enum(SWEEP_STATUSES),
  created_at: z.string(),
  ended_at: z.string().nullable(),
  axes: z.array(sweepAxisSchema),
  /** The canonical swept fields, in axis order. */
  fields: z.array(z.string()),
  counts: sweepCountsSchema
})
export type SweepSummary = z.infer<typeof sweepSummarySchema>

export const sweepItemSchema = z.object({
  index: z.number().int(),
  label: z.string(),
  values: z.record(z.string(), sweepValueSchema),
  state: z.enum(SWEEP_ITEM_STATES),
  run_id: z.string().nullable(),
  /** The run's status once its row exists. */
  run_status: z.string().nullable(),
  error: z.string().nullable(),
  final_metrics: z.record(z.string(), z.number()),
  best_metrics: z.record(z.string(), z.number())
})
export type SweepItem = z.infer<typeof sweepItemSchema>

export const sweepDetailSchema = sweepSummarySchema.extend({ items: z.array(sweepItemSchema) })
export type SweepDetail = z.infer<typeof sweepDetailSchema>

/** Whether an item is done: it will not start or change any more. */
export function sweepItemDone(item: Pick<SweepItem, 'state' | 'run_status'>): boolean {
  if (item.state === 'cancelled' || item.state === 'failed') return true
  return item.state === 'claimed' && item.run_status !== null && !['queued', 'running', 'paused'].includes(item.run_status)
}

/** Counts of a sweep's items by what became of them. */
export function sweepCounts(items: ReadonlyArray<Pick<SweepItem, 'state' | 'run_status'>>): SweepCounts {
  const counts: SweepCounts = { total: items.length, queued: 0, running: 0, finished: 0, failed: 0, interrupted: 0, cancelled: 0 }
  for (const item of items) {
    if (item.state === 'queued') counts.queued++
    else if (item.state === 'cancelled') counts.cancelled++
    else if (item.state === 'failed') counts.failed++
    else if (item.run_status === null || ['queued', 'running', 'paused'].includes(item.run_status)) counts.running++
    else if (item.run_status === 'finished') counts.finished++
    else if (item.run_status === 'interrupted') counts.interrupted++
    else counts.failed++
  }
  return counts
}
