// The checks every service that trains, probes or checks a model makes before it forks a
// trainer, as the same typed errors wherever they are raised (runs.start, the gradient check,
// the learning-rate finder).
import { inputShapeFits, type DatasetDescriptor } from '../../shared/dataset'
import { specErrorsDetails, validateSpec, type ModelSpec } from '../../shared/model-spec'
import { WorkbenchError } from './dispatcher'

/** The spec's validation, or a `spec.invalid` error naming every problem. */
export function requireValidSpec(spec: ModelSpec): ReturnType<typeof validateSpec> & { ok: true } {
  const checked = validateSpec(spec)
  if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`, { reason: 'spec.invalid', details: specErrorsDetails(checked.errors) })
  return checked as ReturnType<typeof validateSpec> & { ok: true }
}

/** A `run.input_shape_mismatch` error unless the model's input takes the data set's samples (inputShapeFits). */
export function requireInputFits(spec: ModelSpec, descriptor: DatasetDescriptor): void {
  if (inputShapeFits(spec.input_shape, descriptor.feature_shape)) return
  throw new WorkbenchError('bad_input', `the model expects inputs of shape (${spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')}); set the model's input shape to match`, { reason: 'run.input_shape_mismatch', details: { model_shape: spec.input_shape.join(', '), data_shape: descriptor.feature_shape.join(', '), dataset: descriptor.name } })
}
