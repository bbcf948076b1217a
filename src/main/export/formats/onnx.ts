// ONNX export: one model.onnx (IR version 8, opset 13 — what Debian's onnx 1.12 checker and
// onnxruntime read) whose float32 input `input` [batch, …input_shape] takes RAW values: the
// training scaling is its first ops (Sub, Mul). The graph is walked in topological order, each
// layer fed the values of its inbound layers (merges included). Data stays NHWC as in Keras;
// convolutions, pooling and resizing run in ONNX's NCHW between Transposes (the layout is tracked
// per value, so consecutive ones and branches share them, and a merge brings its inputs to one
// layout), so Flatten and Dense see the Keras order. Recurrent layers run as ONNX RNN/LSTM/GRU ops
// (time-major, gates reordered). Verified by running it in onnxruntime-node on held-out raw rows.
import { writeFile, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { onnx } from 'onnx-proto'
import { ExportRefusal, maxAbsDiff, type ExportLayer, type ExportModel, type ExportSample, type ExportTensor, type Exporter, type Verification } from '../types'
import { PREPROCESS_JS, preprocessJs } from '../helpers/preprocess-js'
import { headerSection, inputSection, outputSection } from '../helpers/readme'
import { checkScalingSize } from '../helpers/scaling'
import { MODEL_INPUT } from '../../../shared/model-spec/graph'
import { fullConfig, intPairs } from '../../../shared/model-spec/registry'

const FORMAT = 'onnx'
export const ONNX_IR_VERSION = 8
export const ONNX_OPSET = 13

/** Inference-time identities: noise and dropout layers do nothing outside training. */
const IDENTITY = new Set(['InputLayer', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise'])
const MERGES = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'])
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU'])
const SUPPORTED = new Set([
  ...IDENTITY, ...MERGES, ...RECURRENT,
  'Dense', 'Activation', 'Flatten', 'Reshape', 'BatchNormalization', 'LayerNormalization', 'Embedding', 'Bidirectional',
  'Conv1D', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose',
  'MaxPooling1D', 'AveragePooling1D', 'MaxPooling2D', 'AveragePooling2D',
  'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
  'UpSampling2D', 'ZeroPadding2D', 'Cropping2D'
])

// tfjs's SELU constants (tfjs-core selu_util: SELU_SCALE and SELU_SCALEALPHA / SELU_SCALE).
const SELU_GAMMA = 1.0507009873554804934193349852946
const SELU_ALPHA = 1.7580993408473768599402175208123 / SELU_GAMMA

/**
 * Where a value's channels sit: 'nhwc' is Keras's channels-last order (batch, …spatial, channels),
 * 'nchw' ONNX's channels-first order (batch, channels, …spatial) that Conv, pooling and Resize
 * take. Values of rank 2 or less are always 'nhwc' (both orders are the same).
 */
type Layout = 'nhwc' | 'nchw'
/** An ONNX value the graph has produced: its name, layout and rank (batch axis included). */
interface Value {
  name: string
  layout: Layout
  rank: number
}
const A = onnx.AttributeProto.AttributeType
const text = new TextEncoder()

const attrInts = (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints })
const attrInt = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i })
const attrFloat = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f })
const attrString = (name: string, s: string): onnx.IAttributeProto => ({ name, type: A.STRING, s: text.encode(s) })
const attrStrings = (name: string, strings: string[]): onnx.IAttributeProto => ({ name, type: A.STRINGS, strings: strings.map((v) => text.encode(v)) })

function refuse(layer: ExportLayer, why: string): never {
  throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `ONNX export cannot hold layer ${layer.index + 1} "${layer.name}" (${layer.class_name}): ${why}`)
}

function weight(layer: ExportLayer, name: string, weights: ExportTensor[] = layer.weights): ExportTensor {
  const found = weights.find((w) => w.name === name)
  if (!found) refuse(layer, `its weight "${name}" is missing (it has ${weights.map((w) => w.name).join(', ') || 'none'})`)
  return found
}

/** An n-tuple of integers from a config value (one integer repeats), or the fallback. */
function tupleOf(value: unknown, n: number, fallback: number[]): number[] {
  if (typeof value === 'number') return new Array<number>(n).fill(value)
  if (Array.isArray(value) && value.length === n && value.every((v) => typeof v === 'number')) return [...(value)]
  return fallback
}

