// Generates a self-contained PyTorch `model.py` (an nn.Module rebuilt from the spec) and maps the
// app's Keras-layout weights to its state_dict and back. Shared by the pytorch and torch-job
// formats and by the torch-job importer.
//
// Layout: the module takes what the app takes, [batch, *input_shape] (or flat [batch, features]),
// channels last. forward() follows the graph: one local variable per layer, named after it, each
// layer fed its inbound values (merges as torch ops). Each value remembers whether it is channels
// last (Keras's NHWC / NLC) or first (torch's NCHW / NCL): a convolution or pooling layer takes its
// input channels first, and a value is permuted back only where the order matters (Flatten,
// Reshape, Dense, softmax, recurrent layers, a merge with a channels-last value, the output), once
// per value, so a Flatten after convolutions yields Keras's order and the Dense kernel lines up.
import { MODEL_INPUT } from '../../../shared/model-spec/graph'
import { fullConfig } from '../../../shared/model-spec/registry'
import { ExportRefusal, type ExportLayer, type ExportModel, type ExportTensor } from '../types'
import type { NamedTensor } from './safetensors'
import { checkScalingSize } from './scaling'

/** How one Keras weight becomes one state_dict entry. */
export interface TorchTensorMap {
  /** Keras's variable name (kernel, bias, gamma, …). */
  keras: string
  /** Position among the layer's weights (Keras's order); Bidirectional has each name twice (forward, then backward). Absent in older layouts: found by name. */
  position?: number
  keras_shape: number[]
  /** The state_dict key. */
  key: string
  torch_shape: number[]
  /**
   * dense: (in, out) → (out, in); conv2d: (kh, kw, in, out) → (out, in, kh, kw); permute: torch axis j is
   * Keras axis permute[j], then reshaped to torch_shape (row-major); none: as is.
   */
  transform: 'none' | 'dense' | 'conv2d' | 'permute'
  permute?: number[]
  /** More state_dict keys (same torch shape) whose values add to this one: written as zeros, summed on reading back (LSTM's bias_hh, Keras having one bias). */
  sum_keys?: string[]
}

export interface TorchLayerMap {
  /** Position in spec.layers. */
  index: number
  class_name: string
  name: string
  /** The nn.Module attribute holding the layer, or null for layers without a module (Flatten, Activation, …). */
  module: string | null
  tensors: TorchTensorMap[]
}

/** What travels in the safetensors metadata so that a reader can map the weights back to Keras. */
export interface TorchLayout {
  format: 'model-workbench/torch-layout'
  /** 1: chains of the first layer families; 2: graphs, positions, permutations and summed keys (a version 1 layout reads unchanged). */
  version: 1 | 2
  input_shape: number[]
  output_shape: number[]
  scaling: boolean
  layers: TorchLayerMap[]
}

export const LAYOUT_METADATA_KEY = 'model_workbench_layout'

/** The layer classes model.py can rebuild (some with conditions: see planTorchModule's refusals). */
export const TORCH_LAYER_CLASSES = new Set([
  'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
  'Conv1D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling1D', 'AveragePooling1D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'UpSampling2D', 'ZeroPadding2D', 'Cropping2D', 'Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional',
  'LayerNormalization', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise'
])

/** Each activation of the registry exactly as tfjs computes it, as a Python expression of `x`. */
const ACTIVATION_CODE: Record<string, string | null> = {
  linear: null,
  sigmoid: 'torch.sigmoid(x)',
  // tfjs (and Keras 2): clip(0.2 x + 0.5, 0, 1); torch's hardsigmoid uses x / 6 + 0.5, so not that.
  hard_sigmoid: 'torch.clamp(0.2 * x + 0.5, 0.0, 1.0)',
  tanh: 'torch.tanh(x)',
  relu: 'torch.relu(x)',
  relu6: 'torch.clamp(x, 0.0, 6.0)',
  elu: 'F.elu(x, alpha=1.0)',
  // Same constants as tfjs's selu (scale 1.0507…, scale·alpha 1.7581…).
  selu: 'F.selu(x)',
  softplus: '_softplus(x)',
  softsign: 'x / (1.0 + torch.abs(x))',
  swish: 'x * torch.sigmoid(x)',
  softmax: 'torch.softmax(x, dim=-1)'
}

export function activationSupported(name: unknown): boolean {
  return typeof name === 'string' && name in ACTIVATION_CODE
}

/** Whether model.py can rebuild the layer (class and activation; Bidirectional: the wrapped layer's class). */
export function torchSupports(layer: ExportLayer): boolean {
  if (!TORCH_LAYER_CLASSES.has(layer.class_name)) return false
  if ('activation' in layer.config && !activationSupported(layer.config.activation ?? 'linear')) return false
  if (layer.class_name === 'Bidirectional') {
    const inner = layer.config.layer as { class_name?: unknown } | undefined
    return typeof inner?.class_name === 'string' && ['SimpleRNN', 'LSTM', 'GRU'].includes(inner.class_name)
  }
  return true
}

/** Where a value keeps its channels: last as Keras has them, or first (N, C, L) / (N, C, H, W) as torch's kernels want them. */
type Layout = 'last' | 'first'

const PY_RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  // nn.Module attributes and methods, and the generated module's own names.
  'training', 'forward', 'network', 'eval', 'train', 'to', 'cpu', 'cuda', 'float', 'double', 'half', 'type', 'apply', 'modules', 'children', 'parameters',
  'buffers', 'state_dict', 'load_state_dict', 'zero_grad', 'register_buffer', 'register_parameter', 'add_module', 'extra_repr', 'named_modules',
  'named_parameters', 'named_buffers', 'named_children', 'requires_grad_', 'dump_patches', 'share_memory', 'get_submodule', 'get_parameter',
  'get_buffer', 'input_offset', 'input_scale', 'takes_raw_inputs', 'bfloat16', 'ipu', 'xpu', 'register_module', 'call_super_init',
  // Names network() uses as locals or calls: the input, modules, builtins.
  'x', 'self', 'torch', 'F', 'nn', 'math', 'json', 'os', 'struct', 'sys', 'OrderedDict', 'int', 'len', 'range', 'min', 'max', 'list', 'tuple', 'slice', 'sum', 'print'
])

function pythonName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_]/g, '_')
  if (!base || /^[0-9]/.test(base)) base = `layer_${base}`
  if (base.startsWith('_')) base = `layer${base}`
  if (PY_RESERVED.has(base)) base = `${base}_layer`
  let candidate = base
  let n = 2
  while (taken.has(candidate)) candidate = `${base}_${n++}`
  taken.add(candidate)
  return candidate
}

