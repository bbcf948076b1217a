// Generates a self-contained PyTorch `model.py` (an nn.Module rebuilt from the spec) and maps the
// app's Keras-layout weights to its state_dict and back. Shared by the pytorch and torch-job
// formats and by the torch-job importer.
//
// Layout: the module takes what the app takes, [batch, *input_shape] (or flat [batch, features]),
// channels last. Activations stay NHWC between layers; a Conv2D or pooling layer permutes to NCHW
// for torch's kernels and the generator permutes back only where the order matters (Flatten,
// Reshape, Dense, softmax, the output), so a Flatten after convolutions yields Keras's NHWC order
// and the Dense kernel that follows lines up.
import { ExportRefusal, type ExportLayer, type ExportModel, type ExportTensor } from '../types'
import type { NamedTensor } from './safetensors'

/** How one Keras weight becomes one state_dict entry. */
export interface TorchTensorMap {
  /** Keras's variable name (kernel, bias, gamma, …). */
  keras: string
  keras_shape: number[]
  /** The state_dict key. */
  key: string
  torch_shape: number[]
  /** dense: (in, out) → (out, in); conv2d: (kh, kw, in, out) → (out, in, kh, kw); none: as is. */
  transform: 'none' | 'dense' | 'conv2d'
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
  version: 1
  input_shape: number[]
  output_shape: number[]
  scaling: boolean
  layers: TorchLayerMap[]
}

export const LAYOUT_METADATA_KEY = 'model_workbench_layout'

/** The layer classes model.py can rebuild. */
export const TORCH_LAYER_CLASSES = new Set(['Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D'])

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

/** Whether model.py can rebuild the layer (class and activation). */
export function torchSupports(layer: ExportLayer): boolean {
  if (!TORCH_LAYER_CLASSES.has(layer.class_name)) return false
  if ('activation' in layer.config && !activationSupported(layer.config.activation ?? 'linear')) return false
  return true
}

type Layout = 'nhwc' | 'nchw' | 'plain'

const PY_RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally', 'for',
  'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  // nn.Module attributes and methods, and the generated module's own names.
  'training', 'forward', 'network', 'eval', 'train', 'to', 'cpu', 'cuda', 'float', 'double', 'half', 'type', 'apply', 'modules', 'children', 'parameters',
  'buffers', 'state_dict', 'load_state_dict', 'zero_grad', 'register_buffer', 'register_parameter', 'add_module', 'extra_repr', 'named_modules',
  'named_parameters', 'named_buffers', 'named_children', 'requires_grad_', 'dump_patches', 'share_memory', 'get_submodule', 'get_parameter',
  'get_buffer', 'input_offset', 'input_scale', 'takes_raw_inputs', 'bfloat16', 'ipu', 'xpu', 'register_module', 'call_super_init'
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
const pair = (value: unknown, fallback: [number, number]): [number, number] => {
  if (typeof value === 'number') return [value, value]
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])]
  return fallback
}