/** Keras/TF 'same' padding for one spatial axis: the total split with the extra cell at the end; 'valid' pads nothing. */
export function samePadding(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + effective - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/**
 * Pads and output_padding of an ONNX ConvTranspose that gives tfjs's (and Keras's) Conv2DTranspose
 * output size on one axis: 'valid' → in·s + max(k − s, 0), 'same' → in·s. The cells cut off are
 * TF's 'same' padding of the forward convolution (extra one at the end); a kernel smaller than its
 * stride leaves zero cells at the end (output_padding).
 */
export function transposePadding(kernel: number, stride: number, padding: 'valid' | 'same'): { pads: [number, number]; outputPadding: number } {
  const total = padding === 'same' ? Math.max(kernel - stride, 0) : 0
  const before = Math.floor(total / 2)
  return { pads: [before, total - before], outputPadding: Math.max(stride - kernel, 0) }
}

/** The position, in a value of `rank` stored in `layout`, of the Keras (channels-last) axis `axis` (negative counts from the end). */
export function layoutAxis(axis: number, rank: number, layout: Layout): number {
  const keras = axis < 0 ? axis + rank : axis
  if (layout === 'nhwc' || rank < 3 || keras === 0) return keras
  return keras === rank - 1 ? 1 : keras + 1
}

/** Builds the graph: names, nodes and initializers; every value carries its layout. */
class Graph {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  private readonly taken = new Set<string>(['input', 'output'])
  /** Transposed copies already made: `${value}>${layout}` → the copy, so that branches share them. */
  private readonly transposed = new Map<string, Value>()

  name(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_')
    let candidate = clean
    for (let n = 1; this.taken.has(candidate); n++) candidate = `${clean}_${n}`
    this.taken.add(candidate)
    return candidate
  }

  float(base: string, dims: number[], values: ArrayLike<number>): string {
    const data = Float32Array.from(values)
    if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer ${base}: ${data.length} values for dims [${dims.join(', ')}]`)
    const name = this.name(base)
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })
    return name
  }

  int64(base: string, values: number[]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)))
    const name = this.name(base)
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) })
    return name
  }

  /** Adds a node with `outputs` outputs ('' for an optional output left out) and returns their names. */
  node(opType: string, inputs: string[], base: string, attribute: onnx.IAttributeProto[] = [], outputs: Array<string | null> = ['']): string[] {
    const names = outputs.map((o) => (o === null ? '' : this.name(`${base}/${opType}${o ? `_${o}` : ''}`)))
    const name = names.find((n) => n !== '') ?? this.name(`${base}/${opType}`)
    this.nodes.push({ opType, input: inputs, output: names, name, attribute })
    return names
  }

  /** A one-output node on `x` (and extra inputs); the result keeps x's layout unless `rank`/`layout` say otherwise. */
  op(opType: string, x: Value, base: string, extra: string[] = [], attribute: onnx.IAttributeProto[] = [], shape: { rank?: number; layout?: Layout } = {}): Value {
    const [name] = this.node(opType, [x.name, ...extra], base, attribute)
    const rank = shape.rank ?? x.rank
    return { name, rank, layout: rank < 3 ? 'nhwc' : (shape.layout ?? x.layout) }
  }

  /** x in `layout` (a Transpose when it is not already; one per value and layout). */
  to(x: Value, layout: Layout, base: string): Value {
    if (x.layout === layout || x.rank < 3) return x
    const key = `${x.name}>${layout}`
    const cached = this.transposed.get(key)
    if (cached) return cached
    const r = x.rank
    const perm = layout === 'nchw' ? [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)] : [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]
    const out = this.op('Transpose', x, base, [], [attrInts('perm', perm)], { layout })
    this.transposed.set(key, out)
    return out
  }
}

function activation(g: Graph, layer: ExportLayer, x: Value, name: unknown, base: string): Value {
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return x
    case 'relu': return g.op('Relu', x, base)
    case 'sigmoid': return g.op('Sigmoid', x, base)
    case 'tanh': return g.op('Tanh', x, base)
    case 'softsign': return g.op('Softsign', x, base)
    case 'softplus': return g.op('Softplus', x, base)
    case 'elu': return g.op('Elu', x, base, [], [attrFloat('alpha', 1)])
    case 'selu': return g.op('Selu', x, base, [], [attrFloat('alpha', SELU_ALPHA), attrFloat('gamma', SELU_GAMMA)])
    // tfjs (and Keras 2): clip(0.2·x + 0.5, 0, 1).
    case 'hard_sigmoid':
    case 'hardSigmoid':
      return g.op('HardSigmoid', x, base, [], [attrFloat('alpha', 0.2), attrFloat('beta', 0.5)])
    case 'relu6': return g.op('Clip', x, base, [g.float(`${base}/relu6_min`, [], [0]), g.float(`${base}/relu6_max`, [], [6])])
    case 'swish': {
      const s = g.op('Sigmoid', x, base)
      return g.op('Mul', x, base, [s.name])
    }
    case 'softmax':
      // Keras's softmax is over the last axis of the NHWC data.
      return g.op('Softmax', g.to(x, 'nhwc', base), base, [], [attrInt('axis', -1)])
    default:
      refuse(layer, `the activation ${JSON.stringify(name)} has no exact ONNX counterpart here`)
  }
}

function dense(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const kernel = weight(layer, 'kernel')
  let x = g.op('MatMul', g.to(input, 'nhwc', base), base, [g.float(`${base}/kernel`, kernel.shape, kernel.data)])
  if (layer.config.use_bias !== false) {
    const bias = weight(layer, 'bias')
    x = g.op('Add', x, base, [g.float(`${base}/bias`, bias.shape, bias.data)])
  }
  return activation(g, layer, x, layer.config.activation, base)
}

function batchNormalization(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const rank = layer.input_shape.length + 1
  const rawAxis = typeof layer.config.axis === 'number' ? layer.config.axis : -1
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis
  if (axis <= 0 || axis >= rank) refuse(layer, `axis ${rawAxis} is not a feature axis of its ${rank}-d input`)
  // tfjs 4.22 (cpu and wasm) applies the statistics of a BatchNormalization on another axis cyclically
  // along the LAST axis at inference, so the app's model does not compute what Keras means by it.
  if (axis !== rank - 1) refuse(layer, `axis ${rawAxis} is not the last axis: tfjs applies such a layer's statistics along the last axis at inference, so no file can answer like the app; use axis -1`)
  const channels = layer.input_shape[axis - 1]
  const epsilon = typeof layer.config.epsilon === 'number' ? layer.config.epsilon : 0.001
  const mean = weight(layer, 'moving_mean').data
  const variance = weight(layer, 'moving_variance').data
  const gamma = layer.config.scale === false ? null : weight(layer, 'gamma').data
  const beta = layer.config.center === false ? null : weight(layer, 'beta').data
  if (mean.length !== channels || variance.length !== channels) refuse(layer, `its statistics have ${mean.length} values for ${channels} channels`)
  // Inference form, as tfjs computes it: (x − mean) · gamma / sqrt(variance + epsilon) + beta.
  const factor = Array.from(variance, (v, c) => (gamma ? gamma[c] : 1) / Math.sqrt(v + epsilon))
  const dims = [channels]
  let x = g.op('Sub', g.to(input, 'nhwc', base), base, [g.float(`${base}/moving_mean`, dims, mean)])
  x = g.op('Mul', x, base, [g.float(`${base}/factor`, dims, factor)])
  if (beta) x = g.op('Add', x, base, [g.float(`${base}/beta`, dims, beta)])
  return x
}

/**
 * LayerNormalization as opset 13 can write it (it has no such op): over the layer's axis,
 * mean = ReduceMean(x), d = x − mean, y = d / sqrt(ReduceMean(d·d) + epsilon) · gamma + beta —
 * what tfjs computes (tf.moments, then batchNorm). Done in whatever layout x is in.
 */
function layerNormalization(g: Graph, layer: ExportLayer, x: Value, base: string): Value {
  const rank = layer.input_shape.length + 1
  const rawAxis = typeof layer.config.axis === 'number' ? layer.config.axis : -1
  const keras = rawAxis < 0 ? rawAxis + rank : rawAxis
  if (keras <= 0 || keras >= rank) refuse(layer, `axis ${rawAxis} is not a feature axis of its ${rank}-d input`)
  const axis = layoutAxis(keras, rank, x.layout)
  const features = layer.input_shape[keras - 1]
  const epsilon = typeof layer.config.epsilon === 'number' ? layer.config.epsilon : 0.001
  const reduce = [attrInts('axes', [axis]), attrInt('keepdims', 1)]
  const mean = g.op('ReduceMean', x, base, [], reduce)
  const centered = g.op('Sub', x, base, [mean.name])
  const squared = g.op('Mul', centered, base, [centered.name])
  const variance = g.op('ReduceMean', squared, base, [], reduce)
  const deviation = g.op('Sqrt', g.op('Add', variance, base, [g.float(`${base}/epsilon`, [], [epsilon])]), base)
  let y = g.op('Div', centered, base, [deviation.name])
  // gamma and beta lie along `axis`: shaped [features, 1, …] to broadcast over the axes after it.
  const dims = [features, ...new Array<number>(rank - 1 - axis).fill(1)]
  if (layer.config.scale !== false) y = g.op('Mul', y, base, [g.float(`${base}/gamma`, dims, weight(layer, 'gamma').data)])
  if (layer.config.center !== false) y = g.op('Add', y, base, [g.float(`${base}/beta`, dims, weight(layer, 'beta').data)])
  return y
}

/** Keras kernel (…spatial, in, out) → ONNX Conv weight (out, in, …spatial). */
function convWeight(kernel: ExportTensor): { data: Float32Array; dims: number[] } {
  const spatial = kernel.shape.slice(0, -2)
  const [cin, cout] = kernel.shape.slice(-2) as [number, number]
  const size = spatial.reduce((a, b) => a * b, 1)
  const w = new Float32Array(kernel.data.length)
  for (let s = 0; s < size; s++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) w[(o * cin + i) * size + s] = kernel.data[(s * cin + i) * cout + o]!
  return { data: w, dims: [cout, cin, ...spatial] }
}

/** What a convolution or pooling layer over `n` spatial axes takes from its config, with TF's padding spelled out. */
function windowing(layer: ExportLayer, n: number, window: number[], options: { strides?: number[]; dilations?: number[] } = {}): { strides: number[]; dilations: number[]; pads: number[] } {
  const shape = layer.input_shape
  const what = n === 1 ? '(timesteps, features)' : '(height, width, channels)'
  if (shape.length !== n + 1) refuse(layer, `it needs a ${what} input, got [${shape.join(', ')}]`)
  if ((layer.config.data_format ?? 'channels_last') !== 'channels_last') refuse(layer, 'only channels_last data is supported')
  const strides = options.strides ?? tupleOf(layer.config.strides, n, new Array<number>(n).fill(1))
  const dilations = options.dilations ?? tupleOf(layer.config.dilation_rate, n, new Array<number>(n).fill(1))
  const padding = layer.config.padding ?? 'valid'
  if (padding !== 'valid' && padding !== 'same') refuse(layer, `padding ${JSON.stringify(padding)} is not supported`)
  const sides = window.map((k, d) => (padding === 'same' ? samePadding(shape[d], k, strides[d], dilations[d]) : [0, 0]))
  return { strides, dilations, pads: [...sides.map((p) => p[0]), ...sides.map((p) => p[1])] }
}

function convAttributes(kernel: number[], w: { strides: number[]; dilations: number[]; pads: number[] }, group: number): onnx.IAttributeProto[] {
  return [attrInts('kernel_shape', kernel), attrInts('strides', w.strides), attrInts('dilations', w.dilations), attrInts('pads', w.pads), attrInt('group', group)]
}

function biasInput(g: Graph, layer: ExportLayer, base: string): string[] {
  if (layer.config.use_bias === false) return []
  const bias = weight(layer, 'bias')
  return [g.float(`${base}/bias`, [bias.data.length], bias.data)]
}

/** Conv1D and Conv2D: ONNX Conv over (N, C, L) or (N, C, H, W). */
function conv(g: Graph, layer: ExportLayer, input: Value, base: string, n: number): Value {
  if ((layer.config.groups ?? 1) !== 1) refuse(layer, 'grouped convolutions are not supported')
  const kernel = weight(layer, 'kernel')
  const window = kernel.shape.slice(0, n)
  const w = windowing(layer, n, window)
  const onnxKernel = convWeight(kernel)
  const x = g.op('Conv', g.to(input, 'nchw', base), base, [g.float(`${base}/kernel`, onnxKernel.dims, onnxKernel.data), ...biasInput(g, layer, base)], convAttributes(window, w, 1))
  return activation(g, layer, x, layer.config.activation, base)
}

/** Keras depthwise kernel (kh, kw, in, multiplier) → ONNX grouped Conv weight (in·multiplier, 1, kh, kw): output channel i·multiplier + m, as TF orders them. */
function depthwiseConv(g: Graph, layer: ExportLayer, input: Value, base: string, withBias: boolean): Value {
  const kernel = weight(layer, 'depthwise_kernel')
  const [kh, kw, cin, multiplier] = kernel.shape as [number, number, number, number]
  const size = kh * kw
  const data = new Float32Array(kernel.data.length)
  for (let s = 0; s < size; s++) for (let i = 0; i < cin; i++) for (let m = 0; m < multiplier; m++) data[(i * multiplier + m) * size + s] = kernel.data[(s * cin + i) * multiplier + m]!
  // tfjs-layers 4.22's DepthwiseConv2D ignores its dilation_rate (SeparableConv2D does not), so the app's model does not compute what such a spec says.
  if (layer.class_name === 'DepthwiseConv2D' && tupleOf(layer.config.dilation_rate, 2, [1, 1]).some((d) => d !== 1)) {
    refuse(layer, 'dilation_rate is not 1: tfjs-layers ignores a DepthwiseConv2D\'s dilation, so no file can answer like the app; use dilation_rate [1, 1]')
  }
  const w = windowing(layer, 2, [kh, kw])
  const inputs = [g.float(`${base}/depthwise_kernel`, [cin * multiplier, 1, kh, kw], data), ...(withBias ? biasInput(g, layer, base) : [])]
  return g.op('Conv', g.to(input, 'nchw', base), base, inputs, convAttributes([kh, kw], w, cin))
}

/** SeparableConv2D: the depthwise convolution (strides, dilation, padding), then a 1×1 Conv that mixes channels and adds the bias. */
function separableConv(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const depthwise = depthwiseConv(g, layer, input, base, false)
  const pointwise = convWeight(weight(layer, 'pointwise_kernel'))
  const x = g.op('Conv', depthwise, base, [g.float(`${base}/pointwise_kernel`, pointwise.dims, pointwise.data), ...biasInput(g, layer, base)], [attrInts('kernel_shape', [1, 1]), attrInt('group', 1)])
  return activation(g, layer, x, layer.config.activation, base)
}

/** Conv2DTranspose: Keras kernel (kh, kw, out, in) → ONNX ConvTranspose weight (in, out, kh, kw); the output size through pads and output_padding. */
function convTranspose(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const kernel = weight(layer, 'kernel')
  const [kh, kw, cout, cin] = kernel.shape as [number, number, number, number]
  if (tupleOf(layer.config.dilation_rate, 2, [1, 1]).some((d) => d !== 1)) refuse(layer, 'a dilated transposed convolution is not built by the app')
  windowing(layer, 2, [kh, kw], { dilations: [1, 1] })
  const strides = tupleOf(layer.config.strides, 2, [1, 1])
  const padding = layer.config.padding === 'same' ? 'same' : 'valid'
  const size = kh * kw
  const data = new Float32Array(kernel.data.length)
  for (let s = 0; s < size; s++) for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) data[(i * cout + o) * size + s] = kernel.data[(s * cout + o) * cin + i]!
  const axes = [transposePadding(kh, strides[0], padding), transposePadding(kw, strides[1], padding)]
  const x = g.op('ConvTranspose', g.to(input, 'nchw', base), base, [g.float(`${base}/kernel`, [cin, cout, kh, kw], data), ...biasInput(g, layer, base)], [
    attrInts('kernel_shape', [kh, kw]),
    attrInts('strides', strides),
    attrInts('pads', [axes[0].pads[0], axes[1].pads[0], axes[0].pads[1], axes[1].pads[1]]),
    attrInts('output_padding', axes.map((a) => a.outputPadding)),
    attrInt('group', 1)
  ])
  return activation(g, layer, x, layer.config.activation, base)
}

function pooling(g: Graph, layer: ExportLayer, input: Value, base: string, n: number): Value {
  const pool = tupleOf(layer.config.pool_size, n, new Array<number>(n).fill(2))
  const strides = layer.config.strides === null || layer.config.strides === undefined ? pool : tupleOf(layer.config.strides, n, pool)
  const w = windowing(layer, n, pool, { strides, dilations: new Array<number>(n).fill(1) })
  const attributes = [attrInts('kernel_shape', pool), attrInts('strides', strides), attrInts('pads', w.pads)]
  const x = g.to(input, 'nchw', base)
  // Max pooling ignores padded cells; TF's 'same' average pooling divides by the cells inside the input only.
  if (layer.class_name.startsWith('Max')) return g.op('MaxPool', x, base, [], attributes)
  return g.op('AveragePool', x, base, [], [...attributes, attrInt('count_include_pad', 0)])
}

/** Global pooling over every spatial axis: GlobalAveragePool/GlobalMaxPool + Flatten in NCHW, ReduceMean/ReduceMax in NHWC. */
function globalPooling(g: Graph, layer: ExportLayer, x: Value, base: string): Value {
  const max = layer.class_name.startsWith('GlobalMax')
  if (x.layout === 'nchw') return g.op('Flatten', g.op(max ? 'GlobalMaxPool' : 'GlobalAveragePool', x, base), base, [], [attrInt('axis', 1)], { rank: 2 })
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1)
  return g.op(max ? 'ReduceMax' : 'ReduceMean', x, base, [], [attrInts('axes', axes), attrInt('keepdims', 0)], { rank: 2 })
}

