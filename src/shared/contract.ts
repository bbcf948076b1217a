// The one API between the views and the back end: method → request/response schemas, event →
// payload schema. Both hosts (Electron IPC, browser WebSocket) implement exactly this, and the
// back end validates every request against it before acting.
import { z } from 'zod'
import { csvImportOptionsSchema, csvPreviewOptionsSchema, csvPreviewSchema, datasetDescriptorSchema, datasetRowsSchema, idxImportOptionsSchema } from './dataset'
import { modelSpecSchema } from './model-spec'
import { activeRunSchema, progressEventSchema, runDetailSchema, runSeriesSchema, runSummarySchema, metricValuesSchema } from './run'
import { backendNameSchema, trainingConfigSchema } from './training'
import { distributionsSchema } from './distributions'
import { lrFinderOptionsSchema, lrFinderResultSchema } from './lr-finder'
import { SWEEP_MODES, sweepAxisSchema, sweepDetailSchema, sweepSummarySchema } from './sweep'
import { gradientCheckRequestSchema, gradientCheckResultSchema } from './gradient-check'

const id = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:-]+$/, 'ids are letters, digits and _ . : -')
const empty = z.object({}).strict()
const ok = z.object({ ok: z.literal(true) })

export const exampleSchema = z.object({
  id: z.string(),
  title: z.string(),
  seed_document: z.string(),
  description: z.string(),
  spec: modelSpecSchema,
  config: trainingConfigSchema,
  dataset_id: z.string()
})
export type Example = z.infer<typeof exampleSchema>

/** `unchanged`: models.save found the spec equal to the latest version's and made no new one (that version is returned). */
export const savedModelSchema = z.object({ id: z.string(), name: z.string(), version: z.number().int(), spec: modelSpecSchema, created_at: z.string(), unchanged: z.boolean().optional() })
export type SavedModel = z.infer<typeof savedModelSchema>

/** Which saved weights of a run to use: `best` (the monitored best epoch) or `last`; absent means the run's default. */
export const weightsChoiceSchema = z.enum(['best', 'last'])
export type WeightsChoice = z.infer<typeof weightsChoiceSchema>
/** Which weights a result came from, and their (1-based) epoch. */
export const weightsUsedSchema = z.object({ which: weightsChoiceSchema, epoch: z.number().nullable(), default: z.boolean() })
export type WeightsUsed = z.infer<typeof weightsUsedSchema>

export const evaluationSchema = z.object({
  split: z.enum(['train', 'validation', 'test']),
  metrics: metricValuesSchema,
  /** confusion[true][predicted], classification only. */
  confusion: z.array(z.array(z.number())).nullable(),
  per_class: z.array(z.object({ label: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })).nullable(),
  /** Which saved weights were evaluated. */
  weights: weightsUsedSchema.optional(),
  /** Classification: the model's output row for every sample of the split, in split order (ROC/PR curves, thresholds, the samples behind a cell). */
  scores: z.array(z.array(z.number())).optional(),
  /** Classification: every sample's true class, in split order. */
  truth: z.array(z.number()).optional(),
  /** The run's saved decision threshold for binary tasks (`runs.setThreshold`); null when it uses 0.5 by default. */
  decision_threshold: z.number().nullable().optional()
})
export type Evaluation = z.infer<typeof evaluationSchema>

/** Formats with a trained model first (each verified by an independent reader), then scripts, metrics and the spec. */
export const EXPORT_FORMATS = ['tfjs', 'keras', 'h5', 'onnx', 'pytorch', 'keras_script', 'torch_job', 'metrics_csv', 'metrics_json', 'spec_json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const verificationSchema = z.object({
  verified_by: z.string().nullable(),
  max_abs_diff: z.number().nullable(),
  rows: z.number(),
  note: z.string().nullable()
})
export type ExportVerification = z.infer<typeof verificationSchema>

export const exportResultSchema = z.object({
  file_name: z.string(),
  mime: z.string(),
  data_base64: z.string(),
  format: z.enum(EXPORT_FORMATS),
  /** The files of the export (inside the archive), with their sha256. */
  files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })),
  weights: weightsUsedSchema.nullable(),
  verification: verificationSchema.nullable()
})
export type ExportResult = z.infer<typeof exportResultSchema>

const predictRecordSchema = z.record(z.string().max(200), z.union([z.string().max(1000), z.number(), z.null()]))

function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) {
  return { request, response }
}

