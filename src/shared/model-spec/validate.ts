// Validation, shape inference and parameter counting for a model spec, in one pass over its layers.
// Pure and fast (the designer calls it on every keystroke); its figures must equal what tfjs builds.
import { modelSpecSchema, SpecValidationError, type InitializerValue, type LayerSpec, type ModelSpec, type RegularizerValue, type SpecError } from './schema'
import { MAX_LAYERS, groupDigits } from './limits'
import type { ErrorDetails } from '../errors'
import { COMMON_KEYS, INITIALIZERS, intPairs, LAYER_CLASSES, LAYER_CLASS_NAMES, layerNames, MERGE_CLASSES, REGULARIZERS, resolveInitializer, resolveRegularizer, type FieldDescriptor, type LayerClassInfo } from './registry'
import { MODEL_INPUT, resolvedInbound, topologicalOrder } from './graph'

export interface WeightShape {
  /** Keras's weight name: kernel, bias, gamma, beta, moving_mean, moving_variance. */
  name: string
  shape: number[]
  trainable: boolean
}

export interface LayerShape {
  /** 1-based position among spec.layers. */
  index: number
  name: string
  class_name: string
  /** Names of the layers feeding this one (MODEL_INPUT for the model input), in order. */
  inbound: string[]
  /** One sample's shape, without the batch axis: the first input's (input_shapes[0]). */
  input_shape: number[]
  /** Every input's shape, in inbound order (two or more for a merge layer). */
  input_shapes: number[][]
  output_shape: number[]
  params: number
  trainable_params: number
  weights: WeightShape[]
}

export interface ShapeSummary {
  input_shape: number[]
  output_shape: number[]
  layers: LayerShape[]
  total_params: number
  trainable_params: number
  non_trainable_params: number
}

export interface ValidationResult {
  ok: boolean
  /** The spec, typed, when it is valid. */
  spec?: ModelSpec
  errors: SpecError[]
  /** Shapes of the layers that could be inferred (all of them when ok; up to the first shape error otherwise). */
  layers: LayerShape[]
  summary: ShapeSummary | null
}

const INPUT_SHAPE_KEYS = ['input_shape', 'batch_input_shape', 'batch_shape'] as const

export function formatShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'number') return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function product(values: readonly number[]): number {
  let result = 1
  for (const value of values) result *= value
  return result
}