/**
 * UpSampling2D as tfjs computes it: tf.image.resizeNearestNeighbor / resizeBilinear with
 * alignCorners and halfPixelCenters false, i.e. source = destination / scale ('asymmetric'),
 * nearest rounding down. (Keras's own TF layer interpolates with half-pixel centres; the file must
 * answer like the app's tfjs model.)
 */
function upSampling(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const size = tupleOf(layer.config.size, 2, [2, 2])
  const bilinear = layer.config.interpolation === 'bilinear'
  if (!bilinear && (layer.config.interpolation ?? 'nearest') !== 'nearest') refuse(layer, `interpolation ${JSON.stringify(layer.config.interpolation)} is not supported`)
  const x = g.to(input, 'nchw', base)
  const scales = g.float(`${base}/scales`, [4], [1, 1, size[0], size[1]])
  return g.op('Resize', x, base, ['', scales], [
    attrString('mode', bilinear ? 'linear' : 'nearest'),
    attrString('coordinate_transformation_mode', 'asymmetric'),
    ...(bilinear ? [] : [attrString('nearest_mode', 'floor')])
  ])
}

/** ZeroPadding2D (Pad) and Cropping2D (Slice) on the height and width axes, in whatever layout x is in. */
function padOrCrop(g: Graph, layer: ExportLayer, x: Value, base: string): Value {
  if (layer.input_shape.length !== 3) refuse(layer, `it needs a (height, width, channels) input, got [${layer.input_shape.join(', ')}]`)
  const crop = layer.class_name === 'Cropping2D'
  const sides = intPairs(crop ? layer.config.cropping : layer.config.padding, 2)
  if (!sides) refuse(layer, `its ${crop ? 'cropping' : 'padding'} ${JSON.stringify(crop ? layer.config.cropping : layer.config.padding)} is not [[top, bottom], [left, right]]`)
  const [h, w] = [layoutAxis(1, 4, x.layout), layoutAxis(2, 4, x.layout)]
  if (crop) {
    const [height, width] = layer.input_shape as [number, number, number]
    const starts = g.int64(`${base}/starts`, [sides[0][0], sides[1][0]])
    const ends = g.int64(`${base}/ends`, [height - sides[0][1], width - sides[1][1]])
    return g.op('Slice', x, base, [starts, ends, g.int64(`${base}/axes`, [h, w])])
  }
  const before = [0, 0, 0, 0]
  const after = [0, 0, 0, 0]
  before[h] = sides[0][0]
  after[h] = sides[0][1]
  before[w] = sides[1][0]
  after[w] = sides[1][1]
  return g.op('Pad', x, base, [g.int64(`${base}/pads`, [...before, ...after])], [attrString('mode', 'constant')])
}

