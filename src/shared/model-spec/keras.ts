// Conversion between the spec and Keras's `model.to_json()`: a chain as a Sequential, a graph as a
// Functional model (Keras 2 writes it; Keras 3, Keras 2.0 and tfjs model.json topologies, Sequential
// or Functional/Model, are read as well).
import { SPEC_FORMAT, SPEC_VERSION, type InitializerValue, type LayerSpec, type ModelSpec, type RegularizerValue, type SpecError } from './schema'
import { INITIALIZERS, LAYER_CLASSES, layerNames, REGULARIZERS, resolveInitializer, resolveRegularizer, uniqueLayerName } from './registry'
import { isSequentialSpec, MODEL_INPUT, specGraph } from './graph'
import { normalizeSpec } from './normalize'
import { inferShapes, validateSpec } from './validate'

export interface KerasLayerJson {
  class_name: string
  config: Record<string, unknown>
  /** Functional models only: the layer's name and the calls feeding it. */
  name?: string
  inbound_nodes?: unknown[]
}

/** [layer name, node index, tensor index]: one tensor of a Functional model's input_layers / output_layers. */
export type KerasTensorRef = [string, number, number]

export interface KerasModelJson {
  class_name: 'Sequential' | 'Functional'
  config: { name: string; layers: KerasLayerJson[]; trainable?: boolean; input_layers?: KerasTensorRef[]; output_layers?: KerasTensorRef[] }
  keras_version: string
  backend: 'tensorflow'
}

export interface KerasJsonOptions {
  /**
   * How a Functional model's inbound_nodes are written: 'keras2' (default) `[[["name", 0, 0, {}], …]]`, which
   * tf.keras 2, Keras 3 and tfjs all read; 'keras3' `[{args: [...__keras_tensor__...], kwargs: {}}]` as Keras 3 writes.
   */
  nodes?: 'keras2' | 'keras3'
}

/** The Keras version whose to_json layout the export follows. */
export const KERAS_JSON_VERSION = '2.15.0'

/**
 * Keys the registry fixes that one of the Keras lines does not take as an argument (Keras 3's
 * layers raise on unknown keyword arguments, tf.keras 2's too): left out, since both default to
 * the fixed value. time_major: tf.keras 2 only; lora_rank, rms_scaling, sparse (Embedding): Keras 3 only.
 */
const UNPORTABLE_FIXED = new Set(['time_major', 'lora_rank', 'rms_scaling', 'sparse'])

function kerasInitializer(value: InitializerValue): { class_name: string; config: Record<string, unknown> } {
  const resolved = resolveInitializer(value)
  if (!resolved) return typeof value === 'string' ? { class_name: value, config: {} } : { class_name: value.class_name, config: { ...(value.config ?? {}) } }
  const info = INITIALIZERS[resolved.name]
  const config: Record<string, unknown> = { ...resolved.params }
  if (info.seeded) config.seed = resolved.seed
  return { class_name: info.class_name, config }
}

function kerasRegularizer(value: RegularizerValue): { class_name: string; config: Record<string, unknown> } | null {
  const resolved = resolveRegularizer(value)
  if (!resolved) return null
  const className = REGULARIZERS[resolved.name].class_name
  const config = resolved.name === 'l1' ? { l1: resolved.l1 } : resolved.name === 'l2' ? { l2: resolved.l2 } : { l1: resolved.l1, l2: resolved.l2 }
  return { class_name: className, config }
}

/** One layer's Keras 2 get_config() from its (canonical) spec config; a wrapped layer (Bidirectional) nested the same way. */
function kerasLayerConfig(className: string, given: Record<string, unknown>, name: string): Record<string, unknown> {
  // Keras 3's spatial dropouts take rate, seed, name, dtype (and data_format) only, no other keyword; tf.keras 2 defaults the rest.
  if (className === 'SpatialDropout1D' || className === 'SpatialDropout2D') {
    return { name, dtype: 'float32', rate: given.rate, seed: given.seed ?? null, ...(className === 'SpatialDropout2D' ? { data_format: 'channels_last' } : {}) }
  }
  const info = has(LAYER_CLASSES, className) ? LAYER_CLASSES[className] : undefined
  const config: Record<string, unknown> = { name, trainable: given.trainable !== false, dtype: 'float32' }
  for (const field of info?.fields ?? []) {
    const value = given[field.key] === undefined ? structuredClone(field.default) : given[field.key]
    if (field.kind === 'initializer') config[field.key] = kerasInitializer(value as InitializerValue)
    else if (field.kind === 'regularizer') config[field.key] = kerasRegularizer(value as RegularizerValue)
    else if (field.kind === 'activation') config[field.key] = value === null ? 'linear' : value
    else if (field.kind === 'layer' && isObject(value) && typeof value.class_name === 'string') {
      const inner = isObject(value.config) ? value.config : {}
      const innerName = typeof inner.name === 'string' && inner.name ? inner.name : (has(LAYER_CLASSES, value.class_name) ? LAYER_CLASSES[value.class_name].name_base : value.class_name.toLowerCase())
      config[field.key] = { class_name: value.class_name, config: kerasLayerConfig(value.class_name, inner, innerName) }
    } else config[field.key] = structuredClone(value)
  }
  for (const [key, value] of Object.entries(info?.fixed ?? {})) if (!UNPORTABLE_FIXED.has(key)) config[key] = structuredClone(value)
  return config
}