function boundsText(field: FieldDescriptor, what: string): string {
  const { min, max } = field
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}${field.exclusive_max ? ' (exclusive)' : ''}`
  if (min === 1 && field.kind !== 'float') return `a positive ${what}`
  if (min !== undefined) return `${what} ≥ ${min}`
  if (max !== undefined) return `${what} ${field.exclusive_max ? '<' : '≤'} ${max}`
  return what
}

function inBounds(field: FieldDescriptor, value: number): boolean {
  if (field.min !== undefined && value < field.min) return false
  if (field.max !== undefined && (field.exclusive_max ? value >= field.max : value > field.max)) return false
  return true
}

function checkInitializer(value: unknown): string | null {
  const names = Object.keys(INITIALIZERS)
  if (typeof value === 'string') return Object.hasOwn(INITIALIZERS, value) ? null : `must be one of ${names.join(', ')}, got ${show(value)}`
  if (!isPlainObject(value) || typeof value.class_name !== 'string') return `must be an initializer name (${names.join(', ')}) or {class_name, config}, got ${show(value)}`
  const resolved = resolveInitializer(value as InitializerValue)
  if (!resolved) return `has an unknown initializer class ${show(value.class_name)}; use one of ${Object.values(INITIALIZERS).map((i) => i.class_name).join(', ')}`
  const config = value.config ?? {}
  if (!isPlainObject(config)) return `config must be an object, got ${show(config)}`
  const info = INITIALIZERS[resolved.name]
  for (const [key, param] of Object.entries(config)) {
    if (key === 'seed') {
      if (param !== null && !(Number.isInteger(param) && (param as number) >= 0)) return `seed must be a non-negative integer or null, got ${show(param)}`
      continue
    }
    const known = info.params.find((p) => p.key === key)
    if (!known) return `has an unknown parameter "${key}" for ${info.class_name}${info.params.length ? ` (it takes ${info.params.map((p) => p.key).join(', ')})` : ''}`
    if (typeof param !== 'number' || !Number.isFinite(param)) return `${key} must be a number, got ${show(param)}`
    if (known.min !== undefined && param < known.min) return `${key} must be ≥ ${known.min}, got ${param}`
  }
  if (resolved.name === 'random_uniform' && resolved.params.minval >= resolved.params.maxval) return `minval must be below maxval, got [${resolved.params.minval}, ${resolved.params.maxval}]`
  return null
}

function checkRegularizer(value: unknown): string | null {
  if (value === null) return null
  const names = Object.keys(REGULARIZERS)
  if (typeof value === 'string') return Object.hasOwn(REGULARIZERS, value) ? null : `must be null or one of ${names.join(', ')}, got ${show(value)}`
  if (!isPlainObject(value) || typeof value.class_name !== 'string') return `must be null, a regularizer name (${names.join(', ')}) or {class_name, config}, got ${show(value)}`
  if (resolveRegularizer(value as RegularizerValue) === undefined) return `has an unknown regularizer class ${show(value.class_name)}; use L1, L2 or L1L2`
  const config = value.config ?? {}
  if (!isPlainObject(config)) return `config must be an object, got ${show(config)}`
  for (const [key, factor] of Object.entries(config)) {
    if (key !== 'l1' && key !== 'l2') return `has an unknown parameter "${key}" (it takes l1, l2)`
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0) return `${key} must be a non-negative number, got ${show(factor)}`
  }
  return null
}

/** What is wrong with a value, as the words after its key, with the reason and details a view renders it from. */
export interface FieldProblem {
  text: string
  reason: string
  details: ErrorDetails
}

/** "must be X, got Y": the expected value as English words plus, for a view's own words, what it is made of. */
function mustBe(expected: string, value: unknown, rule: ErrorDetails): FieldProblem {
  return { text: `must be ${expected}, got ${show(value)}`, reason: 'spec.field_invalid', details: { expected, got: show(value), ...rule } }
}

function boundsRule(field: FieldDescriptor, kind: string): ErrorDetails {
  return { kind, ...(field.min !== undefined ? { min: field.min } : {}), ...(field.max !== undefined ? { max: field.max } : {}), ...(field.exclusive_max ? { exclusive_max: true } : {}) }
}

/** What is wrong with one field's value (text, reason, details); null when it is fine. */
export function fieldProblem(field: FieldDescriptor, value: unknown): FieldProblem | null {
  if (value === undefined) return field.required ? { text: 'is required', reason: 'spec.field_required', details: {} } : null
  if (value === null) return field.nullable ? null : { text: 'must not be null', reason: 'spec.field_null', details: {} }
  switch (field.kind) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && inBounds(field, value) ? null : mustBe(boundsText(field, 'integer'), value, boundsRule(field, 'int'))
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) && inBounds(field, value) ? null : mustBe(boundsText(field, 'number'), value, boundsRule(field, 'float'))
    case 'bool':
      return typeof value === 'boolean' ? null : mustBe('true or false', value, { kind: 'bool' })
    case 'enum':
    case 'activation': {
      const options = (field.options ?? []).join(', ')
      return typeof value === 'string' && (field.options ?? []).includes(value) ? null : mustBe(`one of ${options}`, value, { kind: 'enum', options })
    }
    case 'initializer': {
      const problem = checkInitializer(value)
      return problem === null ? null : { text: problem, reason: 'spec.bad_initializer', details: { problem } }
    }
    case 'regularizer': {
      const problem = checkRegularizer(value)
      return problem === null ? null : { text: problem, reason: 'spec.bad_regularizer', details: { problem } }
    }
    case 'int_list': {
      const list = typeof value === 'number' && field.length ? Array(field.length).fill(value) : value
      const what = field.length ? `${field.length} positive integers` : `a list of positive integers${field.allow_minus_one ? ' (one may be -1)' : ''}`
      const rule: ErrorDetails = { kind: 'int_list', ...(field.length ? { length: field.length } : {}), ...(field.allow_minus_one ? { minus_one: true } : {}) }
      if (!Array.isArray(list) || list.length === 0 || (field.length !== undefined && list.length !== field.length)) return mustBe(what, value, rule)
      let minusOnes = 0
      for (const item of list) {
        if (field.allow_minus_one && item === -1) {
          minusOnes++
          continue
        }
        if (typeof item !== 'number' || !Number.isInteger(item) || item < (field.min ?? 1)) return mustBe(what, value, rule)
      }
      return minusOnes > 1 ? { text: `may contain -1 only once, got ${show(value)}`, reason: 'spec.minus_one_twice', details: { got: show(value) } } : null
    }
    case 'int_pairs': {
      const length = field.length ?? 2
      const pairs = intPairs(value, length)
      const what = `${length} pairs of non-negative integers, e.g. ${JSON.stringify(Array.from({ length }, () => [1, 1]))}`
      const low = field.min ?? 0
      if (!pairs || pairs.some((p) => p.some((side) => !Number.isInteger(side) || side < low))) return mustBe(what, value, { kind: 'int_pairs', length })
      return null
    }
    case 'layer':
      return wrappedLayerProblem(field, value)
  }
}

/** What is wrong with a wrapped layer `{class_name, config}` (Bidirectional's `layer`): its class, then its own fields. */
function wrappedLayerProblem(field: FieldDescriptor, value: unknown): FieldProblem | null {
  const options = field.options ?? []
  if (!isPlainObject(value) || typeof value.class_name !== 'string') return mustBe(`{class_name, config} with class_name one of ${options.join(', ')}`, value, { kind: 'layer', options: options.join(', ') })
  if (!options.includes(value.class_name) || !Object.hasOwn(LAYER_CLASSES, value.class_name)) return mustBe(`a layer of class ${options.join(', ')}`, value.class_name, { kind: 'layer', options: options.join(', ') })
  const wrapped = value.class_name
  const config = value.config ?? {}
  const inner = (key: string, problem: string, got: string): FieldProblem => ({ text: `(${wrapped}) ${key} ${problem}`, reason: 'spec.wrapped_field', details: { wrapped, key, problem, got } })
  if (!isPlainObject(config)) return inner('config', `must be an object, got ${show(config)}`, show(config))
  const info = LAYER_CLASSES[wrapped]
  for (const [key, given] of Object.entries(config)) {
    if (info.fields.some((f) => f.key === key) || key === 'name' || key === 'trainable') continue
    if (key === 'dtype' && given === 'float32') continue
    if (info.fixed && Object.hasOwn(info.fixed, key)) {
      if (!deepEqual(given, info.fixed[key])) return inner(key, `is not supported by the workbench (it must be ${show(info.fixed[key])}), got ${show(given)}`, show(given))
      continue
    }
    return inner(key, `is not a field of ${wrapped} (it takes ${info.fields.map((f) => f.key).join(', ')})`, show(given))
  }
  for (const innerField of info.fields) {
    const problem = fieldProblem(innerField, config[innerField.key])
    if (problem) return inner(innerField.key, problem.text, show(config[innerField.key]))
  }
  return null
}

/** What is wrong with one field's value, as the words after the field's key; null when it is fine. */
export function checkField(field: FieldDescriptor, value: unknown): string | null {
  return fieldProblem(field, value)?.text ?? null
}

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

/** Config values with defaults applied and pairs expanded, for the shape rules and the builder. */
export function resolvedConfig(layer: LayerSpec): Record<string, unknown> {
  const info = Object.hasOwn(LAYER_CLASSES, layer.class_name) ? LAYER_CLASSES[layer.class_name] : undefined
  const config: Record<string, unknown> = { ...layer.config }
  if (!info) return config
  for (const field of info.fields) {
    let value = config[field.key]
    if (value === undefined) value = field.default
    if (field.kind === 'int_list' && field.length && typeof value === 'number') value = Array(field.length).fill(value)
    if (field.kind === 'activation' && value === null) value = 'linear'
    if (field.kind === 'int_pairs') value = intPairs(value, field.length ?? 2) ?? value
    if (field.kind === 'layer' && isPlainObject(value) && typeof value.class_name === 'string') {
      const wrapped = { class_name: value.class_name, config: isPlainObject(value.config) ? value.config : {} }
      value = { class_name: wrapped.class_name, config: resolvedConfig(wrapped) }
    }
    config[field.key] = value
  }
  if (layer.class_name === 'InputLayer') config.input_shape = inputLayerShape(layer.config) ?? config.input_shape
  config.trainable = layer.config.trainable ?? true
  return config
}

/** The sample shape an InputLayer declares, from any of Keras's spellings. */
function inputLayerShape(config: Record<string, unknown>): unknown {
  if (config.input_shape !== undefined) return config.input_shape
  const batch = config.batch_input_shape ?? config.batch_shape
  if (Array.isArray(batch) && batch.length > 0 && batch[0] === null) return batch.slice(1)
  return batch
}

type ShapeOutcome = { output: number[]; weights: WeightShape[] } | { error: string; field?: string; detached?: boolean; reason: string; details: ErrorDetails }

function windowed(inputSize: number, window: number, stride: number, dilation: number, padding: string): number {
  if (padding === 'same') return Math.ceil(inputSize / stride)
  const span = (window - 1) * dilation + 1
  return Math.floor((inputSize - span) / stride) + 1
}

function spatial(input: number[], windowKey: string, window: number[], strides: number[], dilation: number[], padding: string, channels: number): ShapeOutcome {
  if (input.length !== 3) return { error: ` needs a (height, width, channels) input but receives ${formatShape(input)}`, detached: true, reason: 'spec.shape_mismatch', details: { input: formatShape(input), needs: '(height, width, channels)' } }
  const height = windowed(input[0], window[0], strides[0], dilation[0], padding)
  const width = windowed(input[1], window[1], strides[1], dilation[1], padding)
  if (height <= 0 || width <= 0) {
    return { field: windowKey, error: `: ${windowKey} ${formatShape(window)} does not fit its ${formatShape(input.slice(0, 2))} input with padding "valid"; use a smaller ${windowKey} or padding "same"`, reason: 'spec.window_too_big', details: { window: formatShape(window), input: formatShape(input.slice(0, 2)) } }
  }
  return { output: [height, width, channels], weights: [] }
}

/** A detached error unless one sample has `rank` axes (what a 1-D, 2-D or recurrent layer reads). */
function rankProblem(input: number[], rank: number, needs: string): ShapeOutcome | null {
  if (input.length === rank) return null
  const hint = rank === 2 ? '; put an Embedding, a Conv1D or a Reshape to (timesteps, features) before it' : rank === 3 ? '; put a Reshape to (height, width, channels) before it' : ''
  return { error: ` needs a ${needs} input but receives ${formatShape(input)}${hint}`, detached: true, reason: 'spec.shape_mismatch', details: { input: formatShape(input), needs } }
}

function windowTooBig(windowKey: string, window: number[], input: number[]): ShapeOutcome {
  return { field: windowKey, error: `: ${windowKey} ${formatShape(window)} does not fit its ${formatShape(input)} input with padding "valid"; use a smaller ${windowKey} or padding "same"`, reason: 'spec.window_too_big', details: { window: formatShape(window), input: formatShape(input) } }
}

function stridesWithDilation(strides: number[], dilation: number[]): ShapeOutcome {
  return { field: 'strides', error: `: strides above 1 cannot be combined with a dilation_rate above 1 (Keras refuses it), got strides ${formatShape(strides)} and dilation_rate ${formatShape(dilation)}`, reason: 'spec.strides_with_dilation', details: { strides: formatShape(strides), dilation: formatShape(dilation) } }
}

/** Gates per recurrent class: the kernels hold one block of `units` columns per gate. */
const RECURRENT_GATES: Record<string, number> = { SimpleRNN: 1, GRU: 3, LSTM: 4 }

/** A recurrent layer's output and weights (kernel, recurrent_kernel, bias: Keras's order), names prefixed for Bidirectional's two directions. */
function recurrentOutcome(className: string, config: Record<string, unknown>, input: number[], prefix: string, weight: (name: string, shape: number[]) => WeightShape): { output: number[]; weights: WeightShape[] } {
  const units = config.units as number
  const width = units * RECURRENT_GATES[className]
  const weights = [weight(`${prefix}kernel`, [input[1], width]), weight(`${prefix}recurrent_kernel`, [units, width])]
  if (config.use_bias) weights.push(weight(`${prefix}bias`, [width]))
  return { output: config.return_sequences ? [input[0], units] : [units], weights }
}

/** A Keras axis (negative counts from the end) as a position in the batch shape of rank `rank`; null for the batch axis or past the end. */
function featureAxis(axis: number, rank: number): number | null {
  const normalized = axis < 0 ? rank + axis : axis
  return normalized <= 0 || normalized >= rank ? null : normalized
}

function axisOutOfRange(axis: number, rank: number, what: string, input: string): ShapeOutcome {
  return { field: 'axis', error: `: axis must be between -${rank - 1} and ${rank - 1} and not 0 (the batch axis) for ${what}, got ${axis}`, reason: 'spec.axis_out_of_range', details: { rank: rank - 1, input, got: axis } }
}

function layerOutput(className: string, config: Record<string, unknown>, input: number[], trainable: boolean): ShapeOutcome {
  const weight = (name: string, shape: number[], isTrainable = true): WeightShape => ({ name, shape, trainable: trainable && isTrainable })
  switch (className) {
    case 'InputLayer':
    case 'Activation':
    case 'Dropout':
      return { output: [...input], weights: [] }
    case 'Dense': {
      const units = config.units as number
      const weights = [weight('kernel', [input.at(-1)!, units])]
      if (config.use_bias) weights.push(weight('bias', [units]))
      return { output: [...input.slice(0, -1), units], weights }
    }
    case 'Flatten':
      if (input.length < 2) return { error: ` needs an input of 2 or more dimensions but receives ${formatShape(input)}; that input is already flat, so remove the Flatten layer`, detached: true, reason: 'spec.already_flat', details: { input: formatShape(input) } }
      return { output: [product(input)], weights: [] }
    case 'Reshape': {
      const target = config.target_shape as number[]
      const size = product(input)
      const known = product(target.filter((d) => d !== -1))
      const inferred = target.includes(-1)
      if (inferred ? size % known !== 0 : known !== size) {
        return { field: 'target_shape', error: `: target_shape ${formatShape(target)} cannot hold the ${size} values of its input ${formatShape(input)}`, reason: 'spec.reshape_size', details: { target: formatShape(target), size, input: formatShape(input) } }
      }
      return { output: target.map((d) => (d === -1 ? size / known : d)), weights: [] }
    }
    case 'BatchNormalization': {
      const rank = input.length + 1
      const axis = config.axis as number
      const normalized = featureAxis(axis, rank)
      if (normalized === null) return axisOutOfRange(axis, rank, `its input ${formatShape(input)}`, formatShape(input))
      if (normalized !== rank - 1) {
        // TensorFlow.js applies the statistics along the last axis whatever `axis` says, so the
        // app would not compute what Keras means by the layer (and its exports would disagree).
        return { field: 'axis', error: `: only the last axis (-1 or ${rank - 1}) is supported for its input ${formatShape(input)}, got ${axis}: TensorFlow.js normalises along the last axis; put a Reshape before the layer so that the features sit on the last axis`, reason: 'spec.axis_not_last', details: { last: rank - 1, input: formatShape(input), got: axis } }
      }
      const channels = input[normalized - 1]
      const weights: WeightShape[] = []
      if (config.scale) weights.push(weight('gamma', [channels]))
      if (config.center) weights.push(weight('beta', [channels]))
      weights.push(weight('moving_mean', [channels], false), weight('moving_variance', [channels], false))
      return { output: [...input], weights }
    }
    case 'Conv2D': {
      const kernel = config.kernel_size as number[]
      const strides = config.strides as number[]
      const dilation = config.dilation_rate as number[]
      if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
        return { field: 'strides', error: `: strides above 1 cannot be combined with a dilation_rate above 1 (Keras refuses it), got strides ${formatShape(strides)} and dilation_rate ${formatShape(dilation)}`, reason: 'spec.strides_with_dilation', details: { strides: formatShape(strides), dilation: formatShape(dilation) } }
      }
      const filters = config.filters as number
      const outcome = spatial(input, 'kernel_size', kernel, strides, dilation, config.padding as string, filters)
      if ('error' in outcome) return outcome
      const weights = [weight('kernel', [kernel[0], kernel[1], input[2], filters])]
      if (config.use_bias) weights.push(weight('bias', [filters]))
      return { output: outcome.output, weights }
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const pool = config.pool_size as number[]
      const strides = (config.strides as number[] | null) ?? pool
      return spatial(input, 'pool_size', pool, strides, [1, 1], config.padding as string, input[2] ?? 0)
    }
    case 'Conv1D': {
      const needs = rankProblem(input, 2, '(timesteps, features)')
      if (needs) return needs
      const [kernel] = config.kernel_size as number[]
      const [stride] = config.strides as number[]
      const [dilation] = config.dilation_rate as number[]
      if (stride > 1 && dilation > 1) return stridesWithDilation([stride], [dilation])
      const filters = config.filters as number
      const steps = windowed(input[0], kernel, stride, dilation, config.padding as string)
      if (steps <= 0) return windowTooBig('kernel_size', [kernel], [input[0]])
      const weights = [weight('kernel', [kernel, input[1], filters])]
      if (config.use_bias) weights.push(weight('bias', [filters]))
      return { output: [steps, filters], weights }
    }
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const kernel = config.kernel_size as number[]
      const strides = config.strides as number[]
      // DepthwiseConv2D takes only Keras's default dilation (a fixed key: tfjs ignores it).
      const dilation = (config.dilation_rate as number[] | undefined) ?? [1, 1]
      if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) return stridesWithDilation(strides, dilation)
      const multiplier = config.depth_multiplier as number
      const separable = className === 'SeparableConv2D'
      const channels = separable ? (config.filters as number) : (input[2] ?? 0) * multiplier
      const outcome = spatial(input, 'kernel_size', kernel, strides, dilation, config.padding as string, channels)
      if ('error' in outcome) return outcome
      const weights = [weight('depthwise_kernel', [kernel[0], kernel[1], input[2], multiplier])]
      if (separable) weights.push(weight('pointwise_kernel', [1, 1, input[2] * multiplier, channels]))
      if (config.use_bias) weights.push(weight('bias', [channels]))
      return { output: outcome.output, weights }
    }
    case 'Conv2DTranspose': {
      const needs = rankProblem(input, 3, '(height, width, channels)')
      if (needs) return needs
      const kernel = config.kernel_size as number[]
      const strides = config.strides as number[]
      const filters = config.filters as number
      // Keras's deconv_output_length without output_padding: "same" multiplies by the stride; "valid" adds what the kernel overhangs.
      const grown = (size: number, k: number, s: number): number => (config.padding === 'same' ? size * s : size * s + Math.max(k - s, 0))
      const weights = [weight('kernel', [kernel[0], kernel[1], filters, input[2]])]
      if (config.use_bias) weights.push(weight('bias', [filters]))
      return { output: [grown(input[0], kernel[0], strides[0]), grown(input[1], kernel[1], strides[1]), filters], weights }
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const needs = rankProblem(input, 2, '(timesteps, features)')
      if (needs) return needs
      const [pool] = config.pool_size as number[]
      const [stride] = (config.strides as number[] | null) ?? [pool]
      const steps = windowed(input[0], pool, stride, 1, config.padding as string)
      if (steps <= 0) return windowTooBig('pool_size', [pool], [input[0]])
      return { output: [steps, input[1]], weights: [] }
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
      return rankProblem(input, 2, '(timesteps, features)') ?? { output: [input[1]], weights: [] }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return rankProblem(input, 3, '(height, width, channels)') ?? { output: [input[2]], weights: [] }
    case 'UpSampling2D': {
      const size = config.size as number[]
      return rankProblem(input, 3, '(height, width, channels)') ?? { output: [input[0] * size[0], input[1] * size[1], input[2]], weights: [] }
    }
    case 'ZeroPadding2D': {
      const [[top, bottom], [left, right]] = config.padding as number[][]
      return rankProblem(input, 3, '(height, width, channels)') ?? { output: [input[0] + top + bottom, input[1] + left + right, input[2]], weights: [] }
    }
    case 'Cropping2D': {
      const needs = rankProblem(input, 3, '(height, width, channels)')
      if (needs) return needs
      const cropping = config.cropping as number[][]
      const [[top, bottom], [left, right]] = cropping
      const height = input[0] - top - bottom
      const width = input[1] - left - right
      if (height <= 0 || width <= 0) {
        return { field: 'cropping', error: `: cropping ${JSON.stringify(cropping)} removes all of its ${formatShape(input.slice(0, 2))} input; crop less`, reason: 'spec.crop_too_big', details: { cropping: JSON.stringify(cropping), input: formatShape(input.slice(0, 2)) } }
      }
      return { output: [height, width, input[2]], weights: [] }
    }
    case 'Embedding': {
      const outputDim = config.output_dim as number
      return { output: [...input, outputDim], weights: [weight('embeddings', [config.input_dim as number, outputDim])] }
    }
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU': {
      const needs = rankProblem(input, 2, '(timesteps, features)')
      if (needs) return needs
      return recurrentOutcome(className, config, input, '', weight)
    }
    case 'Bidirectional': {
      const needs = rankProblem(input, 2, '(timesteps, features)')
      if (needs) return needs
      const wrapped = config.layer as { class_name: string; config: Record<string, unknown> }
      const innerName = typeof wrapped.config.name === 'string' && wrapped.config.name ? wrapped.config.name : LAYER_CLASSES[wrapped.class_name].name_base
      const forward = recurrentOutcome(wrapped.class_name, wrapped.config, input, `forward_${innerName}/`, weight)
      const backward = recurrentOutcome(wrapped.class_name, wrapped.config, input, `backward_${innerName}/`, weight)
      const output = [...forward.output]
      if (config.merge_mode === 'concat') output[output.length - 1] *= 2
      return { output, weights: [...forward.weights, ...backward.weights] }
    }
    case 'LayerNormalization': {
      const rank = input.length + 1
      const axis = config.axis as number
      const normalized = featureAxis(axis, rank)
      if (normalized === null) return axisOutOfRange(axis, rank, `its input ${formatShape(input)}`, formatShape(input))
      const features = input[normalized - 1]
      const weights: WeightShape[] = []
      if (config.scale) weights.push(weight('gamma', [features]))
      if (config.center) weights.push(weight('beta', [features]))
      return { output: [...input], weights }
    }
    case 'SpatialDropout1D':
      return rankProblem(input, 2, '(timesteps, features)') ?? { output: [...input], weights: [] }
    case 'SpatialDropout2D':
      return rankProblem(input, 3, '(height, width, channels)') ?? { output: [...input], weights: [] }
    case 'GaussianNoise':
      return { output: [...input], weights: [] }
    default:
      return { error: `: no shape rule for ${className}`, reason: 'spec.no_shape_rule', details: {} }
  }
}

interface Analysis {
  errors: SpecError[]
  layers: LayerShape[]
  /** Position of the output layer (the last listed layer that feeds nothing), when the graph has one. */
  output: number | null
}

type Fail = (rest: string, field: string | undefined, reason: string, details?: ErrorDetails) => void

/** The output shape of a merge layer from its inputs' shapes, or what is wrong with them. */
function mergeOutput(className: string, config: Record<string, unknown>, inputs: number[][], from: string[]): ShapeOutcome {
  const shapesText = inputs.map((shape) => formatShape([null, ...shape])).join(' and ')
  const details = { shapes: shapesText, from: from.join(', ') }
  if (className !== 'Concatenate') {
    if (inputs.some((shape) => !deepEqual(shape, inputs[0]))) {
      return { error: `: inputs have shapes ${shapesText} (from ${from.join(', ')}); ${className} needs them equal`, detached: true, reason: 'spec.merge_shapes', details }
    }
    return { output: [...inputs[0]], weights: [] }
  }
  const rank = inputs[0].length + 1
  const axis = config.axis as number
  const normalized = featureAxis(axis, rank)
  if (normalized === null) return axisOutOfRange(axis, rank, `inputs ${shapesText}`, shapesText)
  if (inputs.some((shape) => shape.length + 1 !== rank)) {
    return { error: `: inputs have shapes ${shapesText} (from ${from.join(', ')}); Concatenate needs inputs of one rank`, detached: true, reason: 'spec.merge_shapes', details }
  }
  const at = normalized - 1
  if (inputs.some((shape) => shape.some((d, i) => i !== at && d !== inputs[0][i]))) {
    return { error: `: inputs have shapes ${shapesText} (from ${from.join(', ')}); Concatenate on axis ${axis} needs every other axis equal`, detached: true, reason: 'spec.merge_shapes', details: { ...details, axis } }
  }
  const output = [...inputs[0]]
  output[at] = inputs.reduce((sum, shape) => sum + shape[at], 0)
  return { output, weights: [] }
}

/** Checks one layer's own config (fields, name, fixed keys), reporting through `fail`. */
function checkLayerConfig(spec: ModelSpec, layer: LayerSpec, position: number, info: LayerClassInfo, fail: Fail): void {
  const className = layer.class_name
  const config = layer.config
  const fieldKeys = new Set(info.fields.map((f) => f.key))
  for (const [key, value] of Object.entries(config)) {
    if (fieldKeys.has(key)) continue
    if (key === 'name') {
      if (typeof value !== 'string' || !NAME_PATTERN.test(value)) fail(`: name must start with a letter, digit or _ and hold only letters, digits, _ . and -, got ${show(value)}`, 'name', 'spec.bad_layer_name', { got: show(value) })
    } else if (key === 'trainable') {
      if (typeof value !== 'boolean') fail(`: trainable must be true or false, got ${show(value)}`, 'trainable', 'spec.field_invalid', { expected: 'true or false', got: show(value), kind: 'bool' })
    } else if (key === 'dtype') {
      if (value !== 'float32') fail(`: dtype must be "float32" (the only type the workbench trains), got ${show(value)}`, 'dtype', 'spec.unsupported_dtype', { got: show(value) })
    } else if (info.fixed && Object.hasOwn(info.fixed, key)) {
      if (!deepEqual(value, info.fixed[key])) fail(`: ${key} is not supported by the workbench (it must be ${show(info.fixed[key])}), got ${show(value)}`, key, 'spec.unsupported_value', { expected: show(info.fixed[key]), got: show(value) })
    } else if (className === 'InputLayer' && (INPUT_SHAPE_KEYS as readonly string[]).includes(key)) {
      // batch_input_shape / batch_shape: checked below as the input shape.
    } else {
      const takes = [...info.fields.map((f) => f.key), ...COMMON_KEYS]
      fail(`: unknown field "${key}"; ${className} takes ${takes.join(', ')}`, key, 'spec.unknown_param', { takes: takes.join(', ') })
    }
  }
  const given = className === 'InputLayer' ? { ...config, input_shape: inputLayerShape(config) } : config
  let fieldsOk = true
  for (const field of info.fields) {
    const problem = fieldProblem(field, given[field.key])
    if (problem) {
      fieldsOk = false
      fail(`: ${field.key} ${problem.text}`, field.key, problem.reason, problem.details)
    }
  }
  if (className === 'InputLayer') {
    if (position !== 0) fail(' can only be the first layer; remove it or move it to the top', 'class_name', 'spec.input_layer_position')
    else if (fieldsOk && !deepEqual(given.input_shape, spec.input_shape)) {
      fail(`: input_shape ${formatShape(given.input_shape as number[])} does not agree with the model's input_shape ${formatShape(spec.input_shape)}`, 'input_shape', 'spec.input_shape_mismatch', { got: formatShape(given.input_shape as number[]), expected: formatShape(spec.input_shape) })
    }
    if (layer.inbound !== undefined && layer.inbound.length > 0) fail(': an InputLayer takes no inputs; remove its inbound list', 'inbound', 'spec.input_layer_inbound')
  }
}

