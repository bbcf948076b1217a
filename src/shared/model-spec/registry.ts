// What the workbench knows about each layer class, activation, initializer and regularizer: the one
// table the validator, the shape inference, the designer's palette and its generated forms read.
import type { InitializerValue, LayerSpec, RegularizerValue } from './schema'

export const ACTIVATIONS = ['linear', 'sigmoid', 'hard_sigmoid', 'tanh', 'relu', 'relu6', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'softmax'] as const
export type ActivationName = (typeof ACTIVATIONS)[number]

export interface InitializerParam {
  key: string
  label: string
  default: number
  min?: number
}

/** Initializers by their Keras string name, with the Keras class name used in serialised configs. */
export const INITIALIZERS: Record<string, { class_name: string; label: string; params: InitializerParam[]; seeded: boolean }> = {
  glorot_uniform: { class_name: 'GlorotUniform', label: 'Glorot uniform', params: [], seeded: true },
  glorot_normal: { class_name: 'GlorotNormal', label: 'Glorot normal', params: [], seeded: true },
  he_normal: { class_name: 'HeNormal', label: 'He normal', params: [], seeded: true },
  he_uniform: { class_name: 'HeUniform', label: 'He uniform', params: [], seeded: true },
  lecun_normal: { class_name: 'LecunNormal', label: 'LeCun normal', params: [], seeded: true },
  lecun_uniform: { class_name: 'LecunUniform', label: 'LeCun uniform', params: [], seeded: true },
  random_uniform: {
    class_name: 'RandomUniform',
    label: 'Random uniform',
    params: [{ key: 'minval', label: 'Minimum', default: -0.05 }, { key: 'maxval', label: 'Maximum', default: 0.05 }],
    seeded: true
  },
  random_normal: {
    class_name: 'RandomNormal',
    label: 'Random normal',
    params: [{ key: 'mean', label: 'Mean', default: 0 }, { key: 'stddev', label: 'Standard deviation', default: 0.05, min: 0 }],
    seeded: true
  },
  truncated_normal: {
    class_name: 'TruncatedNormal',
    label: 'Truncated normal',
    params: [{ key: 'mean', label: 'Mean', default: 0 }, { key: 'stddev', label: 'Standard deviation', default: 0.05, min: 0 }],
    seeded: true
  },
  zeros: { class_name: 'Zeros', label: 'Zeros', params: [], seeded: false },
  ones: { class_name: 'Ones', label: 'Ones', params: [], seeded: false },
  constant: { class_name: 'Constant', label: 'Constant', params: [{ key: 'value', label: 'Value', default: 0 }], seeded: false }
}
// Null prototypes: a name such as "toString", "constructor" or "__proto__" is not in the tables.
Object.setPrototypeOf(INITIALIZERS, null)
export const INITIALIZER_NAMES = Object.keys(INITIALIZERS)
const INITIALIZER_BY_CLASS = new Map(Object.entries(INITIALIZERS).map(([name, info]) => [info.class_name, name]))

/** An initializer reduced to its string name and every parameter filled in (null when it is not one the workbench knows). */
export interface ResolvedInitializer {
  name: string
  params: Record<string, number>
  seed: number | null
}

export function resolveInitializer(value: InitializerValue): ResolvedInitializer | null {
  const name = typeof value === 'string' ? value : INITIALIZER_BY_CLASS.get(value.class_name) ?? (value.class_name in INITIALIZERS ? value.class_name : undefined)
  if (!name || !(name in INITIALIZERS)) return null
  const info = INITIALIZERS[name]
  const config = typeof value === 'string' ? {} : (value.config ?? {})
  const params: Record<string, number> = {}
  for (const param of info.params) params[param.key] = typeof config[param.key] === 'number' ? (config[param.key] as number) : param.default
  const seed = typeof config.seed === 'number' ? config.seed : null
  return { name, params, seed }
}

export const REGULARIZERS: Record<string, { class_name: string; label: string; defaults: { l1: number; l2: number } }> = {
  l1: { class_name: 'L1', label: 'L1', defaults: { l1: 0.01, l2: 0 } },
  l2: { class_name: 'L2', label: 'L2', defaults: { l1: 0, l2: 0.01 } },
  l1_l2: { class_name: 'L1L2', label: 'L1 + L2', defaults: { l1: 0.01, l2: 0.01 } }
}
Object.setPrototypeOf(REGULARIZERS, null)
const REGULARIZER_BY_CLASS = new Map(Object.entries(REGULARIZERS).map(([name, info]) => [info.class_name, name]))