const pyTuple = (values: number[]): string => (values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`)
const pyFloat = (value: number): string => (Number.isInteger(value) ? `${value}.0` : String(value))
const pyBool = (value: boolean): string => (value ? 'True' : 'False')
const pair = (value: unknown, fallback: [number, number]): [number, number] => {
  if (typeof value === 'number') return [value, value]
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])]
  return fallback
}
const one = (value: unknown, fallback: number): number => {
  if (typeof value === 'number') return value
  if (Array.isArray(value) && value.length === 1) return Number(value[0])
  return fallback
}
/** Keras's [[top, bottom], [left, right]] (or one integer, or one per axis). */
const sides = (value: unknown): [[number, number], [number, number]] => {
  if (typeof value === 'number') return [[value, value], [value, value]]
  if (Array.isArray(value) && value.length === 2) {
    const side = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)])
    return [side(value[0]), side(value[1])]
  }
  return [[0, 0], [0, 0]]
}

/** TensorFlow's 'same' padding for one spatial axis: [before, after] (before gets the smaller half). */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + effective - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/**
 * How a transposed convolution of tfjs (Keras) maps onto torch's ConvTranspose with padding 0 on one
 * axis: torch gives (size − 1)·stride + kernel + output_padding cells; Keras gives size·stride
 * ('same') or size·stride + max(kernel − stride, 0) ('valid'), the first `crop` cells cut off.
 */
export function transposedConvAxis(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): { output_padding: number; crop: number; out: number } {
  const outputPadding = Math.max(stride - kernel, 0)
  const out = padding === 'same' ? size * stride : size * stride + Math.max(kernel - stride, 0)
  const crop = padding === 'same' ? Math.floor(Math.max(kernel - stride, 0) / 2) : 0
  return { output_padding: outputPadding, crop, out }
}

/** Python helpers model.py includes when a layer needs them. */
type Helper = 'softplus' | 'channel_dropout' | 'resize_bilinear' | 'keras_recurrent' | 'keras_layer_norm' | 'batch_norm'

export interface TorchPlan {
  layout: TorchLayout
  /** Lines of `__init__` after super().__init__(), indented by the caller. */
  init: string[]
  /** Lines of `network(self, x)`, before `return <output>`. */
  forward: string[]
  /** The Python variable holding the model output (channels last). */
  output: string
  helpers: Set<Helper>
}

const refuse = (format: string, layer: ExportLayer, why: string): ExportRefusal =>
  new ExportRefusal(format, { index: layer.index, class_name: layer.class_name, name: layer.name }, `The ${format} export cannot hold layer ${layer.index + 1} "${layer.name}" (${layer.class_name}): ${why}. Remove or replace the layer, or choose another format.`)

/** One value flowing through network(): its Python variable per layout, rank without the batch axis. */
interface Value {
  rank: number
  home: Layout
  forms: Partial<Record<Layout, string>>
}

/** Torch axis of a Keras axis (1-based over the sample axes, batch 0) for a value laid out channels first. */
function firstAxis(kerasAxis: number, rank: number): number {
  return kerasAxis === rank ? 1 : kerasAxis + 1
}

/** Plans the module for `model` (its layers in topological order, each fed its inbound values); throws ExportRefusal for a layer it cannot express. */
export function planTorchModule(model: ExportModel, format: string): TorchPlan {
  const init: string[] = []
  const forward: string[] = []
  const layers: TorchLayerMap[] = []
  const taken = new Set<string>()
  const helpers = new Set<Helper>()
  const training = format === 'torch_job'
  const values = new Map<string, Value>([[MODEL_INPUT, { rank: model.input_shape.length, home: 'last', forms: { last: 'x' } }]])
  const emit = (line: string): void => {
    forward.push(line)
  }
  /** The value's variable in `want` layout, permuting once (and remembering it) when needed. */
  const as = (value: Value, want: Layout): string => {
    if (value.rank < 2) return value.forms[value.home]!
    const have = value.forms[want]
    if (have) return have
    const source = value.forms[value.home]!
    const name = pythonName(`${source}_${want === 'first' ? 'cf' : 'cl'}`, taken)
    const perm = value.rank === 2 ? '0, 2, 1' : want === 'first' ? '0, 3, 1, 2' : '0, 2, 3, 1'
    emit(`${name} = ${source}.permute(${perm})${want === 'first' ? '  # channels first for torch' : '  # channels last'}`)
    value.forms[want] = name
    return name
  }
  const act = (v: string, name: string, code: string): string => code.replace(/\bx\b/g, v).replace(/^/, `${name} = `)

  for (const layer of model.layers) {
    const c = layer.config
    const tensors: TorchTensorMap[] = []
    let module: string | null = null
    emit(pyText(`# ${layer.index + 1}: ${layer.class_name} "${layer.name}" ← ${layer.inbound.join(', ')} → [${layer.output_shape.join(', ')}]`))
    const inputs = layer.inbound.map((name) => {
      const found = values.get(name)
      if (!found) throw refuse(format, layer, `its input "${name}" comes later in the layer order or does not exist`)
      return found
    })
    const input = inputs[0]
    const out = pythonName(layer.name, taken)
    const outRank = layer.output_shape.length
    /** Sets the layer's output value: `variable` holds it in `layout`. */
    const produce = (layout: Layout, variable = out): void => {
      values.set(layer.name, { rank: outRank, home: outRank < 2 ? 'last' : layout, forms: { [outRank < 2 ? 'last' : layout]: variable } })
    }
    /** Applies the activation to `source` (default: the layer's own variable) into the layer's variable; returns the layout it leaves. */
    const activation = (name: unknown, layout: Layout, source = out): Layout => {
      const key = typeof name === 'string' ? name : 'linear'
      if (!(key in ACTIVATION_CODE)) throw refuse(format, layer, `the activation "${key}" has no PyTorch counterpart here`)
      const code = ACTIVATION_CODE[key]
      if (!code) {
        if (source !== out) emit(`${out} = ${source}`)
        return layout
      }
      let current = layout
      let from = source
      if (key === 'softmax' && layout === 'first' && outRank >= 2) {
        emit(`${out} = ${from}.permute(${outRank === 2 ? '0, 2, 1' : '0, 2, 3, 1'})  # softmax over the channels, channels last`)
        from = out
        current = 'last'
      }
      if (key === 'softplus') helpers.add('softplus')
      emit(act(from, out, code))
      return current
    }
    const weightAt = (keras: string, occurrence = 0): { tensor: ExportTensor; position: number } => {
      let seen = 0
      for (let position = 0; position < layer.weights.length; position++) {
        if (layer.weights[position].name !== keras) continue
        if (seen++ === occurrence) return { tensor: layer.weights[position], position }
      }
      throw refuse(format, layer, `its weight "${keras}" is missing from the trained model`)
    }
    /** Maps Keras weight `keras` (its `occurrence`-th) to state_dict `key`, permuting its axes (torch axis j ← Keras axis perm[j]) and reshaping. */
    const map = (keras: string, key: string, perm: number[] | null, torchShape?: number[], occurrence = 0, sumKeys?: string[]): TorchTensorMap => {
      const { tensor, position } = weightAt(keras, occurrence)
      const permuted = perm ? perm.map((axis) => tensor.shape[axis]) : [...tensor.shape]
      const entry: TorchTensorMap = {
        keras, position, keras_shape: [...tensor.shape], key, torch_shape: torchShape ?? permuted,
        transform: perm ? 'permute' : 'none', ...(perm ? { permute: perm } : {}), ...(sumKeys ? { sum_keys: sumKeys } : {})
      }
      tensors.push(entry)
      return entry
    }
    const needRank = (rank: number, what: string): void => {
      if (input.rank !== rank) throw refuse(format, layer, `its input [${layer.input_shape.join(', ')}] is not ${what}`)
    }

    switch (layer.class_name) {
      case 'Dense': {
        module = out
        const v = as(input, 'last')
        const kernel = weightAt('kernel').tensor
        const [inputs_, units] = kernel.shape as [number, number]
        const bias = c.use_bias !== false
        init.push(`self.${module} = nn.Linear(${inputs_}, ${units}, bias=${pyBool(bias)})`)
        map('kernel', `${module}.weight`, [1, 0])
        if (bias) map('bias', `${module}.bias`, null)
        emit(`${out} = self.${module}(${v})`)
        produce(activation(c.activation, 'last'))
        break
      }
      case 'Activation': {
        produce(activation(c.activation, input.home, input.forms[input.home]))
        break
      }
      case 'Dropout': {
        module = out
        const rate = Number(c.rate ?? 0)
        init.push(`self.${module} = nn.Dropout(p=${pyFloat(rate)})  # identity in eval mode`)
        emit(`${out} = self.${module}(${input.forms[input.home]!})`)
        produce(input.home)
        break
      }
      case 'SpatialDropout1D':
      case 'SpatialDropout2D': {
        // Whole channels dropped while training (one mask per sample and channel, as Keras's noise shape); identity in eval.
        needRank(layer.class_name === 'SpatialDropout1D' ? 2 : 3, layer.class_name === 'SpatialDropout1D' ? 'a sequence (timesteps, features)' : 'an image (height, width, channels)')
        helpers.add('channel_dropout')
        const rate = Number(c.rate ?? 0)
        emit(`${out} = _channel_dropout(${input.forms[input.home]!}, ${pyFloat(rate)}, self.training, ${input.home === 'first' ? 1 : -1})  # identity in eval mode`)
        produce(input.home)
        break
      }
      case 'GaussianNoise': {
        const stddev = Number(c.stddev ?? 0)
        const v = input.forms[input.home]!
        emit(`${out} = ${v} + torch.randn_like(${v}) * ${pyFloat(stddev)} if self.training else ${v}  # identity in eval mode`)
        produce(input.home)
        break
      }
      case 'Flatten': {
        emit(`${out} = torch.flatten(${as(input, 'last')}, 1)`)
        produce('last')
        break
      }
      case 'Reshape': {
        emit(`${out} = ${as(input, 'last')}.reshape((${as(input, 'last')}.shape[0],) + ${pyTuple(layer.output_shape)})`)
        produce('last')
        break
      }
      case 'BatchNormalization': {
        module = out
        helpers.add('batch_norm')
        const rank = layer.input_shape.length
        const raw = typeof c.axis === 'number' ? c.axis : -1
        const kerasAxis = raw < 0 ? rank + 1 + raw : raw
        if (kerasAxis < 1 || kerasAxis > rank) throw refuse(format, layer, `its axis ${raw} is not a feature axis of its input [${layer.input_shape.join(', ')}]`)
        const channels = layer.input_shape[kerasAxis - 1]
        const layout = input.rank >= 2 ? input.home : 'last'
        const torchAxis = layout === 'first' ? firstAxis(kerasAxis, rank) : kerasAxis
        const scale = c.scale !== false
        const center = c.center !== false
        const epsilon = Number(c.epsilon ?? 1e-3)
        const momentum = Number(c.momentum ?? 0.99)
        init.push(`self.${module} = KerasBatchNorm(${channels}, axis=${torchAxis}, epsilon=${pyFloat(epsilon)}, momentum=${pyFloat(momentum)}, scale=${pyBool(scale)}, center=${pyBool(center)})`)
        if (scale) map('gamma', `${module}.weight`, null)
        if (center) map('beta', `${module}.bias`, null)
        map('moving_mean', `${module}.running_mean`, null)
        map('moving_variance', `${module}.running_var`, null)
        emit(`${out} = self.${module}(${input.forms[layout]!})`)
        produce(layout)
        break
      }
      case 'LayerNormalization': {
        module = out
        helpers.add('keras_layer_norm')
        const rank = layer.input_shape.length
        const raw = typeof c.axis === 'number' ? c.axis : Array.isArray(c.axis) && c.axis.length === 1 ? Number(c.axis[0]) : NaN
        const kerasAxis = raw < 0 ? rank + 1 + raw : raw
        if (!(kerasAxis >= 1 && kerasAxis <= rank)) throw refuse(format, layer, `its axis ${JSON.stringify(c.axis)} is not one feature axis of its input [${layer.input_shape.join(', ')}]`)
        const features = layer.input_shape[kerasAxis - 1]
        const layout = input.rank >= 2 ? input.home : 'last'
        const torchAxis = layout === 'first' ? firstAxis(kerasAxis, rank) : kerasAxis
        const scale = c.scale !== false
        const center = c.center !== false
        init.push(`self.${module} = KerasLayerNorm(${features}, axis=${torchAxis}, epsilon=${pyFloat(Number(c.epsilon ?? 1e-3))}, scale=${pyBool(scale)}, center=${pyBool(center)})`)
        if (scale) map('gamma', `${module}.weight`, null)
        if (center) map('beta', `${module}.bias`, null)
        emit(`${out} = self.${module}(${input.forms[layout]!})`)
        produce(layout)
        break
      }
      case 'Add':
      case 'Subtract':
      case 'Multiply':
      case 'Average':
      case 'Maximum':
      case 'Minimum':
      case 'Concatenate': {
        if (inputs.length < 2) throw refuse(format, layer, `a merge takes two or more inputs, it has ${inputs.length}`)
        // All inputs in one layout: channels first when every input already has that form, else channels last.
        const layout: Layout = inputs.every((v) => v.rank >= 2 && v.forms.first !== undefined) ? 'first' : 'last'
        const vs = inputs.map((v) => as(v, layout))
        let expr: string
        switch (layer.class_name) {
          case 'Add': expr = vs.join(' + '); break
          case 'Subtract':
            if (vs.length !== 2) throw refuse(format, layer, `Subtract takes exactly two inputs, it has ${vs.length}`)
            expr = `${vs[0]} - ${vs[1]}`
            break
          case 'Multiply': expr = vs.join(' * '); break
          case 'Average': expr = `(${vs.join(' + ')}) * ${pyFloat(1 / vs.length)}`; break
          case 'Maximum': expr = vs.slice(1).reduce((acc, v) => `torch.maximum(${acc}, ${v})`, vs[0]); break
          case 'Minimum': expr = vs.slice(1).reduce((acc, v) => `torch.minimum(${acc}, ${v})`, vs[0]); break
          default: {
            const rank = outRank
            const raw = typeof c.axis === 'number' ? c.axis : -1
            const kerasAxis = raw < 0 ? rank + 1 + raw : raw
            if (kerasAxis < 1 || kerasAxis > rank) throw refuse(format, layer, `its axis ${raw} is not an axis of its inputs`)
            const dim = layout === 'first' ? firstAxis(kerasAxis, rank) : kerasAxis
            expr = `torch.cat([${vs.join(', ')}], dim=${dim})`
          }
        }
        emit(`${out} = ${expr}`)
        produce(layout)
        break
      }
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        needRank(3, 'an image (height, width, channels)')
        module = out
        const depthwise = layer.class_name !== 'Conv2D'
        const kernel = weightAt(depthwise ? 'depthwise_kernel' : 'kernel').tensor
        const [kh, kw, channels, last] = kernel.shape as [number, number, number, number]
        const strides = pair(c.strides, [1, 1])
        const dilation = pair(c.dilation_rate, [1, 1])
        const bias = c.use_bias !== false
        if (Number(c.groups ?? 1) !== 1) throw refuse(format, layer, 'grouped convolutions are not supported')
        let v = as(input, 'first')
        if (c.padding === 'same') {
          const [top, bottom] = samePadding(layer.input_shape[0], kh, strides[0], dilation[0])
          const [left, right] = samePadding(layer.input_shape[1], kw, strides[1], dilation[1])
          if (top + bottom + left + right > 0) {
            emit(`${out} = F.pad(${v}, (${left}, ${right}, ${top}, ${bottom}))  # Keras 'same'`)
            v = out
          }
        }
        const geometry = `kernel_size=(${kh}, ${kw}), stride=(${strides.join(', ')}), padding=0, dilation=(${dilation.join(', ')})`
        if (layer.class_name === 'Conv2D') {
          init.push(`self.${module} = nn.Conv2d(${channels}, ${last}, ${geometry}, bias=${pyBool(bias)})`)
          map('kernel', `${module}.weight`, [3, 2, 0, 1])
          if (bias) map('bias', `${module}.bias`, null)
        } else if (layer.class_name === 'DepthwiseConv2D') {
          // Keras (kh, kw, in, multiplier) → torch groups=in (in·multiplier, 1, kh, kw): output channel i·multiplier + m, as TensorFlow orders it.
          init.push(`self.${module} = nn.Conv2d(${channels}, ${channels * last}, ${geometry}, groups=${channels}, bias=${pyBool(bias)})`)
          map('depthwise_kernel', `${module}.weight`, [2, 3, 0, 1], [channels * last, 1, kh, kw])
          if (bias) map('bias', `${module}.bias`, null)
        } else {
          const pointwise = weightAt('pointwise_kernel').tensor
          const filters = pointwise.shape[3]
          init.push(`self.${module} = nn.Sequential(OrderedDict([`)
          init.push(`    ('depthwise', nn.Conv2d(${channels}, ${channels * last}, ${geometry}, groups=${channels}, bias=False)),`)
          init.push(`    ('pointwise', nn.Conv2d(${channels * last}, ${filters}, kernel_size=(1, 1), bias=${pyBool(bias)})),`)
          init.push(`]))`)
          map('depthwise_kernel', `${module}.depthwise.weight`, [2, 3, 0, 1], [channels * last, 1, kh, kw])
          map('pointwise_kernel', `${module}.pointwise.weight`, [3, 2, 0, 1])
          if (bias) map('bias', `${module}.pointwise.bias`, null)
        }
        emit(`${out} = self.${module}(${v})`)
        produce(activation(c.activation, 'first'))
        break
      }
      case 'Conv2DTranspose': {
        needRank(3, 'an image (height, width, channels)')
        module = out
        const kernel = weightAt('kernel').tensor
        const [kh, kw, filters, channels] = kernel.shape as [number, number, number, number]
        const strides = pair(c.strides, [1, 1])
        const dilation = pair(c.dilation_rate, [1, 1])
        if (dilation[0] !== 1 || dilation[1] !== 1) throw refuse(format, layer, 'a dilated transposed convolution is not computed by tfjs, so there is nothing to match')
        const padding = c.padding === 'same' ? 'same' : 'valid'
        const rows = transposedConvAxis(layer.input_shape[0], kh, strides[0], padding)
        const cols = transposedConvAxis(layer.input_shape[1], kw, strides[1], padding)
        const bias = c.use_bias !== false
        init.push(`self.${module} = nn.ConvTranspose2d(${channels}, ${filters}, kernel_size=(${kh}, ${kw}), stride=(${strides.join(', ')}), padding=0, output_padding=(${rows.output_padding}, ${cols.output_padding}), bias=${pyBool(bias)})`)
        // Keras (kh, kw, out, in) → torch (in, out, kh, kw).
        map('kernel', `${module}.weight`, [3, 2, 0, 1])
        if (bias) map('bias', `${module}.bias`, null)
        emit(`${out} = self.${module}(${as(input, 'first')})`)
        const full = [(layer.input_shape[0] - 1) * strides[0] + kh + rows.output_padding, (layer.input_shape[1] - 1) * strides[1] + kw + cols.output_padding]
        if (rows.crop !== 0 || cols.crop !== 0 || full[0] !== rows.out || full[1] !== cols.out) {
          emit(`${out} = ${out}[:, :, ${rows.crop}:${rows.crop + rows.out}, ${cols.crop}:${cols.crop + cols.out}]  # Keras '${padding}' output size`)
        }
        produce(activation(c.activation, 'first'))
        break
      }
      case 'Conv1D': {
        needRank(2, 'a sequence (timesteps, features)')
        module = out
        const kernel = weightAt('kernel').tensor
        const [k, channels, filters] = kernel.shape as [number, number, number]
        const stride = one(c.strides, 1)
        const dilation = one(c.dilation_rate, 1)
        const bias = c.use_bias !== false
        if (c.padding === 'causal') throw refuse(format, layer, "'causal' padding is not computed by tfjs, so there is nothing to match")
        if (Number(c.groups ?? 1) !== 1) throw refuse(format, layer, 'grouped convolutions are not supported')
        let v = as(input, 'first')
        if (c.padding === 'same') {
          const [left, right] = samePadding(layer.input_shape[0], k, stride, dilation)
          if (left + right > 0) {
            emit(`${out} = F.pad(${v}, (${left}, ${right}))  # Keras 'same'`)
            v = out
          }
        }
        init.push(`self.${module} = nn.Conv1d(${channels}, ${filters}, kernel_size=${k}, stride=${stride}, padding=0, dilation=${dilation}, bias=${pyBool(bias)})`)
        // Keras (k, in, out) → torch (out, in, k).
        map('kernel', `${module}.weight`, [2, 1, 0])
        if (bias) map('bias', `${module}.bias`, null)
        emit(`${out} = self.${module}(${v})`)
        produce(activation(c.activation, 'first'))
        break
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D':
      case 'MaxPooling1D':
      case 'AveragePooling1D': {
        const twoD = layer.class_name.endsWith('2D')
        needRank(twoD ? 3 : 2, twoD ? 'an image (height, width, channels)' : 'a sequence (timesteps, features)')
        const size = twoD ? pair(c.pool_size, [2, 2]) : [one(c.pool_size, 2)]
        const strides = c.strides === null || c.strides === undefined ? size : twoD ? pair(c.strides, size as [number, number]) : [one(c.strides, size[0])]
        const v = as(input, 'first')
        const max = layer.class_name.startsWith('Max')
        const op = `F.${max ? 'max' : 'avg'}_pool${twoD ? 2 : 1}d`
        const args = twoD ? `kernel_size=(${size.join(', ')}), stride=(${strides.join(', ')})` : `kernel_size=${size[0]}, stride=${strides[0]}`
        let pad: string | null = null
        if (c.padding === 'same') {
          const padsPerAxis = size.map((s, axis) => samePadding(layer.input_shape[axis], s, strides[axis]))
          // F.pad lists the last axis first.
          const flat = [...padsPerAxis].reverse().flat()
          if (flat.some((p) => p > 0)) pad = `(${flat.join(', ')})`
        }
        if (!pad) emit(`${out} = ${op}(${v}, ${args})`)
        else if (max) emit(`${out} = ${op}(F.pad(${v}, ${pad}, value=float('-inf')), ${args})  # Keras 'same'`)
        else {
          // Keras's 'same' average leaves the padded cells out of each window's count.
          const ones = `torch.ones_like(${v}[:1, :1])`
          emit(`${out} = ${op}(F.pad(${v}, ${pad}), ${args}) / ${op}(F.pad(${ones}, ${pad}), ${args})  # Keras 'same': padded cells not counted`)
        }
        produce('first')
        break
      }
      case 'GlobalAveragePooling1D':
      case 'GlobalMaxPooling1D':
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const twoD = layer.class_name.endsWith('2D')
        needRank(twoD ? 3 : 2, twoD ? 'an image (height, width, channels)' : 'a sequence (timesteps, features)')
        const layout = input.home
        const v = input.forms[layout]!
        const dims = twoD ? (layout === 'first' ? '(2, 3)' : '(1, 2)') : layout === 'first' ? '2' : '1'
        emit(`${out} = ${layer.class_name.startsWith('GlobalAverage') ? `${v}.mean(dim=${dims})` : `torch.amax(${v}, dim=${dims})`}`)
        produce('last')
        break
      }
      case 'UpSampling2D': {
        needRank(3, 'an image (height, width, channels)')
        const size = pair(c.size, [2, 2])
        if (c.interpolation === 'bilinear') {
          // tfjs resizes with align_corners=False and half_pixel_centers=False (source = target · in / out), which F.interpolate has no mode for.
          helpers.add('resize_bilinear')
          emit(`${out} = _resize_bilinear(${as(input, 'first')}, ${layer.output_shape[0]}, ${layer.output_shape[1]})  # tfjs: align_corners=False, half_pixel_centers=False`)
          produce('first')
        } else if (c.interpolation === undefined || c.interpolation === 'nearest') {
          const layout = input.home
          const [h, w] = layout === 'first' ? [2, 3] : [1, 2]
          emit(`${out} = ${input.forms[layout]!}.repeat_interleave(${size[0]}, dim=${h}).repeat_interleave(${size[1]}, dim=${w})  # nearest`)
          produce(layout)
        } else throw refuse(format, layer, `the interpolation "${String(c.interpolation)}" is not one tfjs computes`)
        break
      }
      case 'ZeroPadding2D': {
        needRank(3, 'an image (height, width, channels)')
        const [[top, bottom], [left, right]] = sides(c.padding)
        const layout = input.home
        const pads = layout === 'first' ? `(${left}, ${right}, ${top}, ${bottom})` : `(0, 0, ${left}, ${right}, ${top}, ${bottom})`
        emit(`${out} = F.pad(${input.forms[layout]!}, ${pads})`)
        produce(layout)
        break
      }
      case 'Cropping2D': {
        needRank(3, 'an image (height, width, channels)')
        const [[top, bottom], [left, right]] = sides(c.cropping)
        const [h, w] = layer.input_shape
        const layout = input.home
        const rows = `${top}:${h - bottom}`
        const cols = `${left}:${w - right}`
        emit(`${out} = ${input.forms[layout]!}${layout === 'first' ? `[:, :, ${rows}, ${cols}]` : `[:, ${rows}, ${cols}, :]`}`)
        produce(layout)
        break
      }
      case 'Embedding': {
        module = out
        const table = weightAt('embeddings').tensor
        const [vocabulary, size] = table.shape as [number, number]
        if (c.mask_zero === true) throw refuse(format, layer, 'masking (mask_zero) is not carried through the model')
        init.push(`self.${module} = nn.Embedding(${vocabulary}, ${size})`)
        map('embeddings', `${module}.weight`, null)
        // tfjs casts the ids to int32 (truncating), as .long() does.
        emit(`${out} = self.${module}(${input.forms[input.home]!}.long())`)
        produce('last')
        break
      }
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU':
      case 'Bidirectional': {
        needRank(2, 'a sequence (timesteps, features)')
        module = out
        const bidirectional = layer.class_name === 'Bidirectional'
        const wrapped = bidirectional ? (c.layer as { class_name?: unknown; config?: Record<string, unknown> } | undefined) : undefined
        const className = bidirectional ? String(wrapped?.class_name) : layer.class_name
        if (!['SimpleRNN', 'LSTM', 'GRU'].includes(className)) throw refuse(format, layer, `it wraps ${className}, not SimpleRNN, LSTM or GRU`)
        const rc = bidirectional ? fullConfig({ class_name: className, config: wrapped?.config ?? {} }, `${layer.name}_inner`) : c
        const mergeMode = bidirectional ? String(c.merge_mode ?? 'concat') : null
        if (mergeMode !== null && !['concat', 'sum', 'mul', 'ave'].includes(mergeMode)) throw refuse(format, layer, `the merge mode "${mergeMode}" is not one of concat, sum, mul, ave`)
        const units = Number(rc.units)
        const features = layer.input_shape[1]
        const bias = rc.use_bias !== false
        const activationName = String(rc.activation ?? 'tanh')
        const recurrentActivation = String(rc.recurrent_activation ?? 'sigmoid')
        for (const key of ['go_backwards', 'stateful', 'return_state'] as const) {
          if (rc[key] === true) throw refuse(format, layer, `${key} is not supported`)
        }
        for (const name of [activationName, recurrentActivation]) {
          if (!(name in ACTIVATION_CODE)) throw refuse(format, layer, `the activation "${name}" has no PyTorch counterpart here`)
        }
        const inputDropout = Number(rc.dropout ?? 0)
        if (training && Number(rc.recurrent_dropout ?? 0) > 0) throw refuse(format, layer, "its recurrent dropout cannot be reproduced by torch's recurrent layers; set recurrent dropout to 0 or export the model only (PyTorch format)")
        const directions = bidirectional ? ['', '_reverse'] : ['']
        const flag = bidirectional ? ', bidirectional=True' : ''
        // nn.LSTM / nn.RNN where they compute what tfjs does; else KerasRecurrent runs the steps: tfjs's GRU is Keras's
        // reset_after=False (the reset gate before the recurrent matmul, nn.GRU applies it after), and other activations.
        const native = (className === 'LSTM' && activationName === 'tanh' && recurrentActivation === 'sigmoid') || (className === 'SimpleRNN' && ['tanh', 'relu'].includes(activationName))
        if (className === 'LSTM' && native) init.push(`self.${module} = nn.LSTM(${features}, ${units}, batch_first=True, bias=${pyBool(bias)}${flag})`)
        else if (native) init.push(`self.${module} = nn.RNN(${features}, ${units}, nonlinearity='${activationName}', batch_first=True, bias=${pyBool(bias)}${flag})`)
        else {
          helpers.add('keras_recurrent')
          helpers.add('softplus')
          const gates = className === 'LSTM' ? 'gates i, f, c, o' : className === 'GRU' ? 'Keras reset_after=False, gates z, r, h' : 'no gates'
          init.push(`self.${module} = KerasRecurrent('${className}', ${features}, ${units}, bias=${pyBool(bias)}${flag}, activation='${activationName}', recurrent_activation='${recurrentActivation}')  # ${gates}`)
        }
        directions.forEach((suffix, d) => {
          // Keras's kernel (in, g·u) and recurrent kernel (u, g·u) are transposed to torch's (g·u, in) and (g·u, u); LSTM gates i, f, c, o are torch's i, f, g, o.
          map('kernel', `${module}.weight_ih_l0${suffix}`, [1, 0], undefined, d)
          map('recurrent_kernel', `${module}.weight_hh_l0${suffix}`, [1, 0], undefined, d)
          if (!bias) return
          if (!native) map('bias', `${module}.bias_ih_l0${suffix}`, null, undefined, d)
          else {
            // Keras has one bias; torch adds bias_ih and bias_hh: the bias goes in bias_ih, bias_hh is zero and stays so.
            map('bias', `${module}.bias_ih_l0${suffix}`, null, undefined, d, [`${module}.bias_hh_l0${suffix}`])
            init.push(`self.${module}.bias_hh_l0${suffix}.requires_grad_(False)  # Keras has one bias (in bias_ih); this stays zero`)
          }
        })
        let v = as(input, 'last')
        if (inputDropout > 0) {
          // Keras's input dropout: one mask per sample over all time steps; identity in eval mode.
          helpers.add('channel_dropout')
          emit(`${out} = _channel_dropout(${v}, ${pyFloat(inputDropout)}, self.training, -1)  # input dropout`)
          v = out
        }
        const sequences = rc.return_sequences === true
        const stateVar = pythonName(`${out}_state`, taken)
        const state = className === 'LSTM' && native ? `${stateVar}[0]` : stateVar
        emit(`${out}, ${stateVar} = self.${module}(${v})`)
        if (!sequences) {
          // The last step's output is the final hidden state; for the backward direction that is the state after t = 0.
          if (!bidirectional) emit(`${out} = ${state}[0]`)
          else emit(`${out} = ${mergeDirections(mergeMode!, `${state}[0]`, `${state}[1]`)}`)
        } else if (bidirectional && mergeMode !== 'concat') {
          emit(`${out} = ${mergeDirections(mergeMode!, `${out}[..., :${units}]`, `${out}[..., ${units}:]`)}`)
        }
        produce('last')
        break
      }
      default:
        throw refuse(format, layer, `PyTorch export supports ${[...TORCH_LAYER_CLASSES].join(', ')}`)
    }
    layers.push({ index: layer.index, class_name: layer.class_name, name: layer.name, module, tensors })
  }
  const last = model.layers.at(-1)
  const outputValue = values.get(last?.name ?? MODEL_INPUT)!
  const output = as(outputValue, 'last')
  return {
    layout: { format: 'model-workbench/torch-layout', version: 2, input_shape: [...model.input_shape], output_shape: [...model.output_shape], scaling: model.scaling !== null, layers },
    init,
    forward,
    output,
    helpers
  }
}

