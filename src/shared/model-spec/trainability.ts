// What a valid spec describes but TensorFlow.js 4.22 cannot train: layers whose forward pass runs
// (so a model imported for inference works) but whose gradient tfjs lacks or gets wrong. Each was
// found by training the layer (test/trainability.test.ts trains each case and sees it fail); the
// services refuse such a run before it starts, naming the layer and the field to change, and the
// Train view says the same beside a disabled Start.
import type { ErrorDetails } from '../errors'
import type { ModelSpec } from './schema'
import { resolvedConfig, type ShapeSummary } from './validate'
import { layerNames } from './registry'

export interface TrainingProblem {
  /** 1-based position among spec.layers. */
  layer: number
  class_name: string
  name: string
  field: string
  message: string
  reason: 'train.dilated_gradient' | 'train.layer_norm_gradient'
  details: ErrorDetails
}

const DILATED = new Set(['Conv1D', 'Conv2D', 'SeparableConv2D'])

function anyAbove1(value: unknown): boolean {
  return (Array.isArray(value) ? value : [value]).some((v) => typeof v === 'number' && v > 1)
}

/** The layers of a valid spec that tfjs cannot train, in order, from its validation summary. */
export function trainingProblems(spec: ModelSpec, summary: ShapeSummary): TrainingProblem[] {
  const names = layerNames(spec.layers)
  const problems: TrainingProblem[] = []
  for (const shape of summary.layers) {
    const layer = spec.layers[shape.index - 1]
    const c = resolvedConfig(layer)
    const at = { layer: shape.index, class_name: layer.class_name, name: names[shape.index - 1] }
    const prefix = `layer ${at.layer} (${at.class_name})`
    if (DILATED.has(layer.class_name) && anyAbove1(c.dilation_rate)) {
      problems.push({ ...at, field: 'dilation_rate', reason: 'train.dilated_gradient', message: `${prefix}: TensorFlow.js cannot train a convolution with dilation_rate above 1 (its gradient is not implemented); set dilation_rate to 1, or use a larger kernel_size`, details: { ...at, field: 'dilation_rate' } })
    }
    if (layer.class_name === 'LayerNormalization' && (c.center === false || c.scale === false)) {
      const field = c.center === false ? 'center' : 'scale'
      problems.push({ ...at, field, reason: 'train.layer_norm_gradient', message: `${prefix}: TensorFlow.js cannot train LayerNormalization without its ${field === 'center' ? 'beta (center)' : 'gamma (scale)'}; turn ${field} on`, details: { ...at, field } })
    }
  }
  return problems
}
