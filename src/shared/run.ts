// Runs as recorded in the run store and streamed to the views.
import { z } from 'zod'
import { backendNameSchema, trainingConfigSchema } from './training'
import { modelSpecSchema } from './model-spec'

export const RUN_STATUSES = ['queued', 'running', 'paused', 'finished', 'stopped', 'diverged', 'failed', 'interrupted'] as const
export const runStatusSchema = z.enum(RUN_STATUSES)
export type RunStatus = z.infer<typeof runStatusSchema>
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running', 'paused']

/** Metric values keyed by Keras-style names: loss, acc, val_loss, val_acc, test_acc, lr, … */
export const metricValuesSchema = z.record(z.string(), z.number())
export type MetricValues = z.infer<typeof metricValuesSchema>

export const backendInfoSchema = z.object({
  name: backendNameSchema,
  /** Why each better backend of the ladder was not used (backend → reason). */
  skipped: z.array(z.object({ backend: backendNameSchema, reason: z.string() })),
  forced: z.boolean(),
  /** The GPU adapter the webgpu backend ran on (Dawn's adapter info), when it is webgpu. */
  adapter: z.string().optional()
})
export type BackendInfo = z.infer<typeof backendInfoSchema>

export const runSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  model_name: z.string(),
  dataset_id: z.string(),
  dataset_name: z.string(),
  status: runStatusSchema,
  optimizer: z.string(),
  learning_rate: z.number(),
  batch_size: z.number(),
  epochs: z.number().nullable(),
  steps: z.number().nullable(),
  backend: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  ended_at: z.string().nullable(),
  duration_s: z.number().nullable(),
  final_metrics: metricValuesSchema,
  best_metrics: metricValuesSchema,
  best_epoch: z.number().nullable(),
  /**
   * The best value of each per-epoch metric over the epochs it was reported (min of a loss, max
   * of an accuracy: src/shared/metric-best.ts). `best_metrics` is something else: every metric
   * AT the best epoch of the monitored metric. Filled by the runs service from the metric rows.
   */
  best_values: metricValuesSchema.optional(),
  /** Epochs trained (the last epoch with per-epoch metrics); `epochs` is the configured number. */
  epochs_trained: z.number().nullable().optional(),
  tags: z.array(z.string()),
  notes: z.string()
})
export type RunSummary = z.infer<typeof runSummarySchema>

export const runDetailSchema = runSummarySchema.extend({
  spec: modelSpecSchema,
  config: trainingConfigSchema,
  dataset_fingerprint: z.string(),
  seed: z.number(),
  backend_info: backendInfoSchema.nullable(),
  versions: z.record(z.string(), z.string()),
  error: z.string().nullable(),
  /** Step at which the loss became NaN/Inf, for diverged runs. */
  diverged_at_step: z.number().nullable()
})
export type RunDetail = z.infer<typeof runDetailSchema>

export const metricPointSchema = z.object({
  step: z.number(),
  epoch: z.number(),
  name: z.string(),
  value: z.number(),
  time: z.number()
})
export type MetricPoint = z.infer<typeof metricPointSchema>

/** Series of one run, columnar for charts: name → {step[], epoch[], value[]}. */
export const runSeriesSchema = z.record(z.string(), z.object({ step: z.array(z.number()), epoch: z.array(z.number()), value: z.array(z.number()), /** When each point was recorded (ms since 1970), for wall-time axes. */ time: z.array(z.number()).optional() }))
export type RunSeries = z.infer<typeof runSeriesSchema>

/** Events a trainer sends while it runs; also forwarded to the views. */
export const progressEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), run_id: z.string(), backend: backendInfoSchema, total_steps: z.number(), steps_per_epoch: z.number(), epochs: z.number().nullable(), versions: z.record(z.string(), z.string()) }),
  /**
   * `metrics.loss` is the epoch's running mean (Keras's progress bar); `step_losses`, when present,
   * holds the true loss of every step read since the previous batch event, the last one at `step`
   * (the values the loop reads anyway, so no extra device sync). The store keeps those as `batch/loss`.
   */
  z.object({ type: z.literal('batch'), run_id: z.string(), step: z.number(), epoch: z.number(), metrics: metricValuesSchema, samples_per_s: z.number(), eta_s: z.number().nullable(), progress: z.number(), step_losses: z.array(z.number()).optional() }),
  z.object({ type: z.literal('epoch'), run_id: z.string(), step: z.number(), epoch: z.number(), metrics: metricValuesSchema }),
  z.object({ type: z.literal('status'), run_id: z.string(), status: runStatusSchema, message: z.string().optional() }),
  z.object({ type: z.literal('ended'), run_id: z.string(), status: runStatusSchema, final_metrics: metricValuesSchema, best_metrics: metricValuesSchema, best_epoch: z.number().nullable(), error: z.string().nullable(), diverged_at_step: z.number().nullable() })
])
export type ProgressEvent = z.infer<typeof progressEventSchema>

/**
 * A run this back end is training now, as a client that connects (or reloads) needs it: its
 * status, the trainer's latest progress and the last epoch's metrics. The stored series
 * (runs.series) and the live run.progress events fill in the charts.
 */
export const activeRunSchema = z.object({
  run_id: z.string(),
  name: z.string(),
  model_name: z.string(),
  dataset_id: z.string(),
  status: runStatusSchema,
  /** Stop was asked for and the run has not ended yet. */
  stopping: z.boolean(),
  backend: backendInfoSchema.nullable(),
  total_steps: z.number().nullable(),
  steps_per_epoch: z.number().nullable(),
  /** Configured epochs (null for a step budget or before the trainer started). */
  epochs: z.number().nullable(),
  step: z.number(),
  epoch: z.number(),
  progress: z.number(),
  samples_per_s: z.number().nullable(),
  eta_s: z.number().nullable(),
  last_epoch_metrics: metricValuesSchema
})
export type ActiveRun = z.infer<typeof activeRunSchema>