/** Bidirectional's merge of the forward and backward outputs, as Keras's merge_mode. */
function mergeDirections(mode: string, forward: string, backward: string): string {
  switch (mode) {
    case 'sum': return `${forward} + ${backward}`
    case 'mul': return `${forward} * ${backward}`
    case 'ave': return `(${forward} + ${backward}) * 0.5`
    default: return `torch.cat([${forward}, ${backward}], dim=-1)`
  }
}

/** The axis permutation of a tensor map (torch axis j ← Keras axis perm[j]), or null for 'none'. */
function permutationOf(map: TorchTensorMap): number[] | null {
  switch (map.transform) {
    case 'dense': return [1, 0]
    case 'conv2d': return [3, 2, 0, 1]
    case 'permute': return map.permute ?? null
    default: return null
  }
}

/** For each element of the permuted (torch-ordered) tensor, its row-major position in the Keras tensor. */
function permutedPositions(kerasShape: number[], perm: number[]): Int32Array {
  const rank = kerasShape.length
  const kerasStrides = new Array<number>(rank).fill(1)
  for (let a = rank - 2; a >= 0; a--) kerasStrides[a] = kerasStrides[a + 1] * kerasShape[a + 1]
  const shape = perm.map((a) => kerasShape[a])
  const strides = perm.map((a) => kerasStrides[a])
  const total = kerasShape.reduce((a, b) => a * b, 1)
  const positions = new Int32Array(total)
  const index = new Array<number>(rank).fill(0)
  let source = 0
  for (let i = 0; i < total; i++) {
    positions[i] = source
    // Odometer over the torch shape, last axis fastest.
    for (let j = rank - 1; j >= 0; j--) {
      index[j]++
      source += strides[j]
      if (index[j] < shape[j]) break
      source -= strides[j] * shape[j]
      index[j] = 0
    }
  }
  return positions
}

