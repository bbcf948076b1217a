// The model spec's data shapes: a versioned, Keras-compatible Sequential model ({class_name, config}
// layers, snake_case keys). Structure only; what a layer's config may hold is checked by validate.ts.
import { z } from 'zod'
import type { ErrorDetails } from '../errors'

export const SPEC_FORMAT = 'model-workbench/spec'
export const SPEC_VERSION = 1

/** One layer as Keras writes it, plus optional explicit initial weights (one flat array per weight tensor, Keras order). */
export const layerSchema = z.object({
  class_name: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  weights: z.array(z.array(z.number())).optional()
})
export type LayerSpec = z.infer<typeof layerSchema>

export const modelSpecSchema = z.object({
  format: z.literal(SPEC_FORMAT),
  version: z.literal(SPEC_VERSION),
  name: z.string(),
  /** One sample's shape without the batch axis, e.g. [784] or [28, 28, 1]. */
  input_shape: z.array(z.number().int().positive()).min(1),
  layers: z.array(layerSchema)
})
export type ModelSpec = z.infer<typeof modelSpecSchema>

/** A problem found in a spec: `layer` is the 1-based index among spec.layers, null for the model itself. */
export interface SpecError {
  layer: number | null
  class_name?: string
  field?: string
  message: string
  /** A reason key from ERROR_REASONS (`spec.field_invalid`…) and the values a view renders it from, in its own language. */
  reason?: string
  details?: ErrorDetails
}

/** Thrown by the functions that need a valid spec (inferShapes, summaryText, buildModel). */
export class SpecValidationError extends Error {
  readonly errors: SpecError[]
  constructor(errors: SpecError[]) {
    super(`the model is not valid: ${errors.map((e) => e.message).join('; ')}`)
    this.name = 'SpecValidationError'
    this.errors = errors
  }
}

/** An initializer as Keras serialises it (`{class_name: 'RandomUniform', config: {minval, maxval}}`) or a Keras string name ('glorot_uniform'). */
export type InitializerValue = string | { class_name: string; config?: Record<string, unknown> }
/** A weight regularizer: null, a Keras string name ('l2') or `{class_name: 'L1' | 'L2' | 'L1L2', config: {l1?, l2?}}`. */
export type RegularizerValue = null | string | { class_name: string; config?: Record<string, unknown> }
