// Readers for Keras's own files: the Keras 3 `.keras` archive (a zip of config.json, metadata.json
// and model.weights.h5, whose Sequential or Functional layers sit under layers/<snake_case class>[_n]/vars/<i>
// (a recurrent layer's in its cell/vars, a Bidirectional's in forward_layer/cell and backward_layer/cell),
// keras/src/saving/saving_lib.py) and the legacy `.h5` (root attribute model_config, group
// model_weights with layer_names and per layer weight_names, keras/src/legacy/saving/legacy_h5_format.py).
import { unzipSync } from 'fflate'
import type { Group } from 'h5wasm/node'
import { fromKerasModelJson, scalingFromKerasLayer, specErrorsDetails, type KerasImportDetails, type KerasImportOptions, type ModelSpec } from '../../../shared/model-spec'
import { WorkbenchError } from '../../services/dispatcher'
import { inputScaling } from '../from-tfjs'
import type { InputScaling } from '../types'
import { kerasVariableGroups, toSnakeCase } from '../formats/keras-shared'
import { attrText, attrTextList, isDataset, isGroup, readTensor, withHdf5 } from './hdf5'
import type { ModelImport } from './types'
import { assignWeights, type ReadTensor } from './weights'

export interface KerasSpec {
  spec: ModelSpec
  details: KerasImportDetails
  notices: string[]
}

/** The Keras JSON as a spec, or a WorkbenchError listing every problem (unsupported layers by name). */
export function kerasSpec(json: unknown, options: KerasImportOptions, what: string): KerasSpec {
  const result = fromKerasModelJson(json, options)
  if (!result.ok) throw new WorkbenchError('bad_input', `${what} cannot be imported: ${result.errors.map((e) => e.message).join('; ')}`, { reason: 'model_file.invalid_spec', details: { file: what, ...specErrorsDetails(result.errors) } })
  return { spec: result.spec, details: result.details, notices: [...result.warnings] }
}

/** Every non-input Keras layer in file order: the scaling layer (if any) and the spec layers (index into spec.layers). */
function kerasLayers(details: KerasImportDetails): Array<{ position: number; name: string; class_name: string; spec_index: number | null }> {
  const list: Array<{ position: number; name: string; class_name: string; spec_index: number | null }> = details.sources.map((s, i) => ({ ...s, spec_index: i }))
  if (details.scaling_layer) list.push({ position: details.scaling_layer.position, name: details.scaling_layer.name, class_name: details.scaling_layer.class_name, spec_index: null })
  return list.sort((a, b) => a.position - b.position)
}

/** The scaling the leading Rescaling/Normalization applies (completed from its variables when adapted), with a notice. */
function finishScaling(parsed: KerasSpec, scalingWeights: ReadTensor[] | null, what: string): InputScaling | null {
  const layer = parsed.details.scaling_layer
  if (!layer) return null
  let values = layer.scaling
  if (!values) {
    const completed = scalingFromKerasLayer(layer.class_name, layer.config, parsed.spec.input_shape, scalingWeights?.map((t) => Array.from(t.data)))
    if (!completed.ok) throw new WorkbenchError('bad_input', `${what}: the leading ${layer.class_name} "${layer.name}" cannot become the input scaling: ${completed.message}`, { reason: 'model_file.unsupported', details: { file: what, problem: completed.message } })
    values = { offset: completed.offset, scale: completed.scale }
  }
  parsed.notices.push(`the leading ${layer.class_name} layer "${layer.name}" became the input scaling (model input = (raw − offset) · scale); the spec starts after it`)
  return inputScaling(values.offset, values.scale)
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch (error) {
    throw new WorkbenchError('bad_input', `${what} is not valid JSON (${(error as Error).message}); the file is damaged`, { reason: 'model_file.not_json', details: { file: what, problem: (error as Error).message } })
  }
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04]

export function isZip(data: Uint8Array): boolean {
  return ZIP_SIGNATURE.every((byte, i) => data[i] === byte)
}