export interface ResolvedRegularizer {
  name: 'l1' | 'l2' | 'l1_l2'
  l1: number
  l2: number
}

/** A regularizer reduced to its kind and both factors; null for none; undefined when unrecognised. */
export function resolveRegularizer(value: RegularizerValue): ResolvedRegularizer | null | undefined {
  if (value === null) return null
  const name = typeof value === 'string' ? value : REGULARIZER_BY_CLASS.get(value.class_name)
  if (!name || !(name in REGULARIZERS)) return undefined
  const info = REGULARIZERS[name]
  // Keras's L1L2 class defaults both factors to 0; its 'l1_l2' string and the L1/L2 classes to 0.01.
  const defaults = typeof value !== 'string' && name === 'l1_l2' ? { l1: 0, l2: 0 } : info.defaults
  const config = typeof value === 'string' ? {} : (value.config ?? {})
  const l1 = typeof config.l1 === 'number' ? config.l1 : defaults.l1
  const l2 = typeof config.l2 === 'number' ? config.l2 : defaults.l2
  return { name: name as ResolvedRegularizer['name'], l1: name === 'l2' ? 0 : l1, l2: name === 'l1' ? 0 : l2 }
}

export type FieldKind = 'int' | 'float' | 'enum' | 'bool' | 'int_list' | 'initializer' | 'regularizer' | 'activation'

/** Describes one config field: enough to generate its form control and to check its value. */
export interface FieldDescriptor {
  key: string
  kind: FieldKind
  label: string
  /** Inclusive bounds (for int_list: of each element). */
  min?: number
  max?: number
  /** The upper bound itself is not allowed (Dropout's rate < 1). */
  exclusive_max?: boolean
  options?: readonly string[]
  default: unknown
  /** A value must be given (createLayer fills in `default`). */
  required?: boolean
  /** null is a meaningful value (pooling strides: null means "same as pool_size"). */
  nullable?: boolean
  /** int_list: exact length; a single integer is also accepted and repeated (Keras's kernel_size=3). */
  length?: number
  /** int_list: -1 may appear once (Reshape infers that dimension). */
  allow_minus_one?: boolean
  help?: string
}

export type LayerCategory = 'input' | 'core' | 'regularization' | 'reshaping' | 'normalization' | 'convolution' | 'pooling' | 'merge'

export interface LayerClassInfo {
  class_name: string
  category: LayerCategory
  description: string
  /** Keras's base for generated names: dense → dense_1, dense_2… */
  name_base: string
  fields: FieldDescriptor[]
  /** Keys Keras writes that the workbench accepts only with this value (so Keras JSON imports cleanly). */
  fixed?: Record<string, unknown>
}

const activation = (fallback: ActivationName = 'linear'): FieldDescriptor => ({ key: 'activation', kind: 'activation', label: 'Activation', options: ACTIVATIONS, default: fallback })
const useBias: FieldDescriptor = { key: 'use_bias', kind: 'bool', label: 'Use bias', default: true }
const initializer = (key: string, label: string, fallback: string): FieldDescriptor => ({ key, kind: 'initializer', label, options: INITIALIZER_NAMES, default: fallback })
const regularizer = (key: string, label: string): FieldDescriptor => ({ key, kind: 'regularizer', label, options: Object.keys(REGULARIZERS), default: null, nullable: true })
const pair = (key: string, label: string, fallback: [number, number], extra: Partial<FieldDescriptor> = {}): FieldDescriptor => ({ key, kind: 'int_list', label, min: 1, length: 2, default: fallback, ...extra })
const padding: FieldDescriptor = { key: 'padding', kind: 'enum', label: 'Padding', options: ['valid', 'same'], default: 'valid' }