export const methods = {
  'app.info': method(empty, z.object({ version: z.string(), host: z.enum(['electron', 'browser']), data_dir: z.string(), backends: z.array(z.object({ name: backendNameSchema, available: z.boolean(), reason: z.string().nullable() })) })),

  'datasets.list': method(empty, z.array(datasetDescriptorSchema)),
  'datasets.get': method(z.object({ id }), datasetDescriptorSchema),
  'datasets.samples': method(
    z.object({ id, split: z.enum(['train', 'validation', 'test']).default('train'), offset: z.number().int().min(0).default(0), count: z.number().int().min(1).max(256).default(32) }),
    z.object({ shape: z.array(z.number()), features: z.array(z.array(z.number())), labels: z.array(z.number()) })
  ),
  'datasets.previewCsv': method(csvPreviewOptionsSchema.extend({ file: id }), csvPreviewSchema),
  /** Raw rows of a tabular set (file values: numbers unscaled, categories by name), a page at a time. */
  'datasets.rows': method(z.object({ id, split: z.enum(['train', 'validation', 'test']).default('train'), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(50) }), datasetRowsSchema),
  'datasets.importCsv': method(csvImportOptionsSchema.omit({ path: true }).extend({ file: id }), datasetDescriptorSchema),
  'datasets.importIdx': method(
    idxImportOptionsSchema.omit({ train_images: true, train_labels: true, test_images: true, test_labels: true }).extend({ train_images: id, train_labels: id, test_images: id.optional(), test_labels: id.optional() }),
    datasetDescriptorSchema
  ),
  'datasets.delete': method(z.object({ id }), ok),

  /** Files reach the back end in chunks, whichever host; `file` ids are then used by the importers. */
  'uploads.begin': method(z.object({ name: z.string().min(1).max(255), size: z.number().int().min(0) }), z.object({ file: id })),
  'uploads.chunk': method(z.object({ file: id, offset: z.number().int().min(0), data_base64: z.string().max(8 * 1024 * 1024) }), z.object({ received: z.number() })),
  'uploads.finish': method(z.object({ file: id }), z.object({ file: id, size: z.number() })),

  'examples.list': method(empty, z.array(exampleSchema)),
  'models.list': method(empty, z.array(savedModelSchema)),
  'models.save': method(z.object({ name: z.string().min(1).max(200), spec: modelSpecSchema }), savedModelSchema),
  /**
   * Opens an uploaded model file (.keras, legacy .h5, TF.js model.json / .tfjs.tar / our .zip, Keras JSON, our spec): the
   * architecture as a spec whose layers carry the file's weights (so training it fine-tunes them), and
   * with `dataset_id`, also a finished run holding those weights, to evaluate and predict with.
   */
  'models.import': method(
    z.object({ file: id, name: z.string().max(200).optional(), dataset_id: id.optional() }),
    z.object({
      source: z.enum(['keras', 'h5', 'tfjs', 'keras_json', 'spec']),
      spec: modelSpecSchema,
      weights_included: z.boolean(),
      notices: z.array(z.string()),
      keras_version: z.string().nullable(),
      /** The imported preprocessing.json (our own exports carry one), or null. */
      preprocessing: z.record(z.string(), z.unknown()).nullable(),
      run_id: id.nullable()
    })
  ),

  'runs.start': method(z.object({ name: z.string().max(200).optional(), spec: modelSpecSchema, config: trainingConfigSchema, dataset_id: id }), z.object({ run_id: id })),
  'runs.stop': method(z.object({ run_id: id }), ok),
  'runs.pause': method(z.object({ run_id: id }), ok),
  'runs.resume': method(z.object({ run_id: id }), ok),
  'runs.list': method(empty, z.array(runSummarySchema)),
  /** The runs this back end trains now, with their latest progress: what a client that connects or reloads attaches to. */
  'runs.active': method(empty, z.array(activeRunSchema)),
  'runs.get': method(z.object({ run_id: id }), runDetailSchema),
  'runs.series': method(z.object({ run_id: id, max_points: z.number().int().min(10).max(100_000).default(5000) }), runSeriesSchema),
  'runs.update': method(z.object({ run_id: id, name: z.string().max(200).optional(), tags: z.array(z.string().max(60)).max(50).optional(), notes: z.string().max(20_000).optional() }), runSummarySchema),
  'runs.delete': method(z.object({ run_id: id }), ok),
  /** `scores: true` adds every sample's output row and label (`scores`, `truth`): what ROC/PR curves and the sample browser need. */
  'runs.evaluate': method(z.object({ run_id: id, split: z.enum(['train', 'validation', 'test']).default('test'), weights: weightsChoiceSchema.optional(), scores: z.boolean().default(false) }), evaluationSchema),
  /**
   * Predictions for RAW inputs: `records` by column name (tables, as in the CSV file) or `inputs` as
   * arrays of raw numbers (pixels 0–255, file values); the data set's scaling and encodings are
   * applied as in training. `preprocessed: true` passes `inputs` to the network as they are.
   */
  'runs.predict': method(
    z.object({ run_id: id, inputs: z.array(z.array(z.number())).max(10_000).optional(), records: z.array(predictRecordSchema).max(10_000).optional(), preprocessed: z.boolean().default(false), weights: weightsChoiceSchema.optional(), threshold: z.number().min(0).max(1).optional() }),
    /** `threshold`: the decision threshold the binary classes were taken at (the request's, else the run's saved one, else 0.5); null when not binary. */
    z.object({ probabilities: z.array(z.array(z.number())), classes: z.array(z.number()).nullable(), labels: z.array(z.string()).nullable(), weights: weightsUsedSchema, threshold: z.number().nullable() })
  ),
  /** Saves a binary classifier's decision threshold with the run (null: back to 0.5); predict and exports use it. */
  'runs.setThreshold': method(z.object({ run_id: id, threshold: z.number().min(0).max(1).nullable() }), z.object({ run_id: id, threshold: z.number().nullable() })),
  /** The trained layer weights (Keras get_weights), row-major. */
  'runs.weights': method(z.object({ run_id: id }), z.array(z.object({ name: z.string(), layer: z.string(), shape: z.array(z.number()), values: z.array(z.number()) }))),
  /** Per-layer weight and probe-activation summaries over epochs (epoch 0 = before training) and the dead-relu / saturated flags. */
  'runs.distributions': method(z.object({ run_id: id }), distributionsSchema),
  /** A short range test from the spec's initial weights: loss per step as the rate rises exponentially, and a suggested rate (job.progress `lr-finder:<job>`). */
  'runs.findLearningRate': method(z.object({ spec: modelSpecSchema, dataset_id: id, config: trainingConfigSchema, job: id.optional() }).extend(lrFinderOptionsSchema.shape), lrFinderResultSchema),
  'runs.export': method(z.object({ run_id: id, format: z.enum(EXPORT_FORMATS), weights: weightsChoiceSchema.optional() }), exportResultSchema),
  /** Back-propagation against central differences per weight tensor (src/shared/gradient-check.ts), on a run's weights or an untrained spec; job.progress while it runs. */
  'runs.gradientCheck': method(gradientCheckRequestSchema, gradientCheckResultSchema),

  /** A hyperparameter sweep: the base config with swept fields (lists or ranges, src/shared/sweep.ts), queued as runs started `concurrency` at a time. */
  'sweeps.create': method(
    z.object({
      name: z.string().max(200).optional(),
      spec: modelSpecSchema,
      dataset_id: id,
      base_config: trainingConfigSchema,
      axes: z.array(sweepAxisSchema).min(1).max(10),
      mode: z.enum(SWEEP_MODES).default('grid'),
      trials: z.number().int().min(1).max(500).optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
      concurrency: z.number().int().min(1).max(8).default(1)
    }),
    sweepSummarySchema
  ),
  'sweeps.list': method(empty, z.array(sweepSummarySchema)),
  'sweeps.get': method(z.object({ sweep_id: id }), sweepDetailSchema),
  /** No new runs start; running ones go on. */
  'sweeps.pause': method(z.object({ sweep_id: id }), sweepSummarySchema),
  'sweeps.resume': method(z.object({ sweep_id: id }), sweepSummarySchema),
  /** Queued runs are cancelled and running ones stopped. */
  'sweeps.cancel': method(z.object({ sweep_id: id }), sweepSummarySchema),
  /** Runs interrupted by a crash (or that could not start) are never run again on their own: this queues them again, once. */
  'sweeps.retry': method(z.object({ sweep_id: id }), sweepSummarySchema)
} as const