/** Checks given explicit initial weights against the layer's weight shapes. */
function checkGivenWeights(layer: LayerSpec, weights: WeightShape[], fail: Fail): void {
  if (layer.weights === undefined) return
  const listing = weights.map((w) => `${w.name} ${w.shape.join('x')}`).join(', ') || 'none'
  if (layer.weights.length !== weights.length) {
    fail(`: weights holds ${layer.weights.length} arrays but the layer has ${weights.length} weight tensors (${listing})`, 'weights', 'spec.weights_count', { given: layer.weights.length, expected: weights.length, listing })
    return
  }
  layer.weights.forEach((values, w) => {
    const expected = weights[w]
    const size = product(expected.shape)
    if (values.length !== size) fail(`: weights[${w}] (${expected.name}, shape ${expected.shape.join('x')}) needs ${size} values, got ${values.length}`, 'weights', 'spec.weights_size', { index: w, name: expected.name, shape: expected.shape.join('x'), expected: size, got: values.length })
  })
}

/**
 * Checks every layer's config, how the layers connect (unknown or missing inputs, wrong input
 * counts, cycles, outputs that go nowhere) and infers shapes and weights in topological order;
 * the core of validateSpec and inferShapes. Errors come out ordered by layer.
 */
function analyse(spec: ModelSpec): Analysis {
  const errors: SpecError[] = []
  const names = layerNames(spec.layers)
  const failFor = (position: number): Fail => (rest, field, reason, details = {}) => {
    const index = position + 1
    const className = spec.layers[position].class_name
    errors.push({ layer: index, class_name: className, ...(field ? { field } : {}), message: `layer ${index} (${className})${rest}`, reason, details: { layer: index, class_name: className, ...(field ? { field } : {}), ...details } })
  }

  if (!spec.layers.some((layer) => layer.class_name !== 'InputLayer')) {
    errors.push({ layer: null, field: 'layers', message: 'the model has no layers; add at least one (a Dense layer, for example)', reason: 'spec.no_layers', details: { field: 'layers' } })
  }

  // 1. Each layer on its own: class, config, name.
  const configOk: boolean[] = []
  const firstUse = new Map<string, number>()
  spec.layers.forEach((layer, position) => {
    const fail = failFor(position)
    const before = errors.length
    // Own entries only: "toString", "constructor" or "__proto__" are unknown layers, not Object's members.
    const info = Object.hasOwn(LAYER_CLASSES, layer.class_name) ? LAYER_CLASSES[layer.class_name] : undefined
    if (!info) fail(`: unknown layer class "${layer.class_name}"; the workbench offers ${LAYER_CLASS_NAMES.join(', ')}`, 'class_name', 'spec.unknown_class', { known: LAYER_CLASS_NAMES.join(', ') })
    else checkLayerConfig(spec, layer, position, info, fail)
    const name = names[position]
    const earlier = firstUse.get(name)
    if (earlier !== undefined) fail(`: name "${name}" is already used by layer ${earlier}; layer names must be unique`, 'name', 'spec.duplicate_name', { name, earlier })
    else firstUse.set(name, position + 1)
    if (name === MODEL_INPUT && layer.class_name !== 'InputLayer') fail(`: the name "${MODEL_INPUT}" is kept for the model input; rename the layer`, 'name', 'spec.reserved_name', { name })
    configOk.push(errors.length === before)
  })

  // 2. How the layers connect.
  const inbound = resolvedInbound(spec.layers, names)
  const position = new Map<string, number>()
  names.forEach((name, i) => { if (!position.has(name)) position.set(name, i) })
  const connectedOk: boolean[] = spec.layers.map(() => true)
  const sources: number[][] = inbound.map(() => [])
  spec.layers.forEach((layer, i) => {
    if (layer.class_name === 'InputLayer') return
    const fail = failFor(i)
    const list = inbound[i]
    if (list.length === 0) {
      fail(' has no input; connect a layer (or the model input) to it, or delete it', 'inbound', 'spec.unconnected')
      connectedOk[i] = false
      return
    }
    for (const name of list) {
      if (name === MODEL_INPUT) continue
      const at = position.get(name)
      if (at === undefined) {
        fail(`: its input "${name}" is not a layer of the model`, 'inbound', 'spec.unknown_inbound', { name })
        connectedOk[i] = false
      } else sources[i].push(at)
    }
    const merging = MERGE_CLASSES.has(layer.class_name)
    const fits = layer.class_name === 'Subtract' ? list.length === 2 : merging ? list.length >= 2 : list.length === 1
    if (Object.hasOwn(LAYER_CLASSES, layer.class_name) && !fits) {
      const words = layer.class_name === 'Subtract' ? 'exactly 2 inputs' : merging ? 'at least 2 inputs' : 'exactly 1 input'
      const expected = layer.class_name === 'Subtract' ? '2' : merging ? '≥ 2' : '1'
      fail(` takes ${words} but has ${list.length} (${list.join(', ')})`, 'inbound', 'spec.inbound_count', { expected, got: list.length, inputs: list.join(', ') })
      connectedOk[i] = false
    }
  })
  const { order, cycle } = topologicalOrder(sources)
  if (cycle.length > 0) {
    const path = [...cycle, cycle[0]].map((i) => names[i]).join(' → ')
    failFor(cycle[0])(`: the layers ${path} form a cycle; a layer cannot take its own output, even through others`, 'inbound', 'spec.cycle', { cycle: path })
  }
  const feeds = new Set(inbound.flat())
  const sinks = spec.layers.map((_, i) => i).filter((i) => spec.layers[i].class_name !== 'InputLayer' && !feeds.has(names[i]))
  const output = sinks.length > 0 ? sinks[sinks.length - 1] : null
  for (const i of sinks.slice(0, -1)) {
    failFor(i)(`: its output "${names[i]}" goes nowhere; connect it to a later layer or delete it (the model's one output is layer ${output! + 1} "${names[output!]}")`, undefined, 'spec.dangling_output', { name: names[i], output: names[output!], output_layer: output! + 1 })
  }

  // 3. Shapes in topological order: a layer gets one when its config is right and all its inputs have one.
  const shapeOf = new Map<number, number[]>()
  const layers: LayerShape[] = []
  for (const i of order) {
    const layer = spec.layers[i]
    if (!configOk[i] || !connectedOk[i]) continue
    const fail = failFor(i)
    const resolved = resolvedConfig(layer)
    const trainable = resolved.trainable !== false
    let inputs: number[][]
    if (layer.class_name === 'InputLayer') inputs = [[...spec.input_shape]]
    else {
      const known = inbound[i].map((name) => (name === MODEL_INPUT ? [...spec.input_shape] : shapeOf.get(position.get(name)!)))
      if (known.some((shape) => shape === undefined)) continue
      inputs = known as number[][]
    }
    const outcome = MERGE_CLASSES.has(layer.class_name) ? mergeOutput(layer.class_name, resolved, inputs, inbound[i]) : layerOutput(layer.class_name, resolved, inputs[0], trainable)
    if ('error' in outcome) {
      fail(outcome.error, outcome.field, outcome.reason, outcome.details)
      continue
    }
    const params = outcome.weights.reduce((sum, w) => sum + product(w.shape), 0)
    const trainableParams = outcome.weights.filter((w) => w.trainable).reduce((sum, w) => sum + product(w.shape), 0)
    // Wrong explicit weights are an error, but the shapes they would fill are still known.
    checkGivenWeights(layer, outcome.weights, fail)
    shapeOf.set(i, outcome.output)
    layers.push({ index: i + 1, name: names[i], class_name: layer.class_name, inbound: [...inbound[i]], input_shape: inputs[0], input_shapes: inputs, output_shape: outcome.output, params, trainable_params: trainableParams, weights: outcome.weights })
  }
  layers.sort((a, b) => a.index - b.index)
  // Stable by layer: the model-wide errors first, then each layer's in the order they were found.
  const ordered = errors.map((error, k) => ({ error, k })).sort((a, b) => (a.error.layer ?? 0) - (b.error.layer ?? 0) || a.k - b.k).map(({ error }) => error)
  return { errors: ordered, layers, output }
}