/** Embedding: the float token ids cast to int64 (truncating, as tfjs casts to int32), then Gather rows of the embeddings. */
function embedding(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  const table = weight(layer, 'embeddings')
  const ids = g.op('Cast', g.to(input, 'nhwc', base), base, [], [attrInt('to', onnx.TensorProto.DataType.INT64)])
  const [out] = g.node('Gather', [g.float(`${base}/embeddings`, table.shape, table.data), ids.name], base, [attrInt('axis', 0)])
  return { name: out, rank: input.rank + 1, layout: 'nhwc' }
}

/**
 * ONNX's recurrent activations (the f, g, h functions of RNN/LSTM/GRU), by Keras name; their ONNX
 * default alpha/beta are tfjs's (HardSigmoid 0.2/0.5, Elu 1). 'linear' would be Affine, but
 * onnxruntime 1.30 computes it wrong without an explicit alpha and runtimes differ on how
 * activation_alpha lists are consumed, so it is refused with relu6, selu, swish and softmax.
 */
const RNN_ACTIVATIONS: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', hard_sigmoid: 'HardSigmoid', hardSigmoid: 'HardSigmoid', elu: 'Elu', softsign: 'Softsign', softplus: 'Softplus' }

/** Keras gate blocks → ONNX's order: LSTM i, f, c, o → i, o, f, c; GRU z, r, h → z, r, h; SimpleRNN one block. */
const GATE_ORDER: Record<string, number[]> = { LSTM: [0, 3, 1, 2], GRU: [0, 1, 2], SimpleRNN: [0] }
const ONNX_RECURRENT_OP: Record<string, string> = { LSTM: 'LSTM', GRU: 'GRU', SimpleRNN: 'RNN' }

