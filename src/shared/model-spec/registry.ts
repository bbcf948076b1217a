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
  constant: { class_name: 'Constant', label: 'Constant', params: [{ key: 'value', label: 'Value', default: 0 }], seeded: false },
  // A random orthogonal matrix (times gain): Keras's default for recurrent kernels.
  orthogonal: { class_name: 'Orthogonal', label: 'Orthogonal', params: [{ key: 'gain', label: 'Gain', default: 1 }], seeded: true }
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

/**
 * `int_pairs`: `length` pairs of non-negative integers, as Keras writes ZeroPadding2D's padding and Cropping2D's cropping
 * (`[[top, bottom], [left, right]]`); one integer (all sides) or one per pair (symmetric) is accepted too.
 * `layer`: a wrapped layer `{class_name, config}` (Bidirectional's recurrent layer), one of `options`, its config checked with that class's fields.
 */
export type FieldKind = 'int' | 'float' | 'enum' | 'bool' | 'int_list' | 'int_pairs' | 'initializer' | 'regularizer' | 'activation' | 'layer'

/**
 * An int_pairs value in Keras's long form `[[a, b], [c, d]]`: one integer is every side, a flat list
 * one value per pair (both sides); null when the value has none of these forms.
 */
export function intPairs(value: unknown, length: number): number[][] | null {
  if (typeof value === 'number') return Array.from({ length }, () => [value, value])
  if (!Array.isArray(value) || value.length !== length) return null
  if (value.every((item) => typeof item === 'number')) return (value).map((item) => [item, item])
  if (value.every((item) => Array.isArray(item) && item.length === 2 && item.every((side) => typeof side === 'number'))) return (value as number[][]).map((item) => [...item])
  return null
}

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
  /** int_list: exact length; a single integer is also accepted and repeated (Keras's kernel_size=3). int_pairs: the number of pairs. */
  length?: number
  /** int_list: -1 may appear once (Reshape infers that dimension). */
  allow_minus_one?: boolean
  help?: string
}