/**
 * The order in which Keras lists a Functional model's layers (model.layers, get_config()'s
 * layers, and so the per-class counters of a .keras file's weight groups and the legacy .h5's
 * layer_names, which both loaders match by position): keras/src/ops/function.py's map_graph —
 * a depth-first walk from the output (inputs in call order) numbers the layers, each layer's
 * depth is its longest path to the output, and the layers go by depth descending (the input
 * first), ties by that number. `nodes`: the graph's layers with their inbound names (MODEL_INPUT
 * for the input); returns their names, MODEL_INPUT first.
 */
export function kerasLayerOrder(nodes: ReadonlyArray<{ name: string; inbound: readonly string[] }>, output: string): string[] {
  const inbound = new Map(nodes.map((node) => [node.name, node.inbound]))
  const visitIndex = new Map<string, number>()
  const postorder: string[] = []
  const finished = new Set<string>()
  const visit = (name: string): void => {
    if (finished.has(name)) return
    if (!visitIndex.has(name)) visitIndex.set(name, visitIndex.size)
    for (const source of inbound.get(name) ?? []) visit(source)
    finished.add(name)
    postorder.push(name)
  }
  visit(output)
  const depth = new Map<string, number>()
  for (const name of [...postorder].reverse()) {
    const own = depth.get(name) ?? 0
    depth.set(name, own)
    for (const source of inbound.get(name) ?? []) depth.set(source, Math.max(own + 1, depth.get(source) ?? 0))
  }
  return [...postorder].sort((a, b) => depth.get(b)! - depth.get(a)! || visitIndex.get(a)! - visitIndex.get(b)!)
}

/**
 * The spec as Keras's model.to_json() object (JSON.stringify it for the file); weights are not part of it.
 * A chain is a `Sequential` (InputLayer first); a graph a `Functional` whose layers name their
 * inbound_nodes, with an explicit InputLayer and input_layers / output_layers.
 */
export function toKerasModelJson(spec: ModelSpec, options: KerasJsonOptions = {}): KerasModelJson {
  const canonical = normalizeSpec(spec)
  const names = layerNames(spec.layers)
  const ownInput = spec.layers.findIndex((layer) => layer.class_name === 'InputLayer')
  const inputName = ownInput >= 0 ? names[ownInput] : uniqueLayerName('input', names)
  const inputConfig = { batch_input_shape: [null, ...spec.input_shape], dtype: 'float32', sparse: false, ragged: false, name: inputName }
  if (isSequentialSpec(canonical)) {
    const layers: KerasLayerJson[] = [{ class_name: 'InputLayer', config: inputConfig }]
    for (const layer of canonical.layers) layers.push({ class_name: layer.class_name, config: kerasLayerConfig(layer.class_name, layer.config, String(layer.config.name)) })
    return { class_name: 'Sequential', config: { name: spec.name, layers }, keras_version: KERAS_JSON_VERSION, backend: 'tensorflow' }
  }
  const graph = specGraph(canonical)
  const shapes = inferShapes(canonical)
  const outputShape = new Map<string, number[]>([[MODEL_INPUT, [...canonical.input_shape]], ...shapes.layers.map((l): [string, number[]] => [l.name, l.output_shape])])
  const kerasName = (name: string): string => (name === MODEL_INPUT ? inputName : name)
  const node = (inbound: string[]): unknown => {
    if (options.nodes === 'keras3') {
      const tensors = inbound.map((source) => ({ class_name: '__keras_tensor__', config: { shape: [null, ...(outputShape.get(source) ?? [])], dtype: 'float32', keras_history: [kerasName(source), 0, 0] } }))
      return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} }
    }
    return inbound.map((source) => [kerasName(source), 0, 0, {}])
  }
  const layers: KerasLayerJson[] = [{ class_name: 'InputLayer', config: inputConfig, name: inputName, inbound_nodes: [] }]
  const byName = new Map(graph.nodes.map((graphNode) => [graphNode.name, graphNode]))
  for (const name of kerasLayerOrder(graph.nodes, graph.output).filter((n) => n !== MODEL_INPUT)) {
    const graphNode = byName.get(name)!
    const layer = canonical.layers[graphNode.index]
    layers.push({ class_name: layer.class_name, config: kerasLayerConfig(layer.class_name, layer.config, name), name, inbound_nodes: [node(graphNode.inbound)] })
  }
  return {
    class_name: 'Functional',
    config: { name: spec.name, trainable: true, layers, input_layers: [[inputName, 0, 0]], output_layers: [[graph.output, 0, 0]] },
    keras_version: KERAS_JSON_VERSION,
    backend: 'tensorflow'
  }
}

