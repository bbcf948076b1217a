// Reader for TF.js layers models: model.json (modelTopology + weightsManifest) with its weight
// files, given alongside or packed in a tar (our .tfjs.tar export: flat ustar entries).
import { MODEL_INPUT, inferShapes, normalizeSpec, validateSpec, type ModelSpec } from '../../../shared/model-spec'
import { WorkbenchError } from '../../services/dispatcher'
import { inputScaling } from '../from-tfjs'
import type { InputScaling } from '../types'
import type { ModelImport } from './types'
import { kerasSpec } from './keras-files'
import { assignWeights, type ReadTensor } from './weights'

interface ManifestEntry {
  name: string
  shape: number[]
  dtype?: string
  quantization?: { dtype: string; scale?: number; min?: number }
}

interface ManifestGroup {
  paths: string[]
  weights: ManifestEntry[]
}

/** Whether `data` is a ustar archive ("ustar" magic at offset 257 of the first header). */
export function isTar(data: Uint8Array): boolean {
  return data.length >= 512 && new TextDecoder().decode(data.subarray(257, 262)) === 'ustar'
}

/** The regular files of a ustar archive by name (directories and links skipped). */
export function readTar(data: Uint8Array, what: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>()
  const text = (from: number, length: number): string => new TextDecoder().decode(data.subarray(from, from + length)).replace(/\0.*$/s, '')
  let at = 0
  while (at + 512 <= data.length) {
    const header = data.subarray(at, at + 512)
    if (header.every((b) => b === 0)) break
    const name = text(at, 100)
    const prefix = text(at + 345, 155)
    const size = parseInt(text(at + 124, 12).trim() || '0', 8)
    const type = text(at + 156, 1)
    if (!Number.isFinite(size) || size < 0) throw new WorkbenchError('bad_input', `${what} is a damaged tar archive (bad size in the header of "${name}")`, { reason: 'model_file.damaged', details: { file: what, problem: `bad size in the header of ${name}` } })
    const start = at + 512
    if (start + size > data.length) throw new WorkbenchError('bad_input', `${what} is a truncated tar archive ("${name}" needs ${size} bytes, ${data.length - start} are left); copy or download it again`, { reason: 'model_file.damaged', details: { file: what, problem: 'truncated tar archive' } })
    if (type === '0' || type === '' || type === '\0') {
      const full = prefix ? `${prefix}/${name}` : name
      files.set(full.replace(/^\.\//, ''), data.subarray(start, start + size))
    }
    at = start + Math.ceil(size / 512) * 512
  }
  return files
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 }

function decode(entry: ManifestEntry, bytes: Uint8Array, what: string): ReadTensor {
  const count = entry.shape.reduce((a, b) => a * b, 1)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const data = new Float32Array(count)
  const q = entry.quantization
  if (q) {
    if (q.dtype !== 'uint8' && q.dtype !== 'uint16') throw new WorkbenchError('bad_input', `${what}: weight ${entry.name} is quantized as ${q.dtype}; the workbench reads float32 and uint8/uint16 affine-quantized TF.js weights only`, { reason: 'model_file.unsupported', details: { file: what, problem: `quantized as ${q.dtype}` } })
    const scale = q.scale ?? 1
    const min = q.min ?? 0
    for (let i = 0; i < count; i++) data[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true)) * scale + min
    return { shape: entry.shape, data }
  }
  const dtype = entry.dtype ?? 'float32'
  if (dtype !== 'float32') throw new WorkbenchError('bad_input', `${what}: weight ${entry.name} is ${dtype}; model weights must be float32`, { reason: 'model_file.unsupported', details: { file: what, problem: dtype } })
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true)
  return { shape: entry.shape, data }
}

