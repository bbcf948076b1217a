// The model spec's data shapes: a versioned, Keras-compatible model ({class_name, config} layers,
// snake_case keys) that is a graph: each layer may name the layers feeding it (`inbound`); without
// it a layer takes the previous one, so a plain list is a Sequential model. Structure only; what a
// layer's config may hold and whether the graph holds together is checked by validate.ts.
import { z } from 'zod'
import type { ErrorDetails } from '../errors'

export const SPEC_FORMAT = 'model-workbench/spec'
/** Version 2 added `inbound` (graphs); version 1 specs are chains and read unchanged. */
export const SPEC_VERSION = 2
export const SPEC_VERSIONS = [1, 2] as const

/**
 * One layer as Keras writes it, the layers feeding it, and optional explicit initial weights (one
 * flat array per weight tensor, Keras order).
 */
export const layerSchema = z.object({
  class_name: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  /** Names of the layers whose outputs feed this one, in order ('input' or the InputLayer's name: the model input). Absent: the previous layer (the first layer: the model input). Empty: not connected yet. */
  inbound: z.array(z.string()).max(64).optional(),
  weights: z.array(z.array(z.number())).optional()
})
export type LayerSpec = z.infer<typeof layerSchema>

export const modelSpecSchema = z.object({
  format: z.literal(SPEC_FORMAT),
  version: z.union([z.literal(1), z.literal(2)]),
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