/** Keras layout → torch layout for one tensor. */
export function toTorchLayout(map: TorchTensorMap, data: Float32Array): Float32Array {
  const perm = permutationOf(map)
  if (!perm) return Float32Array.from(data)
  const positions = permutedPositions(map.keras_shape, perm)
  const out = new Float32Array(data.length)
  for (let i = 0; i < out.length; i++) out[i] = data[positions[i]]
  return out
}

/** torch layout → Keras layout for one tensor (the inverse of toTorchLayout). */
export function toKerasLayout(map: TorchTensorMap, data: Float32Array): Float32Array {
  const perm = permutationOf(map)
  if (!perm) return Float32Array.from(data)
  const positions = permutedPositions(map.keras_shape, perm)
  const out = new Float32Array(data.length)
  for (let i = 0; i < data.length; i++) out[positions[i]] = data[i]
  return out
}

/** The Keras weight a tensor map takes from a layer's weights: by position where the layout has it (names repeat in Bidirectional), else by name. */
function kerasWeight(map: TorchTensorMap, weights: ExportTensor[]): ExportTensor | undefined {
  if (map.position !== undefined) {
    const at = weights[map.position]
    if (at && at.name === map.keras) return at
  }
  return weights.find((w) => w.name === map.keras)
}

/**
 * The state_dict tensors in module order: the scaling buffers, then each layer's. `weights`
 * replaces the model's own per ExportLayer.index (the torch job's initial weights).
 */