/** Where a spec layer came from in the Keras file: its position in config.layers (InputLayer included), name and class. */
export interface KerasLayerSource {
  position: number
  name: string
  class_name: string
}

/**
 * A leading Rescaling or Normalization layer, read as the model's input scaling
 * (model_input = (raw − offset) · scale per flattened feature) instead of a spec layer.
 * `scaling` is null when the values live in the weights file (an adapted Normalization):
 * the file reader completes it with scalingFromKerasLayer and the layer's variables.
 */
export interface KerasScalingLayer {
  position: number
  name: string
  class_name: 'Rescaling' | 'Normalization'
  config: Record<string, unknown>
  scaling: { offset: number[]; scale: number[] } | null
}

export interface KerasImportDetails {
  /** One entry per spec layer, in order. */
  sources: KerasLayerSource[]
  scaling_layer: KerasScalingLayer | null
  /** The file follows Keras 3 (module keys, keras_version 3.x): its activations mean what Keras 3 computes. */
  keras3: boolean
}

export type KerasImportResult =
  | { ok: true; spec: ModelSpec; warnings: string[]; details: KerasImportDetails }
  | { ok: false; errors: SpecError[]; warnings: string[] }

export interface KerasImportOptions {
  /** keras_version from the file's metadata (h5 attribute, metadata.json), when it is not in the JSON itself. */
  keras_version?: string | null
  /** Weights come with the architecture: initializers no longer matter, so an unknown one is dropped with a notice instead of refused. */
  with_weights?: boolean
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const has = (table: object, key: string): boolean => Object.prototype.hasOwnProperty.call(table, key)

/** Keys Keras writes that carry nothing the workbench models when they hold these values. */
const INERT: Record<string, unknown[]> = {
  activity_regularizer: [null],
  kernel_constraint: [null],
  bias_constraint: [null],
  beta_constraint: [null],
  gamma_constraint: [null],
  noise_shape: [null],
  groups: [1],
  data_format: ['channels_last'],
  lora_rank: [null],
  lora_alpha: [null],
  synchronized: [false],
  renorm: [false],
  renorm_clipping: [null],
  renorm_momentum: [0.99],
  fused: [null, true, false],
  virtual_batch_size: [null],
  adjustment: [null],
  sparse: [false],
  ragged: [false],
  seed: [null],
  autocast: [true],
  optional: [false]
}

/** Keys that never change what a layer computes at inference or in training, whatever their value: dropped with a notice. */
const IGNORABLE: Record<string, string> = {
  autocast: 'mixed-precision casting of inputs',
  input_spec: 'an input check',
  build_config: 'build information',
  shared_object_id: 'object sharing'
}

/** Keras 2.0 wrote Glorot/He/LeCun as VarianceScaling; read those back as their names. */
function fromVarianceScaling(config: Record<string, unknown>): string | null {
  const scale = config.scale
  const mode = config.mode
  const uniform = config.distribution === 'uniform'
  if (scale === 1 && mode === 'fan_avg') return uniform ? 'GlorotUniform' : 'GlorotNormal'
  if (scale === 2 && mode === 'fan_in') return uniform ? 'HeUniform' : 'HeNormal'
  if (scale === 1 && mode === 'fan_in') return uniform ? 'LecunUniform' : 'LecunNormal'
  return null
}

function dtypeName(value: unknown): unknown {
  if (isObject(value) && isObject(value.config)) return value.config.name
  return value
}

function unwrap(json: Record<string, unknown>): Record<string, unknown> {
  // tfjs model.json ({modelTopology}) and Keras .h5 attributes ({model_config}) wrap the topology.
  let current = json
  for (const key of ['modelTopology', 'model_config']) {
    const inner = current[key]
    if (isObject(inner)) current = inner
  }
  return current
}

/** Activation spellings of tfjs (hardSigmoid) and Keras 3 (silu) read as the workbench's names. */
const ACTIVATION_ALIASES: Record<string, string> = { hardSigmoid: 'hard_sigmoid', silu: 'swish', softPlus: 'softplus', softSign: 'softsign' }

function activationName(value: unknown): unknown {
  // Keras 3 may serialise a built-in activation as {class_name: 'function', config: 'relu'}.
  const name = isObject(value) && typeof value.config === 'string' ? value.config : value
  if (typeof name === 'string' && has(ACTIVATION_ALIASES, name)) return ACTIVATION_ALIASES[name]
  return name === null ? 'linear' : name
}

const SCALING_CLASSES = ['Rescaling', 'Normalization'] as const

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1)
}

function flatNumbers(value: unknown): number[] | null {
  if (typeof value === 'number') return [value]
  if (!Array.isArray(value)) return null
  const out: number[] = []
  for (const item of value) {
    const inner = flatNumbers(item)
    if (!inner) return null
    out.push(...inner)
  }
  return out
}

