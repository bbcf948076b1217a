// ONNX export: one model.onnx (IR version 8, opset 13 — what Debian's onnx 1.12 checker and
// onnxruntime read) whose float32 input `input` [batch, …input_shape] takes RAW values: the
// training scaling is its first ops (Sub, Mul). Data stays NHWC as in Keras; convolutions and
// pooling run in ONNX's NCHW between Transposes (consecutive ones share them), so Flatten and Dense
// see the Keras order. Verified by running it in onnxruntime-node on held-out raw rows.
import { writeFile, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { onnx } from 'onnx-proto'
import { ExportRefusal, maxAbsDiff, type ExportLayer, type ExportModel, type ExportSample, type ExportTensor, type Exporter, type Verification } from '../types'
import { PREPROCESS_JS, preprocessJs } from '../helpers/preprocess-js'
import { headerSection, inputSection, outputSection } from '../helpers/readme'

const FORMAT = 'onnx'
export const ONNX_IR_VERSION = 8
export const ONNX_OPSET = 13
const SUPPORTED = new Set(['InputLayer', 'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D'])

// tfjs's SELU constants (tfjs-core selu_util: SELU_SCALE and SELU_SCALEALPHA / SELU_SCALE).
const SELU_GAMMA = 1.0507009873554804934193349852946
const SELU_ALPHA = 1.7580993408473768599402175208123 / SELU_GAMMA

type Layout = 'nhwc' | 'nchw'
const A = onnx.AttributeProto.AttributeType

const attrInts = (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints })
const attrInt = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i })
const attrFloat = (name: string, f: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f })

function refuse(layer: ExportLayer, why: string): never {
  throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `ONNX export cannot hold layer ${layer.index + 1} "${layer.name}" (${layer.class_name}): ${why}`)
}

function weight(layer: ExportLayer, name: string): ExportTensor {
  const found = layer.weights.find((w) => w.name === name)
  if (!found) refuse(layer, `its weight "${name}" is missing (it has ${layer.weights.map((w) => w.name).join(', ') || 'none'})`)
  return found
}

const pairOf = (value: unknown, fallback: [number, number]): [number, number] => {
  if (typeof value === 'number') return [value, value]
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0], value[1]]
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

/** Builds the graph: names, nodes and initializers, with the data layout of the current tensor tracked. */
class Graph {
  readonly nodes: onnx.INodeProto[] = []
  readonly initializers: onnx.ITensorProto[] = []
  private readonly taken = new Set<string>(['input', 'output'])
  current = 'input'
  layout: Layout = 'nhwc'

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

  /** Adds a node reading `inputs` and makes its output the current tensor. */
  op(opType: string, inputs: string[], base: string, attribute: onnx.IAttributeProto[] = []): string {
    const output = this.name(`${base}/${opType}`)
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute })
    this.current = output
    return output
  }

  /** Applies an op to the current tensor with extra inputs. */
  apply(opType: string, base: string, extra: string[] = [], attribute: onnx.IAttributeProto[] = []): string {
    return this.op(opType, [this.current, ...extra], base, attribute)
  }

  to(layout: Layout, base: string): void {
    if (this.layout === layout) return
    this.apply('Transpose', base, [], [attrInts('perm', layout === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1])])
    this.layout = layout
  }
}

function activation(g: Graph, layer: ExportLayer, name: unknown, base: string): void {
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return
    case 'relu': g.apply('Relu', base); return
    case 'sigmoid': g.apply('Sigmoid', base); return
    case 'tanh': g.apply('Tanh', base); return
    case 'softsign': g.apply('Softsign', base); return
    case 'softplus': g.apply('Softplus', base); return
    case 'elu': g.apply('Elu', base, [], [attrFloat('alpha', 1)]); return
    case 'selu': g.apply('Selu', base, [], [attrFloat('alpha', SELU_ALPHA), attrFloat('gamma', SELU_GAMMA)]); return
    // tfjs (and Keras 2): clip(0.2·x + 0.5, 0, 1).
    case 'hard_sigmoid':
    case 'hardSigmoid':
      g.apply('HardSigmoid', base, [], [attrFloat('alpha', 0.2), attrFloat('beta', 0.5)])
      return
    case 'relu6': g.apply('Clip', base, [g.float(`${base}/relu6_min`, [], [0]), g.float(`${base}/relu6_max`, [], [6])]); return
    case 'swish': {
      const x = g.current
      const s = g.apply('Sigmoid', base)
      g.op('Mul', [x, s], base)
      return
    }
    case 'softmax':
      // Keras's softmax is over the last axis of the NHWC data.
      g.to('nhwc', base)
      g.apply('Softmax', base, [], [attrInt('axis', -1)])
      return
    default:
      refuse(layer, `the activation ${JSON.stringify(name)} has no exact ONNX counterpart here`)
  }
}

function dense(g: Graph, layer: ExportLayer, base: string): void {
  g.to('nhwc', base)
  const kernel = weight(layer, 'kernel')
  g.apply('MatMul', base, [g.float(`${base}/kernel`, kernel.shape, kernel.data)])
  if (layer.config.use_bias !== false) {
    const bias = weight(layer, 'bias')
    g.apply('Add', base, [g.float(`${base}/bias`, bias.shape, bias.data)])
  }
  activation(g, layer, layer.config.activation, base)
}

function batchNormalization(g: Graph, layer: ExportLayer, base: string): void {
  g.to('nhwc', base)
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
  g.apply('Sub', base, [g.float(`${base}/moving_mean`, dims, mean)])
  g.apply('Mul', base, [g.float(`${base}/factor`, dims, factor)])
  if (beta) g.apply('Add', base, [g.float(`${base}/beta`, dims, beta)])
}