export function stateTensors(model: ExportModel, plan: TorchPlan, format: string, weights?: Map<number, ExportTensor[]>): NamedTensor[] {
  const out: NamedTensor[] = []
  if (model.scaling) {
    checkScalingSize(format, `The ${format} export`, model.input_shape, model.scaling)
    out.push({ name: 'input_offset', shape: [...model.input_shape], data: Float32Array.from(model.scaling.offset) })
    out.push({ name: 'input_scale', shape: [...model.input_shape], data: Float32Array.from(model.scaling.scale) })
  }
  for (const map of plan.layout.layers) {
    const layer = model.layers.find((l) => l.index === map.index)!
    const source = weights?.get(map.index) ?? layer.weights
    for (const t of map.tensors) {
      const tensor = kerasWeight(t, source)
      if (!tensor) throw new Error(`layer ${map.index + 1} "${map.name}" has no weight "${t.keras}"`)
      const expected = t.keras_shape.reduce((a, b) => a * b, 1)
      if (tensor.data.length !== expected) throw new Error(`layer ${map.index + 1} "${map.name}": weight "${t.keras}" has ${tensor.data.length} values, expected [${t.keras_shape.join(', ')}]`)
      out.push({ name: t.key, shape: t.torch_shape, data: toTorchLayout(t, tensor.data) })
      for (const key of t.sum_keys ?? []) out.push({ name: key, shape: t.torch_shape, data: new Float32Array(expected) })
    }
  }
  return out
}