/**
 * Per flattened feature, the index into values kept over `keep` axes (0-based sample axes, sorted):
 * how Keras broadcasts a Normalization mean (or a Rescaling scale) over one sample.
 */
function broadcastIndex(inputShape: number[], keep: number[]): number[] {
  const total = product(inputShape)
  const index: number[] = new Array<number>(total)
  const strides = inputShape.map((_, d) => product(inputShape.slice(d + 1)))
  for (let f = 0; f < total; f++) {
    let at = 0
    for (const d of keep) {
      const coordinate = Math.floor(f / strides[d]) % inputShape[d]
      at = at * inputShape[d] + coordinate
    }
    index[f] = at
  }
  return index
}

/** Values for every feature, broadcast like Keras over the last axis (or one value for all). */
function perFeature(values: number[], inputShape: number[], keep: number[]): number[] | null {
  const total = product(inputShape)
  if (values.length === 1) return new Array<number>(total).fill(values[0])
  const size = product(keep.map((d) => inputShape[d]))
  if (values.length !== size) return null
  return broadcastIndex(inputShape, keep).map((i) => values[i])
}

/**
 * The input scaling a leading Rescaling or Normalization layer applies, as (raw − offset) · scale
 * per flattened feature of `inputShape` (one sample). Normalization values come from its config
 * (mean, variance) or, after adapt(), from its variables (`weights`: mean, variance, count).
 * Returns an error text when the layer computes something else (invert, a zero scale, unbroadcastable values).
 */
export function scalingFromKerasLayer(
  className: string,
  config: Record<string, unknown>,
  inputShape: number[],
  weights?: number[][]
): { ok: true; offset: number[]; scale: number[] } | { ok: false; message: string; needs_weights?: boolean } {
  const rank = inputShape.length
  if (className === 'Rescaling') {
    const scale = flatNumbers(config.scale ?? 1)
    const offset = flatNumbers(config.offset ?? 0)
    if (!scale || !offset) return { ok: false, message: 'its scale and offset must be numbers or lists of numbers' }
    const s = perFeature(scale, inputShape, [rank - 1])
    const b = perFeature(offset, inputShape, [rank - 1])
    if (!s || !b) return { ok: false, message: `its scale (${scale.length} values) and offset (${offset.length}) do not broadcast over the input ${JSON.stringify(inputShape)}` }
    if (s.some((v) => v === 0 || !Number.isFinite(v))) return { ok: false, message: 'its scale is 0 for some feature, which the input scaling cannot hold' }
    // x · s + b = (x − (−b / s)) · s
    return { ok: true, offset: b.map((v, i) => -v / s[i] + 0), scale: s }
  }
  if (className === 'Normalization') {
    if (config.invert === true) return { ok: false, message: 'invert=True (it de-normalises its inputs), which the input scaling cannot hold' }
    const rawAxis = config.axis === undefined ? [-1] : config.axis === null ? [] : Array.isArray(config.axis) ? config.axis : [config.axis]
    if (!rawAxis.every((a): a is number => Number.isInteger(a))) return { ok: false, message: `its axis ${JSON.stringify(config.axis)} is not a list of integers` }
    // Keras counts axes with the batch axis (0); -1 is the last.
    const keep = [...new Set(rawAxis.map((a) => (a < 0 ? a + rank + 1 : a) - 1))].sort((a, b) => a - b)
    if (keep.some((d) => d < 0 || d >= rank)) return { ok: false, message: `its axis ${JSON.stringify(config.axis)} does not fit the input ${JSON.stringify(inputShape)}` }
    let mean = config.mean === null || config.mean === undefined ? null : flatNumbers(config.mean)
    let variance = config.variance === null || config.variance === undefined ? null : flatNumbers(config.variance)
    if (mean === null && weights && weights.length >= 2) {
      mean = weights[0]!
      variance = weights[1]!
    }
    if (!mean || !variance) return { ok: false, message: 'it has no mean and variance (neither in its config nor as adapted variables)', needs_weights: true }
    const m = perFeature(mean, inputShape, keep)
    const v = perFeature(variance, inputShape, keep)
    if (!m || !v) return { ok: false, message: `its mean (${mean.length} values) does not broadcast over the input ${JSON.stringify(inputShape)} with axis ${JSON.stringify(config.axis)}` }
    if (v.some((x) => !(x >= 0) || !Number.isFinite(x))) return { ok: false, message: 'its variance has a negative or non-finite value' }
    // Keras divides by max(sqrt(variance), epsilon = 1e-7).
    return { ok: true, offset: m, scale: v.map((x) => 1 / Math.max(Math.sqrt(x), 1e-7)) }
  }
  return { ok: false, message: `${className} is not a scaling layer` }
}

/** Model classes whose config is a graph of layers with inbound_nodes (Keras 2 and 3, tfjs). */
const GRAPH_MODEL_CLASSES = ['Functional', 'Model']
/** Layers that are themselves models: a nested model cannot become one spec layer. */
const MODEL_CLASSES = ['Sequential', 'Functional', 'Model']