function structuralErrors(issues: readonly { path: readonly PropertyKey[]; message: string; code: string; input?: unknown }[], raw: unknown): SpecError[] {
  return issues.map((issue) => {
    const [head, position, ...rest] = issue.path
    if (head === 'layers' && typeof position === 'number') {
      const layer = isPlainObject(raw) && Array.isArray(raw.layers) ? raw.layers[position] : undefined
      const className = isPlainObject(layer) && typeof layer.class_name === 'string' ? layer.class_name : undefined
      const field = rest.map(String).join('.') || undefined
      const where = `layer ${position + 1}${className ? ` (${className})` : ''}`
      const problem = field ? (field === 'weights' || field.startsWith('weights.') ? 'must be a list of number lists' : issue.message) : 'must be {class_name, config}'
      const what = field ? `${field} ${problem}` : problem
      const details: ErrorDetails = { layer: position + 1, where, what, ...(className ? { class_name: className } : {}), ...(field ? { field } : {}) }
      return { layer: position + 1, ...(className ? { class_name: className } : {}), ...(field ? { field } : {}), message: `${where}: ${what}`, reason: 'spec.bad_layer', details }
    }
    const field = issue.path.map(String).join('.')
    const value = isPlainObject(raw) && typeof head === 'string' ? raw[head] : raw
    let message: string
    let reason: string
    const details: ErrorDetails = { got: show(value) }
    if (head === 'format') [message, reason] = [`format must be "model-workbench/spec", got ${show(value)}; use readSpec to import Keras JSON or older files`, 'spec.bad_format']
    else if (head === 'version') [message, reason] = [`version must be 1 or 2, got ${show(value)}; use readSpec to upgrade an older spec`, 'spec.bad_version']
    else if (head === 'input_shape') [message, reason] = [`input_shape must be a list of positive integers (one sample's shape, e.g. [784] or [28, 28, 1]), got ${show(value)}`, 'spec.bad_input_shape']
    else if (head === 'name') [message, reason] = [`name must be a string, got ${show(value)}`, 'spec.bad_name']
    else if (head === 'layers') [message, reason] = [`layers must be a list of {class_name, config}, got ${show(value)}`, 'spec.bad_layers']
    else if (!field) [message, reason, details.got] = [`a model spec must be an object with format, version, name, input_shape and layers, got ${show(raw)}`, 'spec.not_object', show(raw)]
    else [message, reason, details.field, details.problem] = [`${field}: ${issue.message}`, 'spec.bad_structure', field, issue.message]
    return { layer: null, ...(field ? { field } : {}), message, reason, details }
  })
}