/** TensorFlow's 'same' padding for one spatial axis: [before, after] (before gets the smaller half). */
export function samePadding(size: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + effective - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

export interface TorchPlan {
  layout: TorchLayout
  /** Lines of `__init__` after super().__init__(), indented by the caller. */
  init: string[]
  /** Lines of `network(self, x)`, before `return x`. */
  forward: string[]
  usesSoftplus: boolean
}

const refuse = (format: string, layer: ExportLayer, why: string): ExportRefusal =>
  new ExportRefusal(format, { index: layer.index, class_name: layer.class_name, name: layer.name }, `The ${format} export cannot hold layer ${layer.index + 1} "${layer.name}" (${layer.class_name}): ${why}. Remove or replace the layer, or choose another format.`)

/** Plans the module for `model`; throws ExportRefusal for a layer it cannot express. */
export function planTorchModule(model: ExportModel, format: string): TorchPlan {
  const init: string[] = []
  const forward: string[] = []
  const layers: TorchLayerMap[] = []
  const taken = new Set<string>()
  let usesSoftplus = false
  let layout: Layout = model.input_shape.length === 3 ? 'nhwc' : 'plain'
  const toNhwc = (): void => {
    if (layout === 'nchw') {
      forward.push('x = x.permute(0, 2, 3, 1)')
      layout = 'nhwc'
    }
  }
  const toNchw = (): void => {
    if (layout === 'nhwc') {
      forward.push('x = x.permute(0, 3, 1, 2)')
      layout = 'nchw'
    }
  }
  const activation = (layer: ExportLayer, name: unknown): void => {
    const key = typeof name === 'string' ? name : 'linear'
    if (!(key in ACTIVATION_CODE)) throw refuse(format, layer, `the activation "${key}" has no PyTorch counterpart here`)
    const code = ACTIVATION_CODE[key]
    if (!code) return
    if (key === 'softmax') toNhwc()
    if (key === 'softplus') usesSoftplus = true
    forward.push(`x = ${code}`)
  }
  const weight = (layer: ExportLayer, keras: string): ExportTensor => {
    const found = layer.weights.find((w) => w.name === keras)
    if (!found) throw refuse(format, layer, `its weight "${keras}" is missing from the trained model`)
    return found
  }
  const rankOf = (shape: number[]): Layout => (shape.length === 3 ? 'nhwc' : 'plain')

  for (const layer of model.layers) {
    const c = layer.config
    const tensors: TorchTensorMap[] = []
    let module: string | null = null
    const comment = `# ${layer.index + 1}: ${layer.class_name} "${layer.name}" → [${layer.output_shape.join(', ')}]`
    forward.push(pyText(comment))
    switch (layer.class_name) {
      case 'Dense': {
        module = pythonName(layer.name, taken)
        if (layer.input_shape.length === 3) toNhwc()
        const kernel = weight(layer, 'kernel')
        const [inputs, units] = kernel.shape as [number, number]
        const bias = c.use_bias !== false
        init.push(`self.${module} = nn.Linear(${inputs}, ${units}, bias=${bias ? 'True' : 'False'})`)
        tensors.push({ keras: 'kernel', keras_shape: [inputs, units], key: `${module}.weight`, torch_shape: [units, inputs], transform: 'dense' })
        if (bias) tensors.push({ keras: 'bias', keras_shape: [units], key: `${module}.bias`, torch_shape: [units], transform: 'none' })
        forward.push(`x = self.${module}(x)`)
        activation(layer, c.activation)
        if (layer.output_shape.length !== 3) layout = 'plain'
        break
      }
      case 'Activation':
        activation(layer, c.activation)
        break
      case 'Dropout': {
        module = pythonName(layer.name, taken)
        const rate = Number(c.rate ?? 0)
        init.push(`self.${module} = nn.Dropout(p=${pyFloat(rate)})  # identity in eval mode`)
        forward.push(`x = self.${module}(x)`)
        break
      }
      case 'Flatten':
        toNhwc()
        forward.push('x = torch.flatten(x, 1)')
        layout = 'plain'
        break
      case 'Reshape':
        toNhwc()
        forward.push(`x = x.reshape((x.shape[0],) + ${pyTuple(layer.output_shape)})`)
        layout = rankOf(layer.output_shape)
        break
      case 'BatchNormalization': {
        module = pythonName(layer.name, taken)
        const rank = layer.input_shape.length
        const raw = typeof c.axis === 'number' ? c.axis : -1
        const kerasAxis = raw < 0 ? rank + 1 + raw : raw
        if (kerasAxis < 1 || kerasAxis > rank) throw refuse(format, layer, `its axis ${raw} is not a feature axis of its input [${layer.input_shape.join(', ')}]`)
        const channels = layer.input_shape[kerasAxis - 1]
        const torchAxis = layout === 'nchw' ? [0, 2, 3, 1][kerasAxis] : kerasAxis
        const scale = c.scale !== false
        const center = c.center !== false
        const epsilon = Number(c.epsilon ?? 1e-3)
        const momentum = Number(c.momentum ?? 0.99)
        init.push(`self.${module} = KerasBatchNorm(${channels}, axis=${torchAxis}, epsilon=${pyFloat(epsilon)}, momentum=${pyFloat(momentum)}, scale=${scale ? 'True' : 'False'}, center=${center ? 'True' : 'False'})`)
        if (scale) tensors.push({ keras: 'gamma', keras_shape: [channels], key: `${module}.weight`, torch_shape: [channels], transform: 'none' })
        if (center) tensors.push({ keras: 'beta', keras_shape: [channels], key: `${module}.bias`, torch_shape: [channels], transform: 'none' })
        tensors.push({ keras: 'moving_mean', keras_shape: [channels], key: `${module}.running_mean`, torch_shape: [channels], transform: 'none' })
        tensors.push({ keras: 'moving_variance', keras_shape: [channels], key: `${module}.running_var`, torch_shape: [channels], transform: 'none' })
        for (const t of tensors) weight(layer, t.keras)
        forward.push(`x = self.${module}(x)`)
        break
      }
      case 'Conv2D': {
        if (layer.input_shape.length !== 3) throw refuse(format, layer, 'its input is not an image (height, width, channels)')
        module = pythonName(layer.name, taken)
        const kernel = weight(layer, 'kernel')
        const [kh, kw, inputs, filters] = kernel.shape as [number, number, number, number]
        const strides = pair(c.strides, [1, 1])
        const dilation = pair(c.dilation_rate, [1, 1])
        const bias = c.use_bias !== false
        if (Number(c.groups ?? 1) !== 1) throw refuse(format, layer, 'grouped convolutions are not supported')
        toNchw()
        if (c.padding === 'same') {
          const [top, bottom] = samePadding(layer.input_shape[0], kh, strides[0], dilation[0])
          const [left, right] = samePadding(layer.input_shape[1], kw, strides[1], dilation[1])
          if (top + bottom + left + right > 0) forward.push(`x = F.pad(x, (${left}, ${right}, ${top}, ${bottom}))  # Keras 'same'`)
        }
        init.push(`self.${module} = nn.Conv2d(${inputs}, ${filters}, kernel_size=(${kh}, ${kw}), stride=(${strides.join(', ')}), padding=0, dilation=(${dilation.join(', ')}), bias=${bias ? 'True' : 'False'})`)
        tensors.push({ keras: 'kernel', keras_shape: [kh, kw, inputs, filters], key: `${module}.weight`, torch_shape: [filters, inputs, kh, kw], transform: 'conv2d' })
        if (bias) tensors.push({ keras: 'bias', keras_shape: [filters], key: `${module}.bias`, torch_shape: [filters], transform: 'none' })
        forward.push(`x = self.${module}(x)`)
        activation(layer, c.activation)
        break
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (layer.input_shape.length !== 3) throw refuse(format, layer, 'its input is not an image (height, width, channels)')
        const size = pair(c.pool_size, [2, 2])
        const strides = c.strides === null || c.strides === undefined ? size : pair(c.strides, size)
        toNchw()
        const max = layer.class_name === 'MaxPooling2D'
        const op = max ? 'F.max_pool2d' : 'F.avg_pool2d'
        const args = `kernel_size=(${size.join(', ')}), stride=(${strides.join(', ')})`
        let pad: string | null = null
        if (c.padding === 'same') {
          const [top, bottom] = samePadding(layer.input_shape[0], size[0], strides[0])
          const [left, right] = samePadding(layer.input_shape[1], size[1], strides[1])
          if (top + bottom + left + right > 0) pad = `(${left}, ${right}, ${top}, ${bottom})`
        }
        if (!pad) forward.push(`x = ${op}(x, ${args})`)
        else if (max) forward.push(`x = ${op}(F.pad(x, ${pad}, value=float('-inf')), ${args})  # Keras 'same'`)
        else {
          // Keras's 'same' average leaves the padded cells out of each window's count.
          forward.push(`x = ${op}(F.pad(x, ${pad}), ${args}) / ${op}(F.pad(torch.ones_like(x[:1, :1]), ${pad}), ${args})  # Keras 'same': padded cells not counted`)
        }
        break
      }
      default:
        throw refuse(format, layer, 'PyTorch export supports Dense, Activation, Dropout, Flatten, Reshape, BatchNormalization, Conv2D, MaxPooling2D and AveragePooling2D')
    }
    layers.push({ index: layer.index, class_name: layer.class_name, name: layer.name, module, tensors })
  }
  toNhwc()
  return {
    layout: { format: 'model-workbench/torch-layout', version: 1, input_shape: [...model.input_shape], output_shape: [...model.output_shape], scaling: model.scaling !== null, layers },
    init,
    forward,
    usesSoftplus
  }
}

/** Keras layout → torch layout for one tensor. */
export function toTorchLayout(map: TorchTensorMap, data: Float32Array): Float32Array {
  if (map.transform === 'none') return Float32Array.from(data)
  const out = new Float32Array(data.length)
  if (map.transform === 'dense') {
    const [inputs, units] = map.keras_shape as [number, number]
    for (let i = 0; i < inputs; i++) for (let o = 0; o < units; o++) out[o * inputs + i] = data[i * units + o]!
    return out
  }
  const [kh, kw, inputs, filters] = map.keras_shape as [number, number, number, number]
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < inputs; i++) for (let o = 0; o < filters; o++) {
    out[((o * inputs + i) * kh + y) * kw + x] = data[((y * kw + x) * inputs + i) * filters + o]!
  }
  return out
}

