// What the two Keras exporters (Keras 3 `.keras` and legacy `.h5`) share: which layers and
// activations Keras 3 computes the way the app does, the input-scaling layer baked in first,
// Keras's snake_case names, the h5wasm loader, the README and the verification through our own reader.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { inferShapes } from '../../../shared/model-spec'
import { buildModel } from '../../engine/model-builder'
import { applyScaling } from '../from-tfjs'
import { ExportRefusal, maxAbsDiff, type ExportLayer, type ExportModel, type ExportSample, type Verification } from '../types'
import { headerSection, inputSection, outputSection } from '../helpers/readme'
import { checkScalingSize } from '../helpers/scaling'
import { specWithWeights, type ModelImport } from '../import/types'

/** The Keras 3 release whose file layout the exports follow (written as keras_version). */
export const KERAS3_VERSION = '3.10.0'

/** Layer classes both Keras files hold (InputLayer is written from the model's input shape). */
export const KERAS_LAYER_CLASSES = [
  'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D',
  'Conv1D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling1D', 'AveragePooling1D',
  'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'UpSampling2D', 'ZeroPadding2D', 'Cropping2D',
  'Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'LayerNormalization', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'
] as const

/** The recurrent layers: Keras keeps their variables in a cell (LSTMCell…), saved under the layer's `cell` attribute. */
export const RECURRENT_CELL_NAMES: Record<string, string> = { SimpleRNN: 'simple_rnn_cell', LSTM: 'lstm_cell', GRU: 'gru_cell' }

/**
 * Where Keras 3's saving_lib puts a layer's variables below its own group (`layers/<class>[_n]`):
 * its own `vars`, then those of the sublayers it holds as attributes. A recurrent layer's live in
 * `cell/vars`; a Bidirectional's in `forward_layer/cell/vars`, then `backward_layer/cell/vars`
 * (its variables are forward's then backward's, as the spec lists them). Empty groups for the rest.
 */
export function kerasVariableGroups(className: string): Array<{ path: string; holds_variables: boolean }> {
  if (className in RECURRENT_CELL_NAMES) return [{ path: '', holds_variables: false }, { path: 'cell', holds_variables: true }]
  if (className === 'Bidirectional') {
    return [
      { path: '', holds_variables: false },
      { path: 'forward_layer', holds_variables: false },
      { path: 'forward_layer/cell', holds_variables: true },
      { path: 'backward_layer', holds_variables: false },
      { path: 'backward_layer/cell', holds_variables: true }
    ]
  }
  return [{ path: '', holds_variables: true }]
}

/** The wrapped recurrent layer of a Bidirectional, with its name ('lstm' when unnamed). */
export function wrappedLayer(config: Record<string, unknown>): { class_name: string; config: Record<string, unknown>; name: string } {
  const layer = config.layer as { class_name: string; config?: Record<string, unknown> }
  const inner = layer.config ?? {}
  const name = typeof inner.name === 'string' && inner.name ? inner.name : toSnakeCase(layer.class_name)
  return { class_name: layer.class_name, config: inner, name }
}

/**
 * Variable paths as Keras 3 names them (legacy .h5 weight_names): `<layer>/<variable>`, a recurrent
 * layer's `<layer>/<cell>/<variable>`, a Bidirectional's `<layer>/forward_<inner>/<cell>/<variable>`
 * then `<layer>/backward_<inner>/<cell>/<variable>`.
 */
export function kerasVariablePaths(layer: ExportLayer): string[] {
  const base = layer.weights.map((w) => w.name)
  if (layer.class_name in RECURRENT_CELL_NAMES) return base.map((v) => `${layer.name}/${RECURRENT_CELL_NAMES[layer.class_name]}/${v}`)
  if (layer.class_name === 'Bidirectional') {
    const inner = wrappedLayer(layer.config)
    const cell = RECURRENT_CELL_NAMES[inner.class_name] ?? 'cell'
    const half = base.length / 2
    return base.map((v, i) => `${layer.name}/${i < half ? 'forward' : 'backward'}_${inner.name}/${cell}/${v}`)
  }
  return base.map((v) => `${layer.name}/${v}`)
}

/**
 * The workbench's activation names as Keras 3 spells them. hard_sigmoid is absent on purpose:
 * Keras 3's is relu6(x + 3) / 6, the app's (tfjs, Keras 2) max(0, min(1, 0.2·x + 0.5)).
 */
const KERAS3_ACTIVATIONS: Record<string, string> = {
  linear: 'linear', sigmoid: 'sigmoid', tanh: 'tanh', relu: 'relu', relu6: 'relu6', elu: 'elu', selu: 'selu',
  softplus: 'softplus', softsign: 'softsign', softmax: 'softmax', swish: 'silu'
}