interface ImportContext {
  keras3: boolean
  options: KerasImportOptions
  notice: (text: string) => void
  errors: SpecError[]
}

/**
 * One Keras layer config as the spec's config: dtype policies, inert and ignorable keys dropped
 * (with notices), initializers/regularizers/activations read, a wrapped layer (Bidirectional) read
 * the same way. Anything that may change the computation stays in, so that validation names it.
 */
function importLayerConfig(className: string, source: Record<string, unknown>, layerName: string, where: string, ctx: ImportContext): Record<string, unknown> {
  const { notice, errors, keras3, options } = ctx
  const info = has(LAYER_CLASSES, className) ? LAYER_CLASSES[className] : undefined
  const configOut: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(source)) {
    if (['batch_input_shape', 'batch_shape', 'input_shape', 'input_dim'].includes(key) && !(className === 'Embedding' && key === 'input_dim')) continue
    if (key === 'dtype') {
      const dtype = dtypeName(value)
      if (dtype !== 'float32' && dtype !== undefined && dtype !== null) notice(`${className} "${layerName}": dtype ${JSON.stringify(dtype)} is trained as float32`)
      continue
    }
    if (has(INERT, key) && INERT[key].some((inert) => JSON.stringify(inert) === JSON.stringify(value))) continue
    if (key === 'quantization_config') {
      if (value === null) {
        notice(`quantization_config (written by Keras 3.13+) is not used by the workbench: dropped (it is null, the layers are not quantized)`)
        continue
      }
      errors.push({ layer: null, class_name: className, field: key, message: `${where}: the layer is quantized (quantization_config ${JSON.stringify(value)}); the workbench computes in float32 only: import the model saved before quantization` })
      continue
    }
    // LSTM/GRU: implementation 1 and 2 (and cuDNN or not) are two ways to compute the same thing.
    // zero_output_for_mask only matters with masks, which the workbench never makes (Keras 3's Bidirectional sets it to return_sequences).
    if ((className === 'LSTM' || className === 'GRU' || className === 'SimpleRNN') && (key === 'implementation' || key === 'use_cudnn' || key === 'zero_output_for_mask')) continue
    if (key === 'time_major' && value === false) continue
    if (className === 'Bidirectional' && key === 'backward_layer') {
      if (value === null || value === undefined) continue
      // Keras 3 writes the backward copy it made (go_backwards flipped, named backward_…): the same layer run in reverse.
      const forward = source.layer
      if (isObject(value) && isObject(forward) && value.class_name === forward.class_name && isObject(value.config) && isObject(forward.config)) {
        const strip = (c: Record<string, unknown>): string => JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'name' && k !== 'go_backwards').sort(([a], [b]) => a.localeCompare(b))))
        if (value.config.go_backwards === !(forward.config.go_backwards === true) && strip(value.config) === strip(forward.config)) continue
      }
      errors.push({ layer: null, class_name: className, field: key, message: `${where}: its backward_layer is not a reversed copy of its forward layer; the workbench's Bidirectional runs the same layer both ways` })
      continue
    }
    const field = info?.fields.find((f) => f.key === key)
    if (field?.kind === 'initializer') {
      const converted = importInitializer(value, `${className} "${layerName}" ${key}`, notice, options.with_weights === true)
      if (converted !== undefined) configOut[key] = converted
      continue
    }
    if (field?.kind === 'regularizer') {
      configOut[key] = importRegularizer(value)
      continue
    }
    if (field?.kind === 'activation') {
      const activation = activationName(value)
      if (keras3 && activation === 'hard_sigmoid') {
        errors.push({
          layer: null, class_name: className, field: key,
          message: `${where}: activation hard_sigmoid means relu6(x + 3) / 6 in Keras 3, not the workbench's max(0, min(1, 0.2·x + 0.5)) (Keras 2, tfjs); the imported model would answer differently, so it is refused: use sigmoid or retrain`
        })
        continue
      }
      configOut[key] = activation
      continue
    }
    if (field?.kind === 'layer' && isObject(value) && typeof value.class_name === 'string' && isObject(value.config)) {
      const innerName = typeof value.config.name === 'string' ? value.config.name : value.class_name
      const inner = importLayerConfig(value.class_name, value.config, innerName, `${where}, its wrapped ${value.class_name}`, ctx)
      // Keras 3 names the wrapped copy forward_<name>; the spec keeps the layer's own name.
      if (typeof inner.name === 'string' && inner.name.startsWith('forward_')) inner.name = inner.name.slice('forward_'.length)
      delete inner.go_backwards
      configOut[key] = { class_name: value.class_name, config: inner }
      continue
    }
    if ((className === 'BatchNormalization' || className === 'LayerNormalization') && key === 'axis' && Array.isArray(value) && value.length === 1) {
      configOut[key] = value[0]
      continue
    }
    if (field || key === 'name' || key === 'trainable' || (info?.fixed && has(info.fixed, key))) {
      configOut[key] = structuredClone(value)
      continue
    }
    if (info && has(IGNORABLE, key)) {
      notice(`${className} "${layerName}": ${key} (${IGNORABLE[key]}) is not used by the workbench: dropped`)
      continue
    }
    if (info && (value === null || value === false)) {
      notice(`${className} "${layerName}": ${key}=${JSON.stringify(value)} is not a setting the workbench knows; it is off, so it was dropped`)
      continue
    }
    // Anything else may change the computation: left in, so that validation refuses it by name.
    configOut[key] = structuredClone(value)
  }
  return configOut
}

