// Keras 3 `.keras` export: a zip of metadata.json, config.json (serialize_keras_object form of a
// Sequential starting with an InputLayer for a chain, of a Functional model for a graph) and
// model.weights.h5, laid out as keras/src/saving/saving_lib.py writes it: the model's own (empty)
// `vars`, then `layers/<snake_case class>[_<n>]/vars/<i>` per layer of model.layers (a Functional
// model's start with its InputLayer), named by class and a per-class counter, with an empty `vars`
// group for a layer without variables; a recurrent layer's variables sit in its `cell`, a
// Bidirectional's in `forward_layer/cell` and `backward_layer/cell`. The input scaling is the first
// layer (Rescaling or a Normalization built from constants, which holds no variables). Verified by our own reader.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { resolveInitializer, resolveRegularizer, INITIALIZERS, LAYER_CLASSES, MODEL_INPUT, REGULARIZERS, isSequentialSpec, kerasLayerOrder, type InitializerValue, type RegularizerValue } from '../../../shared/model-spec'
import type { ExportLayer, ExportModel, ExportSample, Exporter, Verification } from '../types'
import { preprocessPy } from '../helpers/preprocess-py'
import { importModelBytes } from '../import'
import {
  KERAS3_VERSION,
  checkKerasModel,
  extraLayerNames,
  kerasActivation,
  kerasReadme,
  kerasRefusal,
  kerasSupports,
  kerasVariableGroups,
  loadH5wasm,
  scalingLayerConfig,
  toSnakeCase,
  verifyByImport
} from './keras-shared'

export const KERAS_FILE = 'model.keras'

type Json = Record<string, unknown>

const DTYPE_POLICY = (): Json => ({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null })

function serialized(module: string, className: string, config: Json): Json {
  return { module, class_name: className, config, registered_name: null }
}

/** An initializer as Keras 3 serialises it: {module: 'keras.initializers', class_name: 'GlorotUniform', config: {seed: null}, …}. */
function initializer(value: unknown): Json {
  const resolved = resolveInitializer(value as InitializerValue)
  if (!resolved) return serialized('keras.initializers', 'GlorotUniform', { seed: null })
  const info = INITIALIZERS[resolved.name]
  const config: Json = { ...resolved.params }
  if (info.seeded) config.seed = resolved.seed
  return serialized('keras.initializers', info.class_name, config)
}

function regularizer(value: unknown): Json | null {
  const resolved = resolveRegularizer(value as RegularizerValue)
  if (!resolved) return null
  const config = resolved.name === 'l1' ? { l1: resolved.l1 } : resolved.name === 'l2' ? { l2: resolved.l2 } : { l1: resolved.l1, l2: resolved.l2 }
  return serialized('keras.regularizers', REGULARIZERS[resolved.name].class_name, config)
}

const pair = (value: unknown): unknown => (typeof value === 'number' ? [value, value] : value)

