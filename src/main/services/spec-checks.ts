// The checks every service that trains, probes or checks a model makes before it forks a
// trainer, as the same typed errors wherever they are raised (runs.start, the gradient check,
// the learning-rate finder).
import { embeddingTakesVocabulary, inputShapeFits, type DatasetDescriptor } from '../../shared/dataset'
import { MODEL_INPUT, resolvedInbound, specErrorsDetails, trainingProblems, validateSpec, type ModelSpec } from '../../shared/model-spec'
import { WorkbenchError } from './dispatcher'

/** The spec's validation, or a `spec.invalid` error naming every problem. */
export function requireValidSpec(spec: ModelSpec): ReturnType<typeof validateSpec> & { ok: true } {
  const checked = validateSpec(spec)
  if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`, { reason: 'spec.invalid', details: specErrorsDetails(checked.errors) })
  return checked as ReturnType<typeof validateSpec> & { ok: true }
}

/**
 * requireValidSpec for a spec about to be trained: also a typed error (`train.dilated_gradient`,
 * `train.layer_norm_gradient`) when a layer is one tfjs runs but cannot train (trainingProblems),
 * refused before a trainer is forked.
 */
export function requireTrainableSpec(spec: ModelSpec): ReturnType<typeof requireValidSpec> {
  const checked = requireValidSpec(spec)
  const [problem] = trainingProblems(spec, checked.summary!)
  if (problem) throw new WorkbenchError('bad_input', problem.message, { reason: problem.reason, details: problem.details })
  return checked
}

/** A `run.input_shape_mismatch` error unless the model's input takes the data set's samples (inputShapeFits). */
export function requireInputFits(spec: ModelSpec, descriptor: DatasetDescriptor): void {
  if (inputShapeFits(spec.input_shape, descriptor.feature_shape)) return requireVocabularyFits(spec, descriptor)
  throw new WorkbenchError('bad_input', `the model expects inputs of shape (${spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')}); set the model's input shape to match`, { reason: 'run.input_shape_mismatch', details: { model_shape: spec.input_shape.join(', '), data_shape: descriptor.feature_shape.join(', '), dataset: descriptor.name } })
}

/**
 * On a token set (descriptor.vocabulary), a `run.vocabulary_too_small` error when an Embedding
 * that reads the model input has an input_dim below the vocabulary size (tfjs would look ids up
 * past the table's end).
 */
function requireVocabularyFits(spec: ModelSpec, descriptor: DatasetDescriptor): void {
  const vocabulary = descriptor.vocabulary
  if (!vocabulary) return
  const inbound = resolvedInbound(spec.layers)
  spec.layers.forEach((layer, index) => {
    if (layer.class_name !== 'Embedding' || !inbound[index].includes(MODEL_INPUT)) return
    const inputDim = Number(layer.config.input_dim)
    if (embeddingTakesVocabulary(inputDim, descriptor)) return
    const name = typeof layer.config.name === 'string' ? layer.config.name : `embedding ${index + 1}`
    throw new WorkbenchError('bad_input', `layer ${index + 1} (Embedding "${name}") has input_dim ${inputDim}, but data set "${descriptor.name}" has token ids 0 to ${vocabulary.size - 1}; set input_dim to at least ${vocabulary.size}`, {
      reason: 'run.vocabulary_too_small',
      details: { layer: index + 1, name, input_dim: inputDim, vocabulary: vocabulary.size, dataset: descriptor.name }
    })
  })
}