interface RecurrentCell {
  class_name: string
  config: Record<string, unknown>
  weights: ExportTensor[]
}

/** One direction's W (gates·units, in), R (gates·units, units) and B (2·gates·units: input bias, then a zero recurrent bias) in ONNX's gate order. */
function recurrentWeights(layer: ExportLayer, cell: RecurrentCell, units: number): { w: Float32Array; r: Float32Array; b: Float32Array | null; inputSize: number } {
  const order = GATE_ORDER[cell.class_name]
  const gates = order.length
  const kernel = weight(layer, 'kernel', cell.weights)
  const recurrent = weight(layer, 'recurrent_kernel', cell.weights)
  const inputSize = kernel.shape[0]
  if (kernel.shape[1] !== gates * units || recurrent.shape[0] !== units || recurrent.shape[1] !== gates * units) refuse(layer, `its kernels have shapes [${kernel.shape.join(', ')}] and [${recurrent.shape.join(', ')}], not (in, ${gates * units}) and (${units}, ${gates * units})`)
  const reorder = (source: Float32Array, rows: number): Float32Array => {
    // Keras (rows, gates·units) → ONNX (gates·units, rows), gate blocks reordered.
    const out = new Float32Array(gates * units * rows)
    order.forEach((from, to) => {
      for (let j = 0; j < units; j++) for (let k = 0; k < rows; k++) out[(to * units + j) * rows + k] = source[k * gates * units + from * units + j]!
    })
    return out
  }
  let b: Float32Array | null = null
  if (cell.config.use_bias !== false) {
    const bias = weight(layer, 'bias', cell.weights)
    // GRU with reset_after (Keras 3's default) keeps a second, recurrent bias: tfjs cannot build it, and neither does the app.
    if (bias.data.length !== gates * units) refuse(layer, `its bias has ${bias.data.length} values, not ${gates * units} (a GRU with reset_after=true is not built by the app)`)
    b = new Float32Array(2 * gates * units)
    order.forEach((from, to) => b!.set(bias.data.subarray(from * units, (from + 1) * units), to * units))
  }
  return { w: reorder(kernel.data, inputSize), r: reorder(recurrent.data, units), b, inputSize }
}

/**
 * SimpleRNN / LSTM / GRU (and Bidirectional over one of them) as ONNX RNN / LSTM / GRU: the
 * (batch, time, features) input goes time-major, the op runs one or both directions, and the
 * result is Y (every step, for return_sequences) or Y_h (the last state) back in batch-major order,
 * both directions merged as merge_mode says. GRU: tfjs applies the reset gate before the recurrent
 * matmul (reset_after false), ONNX's linear_before_reset = 0.
 */