/** One layer's Keras 3 get_config(), from the full config the app trained with. */
function layerConfig(layer: ExportLayer): Json {
  const c = layer.config
  const common: Json = { name: layer.name, trainable: c.trainable !== false, dtype: DTYPE_POLICY() }
  switch (layer.class_name) {
    case 'Dense':
      return {
        ...common, units: c.units, activation: kerasActivation(c.activation), use_bias: c.use_bias,
        kernel_initializer: initializer(c.kernel_initializer), bias_initializer: initializer(c.bias_initializer),
        kernel_regularizer: regularizer(c.kernel_regularizer), bias_regularizer: regularizer(c.bias_regularizer),
        kernel_constraint: null, bias_constraint: null
      }
    case 'Activation':
      return { ...common, activation: kerasActivation(c.activation) }
    case 'Dropout':
      return { ...common, rate: c.rate, seed: c.seed ?? null, noise_shape: null }
    case 'Flatten':
      return { ...common, data_format: 'channels_last' }
    case 'Reshape':
      return { ...common, target_shape: layer.output_shape }
    case 'BatchNormalization':
      return {
        ...common, axis: c.axis, momentum: c.momentum, epsilon: c.epsilon, center: c.center, scale: c.scale,
        beta_initializer: initializer(c.beta_initializer), gamma_initializer: initializer(c.gamma_initializer),
        moving_mean_initializer: initializer(c.moving_mean_initializer), moving_variance_initializer: initializer(c.moving_variance_initializer),
        beta_regularizer: regularizer(c.beta_regularizer), gamma_regularizer: regularizer(c.gamma_regularizer),
        beta_constraint: null, gamma_constraint: null, synchronized: false
      }
    case 'Conv2D':
      return {
        ...common, filters: c.filters, kernel_size: pair(c.kernel_size), strides: pair(c.strides), padding: c.padding,
        data_format: 'channels_last', dilation_rate: pair(c.dilation_rate), groups: 1, activation: kerasActivation(c.activation), use_bias: c.use_bias,
        kernel_initializer: initializer(c.kernel_initializer), bias_initializer: initializer(c.bias_initializer),
        kernel_regularizer: regularizer(c.kernel_regularizer), bias_regularizer: regularizer(c.bias_regularizer),
        kernel_constraint: null, bias_constraint: null
      }
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return { ...common, pool_size: pair(c.pool_size), padding: c.padding, strides: pair(c.strides ?? c.pool_size), data_format: 'channels_last' }
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
      // Keras 3's spatial dropouts take rate, seed, name, dtype (and data_format) only: no **kwargs, so no trainable.
      return { name: layer.name, dtype: 'float32', rate: c.rate, seed: c.seed ?? null, ...(layer.class_name === 'SpatialDropout2D' ? { data_format: 'channels_last' } : {}) }
    default:
      return genericConfig(layer.class_name, c, layer.name)
  }
}

/** Keys the registry fixes that Keras 3's layers do not take (they raise on unknown arguments): tf.keras 2's time_major, Keras 2's input_length and sparse (Embedding). */
const NOT_KERAS3 = new Set(['time_major', 'input_length', 'sparse'])

/**
 * get_config() of the other layer classes, from the registry's fields (which are Keras's):
 * initializers, regularizers and activations serialised as Keras 3 does, pooling strides
 * spelled out, a Bidirectional's layer as the forward copy Keras 3 writes and its backward copy.
 */
function genericConfig(className: string, c: Json, name: string): Json {
  const info = LAYER_CLASSES[className]
  const config: Json = { name, trainable: c.trainable !== false, dtype: DTYPE_POLICY() }
  for (const field of info?.fields ?? []) {
    const value = c[field.key] === undefined ? structuredClone(field.default) : c[field.key]
    if (field.kind === 'initializer') config[field.key] = initializer(value)
    else if (field.kind === 'regularizer') config[field.key] = regularizer(value)
    else if (field.kind === 'activation') config[field.key] = kerasActivation(value)
    else if (field.key === 'strides' && value === null) config[field.key] = c.pool_size
    else if (field.kind === 'layer') {
      const inner = value as { class_name: string; config?: Json }
      const innerConfig = inner.config ?? {}
      const innerName = typeof innerConfig.name === 'string' && innerConfig.name ? innerConfig.name : (LAYER_CLASSES[inner.class_name]?.name_base ?? 'layer')
      const copy = (direction: 'forward' | 'backward'): Json => {
        const serializedConfig = genericConfig(inner.class_name, innerConfig, `${direction}_${innerName}`)
        serializedConfig.go_backwards = direction === 'backward'
        // Keras 3's Bidirectional sets zero_output_for_mask to return_sequences on both copies.
        serializedConfig.zero_output_for_mask = innerConfig.return_sequences === true
        return serialized('keras.layers', inner.class_name, serializedConfig)
      }
      config[field.key] = copy('forward')
      config.backward_layer = copy('backward')
    } else config[field.key] = structuredClone(value)
  }
  for (const [key, value] of Object.entries(info?.fixed ?? {})) {
    if (NOT_KERAS3.has(key) || key in config) continue
    config[key] = structuredClone(value)
  }
  return config
}

/** A layer entry of config.layers, with the shape it was built on (a merge: one per input). */
function layerEntry(className: string, config: Json, inputShape: unknown): Json {
  return { module: 'keras.layers', class_name: className, config, registered_name: null, ...(inputShape ? { build_config: { input_shape: inputShape } } : {}) }
}

