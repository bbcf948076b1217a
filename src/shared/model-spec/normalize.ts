// The canonical form of a spec: every field spelled out with its default, generated names filled in,
// plain initializers as their string names. Exports and imports meet in this form.
import { SPEC_VERSION, type InitializerValue, type LayerSpec, type ModelSpec, type RegularizerValue } from './schema'
import { isSequentialSpec, specGraph } from './graph'
import { INITIALIZERS, LAYER_CLASSES, layerNames, REGULARIZERS, resolveInitializer, resolveRegularizer } from './registry'

/** 'glorot_uniform' for a parameterless initializer, {class_name, config} with every parameter otherwise. */
export function canonicalInitializer(value: InitializerValue): InitializerValue {
  const resolved = resolveInitializer(value)
  if (!resolved) return value
  const info = INITIALIZERS[resolved.name]
  if (info.params.length === 0 && resolved.seed === null) return resolved.name
  return { class_name: info.class_name, config: { ...resolved.params, ...(resolved.seed !== null ? { seed: resolved.seed } : {}) } }
}

/** null, or {class_name: 'L1' | 'L2' | 'L1L2', config} with the factors that class takes. */
export function canonicalRegularizer(value: RegularizerValue): RegularizerValue {
  const resolved = resolveRegularizer(value)
  if (resolved === undefined) return value
  if (resolved === null) return null
  const className = REGULARIZERS[resolved.name].class_name
  const config = resolved.name === 'l1' ? { l1: resolved.l1 } : resolved.name === 'l2' ? { l2: resolved.l2 } : { l1: resolved.l1, l2: resolved.l2 }
  return { class_name: className, config }
}

function canonicalLayer(layer: LayerSpec, name: string): LayerSpec {
  const info = LAYER_CLASSES[layer.class_name]
  if (!info) return structuredClone(layer)
  const config: Record<string, unknown> = { name, trainable: layer.config.trainable ?? true }
  for (const field of info.fields) {
    let value = structuredClone(layer.config[field.key] ?? field.default)
    if (field.kind === 'int_list' && field.length && typeof value === 'number') value = Array(field.length).fill(value)
    if (field.kind === 'activation' && value === null) value = 'linear'
    if (field.kind === 'initializer') value = canonicalInitializer(value as InitializerValue)
    if (field.kind === 'regularizer') value = canonicalRegularizer(value as RegularizerValue)
    // A wrapped layer (Bidirectional's) in the same canonical form, named after its class unless it has a name.
    if (field.kind === 'layer' && typeof value === 'object' && value !== null && typeof (value as LayerSpec).class_name === 'string' && Object.hasOwn(LAYER_CLASSES, (value as LayerSpec).class_name)) {
      const wrapped = value as LayerSpec
      const inner = { class_name: wrapped.class_name, config: typeof wrapped.config === 'object' && wrapped.config !== null ? wrapped.config : {} }
      const innerName = typeof inner.config.name === 'string' && inner.config.name ? inner.config.name : LAYER_CLASSES[inner.class_name].name_base
      value = { class_name: inner.class_name, config: canonicalLayer(inner, innerName).config }
    }
    config[field.key] = value
  }
  return { class_name: layer.class_name, config, ...(layer.weights ? { weights: structuredClone(layer.weights) } : {}) }
}

/**
 * The canonical form of a (valid) spec, in the current version. A leading InputLayer is folded into
 * input_shape, as Keras's Sequential.layers leaves it out too. A chain lists no `inbound`; a graph
 * lists the layers in topological order, each with its `inbound` spelled out (MODEL_INPUT for the input).
 */
export function normalizeSpec(spec: ModelSpec): ModelSpec {
  const names = layerNames(spec.layers)
  const sequential = isSequentialSpec(spec)
  const nodes = sequential
    ? spec.layers.map((_, index) => ({ index, inbound: null as string[] | null })).filter(({ index }) => spec.layers[index].class_name !== 'InputLayer')
    : specGraph(spec).nodes.map((node) => ({ index: node.index, inbound: node.inbound }))
  return {
    format: spec.format,
    version: SPEC_VERSION,
    name: spec.name,
    input_shape: [...spec.input_shape],
    layers: nodes.map(({ index, inbound }) => {
      const layer = canonicalLayer(spec.layers[index], names[index])
      return inbound ? { class_name: layer.class_name, config: layer.config, inbound: [...inbound], ...(layer.weights ? { weights: layer.weights } : {}) } : layer
    })
  }
}