function recurrent(g: Graph, layer: ExportLayer, input: Value, base: string, cells: RecurrentCell[], mergeMode: string | null): Value {
  const cell = cells[0]
  if (input.rank !== 3) refuse(layer, `it needs a (timesteps, features) input, got [${layer.input_shape.join(', ')}]`)
  const c = cell.config
  for (const key of ['return_state', 'go_backwards', 'stateful'] as const) if (c[key] === true) refuse(layer, `${key} is not supported`)
  if (cell.class_name === 'GRU' && c.reset_after === true) refuse(layer, 'reset_after=true is not built by the app (tfjs builds GRUs with reset_after=false)')
  const units = c.units as number
  const activationName = (key: string, fallback: string): string => {
    const name = (c[key] as string | undefined) ?? fallback
    const mapped = RNN_ACTIVATIONS[name]
    if (!mapped) refuse(layer, `its ${key} ${JSON.stringify(name)} is not one ONNX's recurrent ops can take (${Object.keys(RNN_ACTIVATIONS).filter((k) => k !== 'hardSigmoid').join(', ')})`)
    return mapped
  }
  const act = activationName('activation', 'tanh')
  const functions = cell.class_name === 'SimpleRNN' ? [act] : cell.class_name === 'LSTM' ? [activationName('recurrent_activation', 'sigmoid'), act, act] : [activationName('recurrent_activation', 'sigmoid'), act]
  const directions = cells.map((one) => recurrentWeights(layer, one, units))
  const gates = GATE_ORDER[cell.class_name].length
  const dirs = directions.length
  const concat = (parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) { out.set(p, at); at += p.length }
    return out
  }
  const inputSize = directions[0].inputSize
  const inputs = [
    '',
    g.float(`${base}/W`, [dirs, gates * units, inputSize], concat(directions.map((d) => d.w))),
    g.float(`${base}/R`, [dirs, gates * units, units], concat(directions.map((d) => d.r)))
  ]
  if (directions[0].b) inputs.push(g.float(`${base}/B`, [dirs, 2 * gates * units], concat(directions.map((d) => d.b!))))
  // (batch, time, features) → (time, batch, features); from (batch, features, time) in one Transpose.
  const timeMajor = g.op('Transpose', input, base, [], [attrInts('perm', input.layout === 'nchw' ? [2, 0, 1] : [1, 0, 2])], { layout: 'nhwc' })
  inputs[0] = timeMajor.name
  const sequences = c.return_sequences === true
  const opType = ONNX_RECURRENT_OP[cell.class_name]
  const attributes = [attrInt('hidden_size', units), attrString('direction', dirs === 2 ? 'bidirectional' : 'forward'), attrStrings('activations', [...functions, ...(dirs === 2 ? functions : [])])]
  if (opType === 'GRU') attributes.push(attrInt('linear_before_reset', 0))
  const [y, yh] = g.node(opType, inputs, base, attributes, sequences ? ['Y'] : [null, 'Y_h'])
  const merge = dirs === 2 ? (mergeMode ?? 'concat') : 'concat'
  if (sequences) {
    // Y: (time, directions, batch, units). ONNX gives the reverse direction's output at each step's own position, as Keras's Bidirectional does.
    const Y: Value = { name: y, rank: 4, layout: 'nhwc' }
    if (merge === 'concat') {
      const batchMajor = g.op('Transpose', Y, base, [], [attrInts('perm', [2, 0, 1, 3])])
      return g.op('Reshape', batchMajor, base, [g.int64(`${base}/shape`, [0, 0, dirs * units])], [], { rank: 3 })
    }
    const merged = mergeDirections(g, layer, Y, 1, merge, base)
    return g.op('Transpose', merged, base, [], [attrInts('perm', [1, 0, 2])])
  }
  // Y_h: (directions, batch, units).
  const Yh: Value = { name: yh, rank: 3, layout: 'nhwc' }
  if (dirs === 1) return g.op('Squeeze', Yh, base, [g.int64(`${base}/axes`, [0])], [], { rank: 2 })
  if (merge === 'concat') return g.op('Reshape', g.op('Transpose', Yh, base, [], [attrInts('perm', [1, 0, 2])]), base, [g.int64(`${base}/shape`, [0, 2 * units])], [], { rank: 2 })
  return mergeDirections(g, layer, Yh, 0, merge, base)
}

/** Bidirectional's sum, mul and ave over the directions axis. */
function mergeDirections(g: Graph, layer: ExportLayer, x: Value, axis: number, mode: string, base: string): Value {
  const shape = { rank: x.rank - 1 }
  switch (mode) {
    case 'sum': return g.op('ReduceSum', x, base, [g.int64(`${base}/axes`, [axis])], [attrInt('keepdims', 0)], shape)
    case 'mul': return g.op('ReduceProd', x, base, [], [attrInts('axes', [axis]), attrInt('keepdims', 0)], shape)
    case 'ave': return g.op('ReduceMean', x, base, [], [attrInts('axes', [axis]), attrInt('keepdims', 0)], shape)
    default: refuse(layer, `merge_mode ${JSON.stringify(mode)} is not supported (concat, sum, mul, ave)`)
  }
}

function recurrentLayer(g: Graph, layer: ExportLayer, input: Value, base: string): Value {
  if (layer.class_name !== 'Bidirectional') return recurrent(g, layer, input, base, [{ class_name: layer.class_name, config: layer.config, weights: layer.weights }], null)
  const wrapped = layer.config.layer as { class_name?: unknown; config?: Record<string, unknown> } | undefined
  const className = typeof wrapped?.class_name === 'string' ? wrapped.class_name : ''
  if (!RECURRENT.has(className)) refuse(layer, `it wraps ${JSON.stringify(className)}, not SimpleRNN, LSTM or GRU`)
  const config = fullConfig({ class_name: className, config: wrapped?.config ?? {} }, layer.name)
  // tfjs lists the forward layer's weights, then the backward copy's.
  const half = layer.weights.length / 2
  if (!Number.isInteger(half) || half === 0) refuse(layer, `it has ${layer.weights.length} weights, not one set per direction`)
  const cells = [layer.weights.slice(0, half), layer.weights.slice(half)].map((weights) => ({ class_name: className, config, weights }))
  return recurrent(g, layer, input, base, cells, typeof layer.config.merge_mode === 'string' ? layer.config.merge_mode : null)
}

