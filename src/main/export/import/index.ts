// Model import: whatever file a user hands the workbench (a Keras 3 .keras, a legacy .h5, a TF.js
// model.json with its weights or our .tfjs.tar, Keras JSON from model.to_json(), our spec JSON),
// recognised by its content (the extension only sharpens the message when the content is wrong).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { readSpec, specErrorsDetails, type ModelSpec } from '../../../shared/model-spec'
import { WorkbenchError } from '../../services/dispatcher'
import type { Preprocessing } from '../types'
import { isHdf5 } from './hdf5'
import { isZip, kerasSpec, readKerasArchive, readLegacyH5 } from './keras-files'
import { isTar, readTar, readTfjsModel } from './tfjs'
import type { ModelImport } from './types'

export { specWithWeights } from './types'
export type { ModelImport, ModelImportSource } from './types'

const WHAT_WE_READ = 'a Keras .keras or .h5 file, a TF.js model.json (with its weight files) or .tfjs.tar, Keras JSON (model.to_json()) or a Model Workbench spec'

function isPreprocessing(value: unknown): value is Preprocessing {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'model-workbench/preprocessing'
}

/** A preprocessing.json that came with the model, or undefined when it is not JSON (the model imports without it, as without the file). */
function parseSidecar(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** Splits explicit weights out of a spec (our spec JSON may carry them). */
function fromSpec(spec: ModelSpec, notices: string[]): ModelImport {
  const hasWeights = spec.layers.some((layer) => layer.weights !== undefined)
  return {
    source: 'spec',
    spec: { ...spec, layers: spec.layers.map(({ weights: _weights, ...layer }) => layer) },
    weights: hasWeights ? spec.layers.map((layer) => layer.weights ?? []) : null,
    notices,
    scaling: null,
    keras_version: null
  }
}

function readJsonModel(text: string, name: string, files: Map<string, Uint8Array>): ModelImport {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new WorkbenchError('bad_input', `${name} is not valid JSON (${(error as Error).message}); expected ${WHAT_WE_READ}`, { reason: 'model_file.not_json', details: { file: name, problem: (error as Error).message } })
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new WorkbenchError('bad_input', `${name} holds JSON but not a model object; expected ${WHAT_WE_READ}`, { reason: 'model_file.not_model', details: { file: name } })
  const object = json as Record<string, unknown>
  if ('modelTopology' in object) return readTfjsModel(object, files, name)
  if (typeof object.class_name === 'string' || 'model_config' in object) {
    const parsed = kerasSpec(object, {}, name)
    if (parsed.details.scaling_layer) {
      throw new WorkbenchError('bad_input', `${name}: the leading ${parsed.details.scaling_layer.class_name} needs its values from a weights file; import the .keras or .h5 file instead of its JSON`, { reason: 'model_file.incomplete', details: { file: name, missing: 'weights' } })
    }
    return { source: 'keras_json', spec: parsed.spec, weights: null, notices: parsed.notices, scaling: null, keras_version: typeof object.keras_version === 'string' ? object.keras_version : null }
  }
  const read = readSpec(object)
  if (!read.ok) throw new WorkbenchError('bad_input', `${name} cannot be imported: ${read.errors.map((e) => e.message).join('; ')}`, { reason: 'model_file.invalid_spec', details: { file: name, ...specErrorsDetails(read.errors) } })
  return fromSpec(read.spec, read.warnings)
}

/**
 * Imports a model from bytes. `files`: files given with it (a model.json's weight files, by the
 * names its manifest uses); `preprocessing`: a preprocessing.json given with it.
 */
export async function importModelBytes(name: string, data: Uint8Array, options: { files?: Map<string, Uint8Array>; preprocessing?: unknown } = {}): Promise<ModelImport> {
  const ext = extname(name).toLowerCase()
  if (data.length === 0) throw new WorkbenchError('bad_input', `${name} is empty (0 bytes); expected ${WHAT_WE_READ}`, { reason: 'model_file.empty', details: { file: name } })
  let result: ModelImport
  if (isZip(data)) result = await readKerasArchive(data, name)
  else if (isHdf5(data)) result = await readLegacyH5(data, name)
  else if (isTar(data)) {
    const files = readTar(data, name)
    const modelJson = files.get('model.json') ?? [...files.entries()].find(([file]) => file.endsWith('/model.json'))?.[1]
    if (!modelJson) throw new WorkbenchError('bad_input', `${name} is a tar archive without a model.json; expected a TF.js model export (.tfjs.tar)`, { reason: 'model_file.incomplete', details: { file: name, missing: 'model.json' } })
    const byBase = new Map([...files.entries()].map(([file, bytes]) => [basename(file), bytes]))
    result = readJsonModel(new TextDecoder().decode(modelJson), `${name}: model.json`, byBase)
    const pre = byBase.get('preprocessing.json')
    if (pre && options.preprocessing === undefined) options = { ...options, preprocessing: parseSidecar(new TextDecoder().decode(pre)) }
  } else if (ext === '.keras') {
    throw new WorkbenchError('bad_input', `${name} is not a .keras archive (not a zip file); save the model with model.save("model.keras") in Keras 3`, { reason: 'model_file.wrong_container', details: { file: name, expected: 'zip (.keras)' } })
  } else if (ext === '.h5' || ext === '.hdf5') {
    throw new WorkbenchError('bad_input', `${name} is not an HDF5 file (no HDF5 signature); save the model with model.save("model.h5")`, { reason: 'model_file.wrong_container', details: { file: name, expected: 'HDF5' } })
  } else if (ext === '.tar') {
    throw new WorkbenchError('bad_input', `${name} is not a tar archive (no ustar header); expected a TF.js model export (.tfjs.tar)`, { reason: 'model_file.wrong_container', details: { file: name, expected: 'tar (.tfjs.tar)' } })
  } else {
    const text = new TextDecoder().decode(data)
    if (!/^\s*[{[]/.test(text)) throw new WorkbenchError('bad_input', `${name} is not a model file the workbench reads; expected ${WHAT_WE_READ}`, { reason: 'model_file.not_model', details: { file: name } })
    result = readJsonModel(text, name, options.files ?? new Map())
  }
  if (isPreprocessing(options.preprocessing)) result.preprocessing = options.preprocessing
  return result
}

/**
 * Imports a model file from disk. A model.json's weight files are read from its folder (the
 * manifest's paths); a preprocessing.json in the same folder comes with the result.
 */
export async function importModelFile(path: string): Promise<ModelImport> {
  let data: Uint8Array
  try {
    data = await readFile(path)
  } catch (error) {
    throw new WorkbenchError('not_found', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { reason: 'model_file.not_found', details: { file: path } })
  }
  const folder = dirname(path)
  const files = new Map<string, Uint8Array>()
  const text = data.length < 64 * 1024 * 1024 && !isZip(data) && !isHdf5(data) && !isTar(data) ? new TextDecoder().decode(data) : null
  if (text !== null && /^\s*\{/.test(text)) {
    try {
      const manifest = (JSON.parse(text) as { weightsManifest?: Array<{ paths?: unknown }> }).weightsManifest
      for (const group of Array.isArray(manifest) ? manifest : []) {
        for (const weightPath of Array.isArray(group.paths) ? group.paths : []) {
          const file = join(folder, String(weightPath))
          if (existsSync(file)) files.set(String(weightPath), await readFile(file))
        }
      }
    } catch {
      // not JSON: importModelBytes says so
    }
  }
  const sidecar = join(folder, 'preprocessing.json')
  const preprocessing = existsSync(sidecar) ? parseSidecar(await readFile(sidecar, 'utf8')) : undefined
  return importModelBytes(basename(path), data, { files, preprocessing })
}
