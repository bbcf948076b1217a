// Conversion between the spec and Keras's Sequential `model.to_json()` (Keras 2 writes it; Keras 3,
// Keras 2.0 and tfjs model.json topologies are read as well).
import { SPEC_FORMAT, SPEC_VERSION, type InitializerValue, type LayerSpec, type ModelSpec, type RegularizerValue, type SpecError } from './schema'
import { INITIALIZERS, LAYER_CLASSES, layerNames, REGULARIZERS, resolveInitializer, resolveRegularizer, uniqueLayerName } from './registry'
import { normalizeSpec } from './normalize'
import { validateSpec } from './validate'

export interface KerasLayerJson {
  class_name: string
  config: Record<string, unknown>
}

export interface KerasModelJson {
  class_name: 'Sequential'
  config: { name: string; layers: KerasLayerJson[] }
  keras_version: string
  backend: 'tensorflow'
}

/** The Keras version whose to_json layout the export follows. */
export const KERAS_JSON_VERSION = '2.15.0'

function kerasInitializer(value: InitializerValue): { class_name: string; config: Record<string, unknown> } {
  const resolved = resolveInitializer(value)
  if (!resolved) return typeof value === 'string' ? { class_name: value, config: {} } : { class_name: value.class_name, config: { ...(value.config ?? {}) } }
  const info = INITIALIZERS[resolved.name]!
  const config: Record<string, unknown> = { ...resolved.params }
  if (info.seeded) config.seed = resolved.seed
  return { class_name: info.class_name, config }
}

function kerasRegularizer(value: RegularizerValue): { class_name: string; config: Record<string, unknown> } | null {
  const resolved = resolveRegularizer(value)
  if (!resolved) return null
  const className = REGULARIZERS[resolved.name]!.class_name
  const config = resolved.name === 'l1' ? { l1: resolved.l1 } : resolved.name === 'l2' ? { l2: resolved.l2 } : { l1: resolved.l1, l2: resolved.l2 }
  return { class_name: className, config }
}

/** The spec as Keras's Sequential model.to_json() object (JSON.stringify it for the file). Weights are not part of it. */
export function toKerasModelJson(spec: ModelSpec): KerasModelJson {
  const canonical = normalizeSpec(spec)
  const names = layerNames(spec.layers)
  const ownInput = spec.layers.findIndex((layer) => layer.class_name === 'InputLayer')
  const inputName = ownInput >= 0 ? names[ownInput]! : uniqueLayerName('input', names)
  const layers: KerasLayerJson[] = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, ...spec.input_shape], dtype: 'float32', sparse: false, ragged: false, name: inputName } }
  ]
  for (const layer of canonical.layers) {
    const info = LAYER_CLASSES[layer.class_name]
    const config: Record<string, unknown> = { name: layer.config.name, trainable: layer.config.trainable, dtype: 'float32' }
    for (const field of info?.fields ?? []) {
      const value = layer.config[field.key]
      if (field.kind === 'initializer') config[field.key] = kerasInitializer(value as InitializerValue)
      else if (field.kind === 'regularizer') config[field.key] = kerasRegularizer(value as RegularizerValue)
      else config[field.key] = value
    }
    Object.assign(config, structuredClone(info?.fixed ?? {}))
    layers.push({ class_name: layer.class_name, config })
  }
  return { class_name: 'Sequential', config: { name: spec.name, layers }, keras_version: KERAS_JSON_VERSION, backend: 'tensorflow' }
}

export type KerasImportResult = { ok: true; spec: ModelSpec; warnings: string[] } | { ok: false; errors: SpecError[]; warnings: string[] }

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

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
  seed: [null]
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

function importSerialized(value: unknown): unknown {
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
  if (config.seed === null) delete config.seed
  return { class_name: className, config }
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

/** Reads a Keras Sequential model.to_json() (Keras 2 or 3) into a spec, then validates it. */
export function fromKerasModelJson(input: unknown): KerasImportResult {
  const warnings: string[] = []
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
  if (top.class_name !== 'Sequential') {
    return fail(`only Keras Sequential models can be imported; this one is ${typeof top.class_name === 'string' ? `a ${top.class_name}` : 'not a Keras model (no class_name)'}`)
  }
  const config = top.config
  const rawLayers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : null
  if (!rawLayers) return fail('the Sequential model has no layer list (config.layers)')
  const name = isObject(config) && typeof config.name === 'string' ? config.name : 'imported'
  let inputShape: unknown = isObject(config) && Array.isArray(config.build_input_shape) ? config.build_input_shape.slice(1) : undefined
  const layers: LayerSpec[] = []
  const errors: SpecError[] = []

  rawLayers.forEach((raw: unknown, position: number) => {
    if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) {
      errors.push({ layer: null, message: `Keras layer ${position + 1} is not {class_name, config}` })
      return
    }
    const className = raw.class_name
    const source = raw.config
    const batchShape = source.batch_input_shape ?? source.batch_shape
    const declared = Array.isArray(batchShape) ? batchShape.slice(1) : Array.isArray(source.input_shape) ? source.input_shape : typeof source.input_dim === 'number' ? [source.input_dim] : undefined
    if (className === 'InputLayer') {
      if (layers.length > 0) errors.push({ layer: null, message: `Keras layer ${position + 1} (InputLayer) comes after other layers; only a leading InputLayer can be imported` })
      inputShape = declared ?? inputShape
      return
    }
    if (declared !== undefined && layers.length === 0) inputShape = declared
    const info = LAYER_CLASSES[className]
    const configOut: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(source)) {
      if (['batch_input_shape', 'batch_shape', 'input_shape', 'input_dim'].includes(key)) continue
      if (key === 'dtype') {
        const dtype = dtypeName(value)
        if (dtype !== 'float32' && dtype !== undefined && dtype !== null) warnings.push(`${className} "${String(source.name)}": dtype ${JSON.stringify(dtype)} is trained as float32`)
        continue
      }
      if (key in INERT && INERT[key]!.some((inert) => JSON.stringify(inert) === JSON.stringify(value))) continue
      const field = info?.fields.find((f) => f.key === key)
      if (field?.kind === 'initializer' || field?.kind === 'regularizer') configOut[key] = importSerialized(value)
      else if (className === 'BatchNormalization' && key === 'axis' && Array.isArray(value) && value.length === 1) configOut[key] = value[0]
      else configOut[key] = structuredClone(value)
    }
    layers.push({ class_name: className, config: configOut })
  })
  if (errors.length) return { ok: false, errors, warnings }
  if (!Array.isArray(inputShape) || inputShape.length === 0) {
    return fail('the Keras model does not declare its input shape (no InputLayer, batch_input_shape or build_input_shape); build the model with an input shape before model.to_json()')
  }
  const candidate = { format: SPEC_FORMAT, version: SPEC_VERSION, name, input_shape: inputShape, layers }
  const checked = validateSpec(candidate)
  if (!checked.ok || !checked.spec) return { ok: false, errors: checked.errors, warnings }
  return { ok: true, spec: normalizeSpec(checked.spec), warnings }
}