const SAFETENSORS_READER = `
_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
           'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def read_safetensors(path):
    """Reads a .safetensors file with the standard library and torch: (tensors by name, metadata)."""
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length].decode('utf-8'))
    metadata = header.pop('__metadata__', None) or {}
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        start, end = info['data_offsets']
        dtype = _DTYPES[info['dtype']]
        raw = bytearray(data[base + start:base + end])
        if len(raw) == 0:
            tensor = torch.zeros(info['shape'], dtype=dtype)
        else:
            tensor = torch.frombuffer(raw, dtype=dtype)
            if sys.byteorder != 'little' and tensor.element_size() > 1:
                tensor = torch.from_numpy(tensor.numpy().byteswap())
            tensor = tensor.reshape(info['shape'])
        tensors[name] = tensor
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 tensors (in the given order) as a .safetensors file, atomically."""
    header = {}
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        t = tensor.detach().to('cpu', torch.float32).contiguous()
        blob = t.numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
`

const PY_HELPERS: Record<Helper, string> = {
  softplus: `
# tfjs's softplus: x above 13.94 (float32 epsilon bound), exp(x) below -13.94, else log(1 + exp(x)).
_SOFTPLUS_BOUND = -(math.log(1.1920928955078125e-07) + 2.0)


def _softplus(x):
    e = torch.exp(torch.clamp(x, max=_SOFTPLUS_BOUND))
    return torch.where(x > _SOFTPLUS_BOUND, x, torch.where(x < -_SOFTPLUS_BOUND, e, torch.log1p(e)))
`,
  channel_dropout: `

def _channel_dropout(x, p, training, channel_dim):
    """Keras's SpatialDropout and recurrent input dropout: one mask per sample and channel, shared over the other axes; identity in eval mode."""
    if not training or p <= 0:
        return x
    shape = [1] * x.dim()
    shape[0] = x.shape[0]
    shape[channel_dim] = x.shape[channel_dim]
    return x * F.dropout(torch.ones(shape, dtype=x.dtype, device=x.device), p, True)
`,
  resize_bilinear: `

def _resize_bilinear(x, out_h, out_w):
    """tfjs's resizeBilinear on NCHW with align_corners=False and half_pixel_centers=False:
    target cell t reads source t * in / out (F.interpolate's modes place the cells otherwise)."""

    def axis(size_in, size_out):
        source = torch.arange(size_out, dtype=torch.float64, device=x.device) * (size_in / size_out)
        low = torch.floor(source).long()
        high = torch.clamp(low + 1, max=size_in - 1)
        return low, high, (source - low.double()).to(x.dtype)

    r0, r1, fr = axis(x.shape[2], out_h)
    c0, c1, fc = axis(x.shape[3], out_w)
    fc = fc.reshape(1, 1, 1, -1)
    top = x[:, :, r0][:, :, :, c0] + (x[:, :, r0][:, :, :, c1] - x[:, :, r0][:, :, :, c0]) * fc
    bottom = x[:, :, r1][:, :, :, c0] + (x[:, :, r1][:, :, :, c1] - x[:, :, r1][:, :, :, c0]) * fc
    return top + (bottom - top) * fr.reshape(1, 1, -1, 1)
`,
  batch_norm: `

class KerasBatchNorm(nn.Module):
    """Keras's BatchNormalization on any axis: moving statistics in eval mode; in training, batch
    statistics (biased variance, as tfjs) and moving = moving * momentum + batch * (1 - momentum)."""

    def __init__(self, channels, axis, epsilon, momentum, scale=True, center=True):
        super().__init__()
        self.axis = axis
        self.epsilon = epsilon
        self.momentum = momentum
        if scale:
            self.weight = nn.Parameter(torch.ones(channels))
        else:
            self.register_parameter('weight', None)
        if center:
            self.bias = nn.Parameter(torch.zeros(channels))
        else:
            self.register_parameter('bias', None)
        self.register_buffer('running_mean', torch.zeros(channels))
        self.register_buffer('running_var', torch.ones(channels))

    def forward(self, x):
        shape = [1] * x.dim()
        shape[self.axis] = -1
        if self.training:
            dims = [d for d in range(x.dim()) if d != self.axis]
            mean = x.mean(dim=dims)
            var = ((x - mean.reshape(shape)) ** 2).mean(dim=dims)
            with torch.no_grad():
                self.running_mean.mul_(self.momentum).add_(mean.detach() * (1.0 - self.momentum))
                self.running_var.mul_(self.momentum).add_(var.detach() * (1.0 - self.momentum))
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + self.epsilon)
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y
`,
  keras_layer_norm: `

class KerasLayerNorm(nn.Module):
    """Keras's LayerNormalization over one axis: (x - mean) / sqrt(var + epsilon) * gamma + beta, per sample, biased variance."""

    def __init__(self, features, axis, epsilon, scale=True, center=True):
        super().__init__()
        self.axis = axis
        self.epsilon = epsilon
        if scale:
            self.weight = nn.Parameter(torch.ones(features))
        else:
            self.register_parameter('weight', None)
        if center:
            self.bias = nn.Parameter(torch.zeros(features))
        else:
            self.register_parameter('bias', None)

    def forward(self, x):
        if self.axis == x.dim() - 1:
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.epsilon)
        shape = [1] * x.dim()
        shape[self.axis] = -1
        mean = x.mean(dim=self.axis, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=self.axis, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.epsilon)
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y
`,
  keras_recurrent: `

_ACTIVATIONS = {${Object.entries(ACTIVATION_CODE).map(([name, code]) => `'${name}': lambda x: ${code ?? 'x'}`).join(', ')}}


class KerasRecurrent(nn.Module):
    """SimpleRNN, LSTM or GRU step by step as tfjs (Keras) computes them, batch first, for what
    nn.RNN / nn.LSTM / nn.GRU do not compute: Keras's GRU reset_after=False (the reset gate before
    the recurrent matmul; nn.GRU applies it after) and other activations. With a = activation,
    s = recurrent_activation, xw = x W + b, hu = h U (gate columns in Keras's order):
    SimpleRNN h = a(xw + hu); LSTM i, f, o = s(.), c = f * c + i * a(xw_c + hu_c), h = o * a(c);
    GRU z, r = s(.), hh = a(xw_h + (r * h) U_h), h = z * h + (1 - z) * hh.
    One bias per direction (bias_ih_l0), as Keras has; returns (outputs, h_n) like nn.RNN."""

    GATES = {'SimpleRNN': 1, 'LSTM': 4, 'GRU': 3}

    def __init__(self, cell, input_size, hidden_size, bias=True, bidirectional=False, activation='tanh', recurrent_activation='sigmoid'):
        super().__init__()
        self.cell = cell
        self.hidden_size = hidden_size
        self.activation = _ACTIVATIONS[activation]
        self.recurrent_activation = _ACTIVATIONS[recurrent_activation]
        self.directions = [''] + (['_reverse'] if bidirectional else [])
        size = self.GATES[cell] * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        for suffix in self.directions:
            self.register_parameter('weight_ih_l0' + suffix, nn.Parameter(torch.empty(size, input_size).uniform_(-bound, bound)))
            self.register_parameter('weight_hh_l0' + suffix, nn.Parameter(torch.empty(size, hidden_size).uniform_(-bound, bound)))
            self.register_parameter('bias_ih_l0' + suffix, nn.Parameter(torch.zeros(size)) if bias else None)

    def _direction(self, x, suffix):
        u = self.hidden_size
        a, s = self.activation, self.recurrent_activation
        projected = F.linear(x, getattr(self, 'weight_ih_l0' + suffix), getattr(self, 'bias_ih_l0' + suffix))
        w_hh = getattr(self, 'weight_hh_l0' + suffix)
        h = x.new_zeros(x.shape[0], u)
        c = x.new_zeros(x.shape[0], u)
        outputs = []
        steps = range(x.shape[1] - 1, -1, -1) if suffix else range(x.shape[1])
        for t in steps:
            xw = projected[:, t]
            if self.cell == 'SimpleRNN':
                h = a(xw + F.linear(h, w_hh))
            elif self.cell == 'LSTM':
                i, f, g, o = (xw + F.linear(h, w_hh)).split(u, dim=-1)
                c = s(f) * c + s(i) * a(g)
                h = s(o) * a(c)
            else:
                x_z, x_r, x_h = xw.split(u, dim=-1)
                u_z, u_r, u_h = w_hh.split(u, dim=0)
                z = s(x_z + F.linear(h, u_z))
                r = s(x_r + F.linear(h, u_r))
                h = z * h + (1 - z) * a(x_h + F.linear(r * h, u_h))
            outputs.append(h)
        if suffix:
            outputs.reverse()  # the backward outputs in input time order, as Keras's Bidirectional gives them
        return torch.stack(outputs, dim=1), h

    def forward(self, x):
        results = [self._direction(x, suffix) for suffix in self.directions]
        return torch.cat([r[0] for r in results], dim=-1), torch.stack([r[1] for r in results], dim=0)
`
}

