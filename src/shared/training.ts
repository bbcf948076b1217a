// The training configuration: everything besides the model that decides how a run trains.
// Keras names (snake_case) so that a config reads like the Keras call it mirrors.
import { z } from 'zod'
import type { Task } from './dataset'
import { metricDirection } from './metric-best'

const positive = z.number().positive()
const unit = z.number().min(0).max(1)

export const optimizerSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('sgd'), learning_rate: positive.default(0.01), momentum: z.number().min(0).default(0), nesterov: z.boolean().default(false) }),
  z.object({ name: z.literal('rmsprop'), learning_rate: positive.default(0.001), rho: unit.default(0.9), momentum: z.number().min(0).default(0), epsilon: positive.default(1e-7) }),
  z.object({ name: z.literal('adam'), learning_rate: positive.default(0.001), beta_1: unit.default(0.9), beta_2: unit.default(0.999), epsilon: positive.default(1e-7) }),
  z.object({ name: z.literal('adagrad'), learning_rate: positive.default(0.01), initial_accumulator_value: z.number().min(0).default(0.1) }),
  z.object({ name: z.literal('adadelta'), learning_rate: positive.default(1), rho: unit.default(0.95), epsilon: positive.default(1e-7) }),
  z.object({ name: z.literal('adamax'), learning_rate: positive.default(0.002), beta_1: unit.default(0.9), beta_2: unit.default(0.999), epsilon: positive.default(1e-7) })
])
export type OptimizerConfig = z.infer<typeof optimizerSchema>
export const OPTIMIZER_NAMES = ['sgd', 'rmsprop', 'adam', 'adagrad', 'adadelta', 'adamax'] as const
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number]

/** Learning-rate schedules. `time_decay` is Keras's legacy `decay`: lr = lr0 / (1 + decay * step). */
export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant') }),
  z.object({ kind: z.literal('time_decay'), decay: z.number().min(0) }),
  z.object({ kind: z.literal('step_decay'), drop: z.number().gt(0).max(1), every_epochs: z.number().int().positive() }),
  z.object({ kind: z.literal('exponential'), decay_rate: z.number().gt(0).max(1), decay_steps: z.number().int().positive() }),
  z.object({
    kind: z.literal('reduce_on_plateau'),
    monitor: z.string().default('val_loss'),
    factor: z.number().gt(0).lt(1).default(0.1),
    patience: z.number().int().min(0).default(10),
    min_delta: z.number().min(0).default(1e-4),
    /** Epochs to wait after a reduction before counting epochs without improvement again (Keras's cooldown). */
    cooldown: z.number().int().min(0).default(0),
    min_lr: z.number().min(0).default(0)
  })
])
export type ScheduleConfig = z.infer<typeof scheduleSchema>

export const LOSSES = ['mean_squared_error', 'mean_absolute_error', 'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy'] as const
export const lossSchema = z.enum(LOSSES)
export type LossName = z.infer<typeof lossSchema>

/** `accuracy` is resolved to binary, categorical or sparse accuracy from the loss, as Keras does. */
export const METRICS = ['accuracy', 'mse', 'mae', 'precision', 'recall', 'auc'] as const
export const metricSchema = z.enum(METRICS)
export type MetricName = z.infer<typeof metricSchema>

export const budgetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('epochs'), epochs: z.number().int().positive() }),
  /** Seed 000 style: each step draws a fresh random mini-batch (without replacement within the batch). */
  z.object({ kind: z.literal('steps'), steps: z.number().int().positive(), eval_every: z.number().int().positive().default(1000) })
])
export type BudgetConfig = z.infer<typeof budgetSchema>

export const validationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  /** Take the last `fraction` of the (shuffled) training rows, as Keras's validation_split. */
  z.object({ kind: z.literal('split'), fraction: z.number().gt(0).lt(1) }),
  /** Use the data set's own validation split, or its test split when it has none. */
  z.object({ kind: z.literal('dataset'), split: z.enum(['validation', 'test']).default('validation') })
])
export type ValidationConfig = z.infer<typeof validationSchema>

export const earlyStoppingSchema = z.object({
  monitor: z.string().default('val_loss'),
  patience: z.number().int().min(0).default(5),
  min_delta: z.number().min(0).default(0),
  mode: z.enum(['auto', 'min', 'max']).default('auto'),
  restore_best_weights: z.boolean().default(true)
})
export type EarlyStoppingConfig = z.infer<typeof earlyStoppingSchema>

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const
export const backendNameSchema = z.enum(BACKENDS)
export type BackendName = z.infer<typeof backendNameSchema>
export const backendChoiceSchema = z.union([z.literal('auto'), backendNameSchema])
export type BackendChoice = z.infer<typeof backendChoiceSchema>

export const trainingConfigSchema = z.object({
  optimizer: optimizerSchema.default({ name: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }),
  schedule: scheduleSchema.default({ kind: 'constant' }),
  loss: lossSchema,
  metrics: z.array(metricSchema).default(['accuracy']),
  budget: budgetSchema.default({ kind: 'epochs', epochs: 10 }),
  batch_size: z.number().int().positive().default(32),
  shuffle: z.boolean().default(true),
  validation: validationSchema.default({ kind: 'split', fraction: 0.1 }),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
  early_stopping: earlyStoppingSchema.nullable().default(null),
  backend: backendChoiceSchema.default('auto'),
  /**
   * Threads of the wasm backend (XNNPACK's pool, 1–8), used when the trainer starts wasm.
   * Absent: the engine's default (1; two threads gained nothing on our busy 2-core machines).
   */
  threads: z.number().int().min(1).max(8).optional(),
  /** Evaluate on the data set's test split when training ends. */
  evaluate_test: z.boolean().default(true)
})
export type TrainingConfig = z.infer<typeof trainingConfigSchema>
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>