/** One weights group per Keras layer and sublayer, in model.layers order (the scaling layer first): its path below `layers` and variables. */
export interface KerasWeightsGroup {
  path: string
  vars: Array<{ shape: number[]; data: Float32Array }>
}

/** A Keras 3 KerasTensor as a node's argument: the output of `layer` with `shape` (batch axis first). */
function kerasTensor(layer: string, shape: number[]): Json {
  return { class_name: '__keras_tensor__', config: { shape: [null, ...shape], dtype: 'float32', keras_history: [layer, 0, 0] } }
}

/** config.json (serialize_keras_object of the Sequential or Functional model) and the weights layout it goes with. */
export function kerasArchiveContent(model: ExportModel): { config: Json; groups: KerasWeightsGroup[] } {
  checkKerasModel(model, 'keras')
  const names = extraLayerNames(model)
  const scaling = scalingLayerConfig(model, 'keras')
  const batchShape = [null, ...model.input_shape]
  const sequential = isSequentialSpec(model.spec)
  const inputEntry = layerEntry('InputLayer', { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: names.input }, null)
  const layers: Json[] = [sequential ? inputEntry : { ...inputEntry, name: names.input, inbound_nodes: [] }]
  // What the layers fed by the model input take: the input itself, or the scaling layer's output.
  const inputSource = scaling ? names.scaling : names.input
  const shapeOf = new Map<string, number[]>([[MODEL_INPUT, model.input_shape], ...model.layers.map((l): [string, number[]] => [l.name, l.output_shape])])
  const node = (inbound: string[]): Json => {
    const tensors = inbound.map((source) => kerasTensor(source === MODEL_INPUT ? inputSource : source, shapeOf.get(source) ?? []))
    return { args: tensors.length === 1 ? tensors : [tensors], kwargs: {} }
  }
  const graphFields = (layerName: string, inbound: string[]): Json => (sequential ? {} : { name: layerName, inbound_nodes: [node(inbound)] })
  const weighted: Array<{ class_name: string; vars: KerasWeightsGroup['vars'] }> = []
  if (!sequential) weighted.push({ class_name: 'InputLayer', vars: [] })
  if (scaling) {
    layers.push({ ...layerEntry(scaling.class_name, { name: names.scaling, trainable: true, dtype: DTYPE_POLICY(), ...scaling.settings }, batchShape), ...(sequential ? {} : { name: names.scaling, inbound_nodes: [{ args: [kerasTensor(names.input, model.input_shape)], kwargs: {} }] }) })
    weighted.push({ class_name: scaling.class_name, vars: [] })
  }
  // A graph's layers in the order Keras lists them (its loader counts the weight groups in that order).
  const byName = new Map(model.layers.map((layer) => [layer.name, layer]))
  const ordered = sequential ? model.layers : kerasLayerOrder(model.layers, model.layers.at(-1)!.name).filter((name) => name !== MODEL_INPUT).map((name) => byName.get(name)!)
  for (const layer of ordered) {
    const buildShape = layer.input_shapes.length > 1 ? layer.input_shapes.map((shape) => [null, ...shape]) : [null, ...layer.input_shape]
    layers.push({ ...layerEntry(layer.class_name, layerConfig(layer), buildShape), ...graphFields(layer.name, layer.inbound) })
    weighted.push({ class_name: layer.class_name, vars: layer.weights.map((w) => ({ shape: w.shape, data: w.data })) })
  }
  const used = new Map<string, number>()
  const groups: KerasWeightsGroup[] = []
  for (const { class_name, vars } of weighted) {
    const base = toSnakeCase(class_name)
    const count = used.get(base)
    used.set(base, count === undefined ? 0 : count + 1)
    const path = count === undefined ? base : `${base}_${count + 1}`
    const parts = kerasVariableGroups(class_name)
    const holders = parts.filter((p) => p.holds_variables).length
    const per = holders > 0 ? vars.length / holders : 0
    let next = 0
    for (const part of parts) {
      const own = part.holds_variables ? vars.slice(next, next + per) : []
      if (part.holds_variables) next += per
      groups.push({ path: part.path ? `${path}/${part.path}` : path, vars: own })
    }
  }
  const modelName = model.spec.name.replace(/\//g, '_') || (sequential ? 'sequential' : 'functional')
  const outputName = model.layers.at(-1)?.name ?? inputSource
  const config: Json = sequential
    ? {
        module: 'keras',
        class_name: 'Sequential',
        config: { name: modelName, trainable: true, dtype: DTYPE_POLICY(), layers, build_input_shape: batchShape },
        registered_name: null,
        build_config: { input_shape: batchShape },
        compile_config: null
      }
    : {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: { name: modelName, trainable: true, layers, input_layers: [[names.input, 0, 0]], output_layers: [[outputName, 0, 0]] },
        registered_name: 'Functional',
        build_config: { input_shape: null },
        compile_config: null
      }
  return { config, groups }
}

/** model.weights.h5 as H5IOStore writes it. */
async function writeWeightsH5(path: string, groups: KerasWeightsGroup[]): Promise<void> {
  const h5wasm = await loadH5wasm()
  const file = new h5wasm.File(path, 'w')
  try {
    file.create_group('vars')
    const layers = file.create_group('layers')
    const made = new Map<string, ReturnType<typeof layers.create_group>>()
    for (const group of groups) {
      // A sublayer's group (lstm/cell) goes inside its layer's, created just before.
      const cut = group.path.lastIndexOf('/')
      const parent = cut < 0 ? layers : made.get(group.path.slice(0, cut))
      if (!parent) throw new Error(`weights group ${group.path} comes before its parent`)
      const own = parent.create_group(group.path.slice(cut + 1))
      made.set(group.path, own)
      const vars = own.create_group('vars')
      group.vars.forEach((v, i) => vars.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f' }))
    }
  } finally {
    file.close()
  }
}

/** Keras's date_saved format: 2026-12-01@09:12:06. */
function dateSaved(iso: string): string {
  const date = new Date(iso)
  const valid = Number.isNaN(date.getTime()) ? new Date() : date
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${valid.getUTCFullYear()}-${p(valid.getUTCMonth() + 1)}-${p(valid.getUTCDate())}@${p(valid.getUTCHours())}:${p(valid.getUTCMinutes())}:${p(valid.getUTCSeconds())}`
}

/** The .keras archive's bytes. */
export async function kerasArchive(model: ExportModel): Promise<Uint8Array> {
  const { config, groups } = kerasArchiveContent(model)
  const scratch = await mkdtemp(join(tmpdir(), 'mw-keras-'))
  try {
    const weightsPath = join(scratch, 'model.weights.h5')
    await writeWeightsH5(weightsPath, groups)
    const encoder = new TextEncoder()
    const metadata = { keras_version: KERAS3_VERSION, date_saved: dateSaved(model.meta.created_at) }
    return zipSync({
      'metadata.json': encoder.encode(JSON.stringify(metadata)),
      'config.json': encoder.encode(JSON.stringify(config)),
      'model.weights.h5': new Uint8Array(await readFile(weightsPath))
    })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

export const kerasExporter: Exporter = {
  id: 'keras',
  label: 'Keras 3 (.keras)',
  holds: ['model.keras (Keras 3: architecture, trained weights, input scaling as its first layer)', 'preprocessing.json', 'preprocess.py', 'README.md'],
  supports: kerasSupports,
  refusal: kerasRefusal,
  async write(model: ExportModel, dir: string): Promise<string[]> {
    const archive = await kerasArchive(model)
    await writeFile(join(dir, KERAS_FILE), archive)
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(model.preprocessing, null, 2) + '\n')
    await writeFile(join(dir, 'preprocess.py'), preprocessPy(model.preprocessing))
    await writeFile(join(dir, 'README.md'), kerasReadme(model, KERAS_FILE, 'keras'))
    return [KERAS_FILE, 'preprocessing.json', 'preprocess.py', 'README.md']
  },
  async verify(_model: ExportModel, dir: string, sample: ExportSample): Promise<Verification> {
    return verifyByImport(sample, async () => importModelBytes(KERAS_FILE, new Uint8Array(await readFile(join(dir, KERAS_FILE)))))
  }
}
