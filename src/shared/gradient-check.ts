// runs.gradientCheck's request and answer (the engine is src/main/engine/gradient-check.ts): a
// run's saved weights, or a spec built untrained with its seed, on a small seeded batch of the
// data set's training split; per weight tensor the largest and mean relative error between
// back-propagation and central differences, and a verdict.
import { z } from 'zod'
import { modelSpecSchema } from './model-spec'
import { lossSchema } from './training'

const runId = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.:-]+$/, 'ids are letters, digits and _ . : -')

export const gradientCheckRequestSchema = z
  .object({
    /** A run: its chosen weights (best or last, the default as evaluate's), its loss and seed. */
    run_id: runId.optional(),
    weights: z.enum(['best', 'last']).optional(),
    /** Or an untrained model: the spec built with `seed`, checked on `dataset_id` with `loss` (default: the data set task's loss). */
    spec: modelSpecSchema.optional(),
    dataset_id: runId.optional(),
    loss: lossSchema.optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    batch_size: z.number().int().min(1).max(64).default(8),
    samples_per_tensor: z.number().int().min(1).max(500).default(50),
    /** The nudge h; 1e-3 fits float32 (see the engine's header). */
    epsilon: z.number().min(1e-5).max(1e-1).default(1e-3),
    /** The id of the job.progress events this check sends (default: gradcheck:<run or spec name>). */
    job: z.string().min(1).max(200).optional()
  })
  .refine((r) => (r.run_id !== undefined) !== (r.spec !== undefined), { message: 'give either run_id (a run) or spec with dataset_id (an untrained model), not both' })
  .refine((r) => r.spec === undefined || r.dataset_id !== undefined, { message: 'an untrained model (spec) needs dataset_id: the data its loss is measured on', path: ['dataset_id'] })

export const gradientVerdictSchema = z.enum(['pass', 'suspicious', 'fail', 'inconclusive'])
export type GradientVerdict = z.infer<typeof gradientVerdictSchema>

export const gradientCheckTensorSchema = z.object({
  layer_index: z.number().int(),
  layer: z.string(),
  class_name: z.string(),
  weight: z.string(),
  shape: z.array(z.number()),
  size: z.number().int(),
  sampled: z.number().int(),
  kinks: z.number().int(),
  max_rel_error: z.number().nullable(),
  mean_rel_error: z.number().nullable(),
  worst: z.object({ index: z.number().int(), analytic: z.number(), numeric: z.number() }).nullable(),
  verdict: gradientVerdictSchema
})
export type GradientCheckTensorRow = z.infer<typeof gradientCheckTensorSchema>

export const gradientCheckResultSchema = z.object({
  tensors: z.array(gradientCheckTensorSchema),
  verdict: gradientVerdictSchema,
  loss: z.number(),
  loss_name: lossSchema,
  batch_size: z.number().int(),
  epsilon: z.number(),
  error_floor: z.number(),
  tolerances: z.object({ pass: z.number(), fail: z.number() }),
  samples_per_tensor: z.number().int(),
  seed: z.number().int(),
  compared: z.number().int(),
  kinks: z.number().int(),
  /** The training-split rows of the batch. */
  rows: z.array(z.number().int()),
  /** What was checked: a run's weights (which, epoch) or an untrained spec. */
  source: z.union([
    z.object({ kind: z.literal('run'), run_id: z.string(), which: z.enum(['best', 'last']), epoch: z.number().nullable() }),
    z.object({ kind: z.literal('untrained'), model_name: z.string(), dataset_id: z.string() })
  ])
})
export type GradientCheckAnswer = z.infer<typeof gradientCheckResultSchema>