/** Checks a spec completely. Never throws; errors name the layer (1-based) and field at fault. */
export function validateSpec(raw: unknown): ValidationResult {
  // A huge spec is refused before any per-layer work (parsing, names, shapes).
  const count = isPlainObject(raw) && Array.isArray(raw.layers) ? raw.layers.length : 0
  if (count > MAX_LAYERS) {
    const message = `the model has ${groupDigits(count)} layers, more than the ${groupDigits(MAX_LAYERS)} the workbench accepts; use fewer layers`
    return { ok: false, errors: [{ layer: null, field: 'layers', message, reason: 'spec.too_many_layers', details: { layers: groupDigits(count), max: groupDigits(MAX_LAYERS) } }], layers: [], summary: null }
  }
  const parsed = modelSpecSchema.safeParse(raw)
  if (!parsed.success) return { ok: false, errors: structuralErrors(parsed.error.issues, raw), layers: [], summary: null }
  const spec = parsed.data
  const { errors, layers, output } = analyse(spec)
  if (errors.length > 0) return { ok: false, errors, layers, summary: null }
  return { ok: true, spec, errors, layers, summary: summarise(spec, layers, output) }
}

function summarise(spec: ModelSpec, layers: LayerShape[], output: number | null): ShapeSummary {
  const total = layers.reduce((sum, l) => sum + l.params, 0)
  const trainable = layers.reduce((sum, l) => sum + l.trainable_params, 0)
  return {
    input_shape: [...spec.input_shape],
    output_shape: layers.find((layer) => layer.index === (output ?? -1) + 1)?.output_shape ?? [...spec.input_shape],
    layers,
    total_params: total,
    trainable_params: trainable,
    non_trainable_params: total - trainable
  }
}

/** Per-layer shapes and parameter counts plus totals; throws SpecValidationError for an invalid spec. */
export function inferShapes(spec: ModelSpec): ShapeSummary {
  const result = validateSpec(spec)
  if (!result.ok || !result.summary) throw new SpecValidationError(result.errors)
  return result.summary
}

/**
 * The details of a request refused for an invalid spec (reason `spec.invalid`): how many errors,
 * the first one's English text, and the first one's own reason and details for a view's words.
 */
export function specErrorsDetails(errors: readonly SpecError[]): ErrorDetails {
  const first = errors[0]
  return { ...(first?.details ?? {}), count: errors.length, first: first?.message ?? '', ...(first?.reason ? { first_reason: first.reason } : {}) }
}
