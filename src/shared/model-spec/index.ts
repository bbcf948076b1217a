// The model spec: a versioned, Keras-compatible model graph (a Sequential chain as its plain case), with the pure logic
// around it (validation, shape inference, parameter counts, summary, Keras JSON, the designer's registry).
export { SPEC_FORMAT, SPEC_VERSION, SPEC_VERSIONS, layerSchema, modelSpecSchema, SpecValidationError } from './schema'
export type { LayerSpec, ModelSpec, SpecError, InitializerValue, RegularizerValue } from './schema'
export {
  ACTIVATIONS,
  INITIALIZERS,
  INITIALIZER_NAMES,
  REGULARIZERS,
  LAYER_CLASSES,
  MERGE_CLASSES,
  LAYER_CLASS_NAMES,
  createLayer,
  layerNames,
  uniqueLayerName,
  resolveInitializer,
  resolveRegularizer
} from './registry'
export type { ActivationName, FieldDescriptor, FieldKind, LayerCategory, LayerClassInfo, ResolvedInitializer, ResolvedRegularizer } from './registry'
export { checkField, fieldProblem, formatShape, inferShapes, resolvedConfig, specErrorsDetails, validateSpec } from './validate'
export type { FieldProblem, LayerShape, ShapeSummary, ValidationResult, WeightShape } from './validate'
export { canonicalInitializer, canonicalRegularizer, normalizeSpec } from './normalize'
export { summaryText } from './summary'
export { KERAS_JSON_VERSION, fromKerasModelJson, kerasLayerOrder, scalingFromKerasLayer, toKerasModelJson } from './keras'
export type { KerasImportDetails, KerasImportOptions, KerasImportResult, KerasLayerJson, KerasLayerSource, KerasModelJson, KerasScalingLayer } from './keras'
export { readSpec } from './read'
export { trainingProblems } from './trainability'
export type { TrainingProblem } from './trainability'
export { MODEL_INPUT, inputLayerName, isSequentialSpec, resolvedInbound, specGraph, topologicalOrder } from './graph'
export type { GraphNode, SpecGraph, TopologicalOrder } from './graph'
export type { ReadResult } from './read'
