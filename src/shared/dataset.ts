// Data set descriptors as stored beside the tensors (<dataDir>/datasets/<id>/descriptor.json)
// and shown by the views.
import { z } from 'zod'

export const TASKS = ['binary', 'multiclass', 'regression'] as const
export const taskSchema = z.enum(TASKS)
export type Task = z.infer<typeof taskSchema>

export const columnStatsSchema = z.object({
  name: z.string(),
  role: z.enum(['feature', 'target', 'ignore']),
  type: z.enum(['numeric', 'categorical']),
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  missing: z.number().int(),
  /** Categories of a categorical column, in one-hot order. */
  categories: z.array(z.string()).optional()
})
export type ColumnStats = z.infer<typeof columnStatsSchema>

export const splitInfoSchema = z.object({
  count: z.number().int().min(0),
  /** Rows per class (index = class), for classification sets. */
  class_counts: z.array(z.number().int()).optional()
})

export const datasetDescriptorSchema = z.object({
  format_version: z.literal(1),
  id: z.string(),
  name: z.string(),
  source: z.object({
    kind: z.enum(['builtin', 'generator', 'csv', 'idx']),
    /** File names or generator name and its parameters. */
    detail: z.record(z.string(), z.unknown()).default({})
  }),
  task: taskSchema,
  /** Shape of one sample, e.g. [784] or [28, 28, 1]. */
  feature_shape: z.array(z.number().int().positive()),
  /** Class names for classification (index = label); empty for regression. */
  classes: z.array(z.string()),
  /** Number of regression targets (1 for most), or 1 for a class index. */
  target_size: z.number().int().positive(),
  /** Whether the set holds images that the views can draw as a grid: [height, width, channels]. */
  image_shape: z.array(z.number().int().positive()).nullable(),
  preprocessing: z.object({
    scaling: z.enum(['none', 'minmax', 'standard', 'divide255']),
    missing: z.enum(['drop', 'fill', 'refuse']).optional(),
    one_hot_columns: z.array(z.string()).default([]),
    /**
     * Per-feature affine scaling fitted on the training split: stored = (raw - offset) * scale.
     * Absent where the scaling is applied on load (uint8 pixels / 255) or there is none.
     */
    scaler: z.object({ offset: z.array(z.number()), scale: z.array(z.number()) }).optional()
  }),
  /** How the tensor files are stored: uint8 pixels are scaled on load, float32 is stored scaled. Absent means float32. */
  storage: z.object({ x_dtype: z.enum(['float32', 'uint8']), y_dtype: z.enum(['float32', 'uint8']) }).optional(),
  /** Name of each feature after encoding (one-hot columns become `column=category`), for tabular sets. */
  feature_names: z.array(z.string()).optional(),
  splits: z.object({
    train: splitInfoSchema,
    validation: splitInfoSchema.optional(),
    test: splitInfoSchema.optional()
  }),
  columns: z.array(columnStatsSchema).default([]),
  /** sha256 over the stored tensor files, in a fixed order. */
  fingerprint: z.string(),
  created_at: z.string()
})
export type DatasetDescriptor = z.infer<typeof datasetDescriptorSchema>
export type SplitName = 'train' | 'validation' | 'test'

export const csvImportOptionsSchema = z.object({
  path: z.string(),
  name: z.string().optional(),
  delimiter: z.string().length(1).optional(),
  has_header: z.boolean().optional(),
  /** Column name → role; columns not listed are features, the last column is the target by default. */
  roles: z.record(z.string(), z.enum(['feature', 'target', 'ignore'])).optional(),
  target_kind: z.enum(['classes', 'regression']).optional(),
  missing: z.enum(['drop', 'fill', 'refuse']).default('refuse'),
  scaling: z.enum(['none', 'minmax', 'standard', 'divide255']).default('none'),
  split: z.object({ validation: z.number().min(0).lt(1).default(0), test: z.number().min(0).lt(1).default(0.2) }).default({ validation: 0, test: 0.2 }),
  seed: z.number().int().min(0).default(42)
})
export type CsvImportOptions = z.infer<typeof csvImportOptionsSchema>

export const idxImportOptionsSchema = z.object({
  name: z.string().optional(),
  train_images: z.string(),
  train_labels: z.string(),
  test_images: z.string().optional(),
  test_labels: z.string().optional(),
  scaling: z.enum(['none', 'divide255']).default('divide255'),
  /** Number of classes; labels must lie in 0..num_classes-1. Default: the largest label + 1. */
  num_classes: z.number().int().min(2).max(256).optional(),
  validation: z.number().min(0).lt(1).default(0),
  seed: z.number().int().min(0).default(42)
})
export type IdxImportOptions = z.infer<typeof idxImportOptionsSchema>

/** What the CSV wizard shows before committing an import. */
export const csvPreviewSchema = z.object({
  delimiter: z.string(),
  has_header: z.boolean(),
  columns: z.array(z.object({ name: z.string(), type: z.enum(['numeric', 'categorical']), missing: z.number().int(), distinct: z.number().int() })),
  rows: z.array(z.array(z.string())),
  row_count_estimate: z.number().int()
})
export type CsvPreview = z.infer<typeof csvPreviewSchema>