/** Keras's order of each layer class's variables (what the spec's weights follow). */
const KERAS_ORDER: Record<string, string[]> = {
  default: ['kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  LayerNormalization: ['gamma', 'beta'],
  SimpleRNN: ['kernel', 'recurrent_kernel', 'bias'],
  LSTM: ['kernel', 'recurrent_kernel', 'bias'],
  GRU: ['kernel', 'recurrent_kernel', 'bias'],
  Bidirectional: ['kernel', 'recurrent_kernel', 'bias'],
  DepthwiseConv2D: ['depthwise_kernel', 'bias'],
  SeparableConv2D: ['depthwise_kernel', 'pointwise_kernel', 'bias'],
  Embedding: ['embeddings']
}

/**
 * tfjs-layers 4.22 leaves SeparableConv2D's depth_multiplier out of the config it saves (its run
 * folders included): taken back from the depthwise kernel's last axis in the manifest, so that the
 * layer is rebuilt as it was trained.
 */
function withDepthMultipliers<T extends { modelTopology: unknown; weightsManifest?: ManifestGroup[] }>(json: T): T {
  const shapes = new Map((json.weightsManifest ?? []).flatMap((group) => group.weights.map((w): [string, number[]] => [w.name, w.shape])))
  const topology = structuredClone(json.modelTopology) as { config?: { layers?: Array<{ class_name?: string; config?: Record<string, unknown> }> }; model_config?: unknown }
  const layers = topology.config?.layers ?? []
  let changed = false
  for (const layer of layers) {
    const config = layer.config
    if (layer.class_name !== 'SeparableConv2D' || !config || config.depth_multiplier !== undefined) continue
    const kernel = [...shapes.entries()].find(([weight]) => split(weight).layer.endsWith(String(config.name)) && split(weight).variable === 'depthwise_kernel')?.[1]
    if (kernel?.length === 4) {
      config.depth_multiplier = kernel[3]
      changed = true
    }
  }
  return changed ? { ...json, modelTopology: topology } : json
}

/** 'dense_1/kernel' → ['dense_1', 'kernel']; tfjs may add a _<n> suffix to a variable it created twice. */
function split(name: string): { layer: string; variable: string } {
  const cut = name.lastIndexOf('/')
  const layer = cut >= 0 ? name.slice(0, cut) : ''
  const variable = (cut >= 0 ? name.slice(cut + 1) : name).replace(/_\d+$/, '')
  return { layer, variable }
}

/**
 * Reads a TF.js layers model. `weightFiles` holds the files the manifest names (by path as written
 * there, or by base name); without a manifest the model is architecture only.
 */
export function readTfjsModel(modelJson: unknown, weightFiles: Map<string, Uint8Array>, name: string): ModelImport {
  if (typeof modelJson !== 'object' || modelJson === null || !('modelTopology' in modelJson)) {
    throw new WorkbenchError('bad_input', `${name} is not a TF.js model.json (no modelTopology)`, { reason: 'model_file.not_model', details: { file: name } })
  }
  const json = modelJson as { modelTopology: unknown; weightsManifest?: ManifestGroup[]; format?: string }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new WorkbenchError('bad_input', `${name} is a TF.js ${json.format} model; only layers models (tf.LayersModel, Keras-converted) can be imported`, { reason: 'model_file.unsupported', details: { file: name, problem: `TF.js ${json.format}` } })
  }
  const topology = json.modelTopology as { keras_version?: unknown; model_config?: { keras_version?: unknown } }
  const version = typeof topology?.keras_version === 'string' ? topology.keras_version : typeof topology?.model_config?.keras_version === 'string' ? topology.model_config.keras_version : null
  const parsed = kerasSpec(withDepthMultipliers(json), { keras_version: version !== null && /^3\./.test(version) ? version : null, with_weights: Array.isArray(json.weightsManifest) }, name)
  // A leading Rescaling (tfjs has one) becomes the input scaling, as in a Keras file; tfjs has no Normalization.
  const scalingLayer = parsed.details.scaling_layer
  let scaling: InputScaling | null = null
  if (scalingLayer) {
    if (!scalingLayer.scaling) {
      throw new WorkbenchError('bad_input', `${name}: TF.js has no ${scalingLayer.class_name} layer; the model.json was not written by TF.js`, { reason: 'model_file.unsupported', details: { file: name, problem: scalingLayer.class_name } })
    }
    scaling = inputScaling(scalingLayer.scaling.offset, scalingLayer.scaling.scale)
    parsed.notices.push(`the leading ${scalingLayer.class_name} layer "${scalingLayer.name}" became the input scaling (model input = (raw − offset) · scale); the spec starts after it`)
  }
  if (!Array.isArray(json.weightsManifest)) {
    return { source: 'tfjs', spec: parsed.spec, weights: null, notices: [...parsed.notices, 'the model.json has no weightsManifest: architecture only'], scaling, keras_version: version }
  }
  const byName = new Map<string, ReadTensor>()
  const order: string[] = []
  for (const group of json.weightsManifest) {
    const parts = group.paths.map((path) => {
      const base = path.split('/').pop() ?? path
      const file = weightFiles.get(path) ?? weightFiles.get(base)
      if (!file) throw new WorkbenchError('bad_input', `${name} needs the weights file "${path}" beside it; give the model.json together with its weight files (or the .tfjs.tar)`, { reason: 'model_file.incomplete', details: { file: name, missing: path } })
      return file
    })
    const total = parts.reduce((sum, part) => sum + part.length, 0)
    const buffer = new Uint8Array(total)
    let at = 0
    for (const part of parts) {
      buffer.set(part, at)
      at += part.length
    }
    let offset = 0
    for (const entry of group.weights) {
      const bytes = entry.shape.reduce((a, b) => a * b, 1) * (BYTES[entry.quantization?.dtype ?? entry.dtype ?? 'float32'] ?? 4)
      if (offset + bytes > buffer.length) throw new WorkbenchError('bad_input', `${name}: the weight files end before weight ${entry.name} (${offset + bytes} bytes needed, ${buffer.length} given); they are truncated or belong to another model`, { reason: 'model_file.damaged', details: { file: name, problem: 'weight files cut off' } })
      byName.set(entry.name, decode(entry, buffer.subarray(offset, offset + bytes), name))
      order.push(entry.name)
      offset += bytes
    }
  }
  // Each layer's weights by "<layer name>/<variable>" (a Bidirectional's "<layer>/forward_<inner>/<variable>");
  // a model whose names do not match takes them in manifest order.
  const expected = parsed.spec.layers.map((layer) => String(layer.config.name))
  const owner = (weight: string): number => {
    const { layer } = split(weight)
    const exact = expected.findIndex((layerName) => layer === layerName || layer.endsWith(`/${layerName}`))
    if (exact >= 0) return exact
    return expected.findIndex((layerName) => layer.startsWith(`${layerName}/`) || layer.includes(`/${layerName}/`))
  }
  const owners = order.map(owner)
  const matched = expected.map((_, i) => order.filter((_n, k) => owners[k] === i))
  const perLayer: ReadTensor[][] = []
  if (owners.every((o) => o >= 0)) {
    matched.forEach((names, i) => {
      // Keras order: kernel, recurrent_kernel, bias; gamma, beta, moving_mean, moving_variance; a Bidirectional's forward copy first.
      const keras = KERAS_ORDER[parsed.spec.layers[i].class_name] ?? KERAS_ORDER.default
      const rank = (n: string): number => (/\/backward_[^/]*\//.test(n) ? 100 : 0) + keras.indexOf(split(n).variable)
      const known = names.every((n) => keras.includes(split(n).variable)) && new Set(names.map(rank)).size === names.length
      const sorted = known ? [...names].sort((a, b) => rank(a) - rank(b)) : names
      perLayer.push(sorted.map((n) => byName.get(n)!))
    })
  } else {
    parsed.notices.push('the weight names do not match the layer names: weights were taken in manifest order')
    const queue = order.map((n) => byName.get(n)!)
    let next = 0
    for (const layer of inferShapes(parsed.spec).layers) {
      const layerWeights: ReadTensor[] = []
      for (let k = 0; k < layer.weights.length && next < queue.length; k++) layerWeights.push(queue[next++])
      perLayer.push(layerWeights)
    }
  }
  const weights = assignWeights(parsed.spec, perLayer, name)
  const own = scaling ? null : ownScalingLayers(parsed.spec, weights)
  if (own) {
    parsed.notices.push(`the leading ${own.names.join(', ')} (the input scaling a Model Workbench TF.js export puts in front) became the input scaling (model input = (raw − offset) · scale); the spec starts after it`)
    return { source: 'tfjs', spec: own.spec, weights: own.weights, notices: parsed.notices, scaling: own.scaling, keras_version: version }
  }
  return { source: 'tfjs', spec: parsed.spec, weights, notices: parsed.notices, scaling, keras_version: version }
}

/**
 * Our own TF.js export's input scaling (see formats/tfjs.ts): a frozen BatchNormalization named
 * input_scaling with epsilon 0, beta 0 and moving variance 1 — (x − moving_mean) · gamma — over the
 * last axis, or wrapped in input_scaling_flatten / input_scaling_reshape over the flattened sample.
 * Taken out of the spec as the input scaling, so that a re-imported export is the model the run
 * trained (on a data set with that scaling); null when the model does not start so.
 */
function ownScalingLayers(spec: ModelSpec, weights: number[][][]): { spec: ModelSpec; weights: number[][][]; scaling: InputScaling; names: string[] } | null {
  const names = spec.layers.map((l) => String(l.config.name))
  const at = names.indexOf('input_scaling')
  if (at < 0) return null
  const flat = at === 1 && names[0] === 'input_scaling_flatten' && names[2] === 'input_scaling_reshape'
  if (at !== 0 && !flat) return null
  const layer = spec.layers[at]
  const c = layer.config
  if (layer.class_name !== 'BatchNormalization' || c.trainable !== false || c.epsilon !== 0 || c.center !== true || c.scale !== true) return null
  const [gamma, beta, mean, variance] = weights[at] ?? []
  if (!gamma || beta.some((v) => v !== 0) || variance.some((v) => v !== 1)) return null
  const features = spec.input_shape.reduce((a, b) => a * b, 1)
  const per = (values: number[]): number[] => Array.from({ length: features }, (_, f) => values[f % values.length])
  if (!flat && features % gamma.length !== 0) return null
  const removed = names.slice(0, flat ? 3 : 1)
  const last = removed.at(-1)!
  const kept = spec.layers.map((l, i) => ({ l, w: weights[i] })).filter(({ l }) => !removed.includes(String(l.config.name)))
  const rewired = kept.map(({ l }) => (l.inbound ? { ...l, inbound: l.inbound.map((n) => (n === last ? MODEL_INPUT : n)) } : l))
  // A chain drops its first layers as they are; a graph's layers that took the scaling take the input.
  const candidate = { ...spec, layers: rewired }
  const checked = validateSpec(candidate)
  if (!checked.ok || !checked.spec) return null
  const normalized = normalizeSpec(checked.spec)
  const byName = new Map(kept.map(({ l, w }) => [String(l.config.name), w]))
  return { spec: normalized, weights: normalized.layers.map((l) => byName.get(String(l.config.name)) ?? []), scaling: inputScaling(per(mean), per(gamma)), names: removed }
}