/** Merge layers: every input brought to one layout first (all NCHW stay so; otherwise NHWC). */
function mergeLayer(g: Graph, layer: ExportLayer, inputs: Value[], base: string): Value {
  if (inputs.length < 2) refuse(layer, `a merge needs two or more inputs, it has ${inputs.length}`)
  const layout: Layout = inputs.every((v) => v.layout === 'nchw') ? 'nchw' : 'nhwc'
  const xs = inputs.map((v) => g.to(v, layout, base))
  const names = xs.map((v) => v.name)
  const binary = (opType: string): Value => xs.slice(1).reduce((acc, v) => g.op(opType, acc, base, [v.name]), xs[0])
  const variadic = (opType: string): Value => g.op(opType, xs[0], base, names.slice(1))
  switch (layer.class_name) {
    case 'Add': return xs.length === 2 ? binary('Add') : variadic('Sum')
    case 'Subtract':
      if (xs.length !== 2) refuse(layer, `Subtract takes exactly two inputs, it has ${xs.length}`)
      return binary('Sub')
    case 'Multiply': return binary('Mul')
    case 'Average': return variadic('Mean')
    case 'Maximum': return variadic('Max')
    case 'Minimum': return variadic('Min')
    case 'Concatenate': {
      const axis = typeof layer.config.axis === 'number' ? layer.config.axis : -1
      return g.op('Concat', xs[0], base, names.slice(1), [attrInt('axis', layoutAxis(axis, xs[0].rank, layout))])
    }
    default: refuse(layer, 'the format has no counterpart for this merge')
  }
}

function addLayer(g: Graph, layer: ExportLayer, inputs: Value[]): Value {
  const base = layer.name
  if (MERGES.has(layer.class_name)) return mergeLayer(g, layer, inputs, base)
  if (inputs.length !== 1) refuse(layer, `it takes one input, it has ${inputs.length}`)
  const x = inputs[0]
  switch (layer.class_name) {
    case 'Dense': return dense(g, layer, x, base)
    case 'Activation': return activation(g, layer, x, layer.config.activation ?? 'linear', base)
    case 'BatchNormalization': return batchNormalization(g, layer, x, base)
    case 'LayerNormalization': return layerNormalization(g, layer, x, base)
    case 'Conv1D': return conv(g, layer, x, base, 1)
    case 'Conv2D': return conv(g, layer, x, base, 2)
    case 'DepthwiseConv2D': return activation(g, layer, depthwiseConv(g, layer, x, base, true), layer.config.activation, base)
    case 'SeparableConv2D': return separableConv(g, layer, x, base)
    case 'Conv2DTranspose': return convTranspose(g, layer, x, base)
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      return pooling(g, layer, x, base, 1)
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return pooling(g, layer, x, base, 2)
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return globalPooling(g, layer, x, base)
    case 'UpSampling2D': return upSampling(g, layer, x, base)
    case 'ZeroPadding2D':
    case 'Cropping2D':
      return padOrCrop(g, layer, x, base)
    case 'Embedding': return embedding(g, layer, x, base)
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
    case 'Bidirectional':
      return recurrentLayer(g, layer, x, base)
    case 'Flatten':
      return g.op('Flatten', g.to(x, 'nhwc', base), base, [], [attrInt('axis', 1)], { rank: 2 })
    case 'Reshape':
      return g.op('Reshape', g.to(x, 'nhwc', base), base, [g.int64(`${base}/shape`, [0, ...layer.output_shape])], [], { rank: layer.output_shape.length + 1, layout: 'nhwc' })
    default:
      if (IDENTITY.has(layer.class_name)) return x
      refuse(layer, 'the format has no counterpart for this layer class')
  }
}

const valueInfo = (name: string, shape: number[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] } } }
})

/** The preprocessing.json this export writes: the scaling is in the graph whenever there is one. */
function exportedPreprocessing(model: ExportModel): ExportModel['preprocessing'] {
  return { ...model.preprocessing, scaling_in_model: model.scaling !== null }
}

/** The ONNX model for an ExportModel; throws ExportRefusal for what ONNX cannot hold exactly. */
export function onnxModel(model: ExportModel): onnx.ModelProto {
  for (const layer of model.layers) if (!SUPPORTED.has(layer.class_name)) refuse(layer, 'the format has no counterpart for this layer class')
  const g = new Graph()
  let input: Value = { name: 'input', rank: model.input_shape.length + 1, layout: 'nhwc' }
  if (model.scaling) {
    const s = model.scaling
    checkScalingSize(FORMAT, 'ONNX export', model.input_shape, s)
    if (s.uniform) {
      if (s.uniform.offset !== 0) input = g.op('Sub', input, 'input_scaling', [g.float('input_scaling/offset', [], [s.uniform.offset])])
      if (s.uniform.scale !== 1) input = g.op('Mul', input, 'input_scaling', [g.float('input_scaling/scale', [], [s.uniform.scale])])
    } else {
      input = g.op('Sub', input, 'input_scaling', [g.float('input_scaling/offset', model.input_shape, s.offset)])
      input = g.op('Mul', input, 'input_scaling', [g.float('input_scaling/scale', model.input_shape, s.scale)])
    }
  }
  // Each layer's output by layer name (and the model input), in topological order; the last layer is the output.
  const values = new Map<string, Value>([[MODEL_INPUT, input]])
  let last = input
  for (const layer of model.layers) {
    const inbound = layer.inbound.map((name) => {
      const value = values.get(name)
      if (!value) refuse(layer, `its input "${name}" is not a layer before it`)
      return value
    })
    last = addLayer(g, layer, inbound)
    values.set(layer.name, last)
  }
  const output = g.to(last, 'nhwc', 'output')
  const producer = g.nodes[g.nodes.length - 1]
  // The output value gets the name `output`: the last node's own output when nothing else reads it, else an Identity.
  const consumed = g.nodes.some((n) => n.input!.includes(output.name))
  if (producer && producer.output![0] === output.name && !consumed) producer.output = ['output']
  else g.nodes.push({ opType: 'Identity', input: [output.name], output: ['output'], name: g.name('output/Identity'), attribute: [] })

  const pre = exportedPreprocessing(model)
  const meta = model.meta
  return onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'model-workbench',
    producerVersion: meta.app_version,
    modelVersion: 1,
    docString: `${meta.model_name} from run ${meta.run_id} (${meta.run_name}), ${meta.weights} weights${meta.epoch !== null ? ` of epoch ${meta.epoch}` : ''}; input: raw values, the scaling is inside.`,
    graph: {
      name: meta.model_name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('input', model.input_shape)],
      output: [valueInfo('output', model.output_shape)]
    },
    metadataProps: [
      { key: 'preprocessing', value: JSON.stringify(pre) },
      { key: 'model_workbench', value: JSON.stringify(meta) },
      { key: 'class_names', value: JSON.stringify(pre.output.class_names) },
      { key: 'run_id', value: meta.run_id },
      { key: 'weights', value: meta.epoch !== null ? `${meta.weights} (epoch ${meta.epoch})` : meta.weights }
    ]
  })
}