/** A Functional layer's inbound_nodes as the names of the layers feeding it, or an error text. */
function inboundNames(nodes: unknown, where: string): { names: string[] } | { error: string } {
  if (!Array.isArray(nodes) || nodes.length === 0) return { error: `${where} is not called on anything (no inbound node); the model graph is incomplete` }
  if (nodes.length > 1) return { error: `${where} is called ${nodes.length} times (a shared layer); the workbench gives every call its own layer and weights: rebuild the model with one layer per call` }
  const node = nodes[0]
  const refs: Array<{ name: unknown; node: unknown; tensor: unknown; kwargs: unknown }> = []
  if (Array.isArray(node)) {
    // Keras 2 and tfjs: [["name", node_index, tensor_index, kwargs], …]
    for (const entry of node) {
      if (!Array.isArray(entry) || entry.length < 3) return { error: `${where}: an inbound node entry is not ["layer", node, tensor, kwargs]` }
      refs.push({ name: entry[0], node: entry[1], tensor: entry[2], kwargs: entry[3] ?? {} })
    }
  } else if (isObject(node) && Array.isArray(node.args)) {
    // Keras 3: {args: [tensor] or [[tensor, …]], kwargs: {}}
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect)
      else if (isObject(value) && value.class_name === '__keras_tensor__' && isObject(value.config) && Array.isArray(value.config.keras_history)) {
        const [name, nodeIndex, tensorIndex] = value.config.keras_history as unknown[]
        refs.push({ name, node: nodeIndex, tensor: tensorIndex, kwargs: {} })
      } else if (value !== null && value !== undefined) refs.push({ name: null, node: 0, tensor: 0, kwargs: {} })
    }
    collect(node.args)
    refs.forEach((ref) => (ref.kwargs = node.kwargs ?? {}))
  } else return { error: `${where}: its inbound node is neither Keras 2's [["layer", 0, 0, {}]] nor Keras 3's {args, kwargs}` }
  const names: string[] = []
  for (const ref of refs) {
    if (typeof ref.name !== 'string') return { error: `${where} is called with an argument that is not a layer's output (a constant or a raw op); the workbench takes layer outputs only` }
    if (ref.node !== 0) return { error: `${where} takes the output of "${ref.name}"'s call number ${String(ref.node)} (a shared layer); the workbench gives every call its own layer: rebuild the model with one layer per call` }
    if (ref.tensor !== 0) return { error: `${where} takes output ${String(ref.tensor)} of "${ref.name}" (a layer with several outputs); the workbench's layers have one output` }
    if (isObject(ref.kwargs)) {
      const meaningful = Object.entries(ref.kwargs).filter(([key, value]) => value !== null && value !== false && key !== 'training')
      if (meaningful.length) return { error: `${where} is called with ${meaningful.map(([key]) => key).join(', ')}, which the workbench cannot hold (masks, initial states)` }
    }
    names.push(ref.name)
  }
  return { names }
}

/** A Dropout noise_shape of [null, 1, C] or [null, 1, 1, C] drops whole channels: SpatialDropout1D or 2D. */
function spatialDropoutClass(noiseShape: unknown): string | null {
  if (!Array.isArray(noiseShape) || noiseShape[0] !== null || typeof noiseShape.at(-1) !== 'number') return null
  const middle = noiseShape.slice(1, -1)
  if (!middle.every((d) => d === 1)) return null
  return middle.length === 1 ? 'SpatialDropout1D' : middle.length === 2 ? 'SpatialDropout2D' : null
}

function withoutNoiseShape(source: Record<string, unknown>): Record<string, unknown> {
  const { noise_shape: _noise, ...rest } = source
  return rest
}

/** Keras 3 writes one input as ["name", 0, 0], a list of them as [["name", 0, 0], …]. */
function tensorRefs(value: unknown): unknown[][] {
  if (!Array.isArray(value)) return isObject(value) ? Object.values(value).flatMap(tensorRefs) : []
  if (value.length === 3 && typeof value[0] === 'string') return [value]
  return value.flatMap(tensorRefs)
}

