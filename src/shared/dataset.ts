// Data set descriptors as stored beside the tensors (<dataDir>/datasets/<id>/descriptor.json)
// and shown by the views.
import { z } from 'zod'
import { errorDetailsSchema } from './errors'

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

/** One warning an import leaves on its data set (a reason key, English text, details). */
export const datasetWarningSchema = z.object({ reason: z.string(), message: z.string(), details: errorDetailsSchema.default({}) })
export type DatasetWarning = z.infer<typeof datasetWarningSchema>

/**
 * Whether a model's input shape takes a data set's samples: the same number of values per sample
 * (a [28, 28, 1] model trains on 784-value MNIST rows; the trainer reshapes). The one rule the
 * run service, the Train view and the Designer all apply.
 */
export function inputShapeFits(inputShape: readonly number[], featureShape: readonly number[]): boolean {
  const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)
  return size(inputShape) === size(featureShape)
}

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
  /**
   * Set when every feature value is an integer token id in 0..size-1 (input to an Embedding,
   * whose input_dim must be at least `size`; never scaled). `padding_id` fills short sequences;
   * `tokens[id]` is the word each id stands for.
   */
  vocabulary: z.object({ size: z.number().int().min(2), padding_id: z.number().int().min(0).nullable(), tokens: z.array(z.string()) }).optional(),
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
  /** What the import noticed but did not refuse (IDX classes without images, …). */
  warnings: z.array(datasetWarningSchema).optional(),
  /** sha256 over the stored tensor files, in a fixed order. */
  fingerprint: z.string(),
  created_at: z.string()
})
export type DatasetDescriptor = z.infer<typeof datasetDescriptorSchema>

/**
 * Whether an Embedding with this `input_dim` takes every token id of a token set (ids run from 0
 * to vocabulary.size - 1); true for sets that are not token sets (nothing to check).
 */
export function embeddingTakesVocabulary(inputDim: number, descriptor: Pick<DatasetDescriptor, 'vocabulary'>): boolean {
  return !descriptor.vocabulary || inputDim >= descriptor.vocabulary.size
}
export type SplitName = 'train' | 'validation' | 'test'

/** One column's override in a CSV import or preview (index: 0-based position in the file). */
export const csvColumnOverrideSchema = z.object({
  index: z.number().int().min(0).max(9_999),
  name: z.string().trim().min(1).max(200).optional(),
  /** 'ignore' drops the column (as role 'ignore' does). */
  type: z.enum(['numeric', 'categorical', 'ignore']).optional(),
  role: z.enum(['feature', 'target', 'ignore']).optional(),
  /** This column's scaling instead of the import's `scaling` (numeric features only). */
  scaling: z.enum(['none', 'minmax', 'standard']).optional()
})
export type CsvColumnOverride = z.infer<typeof csvColumnOverrideSchema>

export const csvImportOptionsSchema = z.object({
  path: z.string(),
  name: z.string().optional(),
  delimiter: z.string().length(1).optional(),
  has_header: z.boolean().optional(),
  /** Lines dropped before the header (sklearn's files start with a count line: `178,13,class_0,…`). */
  skip_lines: z.number().int().min(0).max(1_000_000).optional(),
  /** The decimal separator of numeric cells: ',' reads `1,37` as 1.37 (then `1.37` is text). Default '.'. */
  decimal: z.enum(['.', ',']).optional(),
  /** Per-column overrides by the column's 0-based index in the file; they win over `roles`. */
  columns: z.array(csvColumnOverrideSchema).max(10_000).optional(),
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

/** The reading options a CSV preview honours (the same fields as the import's). */
export const csvPreviewOptionsSchema = z.object({
  delimiter: z.string().length(1).optional(),
  has_header: z.boolean().optional(),
  skip_lines: z.number().int().min(0).max(1_000_000).optional(),
  decimal: z.enum(['.', ',']).optional(),
  columns: z.array(csvColumnOverrideSchema).max(10_000).optional()
})
export type CsvPreviewOptions = z.infer<typeof csvPreviewOptionsSchema>

export const csvPreviewColumnSchema = z.object({
  /** 0-based position in the file. */
  index: z.number().int(),
  /** The name used (override, header cell, or "column N" for a headerless file). */
  name: z.string(),
  /** The type the workbench detected from the cells (before any override). */
  type: z.enum(['numeric', 'categorical']),
  missing: z.number().int(),
  distinct: z.number().int(),
  /** Numeric cells only (null when the column has none). */
  min: z.number().nullable().default(null),
  max: z.number().nullable().default(null),
  mean: z.number().nullable().default(null),
  /** Counts in 10 equal bins from min to max (numeric), or of the 10 most frequent values (categorical). */
  histogram: z.array(z.number().int()).default([]),
  /** Every value differs (and it is text or whole numbers): an identifier, better ignored. */
  identifier: z.boolean().default(false),
  /** Cells that are not numbers with the chosen decimal separator (a numeric column's bad cells). */
  non_numeric: z.number().int().default(0)
})
export type CsvPreviewColumn = z.infer<typeof csvPreviewColumnSchema>

/** What the CSV wizard shows before committing an import. */
export const csvPreviewSchema = z.object({
  delimiter: z.string(),
  has_header: z.boolean(),
  skip_lines: z.number().int().default(0),
  decimal: z.enum(['.', ',']).default('.'),
  /** ',' when numeric-looking cells use a decimal comma (`1,37`) and the decimal is '.'. */
  decimal_suggestion: z.enum(['.', ',']).nullable().default(null),
  columns: z.array(csvPreviewColumnSchema),
  rows: z.array(z.array(z.string())),
  /** 1-based file line of each preview row. */
  row_lines: z.array(z.number().int()).default([]),
  row_count_estimate: z.number().int(),
  /** Whether the statistics cover every row (else the first rows scanned). */
  complete: z.boolean().default(true),
  /** Rows whose width differs from the header's (or the first row's). */
  width_warning: z
    .object({ expected: z.number().int(), rows: z.number().int(), lines: z.array(z.number().int()), widths: z.array(z.number().int()) })
    .nullable()
    .default(null),
  /** Lines to skip so that every row has the header's width (sklearn's count line → 1). */
  skip_suggestion: z.number().int().nullable().default(null)
})
export type CsvPreview = z.infer<typeof csvPreviewSchema>

/** Raw rows of a tabular set as the file had them: numbers unscaled, categories by name. */
export const datasetRowsSchema = z.object({
  columns: z.array(z.object({ name: z.string(), role: z.enum(['feature', 'target']), type: z.enum(['numeric', 'categorical']) })),
  rows: z.array(z.array(z.union([z.number(), z.string()]))),
  offset: z.number().int(),
  total: z.number().int()
})
export type DatasetRows = z.infer<typeof datasetRowsSchema>