/** Loss and metrics that fit a task: the labels are class indices for multiclass sets, hence the sparse loss. */
export function lossForTask(task: Task): { loss: LossName; metrics: MetricName[] } {
  switch (task) {
    case 'binary':
      return { loss: 'binary_crossentropy', metrics: ['accuracy'] }
    case 'multiclass':
      return { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }
    case 'regression':
      return { loss: 'mean_squared_error', metrics: ['mae'] }
  }
}

/** Losses that make sense for a task, the default first. */
export function lossesForTask(task: Task): LossName[] {
  switch (task) {
    case 'binary':
      return ['binary_crossentropy', 'mean_squared_error']
    case 'multiclass':
      return ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'mean_squared_error']
    case 'regression':
      return ['mean_squared_error', 'mean_absolute_error']
  }
}

/** Keras's `mode: 'auto'`: accuracy-like metrics improve upwards, losses and errors downwards. */
export function metricPrefersHigher(name: string): boolean {
  return metricDirection(name) === 'max'
}

/** Keras's names for the metrics we store under shorter ones (Keras 2+ logs `accuracy`, `val_accuracy`). */
const KERAS_METRIC_NAMES: Record<string, string> = { acc: 'accuracy', mse: 'mse', mae: 'mae' }
const FROM_KERAS: Record<string, string> = { accuracy: 'acc', mean_squared_error: 'mse', mean_absolute_error: 'mae' }

/** Our stored metric name for a monitor given either way: `val_accuracy` → `val_acc`, `accuracy` → `acc`; others unchanged. */
export function canonicalMetricName(name: string): string {
  const match = /^(val_|test_)?(.*)$/.exec(name)!
  const prefix = match[1] ?? ''
  const base = match[2]
  return prefix + (FROM_KERAS[base] ?? base)
}

/** The name Keras logs for one of our metric names: `val_acc` → `val_accuracy`. */
export function kerasMetricName(name: string): string {
  const match = /^(val_|test_)?(.*)$/.exec(name)!
  return (match[1] ?? '') + (KERAS_METRIC_NAMES[match[2]] ?? match[2])
}

/** The training metrics a run reports for `metrics`, in the order the engine's metric plan gives them (loss first). */
export function trainMetricNames(metrics: readonly MetricName[]): string[] {
  const wanted = new Set(metrics)
  const names = ['loss']
  if (wanted.has('accuracy')) names.push('acc')
  if (wanted.has('mse')) names.push('mse')
  if (wanted.has('mae')) names.push('mae')
  if (wanted.has('precision')) names.push('precision')
  if (wanted.has('recall')) names.push('recall')
  if (wanted.has('auc')) names.push('auc')
  return names
}

/**
 * The per-epoch metric names a run with this config reports and may monitor: the training
 * metrics, then the same with `val_` when it validates on held-out rows. (The names do not depend
 * on the task; `lr` and the `test_` metrics are reported too but cannot be monitored.)
 */
export function monitorableMetricNames(config: Pick<TrainingConfig, 'metrics' | 'validation'>): string[] {
  const names = trainMetricNames(config.metrics)
  return config.validation.kind === 'none' ? names : [...names, ...names.map((name) => `val_${name}`)]
}

/**
 * Refuses a monitor (early stopping's or reduce-on-plateau's) that the run will not report.
 * Keras names (`val_accuracy`, `accuracy`) are accepted for ours. Returns the error message, with
 * the names that do exist, or null when every monitor exists. `available` defaults to
 * {@link monitorableMetricNames}.
 */
export function checkMonitor(config: Pick<TrainingConfig, 'metrics' | 'validation' | 'early_stopping' | 'schedule'>, available: readonly string[] = monitorableMetricNames(config)): string | null {
  const monitors: Array<[string, string]> = []
  if (config.early_stopping) monitors.push(['Early stopping', config.early_stopping.monitor])
  if (config.schedule.kind === 'reduce_on_plateau') monitors.push(['Reduce-on-plateau', config.schedule.monitor])
  for (const [what, monitor] of monitors) {
    const name = canonicalMetricName(monitor)
    if (available.includes(name)) continue
    const base = name.replace(/^val_/, '')
    let why: string
    if (name.startsWith('val_') && !available.some((n) => n.startsWith('val_'))) why = 'the run has no validation data (choose a validation fraction or the data set\'s validation split, or monitor a training metric)'
    else if (name.startsWith('test_')) why = 'test metrics are computed only once training has ended'
    else if ((METRICS as readonly string[]).includes(base === 'acc' ? 'accuracy' : base)) why = `${base === 'acc' ? 'accuracy' : base} is not among the run's metrics (add it to the metrics)`
    else why = 'no metric has that name'
    return `${what} monitors "${monitor}", which this run does not report: ${why}. Metrics it reports: ${available.join(', ')} (Keras names such as val_accuracy are accepted).`
  }
  return null
}