function conv2d(g: Graph, layer: ExportLayer, base: string): void {
  if (layer.input_shape.length !== 3) refuse(layer, `it needs a (height, width, channels) input, got [${layer.input_shape.join(', ')}]`)
  if ((layer.config.data_format ?? 'channels_last') !== 'channels_last') refuse(layer, 'only channels_last data is supported')
  if ((layer.config.groups ?? 1) !== 1) refuse(layer, 'grouped convolutions are not supported')
  const kernel = weight(layer, 'kernel')
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number]
  const strides = pairOf(layer.config.strides, [1, 1])
  const dilations = pairOf(layer.config.dilation_rate, [1, 1])
  const padding = layer.config.padding ?? 'valid'
  if (padding !== 'valid' && padding !== 'same') refuse(layer, `padding ${JSON.stringify(padding)} is not supported`)
  const [ph, pw] = padding === 'same' ? [samePadding(layer.input_shape[0], kh, strides[0], dilations[0]), samePadding(layer.input_shape[1], kw, strides[1], dilations[1])] : [[0, 0], [0, 0]]
  // Keras (kh, kw, in, out) → ONNX (out, in, kh, kw).
  const w = new Float32Array(kernel.data.length)
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    w[((o * cin + i) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + i) * cout + o]!
  }
  g.to('nchw', base)
  const inputs = [g.float(`${base}/kernel`, [cout, cin, kh, kw], w)]
  if (layer.config.use_bias !== false) {
    const bias = weight(layer, 'bias')
    inputs.push(g.float(`${base}/bias`, [cout], bias.data))
  }
  g.apply('Conv', base, inputs, [
    attrInts('kernel_shape', [kh, kw]),
    attrInts('strides', strides),
    attrInts('dilations', dilations),
    attrInts('pads', [ph[0], pw[0], ph[1], pw[1]]),
    attrInt('group', 1)
  ])
  activation(g, layer, layer.config.activation, base)
}

function pooling(g: Graph, layer: ExportLayer, base: string): void {
  if (layer.input_shape.length !== 3) refuse(layer, `it needs a (height, width, channels) input, got [${layer.input_shape.join(', ')}]`)
  if ((layer.config.data_format ?? 'channels_last') !== 'channels_last') refuse(layer, 'only channels_last data is supported')
  const pool = pairOf(layer.config.pool_size, [2, 2])
  const strides = layer.config.strides === null || layer.config.strides === undefined ? pool : pairOf(layer.config.strides, pool)
  const padding = layer.config.padding ?? 'valid'
  if (padding !== 'valid' && padding !== 'same') refuse(layer, `padding ${JSON.stringify(padding)} is not supported`)
  const [ph, pw] = padding === 'same' ? [samePadding(layer.input_shape[0], pool[0], strides[0], 1), samePadding(layer.input_shape[1], pool[1], strides[1], 1)] : [[0, 0], [0, 0]]
  const attributes = [attrInts('kernel_shape', pool), attrInts('strides', strides), attrInts('pads', [ph[0], pw[0], ph[1], pw[1]])]
  g.to('nchw', base)
  // Max pooling ignores padded cells; TF's 'same' average pooling divides by the cells inside the input only.
  if (layer.class_name === 'MaxPooling2D') g.apply('MaxPool', base, [], attributes)
  else g.apply('AveragePool', base, [], [...attributes, attrInt('count_include_pad', 0)])
}

function addLayer(g: Graph, layer: ExportLayer): void {
  const base = layer.name
  switch (layer.class_name) {
    case 'InputLayer':
    case 'Dropout': // identity at inference
      return
    case 'Dense': dense(g, layer, base); return
    case 'Activation': activation(g, layer, layer.config.activation ?? 'linear', base); return
    case 'BatchNormalization': batchNormalization(g, layer, base); return
    case 'Conv2D': conv2d(g, layer, base); return
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      pooling(g, layer, base)
      return
    case 'Flatten':
      g.to('nhwc', base)
      g.apply('Flatten', base, [], [attrInt('axis', 1)])
      return
    case 'Reshape':
      g.to('nhwc', base)
      g.apply('Reshape', base, [g.int64(`${base}/shape`, [0, ...layer.output_shape])])
      return
    default:
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
  const features = model.input_shape.reduce((a, b) => a * b, 1)
  if (model.scaling) {
    const s = model.scaling
    if (s.offset.length !== features || s.scale.length !== features) {
      throw new ExportRefusal(FORMAT, null, `ONNX export: the input scaling has ${s.offset.length} offsets and ${s.scale.length} scales for ${features} input features`)
    }
    if (s.uniform) {
      if (s.uniform.offset !== 0) g.apply('Sub', 'input_scaling', [g.float('input_scaling/offset', [], [s.uniform.offset])])
      if (s.uniform.scale !== 1) g.apply('Mul', 'input_scaling', [g.float('input_scaling/scale', [], [s.uniform.scale])])
    } else {
      g.apply('Sub', 'input_scaling', [g.float('input_scaling/offset', model.input_shape, s.offset)])
      g.apply('Mul', 'input_scaling', [g.float('input_scaling/scale', model.input_shape, s.scale)])
    }
  }
  for (const layer of model.layers) addLayer(g, layer)
  g.to('nhwc', 'output')
  const last = g.nodes[g.nodes.length - 1]
  if (last && last.output![0] === g.current) last.output = ['output']
  else g.op('Identity', [g.current], 'output')

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