/** Why Keras 3 cannot hold this layer as the app computes it, or null when it can. */
export function kerasRefusal(layer: ExportLayer): string | null {
  if (!(KERAS_LAYER_CLASSES as readonly string[]).includes(layer.class_name)) {
    return `layer ${layer.index + 1} (${layer.class_name} "${layer.name}") has no Keras counterpart in this export; Keras files hold ${KERAS_LAYER_CLASSES.join(', ')}`
  }
  const configs = [layer.config, ...(layer.class_name === 'Bidirectional' ? [wrappedLayer(layer.config).config] : [])]
  for (const config of configs) {
    for (const key of ['activation', 'recurrent_activation']) {
      const activation = config[key]
      if (typeof activation !== 'string' || Object.hasOwn(KERAS3_ACTIVATIONS, activation)) continue
      return activation === 'hard_sigmoid'
        ? `layer ${layer.index + 1} (${layer.class_name} "${layer.name}") uses hard_sigmoid${key === 'activation' ? '' : ` as its ${key}`}, which Keras 3 computes as relu6(x + 3) / 6 instead of the app's max(0, min(1, 0.2·x + 0.5)); the file would answer differently, so it is refused: export as ONNX, TF.js or PyTorch, or train with sigmoid`
        : `layer ${layer.index + 1} (${layer.class_name} "${layer.name}") uses the activation ${activation}, which has no Keras 3 counterpart`
    }
  }
  if (layer.class_name === 'UpSampling2D' && layer.config.interpolation === 'bilinear') {
    return `layer ${layer.index + 1} (UpSampling2D "${layer.name}") resizes bilinearly, which Keras computes with half-pixel centres and the app (tfjs) without; the file would answer differently, so it is refused: export as TF.js, or use interpolation nearest`
  }
  return null
}

export function kerasSupports(layer: ExportLayer): boolean {
  return kerasRefusal(layer) === null
}

/** Refuses the model (ExportRefusal naming the first layer at fault) unless every layer can be written. */
export function checkKerasModel(model: ExportModel, format: string): void {
  for (const layer of model.layers) {
    const why = kerasRefusal(layer)
    if (why) throw new ExportRefusal(format, { index: layer.index, class_name: layer.class_name, name: layer.name }, `${format}: ${why}`)
  }
}

export function kerasActivation(name: unknown): string {
  return typeof name === 'string' ? (KERAS3_ACTIVATIONS[name] ?? name) : 'linear'
}

/** keras.src.utils.naming.to_snake_case: Conv2D → conv2d, MaxPooling2D → max_pooling2d, BatchNormalization → batch_normalization. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
}

/** The first of base, base_1, base_2, … not taken. */
function freeName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base
  let n = 1
  while (taken.has(`${base}_${n}`)) n++
  return `${base}_${n}`
}

/** The InputLayer's and the scaling layer's names, clear of the model's own layer names. */
export function extraLayerNames(model: ExportModel): { input: string; scaling: string } {
  const taken = new Set(model.layers.map((l) => l.name))
  const input = freeName('input_layer', taken)
  taken.add(input)
  const scaling = freeName(model.scaling?.uniform ? 'rescaling' : 'normalization', taken)
  return { input, scaling }
}

/** The scaling layer's own settings (name, trainable and dtype are the caller's). */
export interface ScalingLayerConfig {
  class_name: 'Rescaling' | 'Normalization'
  settings: Record<string, unknown>
}

function nested(values: number[], shape: number[]): unknown {
  if (shape.length <= 1) return values
  const inner = shape.slice(1)
  const size = inner.reduce((a, b) => a * b, 1)
  return Array.from({ length: shape[0] }, (_, i) => nested(values.slice(i * size, (i + 1) * size), inner))
}

/**
 * model.scaling as a first Keras layer: uniform → Rescaling(scale, offset = −offset·scale);
 * per feature → Normalization(mean = offset, variance = (1/scale)²) built from constants (no
 * variables), per channel (axis −1) when the values only change with the last axis, else over
 * every sample axis. null when the model takes its inputs as they are.
 */
export function scalingLayerConfig(model: ExportModel, format: string): ScalingLayerConfig | null {
  const scaling = model.scaling
  if (!scaling) return null
  checkScalingSize(format, format, model.input_shape, scaling)
  if (scaling.scale.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new ExportRefusal(format, null, `${format}: the input scaling has a zero, negative or non-finite scale, which Keras's Normalization cannot hold; export as ONNX or PyTorch`)
  }
  if (scaling.uniform) {
    return { class_name: 'Rescaling', settings: { scale: scaling.uniform.scale, offset: 0 - scaling.uniform.offset * scaling.uniform.scale + 0 } }
  }
  const shape = model.input_shape
  const channels = shape[shape.length - 1]
  const perChannel = shape.length > 1 && scaling.offset.every((o, f) => o === scaling.offset[f % channels] && scaling.scale[f] === scaling.scale[f % channels])
  const mean = perChannel ? scaling.offset.slice(0, channels) : scaling.offset
  const variance = (perChannel ? scaling.scale.slice(0, channels) : scaling.scale).map((s) => (1 / s) ** 2)
  const axis = perChannel || shape.length === 1 ? [-1] : shape.map((_, d) => d + 1)
  const valueShape = perChannel || shape.length === 1 ? [mean.length] : shape
  return { class_name: 'Normalization', settings: { axis, mean: nested(mean, valueShape), variance: nested(variance, valueShape), invert: false } }
}