/** README lines for a model whose input feeds an Embedding: the float input carries token ids. */
function tokenInput(model: ExportModel): string[] {
  const embedding = model.layers.find((l) => l.class_name === 'Embedding' && l.inbound.includes(MODEL_INPUT))
  if (!embedding) return []
  const size = typeof embedding.config.input_dim === 'number' ? embedding.config.input_dim : null
  return ['', `The input holds integer token ids${size !== null ? ` (0 to ${size - 1})` : ''} as float32 values; the model casts them to int64 for its \`${embedding.name}\` lookup (Gather), so an id outside that range is an error, not a guess.`]
}

function readme(model: ExportModel): string {
  const shape = `(rows, ${model.input_shape.join(', ')})`
  const features = model.input_shape.reduce((a, b) => a * b, 1)
  const pythonInput =
    model.preprocessing.kind !== 'image' && model.input_shape.length === 1 && features <= 8
      ? `x = np.array([[${Array.from({ length: features }, (_, i) => `${i + 1}.0`).join(', ')}]], dtype=np.float32)  # one row of ${features} raw values`
      : `x = np.zeros((1, ${model.input_shape.join(', ')}), dtype=np.float32)  # one row of raw ${model.preprocessing.kind === 'image' ? 'pixel values' : 'values'}, shape ${shape}`
  return [
    ...headerSection(model, 'ONNX'),
    `\`model.onnx\`: ONNX IR version ${ONNX_IR_VERSION}, opset ${ONNX_OPSET}. Input \`input\`, output \`output\`.`,
    '',
    ...inputSection(model, model.scaling !== null),
    ...tokenInput(model),
    '',
    ...outputSection(model),
    '',
    '## Python (onnxruntime)',
    '',
    '```python',
    'import numpy as np, onnxruntime as ort',
    "session = ort.InferenceSession('model.onnx', providers=['CPUExecutionProvider'])",
    pythonInput,
    "y = session.run(['output'], {'input': x})[0]",
    '```',
    '',
    '## JavaScript (onnxruntime-node, or onnxruntime-web in a browser)',
    '',
    '```js',
    "const ort = require('onnxruntime-node')",
    `const { preprocessRows, decode } = require('./${PREPROCESS_JS}')`,
    ';(async () => {',
    "  const session = await ort.InferenceSession.create('model.onnx')",
    `  const rows = [/* raw records${model.preprocessing.kind === 'table' ? ' by column name' : ' as flat arrays'} */]`,
    `  const input = new ort.Tensor('float32', preprocessRows(rows), [rows.length, ${model.input_shape.join(', ')}])`,
    '  const { output } = await session.run({ input })',
    `  console.log(decode(output.data.slice(0, ${model.output_shape.reduce((a, b) => a * b, 1)})))  // the first row`,
    '})()',
    '```',
    '',
    `\`preprocessing.json\` describes the columns, encodings, scaling and class names (also in the model's metadata, key \`preprocessing\`); \`${PREPROCESS_JS}\` turns a raw record into the input row.`,
    ''
  ].join('\n')
}

const nodeRequire = createRequire(__filename)

export const onnxExporter: Exporter = {
  id: 'onnx',
  label: 'ONNX',
  holds: ['model.onnx (graph and weights, input scaling inside)', 'preprocessing.json', 'preprocess.js (raw record → input)', 'README.md'],
  supports: (layer) => SUPPORTED.has(layer.class_name),
  async write(model, dir) {
    const proto = onnxModel(model)
    await writeFile(join(dir, 'model.onnx'), onnx.ModelProto.encode(proto).finish())
    const pre = exportedPreprocessing(model)
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(pre, null, 2) + '\n')
    await writeFile(join(dir, PREPROCESS_JS), preprocessJs(pre, model.meta.model_name))
    await writeFile(join(dir, 'README.md'), readme(model))
    return ['model.onnx', 'preprocessing.json', PREPROCESS_JS, 'README.md']
  },
  async verify(model, dir, sample: ExportSample): Promise<Verification> {
    const ort = nodeRequire('onnxruntime-node') as typeof import('onnxruntime-node')
    const session = await ort.InferenceSession.create(await readFile(join(dir, 'model.onnx')))
    try {
      const input = new ort.Tensor('float32', Float32Array.from(sample.raw), [sample.rows, ...model.input_shape])
      const result = await session.run({ input })
      const output = result.output
      if (!output) throw new Error('model.onnx gave no tensor named "output"')
      const got = output.data as Float32Array
      return { verified_by: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`, max_abs_diff: maxAbsDiff(got, sample.expected), rows: sample.rows, note: null }
    } finally {
      await session.release()
    }
  }
}