/** Reads a Keras model.to_json() — Sequential, or Functional/Model with one input and one output (Keras 2 or 3, tfjs topologies, .keras config.json) — into a spec, then validates it. */
export function fromKerasModelJson(input: unknown, options: KerasImportOptions = {}): KerasImportResult {
  const warnings: string[] = []
  const notice = (text: string): void => {
    if (!warnings.includes(text)) warnings.push(text)
  }
  const fail = (message: string): KerasImportResult => ({ ok: false, errors: [{ layer: null, message }], warnings })
  let json = input
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json)
    } catch (error) {
      return fail(`the Keras model is not valid JSON: ${(error as Error).message}`)
    }
  }
  if (!isObject(json)) return fail('a Keras model JSON must be an object with class_name and config')
  const top = unwrap(json)
  const graphModel = typeof top.class_name === 'string' && GRAPH_MODEL_CLASSES.includes(top.class_name)
  if (top.class_name !== 'Sequential' && !graphModel) {
    return fail(`only Keras Sequential and Functional models can be imported; this one is ${typeof top.class_name === 'string' ? `a ${top.class_name} (a subclassed model has no layer graph in its config: rebuild it with the functional API)` : 'not a Keras model (no class_name)'}`)
  }
  const config = top.config
  const rawLayers: unknown[] | null = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null
  if (!rawLayers) return fail(`the ${String(top.class_name)} model has no layer list (config.layers)`)
  const version = options.keras_version ?? (typeof top.keras_version === 'string' ? top.keras_version : typeof json.keras_version === 'string' ? json.keras_version : null)
  const keras3 = typeof top.module === 'string' || rawLayers.some((raw) => isObject(raw) && typeof raw.module === 'string') || (version !== null && /^3\./.test(version))
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'imported'
  let inputShape: unknown = isObject(config) && Array.isArray(config.build_input_shape) ? config.build_input_shape.slice(1) : undefined
  const layers: LayerSpec[] = []
  const sources: KerasLayerSource[] = []
  let scalingLayer: KerasScalingLayer | null = null
  const errors: SpecError[] = []
  const ctx: ImportContext = { keras3, options, notice, errors }

  // Functional: which layer is the input, what feeds each layer, which one is the output.
  const inputNames = new Set<string>()
  const inbound = new Map<string, string[]>()
  let inputConsumers = 0
  if (graphModel) {
    const inputLayers = rawLayers.filter((raw) => isObject(raw) && raw.class_name === 'InputLayer')
    const inputRefs = tensorRefs(isObject(config) ? config.input_layers : undefined)
    const outputRefs = tensorRefs(isObject(config) ? config.output_layers : undefined)
    if (inputLayers.length > 1 || inputRefs.length > 1) {
      const listed = inputLayers.map((raw) => String((raw as Record<string, unknown>).name ?? ((raw as Record<string, unknown>).config as Record<string, unknown>).name))
      return fail(`the model has ${Math.max(inputLayers.length, inputRefs.length)} inputs (${listed.join(', ')}); the workbench builds models with one input: merge them into one input tensor before importing`)
    }
    if (outputRefs.length > 1) return fail(`the model has ${outputRefs.length} outputs (${outputRefs.map((r) => String(r[0])).join(', ')}); the workbench builds models with one output: keep one output layer`)
    for (const raw of inputLayers) {
      const layer = raw as Record<string, unknown>
      const inputName = typeof layer.name === 'string' ? layer.name : isObject(layer.config) && typeof layer.config.name === 'string' ? layer.config.name : null
      if (inputName) inputNames.add(inputName)
    }
    if (inputNames.size === 0 && typeof inputRefs[0]?.[0] === 'string') inputNames.add(inputRefs[0][0])
    // How many layers take the model input (a scaling layer must be its only consumer).
    inputConsumers = rawLayers.filter((raw) => {
      if (!isObject(raw) || raw.class_name === 'InputLayer') return false
      const found = inboundNames(raw.inbound_nodes, '')
      return 'names' in found && found.names.some((n) => inputNames.has(n))
    }).length
  }

  rawLayers.forEach((raw: unknown, position: number) => {
    if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) {
      errors.push({ layer: null, message: `Keras layer ${position + 1} is not {class_name, config}` })
      return
    }
    const className = raw.class_name
    const source = raw.config
    const layerName = typeof raw.name === 'string' ? raw.name : typeof source.name === 'string' ? source.name : `${className} ${position + 1}`
    const where = `Keras layer ${position + 1} (${className} "${layerName}")`
    const batchShape = source.batch_input_shape ?? source.batch_shape
    const declared = Array.isArray(batchShape) ? batchShape.slice(1) : Array.isArray(source.input_shape) ? source.input_shape : typeof source.input_dim === 'number' && className !== 'Embedding' ? [source.input_dim] : undefined
    if (MODEL_CLASSES.includes(className) || Array.isArray(source.layers)) {
      errors.push({ layer: null, class_name: className, message: `${where} is a nested model; the workbench imports one level of layers: flatten it (call its layers directly in the outer model) before saving` })
      return
    }
    if (className === 'InputLayer') {
      if (!graphModel && (layers.length > 0 || scalingLayer)) errors.push({ layer: null, message: `Keras layer ${position + 1} (InputLayer) comes after other layers; only a leading InputLayer can be imported` })
      inputShape = declared ?? inputShape
      return
    }
    // tfjs writes SpatialDropout1D/2D as a Dropout whose noise_shape keeps one value per channel.
    const spatialClass = className === 'Dropout' ? spatialDropoutClass(source.noise_shape) : null
    let feeds: string[] | null = null
    if (graphModel) {
      const found = inboundNames(raw.inbound_nodes, where)
      if ('error' in found) {
        errors.push({ layer: null, class_name: className, message: found.error })
        return
      }
      feeds = found.names
    }
    // The first layer of a chain; in a graph, a layer that takes the model input alone.
    const first = graphModel ? feeds!.length === 1 && inputNames.has(feeds![0]) : layers.length === 0 && !scalingLayer
    if (declared !== undefined && (graphModel ? inputShape === undefined : first)) inputShape = declared
    if ((SCALING_CLASSES as readonly string[]).includes(className)) {
      if (!first || scalingLayer || inputConsumers > 1) {
        errors.push({ layer: null, class_name: className, message: `${where}: ${className} is supported only as the first layer, where it becomes the input scaling; move the scaling before every other layer or remove it` })
        return
      }
      scalingLayer = { position, name: layerName, class_name: className as KerasScalingLayer['class_name'], config: structuredClone(source), scaling: null }
      // Layers after it take the (scaled) model input.
      inputNames.add(layerName)
      return
    }
    const configOut = importLayerConfig(spatialClass ?? className, spatialClass ? withoutNoiseShape(source) : source, layerName, where, ctx)
    if (graphModel) {
      configOut.name = layerName
      inbound.set(layerName, feeds!)
    }
    layers.push({ class_name: spatialClass ?? className, config: configOut })
    sources.push({ position, name: layerName, class_name: spatialClass ?? className })
  })
  if (errors.length) return { ok: false, errors, warnings }
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    return fail('the Keras model does not declare its input shape (no InputLayer, batch_input_shape or build_input_shape); build the model with an input shape before model.to_json()')
  }
  if (graphModel) {
    for (const layer of layers) {
      const own = String(layer.config.name)
      if (own === MODEL_INPUT) return fail(`Keras layer "${own}" has the name the workbench keeps for the model input; rename it in Keras before saving`)
      layer.inbound = (inbound.get(own) ?? []).map((source) => (inputNames.has(source) ? MODEL_INPUT : source))
    }
  }
  const candidate = { format: SPEC_FORMAT, version: SPEC_VERSION, name, input_shape: inputShape, layers }
  const checked = validateSpec(candidate)
  if (!checked.ok || !checked.spec) return { ok: false, errors: checked.errors, warnings }
  const found = scalingLayer as KerasScalingLayer | null
  if (found) {
    const scaling = scalingFromKerasLayer(found.class_name, found.config, checked.spec.input_shape)
    if (scaling.ok) found.scaling = { offset: scaling.offset, scale: scaling.scale }
    else if (!scaling.needs_weights) return fail(`Keras layer ${found.position + 1} (${found.class_name} "${found.name}") cannot become the input scaling: ${scaling.message}`)
  }
  const spec = normalizeSpec(checked.spec)
  // normalizeSpec lists a graph in its topological order: the sources follow the layers by name.
  const byName = new Map(sources.map((s) => [s.name, s]))
  const ordered = graphModel ? spec.layers.map((layer) => byName.get(String(layer.config.name))!) : sources
  return { ok: true, spec, warnings, details: { sources: ordered, scaling_layer: found, keras3 } }
}