/** torch layout → Keras layout for one tensor (the inverse of toTorchLayout). */
export function toKerasLayout(map: TorchTensorMap, data: Float32Array): Float32Array {
  if (map.transform === 'none') return Float32Array.from(data)
  const out = new Float32Array(data.length)
  if (map.transform === 'dense') {
    const [inputs, units] = map.keras_shape as [number, number]
    for (let i = 0; i < inputs; i++) for (let o = 0; o < units; o++) out[i * units + o] = data[o * inputs + i]!
    return out
  }
  const [kh, kw, inputs, filters] = map.keras_shape as [number, number, number, number]
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < inputs; i++) for (let o = 0; o < filters; o++) {
    out[((y * kw + x) * inputs + i) * filters + o] = data[((o * inputs + i) * kh + y) * kw + x]!
  }
  return out
}

/**
 * The state_dict tensors in module order: the scaling buffers, then each layer's. `weights`
 * replaces the model's own per ExportLayer.index (the torch job's initial weights).
 */
export function stateTensors(model: ExportModel, plan: TorchPlan, format: string, weights?: Map<number, ExportTensor[]>): NamedTensor[] {
  const out: NamedTensor[] = []
  if (model.scaling) {
    const features = model.input_shape.reduce((a, b) => a * b, 1)
    if (model.scaling.offset.length !== features || model.scaling.scale.length !== features) {
      throw new ExportRefusal(format, null, `The input scaling has ${model.scaling.offset.length} offsets and ${model.scaling.scale.length} scales for ${features} input features; re-import the data set.`)
    }
    out.push({ name: 'input_offset', shape: [...model.input_shape], data: Float32Array.from(model.scaling.offset) })
    out.push({ name: 'input_scale', shape: [...model.input_shape], data: Float32Array.from(model.scaling.scale) })
  }
  for (const map of plan.layout.layers) {
    const layer = model.layers.find((l) => l.index === map.index)!
    const source = weights?.get(map.index) ?? layer.weights
    for (const t of map.tensors) {
      const tensor = source.find((w) => w.name === t.keras)
      if (!tensor) throw new Error(`layer ${map.index + 1} "${map.name}" has no weight "${t.keras}"`)
      const expected = t.keras_shape.reduce((a, b) => a * b, 1)
      if (tensor.data.length !== expected) throw new Error(`layer ${map.index + 1} "${map.name}": weight "${t.keras}" has ${tensor.data.length} values, expected [${t.keras_shape.join(', ')}]`)
      out.push({ name: t.key, shape: t.torch_shape, data: toTorchLayout(t, tensor.data) })
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
from torch import nn

INPUT_SHAPE = ${pyTuple(model.input_shape)}
OUTPUT_SHAPE = ${pyTuple(model.output_shape)}
WEIGHTS_FILE = ${JSON.stringify(weightsFile)}
${plan.usesSoftplus ? `
# tfjs's softplus: x above 13.94 (float32 epsilon bound), exp(x) below -13.94, else log(1 + exp(x)).
_SOFTPLUS_BOUND = -(math.log(1.1920928955078125e-07) + 2.0)


def _softplus(x):
    e = torch.exp(torch.clamp(x, max=_SOFTPLUS_BOUND))
    return torch.where(x > _SOFTPLUS_BOUND, x, torch.where(x < -_SOFTPLUS_BOUND, e, torch.log1p(e)))
` : ''}

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
        """The spec's layers, on model inputs (after scaling), channels last."""
${indent(plan.forward, 8)}
        return x
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

/** Keras-layout weights per spec layer index from a state dict read back (the importer's inverse mapping). */
export function kerasWeightsFromState(layout: TorchLayout, tensors: Map<string, NamedTensor>): Map<number, ExportTensor[]> {
  const out = new Map<number, ExportTensor[]>()
  for (const layer of layout.layers) {
    const weights: ExportTensor[] = []
    for (const t of layer.tensors) {
      const found = tensors.get(t.key)
      if (!found) throw new Error(`the weights file has no "${t.key}" (layer ${layer.index + 1} "${layer.name}", ${t.keras})`)
      const expected = t.torch_shape.reduce((a, b) => a * b, 1)
      if (found.data.length !== expected) throw new Error(`"${t.key}" has shape [${found.shape.join(', ')}], expected [${t.torch_shape.join(', ')}]`)
      weights.push({ name: t.keras, shape: [...t.keras_shape], data: toKerasLayout(t, found.data) })
    }
    out.set(layer.index, weights)
  }
  return out
}
