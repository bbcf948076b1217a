// PLACEHOLDER until the model-spec module lands: the versioned, Keras-compatible model spec.
import { z } from 'zod'

export const SPEC_FORMAT = 'model-workbench/spec'
export const SPEC_VERSION = 1

export const layerSchema = z.object({ class_name: z.string(), config: z.record(z.string(), z.unknown()) })
export const modelSpecSchema = z.object({
  format: z.literal(SPEC_FORMAT),
  version: z.literal(SPEC_VERSION),
  name: z.string(),
  input_shape: z.array(z.number().int().positive()),
  layers: z.array(layerSchema)
})
export type ModelSpec = z.infer<typeof modelSpecSchema>