export const events = {
  'run.progress': progressEventSchema,
  'runs.changed': z.object({ run_id: z.string() }),
  /** A sweep started a run, a run of it ended, or it was paused, resumed, cancelled or finished. */
  'sweeps.changed': z.object({ sweep_id: z.string() }),
  'datasets.changed': z.object({ id: z.string() }),
  /** A long back-end job (import, evaluation): done of total, in the job's own units. */
  'job.progress': z.object({ job: z.string(), label: z.string(), done: z.number(), total: z.number() }),
  /** Desktop menu commands forwarded to the views (new, open, import, export, undo, redo). */
  'menu.command': z.object({ command: z.enum(['new', 'open', 'import-dataset', 'export', 'undo', 'redo', 'view-datasets', 'view-designer', 'view-train', 'view-runs', 'view-compare', 'view-evaluate']) })
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type Request<M extends MethodName> = z.input<Methods[M]['request']>
export type Response<M extends MethodName> = z.output<Methods[M]['response']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>
export const METHOD_NAMES = Object.keys(methods) as MethodName[]
export const EVENT_NAMES = Object.keys(events) as EventName[]

/** What the renderer talks to; one implementation per host. */
export interface WorkbenchClient {
  call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

/** An error that crosses the contract: see src/shared/errors.ts (code, message, reason, details). */
export type { ContractError } from './errors'