function importInitializer(value: unknown, where: string, notice: (text: string) => void, withWeights: boolean): unknown {
  if (!isObject(value) || typeof value.class_name !== 'string') return value
  let className = value.class_name
  const config: Record<string, unknown> = isObject(value.config) ? { ...value.config } : {}
  if (className === 'VarianceScaling') {
    const named = fromVarianceScaling(config)
    if (named) {
      className = named
      delete config.scale
      delete config.mode
      delete config.distribution
    }
  }
  const resolved = resolveInitializer({ class_name: className, config })
  if (!resolved) {
    if (withWeights) {
      notice(`${where}: initializer ${className} is not one the workbench has; the weights come with the file, so the layer's default initializer stands in (it matters only for training from scratch)`)
      return undefined
    }
    return { class_name: className, config }
  }
  const known = new Set([...INITIALIZERS[resolved.name].params.map((p) => p.key), 'seed'])
  for (const key of Object.keys(config)) {
    if (known.has(key)) continue
    notice(`${where}: initializer parameter ${key}=${JSON.stringify(config[key])} (${className}) is not used by the workbench: dropped`)
    delete config[key]
  }
  if (config.seed === null) delete config.seed
  return { class_name: className, config }
}

function importRegularizer(value: unknown): unknown {
  if (!isObject(value) || typeof value.class_name !== 'string') return value
  const config: Record<string, unknown> = isObject(value.config) ? { ...value.config } : {}
  return { class_name: value.class_name, config }
}