let h5wasmModule: Promise<typeof import('h5wasm/node')> | null = null

/** h5wasm's Node build, loaded once (its emscripten check trips on Node's and Electron's global navigator). */
export function loadH5wasm(): Promise<typeof import('h5wasm/node')> {
  h5wasmModule ??= (async () => {
    const navigatorProperty = Object.getOwnPropertyDescriptor(globalThis, 'navigator')
    if (navigatorProperty?.configurable) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true })
    try {
      const loaded = await import('h5wasm/node')
      await loaded.ready
      return loaded
    } finally {
      if (navigatorProperty?.configurable) Object.defineProperty(globalThis, 'navigator', navigatorProperty)
    }
  })()
  return h5wasmModule
}

/** The installed h5wasm version, from its package.json on Node's lookup path (its exports map hides the file from require). */
export function h5wasmVersion(): string {
  const require = createRequire(__filename)
  for (const folder of require.resolve.paths('h5wasm') ?? []) {
    const file = join(folder, 'h5wasm', 'package.json')
    if (!existsSync(file)) continue
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: string }
      if (parsed.version) return parsed.version
    } catch {
      // unreadable: keep looking
    }
  }
  return 'unknown version'
}

/** README.md for a Keras export folder. */
export function kerasReadme(model: ExportModel, file: string, kind: 'keras' | 'h5'): string {
  const load = kind === 'keras' ? `keras.saving.load_model("${file}")` : `keras.saving.load_model("${file}")   # legacy HDF5; tf.keras 2.x: tf.keras.models.load_model("${file}")`
  const scaling = model.scaling
    ? model.scaling.uniform
      ? 'Its first layer is a `Rescaling` that applies the scaling the model was trained with, so feed it raw values.'
      : 'Its first layer is a `Normalization` (mean and variance as constants) that applies the scaling the model was trained with, so feed it raw values.'
    : ''
  return [
    ...headerSection(model, kind === 'keras' ? 'Keras 3 model' : 'Keras model (legacy HDF5)'),
    '| file | what |',
    '|---|---|',
    kind === 'keras'
      ? `| \`${file}\` | Keras 3 archive: config.json (architecture), model.weights.h5 (trained weights), metadata.json |`
      : `| \`${file}\` | legacy Keras HDF5: model_config (architecture) and model_weights (trained weights) |`,
    '| `preprocessing.json` | columns, one-hot vocabularies, scaling, class names |',
    '| `preprocess.py` | raw records → model input (standard library only) |',
    '',
    '```python',
    'import keras',
    `model = ${load}`,
    `y = model.predict(x)   # x: float32 [batch, ${model.input_shape.join(', ')}], RAW values`,
    '```',
    '',
    scaling,
    'The file holds no optimizer state (compile_config is empty): call `model.compile(...)` before `fit` to fine-tune.',
    '',
    ...inputSection(model, true),
    '',
    ...outputSection(model),
    ''
  ].join('\n')
}

/**
 * Verification shared by both formats: the written file read back by our importer, rebuilt by the
 * app's own model builder with the file's weights, fed the raw rows through the file's scaling.
 */
export async function verifyByImport(sample: ExportSample, read: () => Promise<ModelImport>): Promise<Verification> {
  const verifiedBy = `model-workbench reader (h5wasm ${h5wasmVersion()})`
  if (sample.rows === 0) return { verified_by: null, max_abs_diff: null, rows: 0, note: 'not verified: no held-out rows to compare' }
  let imported: ModelImport
  try {
    imported = await read()
  } catch (error) {
    return { verified_by: verifiedBy, max_abs_diff: null, rows: sample.rows, note: `failed: the written file does not read back: ${(error as Error).message}` }
  }
  const tf = await import('@tensorflow/tfjs')
  const spec = specWithWeights(imported)
  const built = buildModel(tf, spec, { seed: 0 })
  try {
    const features = inferShapes(spec).input_shape.reduce((a, b) => a * b, 1)
    if (features !== sample.features) return { verified_by: verifiedBy, max_abs_diff: null, rows: sample.rows, note: `failed: the file's input has ${features} features, the rows ${sample.features}` }
    const input = applyScaling(sample.raw, features, imported.scaling)
    const output = tf.tidy(() => {
      const y = built.predict(tf.tensor(input, [sample.rows, ...spec.input_shape])) as import('@tensorflow/tfjs').Tensor
      return Float32Array.from(y.reshape([sample.rows, -1]).dataSync())
    })
    const diff = maxAbsDiff(output, sample.expected)
    return { verified_by: verifiedBy, max_abs_diff: diff, rows: sample.rows, note: imported.notices.length ? imported.notices.join('; ') : null }
  } finally {
    built.dispose()
  }
}