export type LayerCategory = 'input' | 'core' | 'regularization' | 'reshaping' | 'normalization' | 'convolution' | 'pooling' | 'merge' | 'recurrent' | 'embedding'

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
/** activation, use_bias, then the `<weight>` and bias initializers and regularizers: the tail every weighted layer shares, in Keras's order. */
const weighted = (weight: string, label: string): FieldDescriptor[] => [
  activation(),
  useBias,
  initializer(`${weight}_initializer`, `${label} initializer`, 'glorot_uniform'),
  initializer('bias_initializer', 'Bias initializer', 'zeros'),
  regularizer(`${weight}_regularizer`, `${label} regularizer`),
  regularizer('bias_regularizer', 'Bias regularizer')
]
const pair = (key: string, label: string, fallback: [number, number], extra: Partial<FieldDescriptor> = {}): FieldDescriptor => ({ key, kind: 'int_list', label, min: 1, length: 2, default: fallback, ...extra })
const padding: FieldDescriptor = { key: 'padding', kind: 'enum', label: 'Padding', options: ['valid', 'same'], default: 'valid' }
const single = (key: string, label: string, fallback: number, extra: Partial<FieldDescriptor> = {}): FieldDescriptor => ({ key, kind: 'int_list', label, min: 1, length: 1, default: [fallback], ...extra })
const seedField: FieldDescriptor = { key: 'seed', kind: 'int', label: 'Seed', min: 0, default: null, nullable: true, help: 'Empty: derived from the run seed' }
const rateField = (label = 'Rate'): FieldDescriptor => ({ key: 'rate', kind: 'float', label, min: 0, max: 1, exclusive_max: true, default: 0.2, required: true })
const fraction = (key: string, label: string): FieldDescriptor => ({ key, kind: 'float', label, min: 0, max: 1, exclusive_max: true, default: 0 })
/** What every convolution writes and the workbench takes at one value only (channels_last data, no constraints). */
const CONV_FIXED = { data_format: 'channels_last', activity_regularizer: null, bias_constraint: null } as const
/** What Keras's recurrent layers write that tfjs cannot do otherwise (states out, reversed or stateful runs, unrolling, masks; Keras 2's time_major). */
const RECURRENT_FIXED = {
  return_state: false, go_backwards: false, stateful: false, unroll: false, zero_output_for_mask: false, time_major: false,
  activity_regularizer: null, kernel_constraint: null, recurrent_constraint: null, bias_constraint: null
} as const
/** The fields SimpleRNN, LSTM and GRU share, in Keras's order; LSTM and GRU add recurrent_activation (and LSTM unit_forget_bias). */
const recurrentFields = (extra: { gated: boolean; forgetBias?: boolean }): FieldDescriptor[] => [
  { key: 'units', kind: 'int', label: 'Units', min: 1, default: 32, required: true },
  activation('tanh'),
  ...(extra.gated ? [{ key: 'recurrent_activation', kind: 'activation', label: 'Recurrent activation', options: ACTIVATIONS, default: 'sigmoid' } satisfies FieldDescriptor] : []),
  useBias,
  initializer('kernel_initializer', 'Kernel initializer', 'glorot_uniform'),
  initializer('recurrent_initializer', 'Recurrent initializer', 'orthogonal'),
  initializer('bias_initializer', 'Bias initializer', 'zeros'),
  ...(extra.forgetBias ? [{ key: 'unit_forget_bias', kind: 'bool', label: 'Unit forget bias', default: true, help: 'Adds 1 to the forget gate\'s bias at initialisation' } satisfies FieldDescriptor] : []),
  regularizer('kernel_regularizer', 'Kernel regularizer'),
  regularizer('recurrent_regularizer', 'Recurrent regularizer'),
  regularizer('bias_regularizer', 'Bias regularizer'),
  fraction('dropout', 'Input dropout'),
  fraction('recurrent_dropout', 'Recurrent dropout'),
  { key: 'return_sequences', kind: 'bool', label: 'Return sequences', default: false, help: 'On: one output per time step (for a following recurrent layer); off: the last step only' },
  seedField
]
/** The recurrent classes Bidirectional can wrap. */
export const WRAPPABLE_RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'] as const
const pooling1d = (): FieldDescriptor[] => [single('pool_size', 'Pool size', 2), single('strides', 'Strides', 2, { default: null, nullable: true, help: 'Empty: same as the pool size' }), padding]
const globalPooling = (className: string, description: string, nameBase: string): LayerClassInfo => ({
  class_name: className, category: 'pooling', description, name_base: nameBase, fields: [], fixed: { data_format: 'channels_last', keepdims: false }
})

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
      ...weighted('kernel', 'Kernel')
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
      ...weighted('kernel', 'Kernel')
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
  },
  Conv1D: {
    class_name: 'Conv1D',
    category: 'convolution',
    description: '1-D convolution along the time axis of (timesteps, features) inputs.',
    name_base: 'conv1d',
    fields: [
      { key: 'filters', kind: 'int', label: 'Filters', min: 1, default: 32, required: true },
      single('kernel_size', 'Kernel size', 3, { required: true }),
      single('strides', 'Strides', 1),
      // Keras's third padding, "causal", is not implemented by tfjs-layers 4.22 (conv1dWithBias throws).
      padding,
      single('dilation_rate', 'Dilation rate', 1),
      ...weighted('kernel', 'Kernel')
    ],
    fixed: { ...CONV_FIXED, groups: 1, kernel_constraint: null }
  },
  DepthwiseConv2D: {
    class_name: 'DepthwiseConv2D',
    category: 'convolution',
    description: 'Convolves each input channel with its own filters (depth_multiplier per channel), without mixing channels.',
    name_base: 'depthwise_conv2d',
    fields: [
      pair('kernel_size', 'Kernel size', [3, 3], { required: true }),
      pair('strides', 'Strides', [1, 1]),
      padding,
      { key: 'depth_multiplier', kind: 'int', label: 'Depth multiplier', min: 1, default: 1 },
      ...weighted('depthwise', 'Depthwise')
    ],
    // tfjs-layers 4.22's depthwiseConv2d ignores dilationRate (its call passes none): only Keras's default is taken.
    fixed: { ...CONV_FIXED, depthwise_constraint: null, dilation_rate: [1, 1] }
  },
  SeparableConv2D: {
    class_name: 'SeparableConv2D',
    category: 'convolution',
    description: 'A depthwise convolution per channel, then a 1×1 convolution that mixes the channels: fewer weights than Conv2D.',
    name_base: 'separable_conv2d',
    fields: [
      { key: 'filters', kind: 'int', label: 'Filters', min: 1, default: 32, required: true },
      pair('kernel_size', 'Kernel size', [3, 3], { required: true }),
      pair('strides', 'Strides', [1, 1]),
      padding,
      pair('dilation_rate', 'Dilation rate', [1, 1]),
      { key: 'depth_multiplier', kind: 'int', label: 'Depth multiplier', min: 1, default: 1 },
      activation(),
      useBias,
      initializer('depthwise_initializer', 'Depthwise initializer', 'glorot_uniform'),
      initializer('pointwise_initializer', 'Pointwise initializer', 'glorot_uniform'),
      initializer('bias_initializer', 'Bias initializer', 'zeros'),
      regularizer('depthwise_regularizer', 'Depthwise regularizer'),
      regularizer('pointwise_regularizer', 'Pointwise regularizer'),
      regularizer('bias_regularizer', 'Bias regularizer')
    ],
    fixed: { ...CONV_FIXED, depthwise_constraint: null, pointwise_constraint: null }
  },
  Conv2DTranspose: {
    class_name: 'Conv2DTranspose',
    category: 'convolution',
    description: 'Transposed 2-D convolution ("deconvolution"): enlarges (height, width) by its strides.',
    name_base: 'conv2d_transpose',
    fields: [
      { key: 'filters', kind: 'int', label: 'Filters', min: 1, default: 32, required: true },
      pair('kernel_size', 'Kernel size', [3, 3], { required: true }),
      pair('strides', 'Strides', [1, 1]),
      padding,
      ...weighted('kernel', 'Kernel')
    ],
    // tfjs-layers 4.22's conv2dTranspose ignores dilationRate and has no outputPadding: only Keras's defaults are taken.
    fixed: { ...CONV_FIXED, kernel_constraint: null, dilation_rate: [1, 1], output_padding: null, groups: 1 }
  },
  MaxPooling1D: {
    class_name: 'MaxPooling1D',
    category: 'pooling',
    description: 'Keeps the maximum of each window along the time axis.',
    name_base: 'max_pooling1d',
    fields: pooling1d(),
    fixed: { data_format: 'channels_last' }
  },
  AveragePooling1D: {
    class_name: 'AveragePooling1D',
    category: 'pooling',
    description: 'Averages each window along the time axis.',
    name_base: 'average_pooling1d',
    fields: pooling1d(),
    fixed: { data_format: 'channels_last' }
  },
  GlobalAveragePooling1D: globalPooling('GlobalAveragePooling1D', 'Averages over all time steps: (timesteps, features) → (features).', 'global_average_pooling1d'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePooling2D', 'Averages each channel over height and width: (h, w, channels) → (channels).', 'global_average_pooling2d'),
  GlobalMaxPooling1D: globalPooling('GlobalMaxPooling1D', 'Keeps the maximum over all time steps: (timesteps, features) → (features).', 'global_max_pooling1d'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPooling2D', "Keeps each channel's maximum over height and width: (h, w, channels) → (channels).", 'global_max_pooling2d'),
  UpSampling2D: {
    class_name: 'UpSampling2D',
    category: 'reshaping',
    description: 'Repeats rows and columns (or interpolates) to enlarge (height, width) by a factor.',
    name_base: 'up_sampling2d',
    fields: [pair('size', 'Size', [2, 2]), { key: 'interpolation', kind: 'enum', label: 'Interpolation', options: ['nearest', 'bilinear'], default: 'nearest' }],
    fixed: { data_format: 'channels_last' }
  },
  ZeroPadding2D: {
    class_name: 'ZeroPadding2D',
    category: 'reshaping',
    description: 'Adds rows and columns of zeros around each image: [[top, bottom], [left, right]].',
    name_base: 'zero_padding2d',
    fields: [{ key: 'padding', kind: 'int_pairs', label: 'Padding', min: 0, length: 2, default: [[1, 1], [1, 1]] }],
    fixed: { data_format: 'channels_last' }
  },
  Cropping2D: {
    class_name: 'Cropping2D',
    category: 'reshaping',
    description: "Cuts rows and columns off each image's edges: [[top, bottom], [left, right]].",
    name_base: 'cropping2d',
    fields: [{ key: 'cropping', kind: 'int_pairs', label: 'Cropping', min: 0, length: 2, default: [[0, 0], [0, 0]] }],
    fixed: { data_format: 'channels_last' }
  },
  Embedding: {
    class_name: 'Embedding',
    category: 'embedding',
    description: 'Turns integer token ids (0 … input_dim − 1) into learned vectors: (timesteps) → (timesteps, output_dim).',
    name_base: 'embedding',
    fields: [
      { key: 'input_dim', kind: 'int', label: 'Vocabulary size', min: 1, default: 1000, required: true, help: 'Token ids run from 0 to this − 1' },
      { key: 'output_dim', kind: 'int', label: 'Vector size', min: 1, default: 16, required: true },
      // Keras's default "uniform" is RandomUniform(-0.05, 0.05), random_uniform's defaults.
      initializer('embeddings_initializer', 'Embeddings initializer', 'random_uniform'),
      regularizer('embeddings_regularizer', 'Embeddings regularizer')
    ],
    // mask_zero needs masks carried through the later layers, which the workbench does not do; Keras 2's input_length is the model's input shape.
    fixed: { mask_zero: false, activity_regularizer: null, embeddings_constraint: null, lora_rank: null, input_length: null, sparse: false }
  },
  SimpleRNN: {
    class_name: 'SimpleRNN',
    category: 'recurrent',
    description: "A fully connected recurrent layer: each step's output feeds the next step.",
    name_base: 'simple_rnn',
    fields: recurrentFields({ gated: false }),
    fixed: RECURRENT_FIXED
  },
  LSTM: {
    class_name: 'LSTM',
    category: 'recurrent',
    description: 'Long short-term memory: a gated recurrent layer that keeps a cell state over long sequences.',
    name_base: 'lstm',
    fields: recurrentFields({ gated: true, forgetBias: true }),
    // implementation 1 and 2 compute the same thing; Keras 2 writes 2.
    fixed: { ...RECURRENT_FIXED, implementation: 2 }
  },
  GRU: {
    class_name: 'GRU',
    category: 'recurrent',
    description: 'Gated recurrent unit: a lighter gated recurrent layer (update and reset gates).',
    name_base: 'gru',
    fields: recurrentFields({ gated: true }),
    // tfjs-layers 4.22's GRUCell throws for reset_after=true (Keras 3's default), so only the other
    // variant is taken: reset gate applied before the recurrent matmul, one bias of 3 × units.
    fixed: { ...RECURRENT_FIXED, implementation: 2, reset_after: false }
  },
  Bidirectional: {
    class_name: 'Bidirectional',
    category: 'recurrent',
    description: 'Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges both outputs.',
    name_base: 'bidirectional',
    fields: [
      { key: 'layer', kind: 'layer', label: 'Recurrent layer', options: WRAPPABLE_RECURRENT, default: { class_name: 'LSTM', config: { units: 32 } }, required: true },
      { key: 'merge_mode', kind: 'enum', label: 'Merge mode', options: ['concat', 'sum', 'mul', 'ave'], default: 'concat' }
    ],
    // The backward layer is always a copy of the wrapped one run in reverse (tfjs builds it so).
    fixed: { backward_layer: null }
  },
  LayerNormalization: {
    class_name: 'LayerNormalization',
    category: 'normalization',
    description: 'Normalises each sample over its features (no batch statistics), then scales and shifts.',
    name_base: 'layer_normalization',
    fields: [
      { key: 'axis', kind: 'int', label: 'Axis', default: -1, help: 'Feature axis; -1 is the last' },
      { key: 'epsilon', kind: 'float', label: 'Epsilon', min: 0, default: 0.001 },
      { key: 'center', kind: 'bool', label: 'Center (beta)', default: true },
      { key: 'scale', kind: 'bool', label: 'Scale (gamma)', default: true },
      initializer('beta_initializer', 'Beta initializer', 'zeros'),
      initializer('gamma_initializer', 'Gamma initializer', 'ones'),
      regularizer('beta_regularizer', 'Beta regularizer'),
      regularizer('gamma_regularizer', 'Gamma regularizer')
    ],
    fixed: { beta_constraint: null, gamma_constraint: null, rms_scaling: false }
  },
  SpatialDropout1D: {
    class_name: 'SpatialDropout1D',
    category: 'regularization',
    description: 'While training, drops whole feature channels of (timesteps, features) inputs.',
    name_base: 'spatial_dropout1d',
    fields: [rateField(), seedField],
    fixed: { noise_shape: null }
  },
  SpatialDropout2D: {
    class_name: 'SpatialDropout2D',
    category: 'regularization',
    description: 'While training, drops whole channels (feature maps) of (height, width, channels) inputs.',
    name_base: 'spatial_dropout2d',
    fields: [rateField(), seedField],
    fixed: { data_format: 'channels_last', noise_shape: null }
  },
  GaussianNoise: {
    class_name: 'GaussianNoise',
    category: 'regularization',
    description: 'While training, adds zero-mean Gaussian noise to its inputs (a regulariser); passes them unchanged otherwise.',
    name_base: 'gaussian_noise',
    fields: [{ key: 'stddev', kind: 'float', label: 'Standard deviation', min: 0, default: 0.1, required: true }, seedField]
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