/** Reads a Keras 3 `.keras` archive. */
export async function readKerasArchive(data: Uint8Array, name: string): Promise<ModelImport> {
  if (!isZip(data)) throw new WorkbenchError('bad_input', `${name} is not a .keras archive (not a zip file); save the model with model.save("model.keras") in Keras 3`, { reason: 'model_file.wrong_container', details: { file: name, expected: 'zip (.keras)' } })
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(data)
  } catch (error) {
    throw new WorkbenchError('bad_input', `${name} is a damaged zip archive (${(error as Error).message}); it may be truncated, so copy or download it again`, { reason: 'model_file.damaged', details: { file: name, problem: (error as Error).message } })
  }
  if (!files['config.json']) throw new WorkbenchError('bad_input', `${name} has no config.json; it is a zip file but not a Keras 3 .keras archive`, { reason: 'model_file.incomplete', details: { file: name, missing: 'config.json' } })
  const metadata = files['metadata.json'] ? parseJson(files['metadata.json'], `${name}: metadata.json`) : null
  const version = typeof metadata === 'object' && metadata !== null && typeof (metadata as { keras_version?: unknown }).keras_version === 'string' ? (metadata as { keras_version: string }).keras_version : null
  const config = parseJson(files['config.json'], `${name}: config.json`)
  const parsed = kerasSpec(config, { keras_version: version, with_weights: true }, name)
  const weightsFile = files['model.weights.h5']
  if (!weightsFile) {
    if (files['model.weights.npz']) throw new WorkbenchError('bad_input', `${name} keeps its weights as model.weights.npz; the workbench reads the default HDF5 weights: save with model.save("model.keras") (weights_format="h5")`, { reason: 'model_file.unsupported', details: { file: name, problem: 'model.weights.npz' } })
    throw new WorkbenchError('bad_input', `${name} has no model.weights.h5; the archive is incomplete`, { reason: 'model_file.incomplete', details: { file: name, missing: 'model.weights.h5' } })
  }
  const perLayer: ReadTensor[][] = parsed.spec.layers.map(() => [])
  let scalingWeights: ReadTensor[] | null = null
  await withHdf5(weightsFile, `${name}: model.weights.h5`, (file) => {
    const root = file.get('layers') ?? file.get('_layer_checkpoint_dependencies')
    if (!isGroup(root)) throw new WorkbenchError('bad_input', `${name}: model.weights.h5 has no "layers" group; it does not hold a Keras model's weights`, { reason: 'model_file.incomplete', details: { file: name, missing: 'layers' } })
    const used = new Map<string, number>()
    for (const layer of kerasLayers(parsed.details)) {
      // saving_lib names a container's layers by class and a per-class counter, not by layer name.
      const base = toSnakeCase(layer.class_name)
      const count = used.get(base)
      used.set(base, count === undefined ? 0 : count + 1)
      const path = count === undefined ? base : `${base}_${count + 1}`
      const group = root.get(path) ?? root.get(layer.name)
      const tensors: ReadTensor[] = []
      // The layer's own vars, then its sublayers' (a recurrent layer's cell, a Bidirectional's two copies).
      for (const part of kerasVariableGroups(layer.class_name)) {
        const where = part.path ? `${path}/${part.path}` : path
        const holder = isGroup(group) ? (part.path ? group.get(part.path) : group) : null
        const vars = isGroup(holder) ? holder.get('vars') : null
        if (!isGroup(vars)) continue
        const keys = vars.keys().sort((a, b) => Number(a) - Number(b))
        for (const key of keys) {
          const dataset = vars.get(key)
          if (!isDataset(dataset)) throw new WorkbenchError('bad_input', `${name}: layers/${where}/vars/${key} is not a dataset`, { reason: 'model_file.damaged', details: { file: name, problem: `layers/${where}/vars/${key}` } })
          tensors.push(readTensor(dataset, `${name}: layers/${where}/vars/${key}`))
        }
      }
      if (layer.spec_index === null) scalingWeights = tensors
      else perLayer[layer.spec_index] = tensors
    }
  })
  const scaling = finishScaling(parsed, scalingWeights, name)
  const weights = assignWeights(parsed.spec, perLayer, name)
  return { source: 'keras', spec: parsed.spec, weights, notices: parsed.notices, scaling, keras_version: version }
}

/** Reads a legacy Keras HDF5 model (model.save("model.h5")). */
export async function readLegacyH5(data: Uint8Array, name: string): Promise<ModelImport> {
  return withHdf5(data, name, (file) => {
    const configText = attrText(file, 'model_config')
    if (configText === null) {
      const weightsOnly = file.attrs['layer_names'] !== undefined || file.get('model_weights') === null
      throw new WorkbenchError(
        'bad_input',
        weightsOnly
          ? `${name} holds no model_config: it is a weights-only file (model.save_weights) or not a Keras model; save the whole model with model.save("model.h5") or model.save("model.keras")`
          : `${name} has no model_config attribute; it is not a Keras model file`,
        { reason: 'model_file.incomplete', details: { file: name, missing: 'model_config' } }
      )
    }
    const version = attrText(file, 'keras_version')
    let json: unknown
    try {
      json = JSON.parse(configText)
    } catch (error) {
      throw new WorkbenchError('bad_input', `${name}: its model_config is not valid JSON (${(error as Error).message})`, { reason: 'model_file.not_json', details: { file: name, problem: (error as Error).message } })
    }
    const parsed = kerasSpec(json, { keras_version: version, with_weights: true }, name)
    const modelWeights = file.get('model_weights')
    if (!isGroup(modelWeights)) throw new WorkbenchError('bad_input', `${name} has no model_weights group; it holds the architecture only (import its JSON instead, or save the model with its weights)`, { reason: 'model_file.incomplete', details: { file: name, missing: 'model_weights' } })
    const layerNames = attrTextList(modelWeights, 'layer_names')
    const perLayer: ReadTensor[][] = parsed.spec.layers.map(() => [])
    let scalingWeights: ReadTensor[] | null = null
    for (const layer of kerasLayers(parsed.details)) {
      const group: Group | null = layerNames.includes(layer.name) ? (modelWeights.get(layer.name) as Group | null) : null
      if (!isGroup(group)) throw new WorkbenchError('bad_input', `${name}: model_weights has no group for layer "${layer.name}" (layer_names: ${layerNames.join(', ') || 'none'}); the weights do not belong to this architecture`, { reason: 'model_file.weights_mismatch', details: { file: name, layer: layer.name, problem: 'no weights group' } })
      const tensors = attrTextList(group, 'weight_names').map((weightName) => {
        const dataset = group.get(weightName)
        if (!isDataset(dataset)) throw new WorkbenchError('bad_input', `${name}: weight ${weightName} of layer "${layer.name}" is listed in weight_names but missing`, { reason: 'model_file.weights_mismatch', details: { file: name, layer: layer.name, problem: `${weightName} missing` } })
        return readTensor(dataset, `${name}: model_weights/${layer.name}/${weightName}`)
      })
      if (layer.spec_index === null) scalingWeights = tensors
      else perLayer[layer.spec_index] = tensors
    }
    const scaling = finishScaling(parsed, scalingWeights, name)
    const weights = assignWeights(parsed.spec, perLayer, name)
    return { source: 'h5' as const, spec: parsed.spec, weights, notices: parsed.notices, scaling, keras_version: version }
  })
}