/** Text safe inside a Python triple-quoted string or a comment: no backslashes, quote triples or line breaks. */
function pyText(text: string): string {
  return text.replace(/\\/g, '/').replace(/"""/g, "'''").replace(/[\r\n\u2028\u2029]+/g, ' ')
}

/** model.py: the module, its safetensors reader/writer and load_model(). */
export function modelPy(model: ExportModel, plan: TorchPlan, options: { weightsFile?: string; note?: string } = {}): string {
  const weightsFile = options.weightsFile ?? 'model.safetensors'
  const indent = (lines: string[], n: number): string => lines.map((l) => ' '.repeat(n) + l).join('\n')
  const scaling = model.scaling !== null
  const init = [...(scaling ? [
    '# The data set\'s scaling, applied first: model_input = (raw - input_offset) * input_scale.',
    `self.register_buffer('input_offset', torch.zeros(INPUT_SHAPE))`,
    `self.register_buffer('input_scale', torch.ones(INPUT_SHAPE))`
  ] : []), ...plan.init]
  const docName = pyText(model.spec.name)
  return `"""${docName}: a PyTorch rebuild of a Model Workbench model (generated; torch 1.13+).

Run ${pyText(model.meta.run_id)} (${pyText(model.meta.run_name)}), ${model.meta.weights} weights${model.meta.epoch !== null ? ` of epoch ${model.meta.epoch}` : ''}.
${options.note ? pyText(options.note) + '\n' : ''}
    from model import load_model
    model = load_model()            # eval mode, weights from ${weightsFile} beside this file
    y = model(torch.tensor(rows))   # rows: [batch, ${model.input_shape.join(', ')}] (or flat [batch, ${model.input_shape.reduce((a, b) => a * b, 1)}]), RAW values

The input is channels-last (NHWC) like the app's; ${scaling ? "the data set's scaling is applied inside (buffers input_offset / input_scale), so feed raw values" : 'the model takes its inputs as they are'}.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F
from collections import OrderedDict  # noqa: F401  (SeparableConv2D's two convolutions)
from torch import nn

INPUT_SHAPE = ${pyTuple(model.input_shape)}
OUTPUT_SHAPE = ${pyTuple(model.output_shape)}
WEIGHTS_FILE = ${JSON.stringify(weightsFile)}
${(['softplus', 'channel_dropout', 'resize_bilinear', 'batch_norm', 'keras_layer_norm', 'keras_recurrent'] as const).filter((h) => plan.helpers.has(h)).map((h) => PY_HELPERS[h]).join('')}

class Model(nn.Module):
    """${docName}: input [batch, ${model.input_shape.join(', ')}] → output [batch, ${model.output_shape.join(', ')}]."""

    def __init__(self):
        super().__init__()
        # False: forward() takes already-scaled model inputs (the training job's data).
        self.takes_raw_inputs = True
${indent(init, 8)}

    def forward(self, x):
        x = x.to(torch.float32).reshape((x.shape[0],) + INPUT_SHAPE)
${scaling ? '        if self.takes_raw_inputs:\n            x = (x - self.input_offset) * self.input_scale\n' : ''}        return self.network(x)

    def network(self, x):
        """The spec's layers in graph order, on model inputs (after scaling), channels last; one variable per layer."""
${indent(plan.forward, 8)}
        return ${plan.output}
${SAFETENSORS_READER}

def load_model(folder=None, weights=None):
    """The model in eval mode with its weights (load_state_dict(strict=True)) from folder/WEIGHTS_FILE."""
    folder = folder if folder is not None else os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(folder, weights or WEIGHTS_FILE)
    tensors, _ = read_safetensors(path)
    model = Model()
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return model


if __name__ == '__main__':
    m = load_model()
    print(m)
    print('parameters:', sum(p.numel() for p in m.parameters()))
`
}

/** Keras-layout weights per spec layer index from a state dict read back (the importer's inverse mapping; summed keys added in). */
export function kerasWeightsFromState(layout: TorchLayout, tensors: Map<string, NamedTensor>): Map<number, ExportTensor[]> {
  const out = new Map<number, ExportTensor[]>()
  const take = (key: string, t: TorchTensorMap, layer: TorchLayerMap): Float32Array => {
    const found = tensors.get(key)
    if (!found) throw new Error(`the weights file has no "${key}" (layer ${layer.index + 1} "${layer.name}", ${t.keras})`)
    const expected = t.torch_shape.reduce((a, b) => a * b, 1)
    if (found.data.length !== expected) throw new Error(`"${key}" has shape [${found.shape.join(', ')}], expected [${t.torch_shape.join(', ')}]`)
    return found.data
  }
  for (const layer of layout.layers) {
    const weights: ExportTensor[] = []
    for (const t of layer.tensors) {
      let data = take(t.key, t, layer)
      if (t.sum_keys?.length) {
        data = Float32Array.from(data)
        for (const key of t.sum_keys) {
          const more = take(key, t, layer)
          for (let i = 0; i < data.length; i++) data[i] += more[i]
        }
      }
      weights.push({ name: t.keras, shape: [...t.keras_shape], data: toKerasLayout(t, data) })
    }
    out.set(layer.index, weights)
  }
  return out
}