export const LAYER_CLASSES: Record<string, LayerClassInfo> = {
  InputLayer: {
    class_name: 'InputLayer',
    category: 'input',
    description: 'Declares the shape of one input sample; optional, must agree with the model input shape.',
    name_base: 'input',
    fields: [{ key: 'input_shape', kind: 'int_list', label: 'Input shape', min: 1, default: [784], required: true, help: 'One sample, without the batch axis' }]
  },
  Dense: {
    class_name: 'Dense',
    category: 'core',
    description: 'Fully connected layer: output = activation(input · kernel + bias).',
    name_base: 'dense',
    fields: [
      { key: 'units', kind: 'int', label: 'Units', min: 1, default: 32, required: true },
      activation(),
      useBias,
      initializer('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
      initializer('bias_initializer', 'Bias initializer', 'zeros'),
      regularizer('kernel_regularizer', 'Kernel regularizer'),
      regularizer('bias_regularizer', 'Bias regularizer')
    ],
    fixed: { activity_regularizer: null, kernel_constraint: null, bias_constraint: null }
  },
  Activation: {
    class_name: 'Activation',
    category: 'core',
    description: 'Applies an activation function element-wise.',
    name_base: 'activation',
    fields: [{ ...activation('relu'), required: true }]
  },
  Dropout: {
    class_name: 'Dropout',
    category: 'regularization',
    description: 'Randomly sets a fraction of its inputs to 0 while training, against overfitting.',
    name_base: 'dropout',
    fields: [
      { key: 'rate', kind: 'float', label: 'Rate', min: 0, max: 1, exclusive_max: true, default: 0.2, required: true },
      { key: 'seed', kind: 'int', label: 'Seed', min: 0, default: null, nullable: true, help: 'Empty: derived from the run seed' }
    ],
    fixed: { noise_shape: null }
  },
  Flatten: {
    class_name: 'Flatten',
    category: 'reshaping',
    description: 'Flattens each sample to one dimension (e.g. 28×28×1 → 784).',
    name_base: 'flatten',
    fields: [],
    fixed: { data_format: 'channels_last' }
  },
  Reshape: {
    class_name: 'Reshape',
    category: 'reshaping',
    description: 'Reshapes each sample to a target shape with the same number of values (one -1 is inferred).',
    name_base: 'reshape',
    fields: [{ key: 'target_shape', kind: 'int_list', label: 'Target shape', min: 1, allow_minus_one: true, default: [28, 28, 1], required: true }]
  },
  BatchNormalization: {
    class_name: 'BatchNormalization',
    category: 'normalization',
    description: 'Normalizes activations per channel with batch statistics; keeps moving averages for inference.',
    name_base: 'batch_normalization',
    fields: [
      { key: 'axis', kind: 'int', label: 'Axis', default: -1, help: 'Feature axis; -1 is the last' },
      { key: 'momentum', kind: 'float', label: 'Momentum', min: 0, max: 1, default: 0.99 },
      { key: 'epsilon', kind: 'float', label: 'Epsilon', min: 0, default: 0.001, exclusive_max: false },
      { key: 'center', kind: 'bool', label: 'Center (beta)', default: true },
      { key: 'scale', kind: 'bool', label: 'Scale (gamma)', default: true },
      initializer('beta_initializer', 'Beta initializer', 'zeros'),
      initializer('gamma_initializer', 'Gamma initializer', 'ones'),
      initializer('moving_mean_initializer', 'Moving mean initializer', 'zeros'),
      initializer('moving_variance_initializer', 'Moving variance initializer', 'ones'),
      regularizer('beta_regularizer', 'Beta regularizer'),
      regularizer('gamma_regularizer', 'Gamma regularizer')
    ],
    fixed: { beta_constraint: null, gamma_constraint: null }
  },
  Conv2D: {
    class_name: 'Conv2D',
    category: 'convolution',
    description: '2-D convolution over (height, width, channels) inputs.',
    name_base: 'conv2d',
    fields: [
      { key: 'filters', kind: 'int', label: 'Filters', min: 1, default: 32, required: true },
      pair('kernel_size', 'Kernel size', [3, 3], { required: true }),
      pair('strides', 'Strides', [1, 1]),
      padding,
      pair('dilation_rate', 'Dilation rate', [1, 1]),
      activation(),
      useBias,
      initializer('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
      initializer('bias_initializer', 'Bias initializer', 'zeros'),
      regularizer('kernel_regularizer', 'Kernel regularizer'),
      regularizer('bias_regularizer', 'Bias regularizer')
    ],
    fixed: { data_format: 'channels_last', groups: 1, activity_regularizer: null, kernel_constraint: null, bias_constraint: null }
  },
  MaxPooling2D: {
    class_name: 'MaxPooling2D',
    category: 'pooling',
    description: 'Keeps the maximum of each pooling window.',
    name_base: 'max_pooling2d',
    fields: [pair('pool_size', 'Pool size', [2, 2]), pair('strides', 'Strides', [2, 2], { default: null, nullable: true, help: 'Empty: same as the pool size' }), padding],
    fixed: { data_format: 'channels_last' }
  },
  AveragePooling2D: {
    class_name: 'AveragePooling2D',
    category: 'pooling',
    description: 'Averages each pooling window.',
    name_base: 'average_pooling2d',
    fields: [pair('pool_size', 'Pool size', [2, 2]), pair('strides', 'Strides', [2, 2], { default: null, nullable: true, help: 'Empty: same as the pool size' }), padding],
    fixed: { data_format: 'channels_last' }
  }
}

/** Merge layers (graph specs only): element-wise over inputs of one shape, or Concatenate along an axis. */
const merge = (className: string, nameBase: string, description: string, fields: FieldDescriptor[] = []): LayerClassInfo => ({ class_name: className, category: 'merge', description, name_base: nameBase, fields })
Object.assign(LAYER_CLASSES, {
  Add: merge('Add', 'add', 'Adds its inputs element-wise (a residual skip: x + f(x)); all inputs have one shape.'),
  Subtract: merge('Subtract', 'subtract', 'Subtracts its second input from its first, element-wise; exactly two inputs of one shape.'),
  Multiply: merge('Multiply', 'multiply', 'Multiplies its inputs element-wise (gating); all inputs have one shape.'),
  Average: merge('Average', 'average', 'Averages its inputs element-wise; all inputs have one shape.'),
  Maximum: merge('Maximum', 'maximum', 'Keeps the element-wise maximum of its inputs; all inputs have one shape.'),
  Minimum: merge('Minimum', 'minimum', 'Keeps the element-wise minimum of its inputs; all inputs have one shape.'),
  Concatenate: merge('Concatenate', 'concatenate', 'Joins its inputs along one axis (the others must agree), e.g. two (None, 16) into (None, 32).', [
    { key: 'axis', kind: 'int', label: 'Axis', default: -1, help: 'Axis to join along; -1 is the last' }
  ])
} satisfies Record<string, LayerClassInfo>)

/** The merge classes: they take two or more inputs (Subtract exactly two). */
export const MERGE_CLASSES: ReadonlySet<string> = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'])

Object.setPrototypeOf(LAYER_CLASSES, null)
export const LAYER_CLASS_NAMES = Object.keys(LAYER_CLASSES)

/** Keys every layer may carry besides its own fields. */
export const COMMON_KEYS = ['name', 'trainable', 'dtype'] as const

/** The first `<base>_<n>` (n = 1, 2, …) not among `existingNames`. */
export function uniqueLayerName(base: string, existingNames: Iterable<string>): string {
  const taken = new Set(existingNames)
  let n = 1
  while (taken.has(`${base}_${n}`)) n++
  return `${base}_${n}`
}

/** A new layer of `class_name` with every field at its default and a Keras-like unique name. */
export function createLayer(className: string, existingNames: Iterable<string> = []): LayerSpec {
  const info = LAYER_CLASSES[className]
  if (!info) throw new Error(`unknown layer class "${className}"; the workbench offers ${LAYER_CLASS_NAMES.join(', ')}`)
  const config: Record<string, unknown> = { name: uniqueLayerName(info.name_base, existingNames) }
  for (const field of info.fields) config[field.key] = structuredClone(field.default)
  return { class_name: className, config }
}

/** Every layer's name: its own, or the one Keras would generate, in order. */
export function layerNames(layers: readonly LayerSpec[]): string[] {
  const explicit = layers.map((layer) => (typeof layer.config.name === 'string' && layer.config.name ? layer.config.name : null))
  const taken = new Set(explicit.filter((name): name is string => name !== null))
  // The first free <base>_<n> only grows as names are taken, so each base resumes where it left
  // off: linear in the number of layers (uniqueLayerName per layer would be quadratic).
  const nextNumber = new Map<string, number>()
  return layers.map((layer, i) => {
    const own = explicit[i]
    if (own) return own
    const base = LAYER_CLASSES[layer.class_name]?.name_base ?? layer.class_name.toLowerCase()
    let n = nextNumber.get(base) ?? 1
    while (taken.has(`${base}_${n}`)) n++
    const name = `${base}_${n}`
    nextNumber.set(base, n + 1)
    taken.add(name)
    return name
  })
}

/** A layer's config with every field at its default where not given (name included). */
export function fullConfig(layer: LayerSpec, name: string): Record<string, unknown> {
  const info = LAYER_CLASSES[layer.class_name]
  const config: Record<string, unknown> = { name, trainable: layer.config.trainable ?? true }
  if (!info) return { ...layer.config, ...config }
  for (const field of info.fields) {
    const given = layer.config[field.key]
    config[field.key] = given === undefined ? structuredClone(field.default) : structuredClone(given)
  }
  return config
}
