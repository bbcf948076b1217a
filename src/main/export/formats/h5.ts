// Legacy Keras `.h5` export, as keras/src/legacy/saving/legacy_h5_format.py writes it: root
// attributes keras_version and backend (variable-length strings) and model_config (the JSON of
// {class_name, config}, as fixed-length bytes); group model_weights with layer_names (every layer
// of Sequential.layers, fixed-length bytes), backend and keras_version, one group per layer whose
// weight_names list `<layer>/<variable>` (Keras 3's variable paths) and whose datasets sit at those
// paths, an empty top_level_model_weights group. Layers without weights get an empty weight_names
// (an empty float64 array, as numpy makes of []). model_config is the Keras 2 to_json layout that
// Keras 3's legacy loader and tf.keras 2 both read (a graph: a Functional model with Keras 2
// inbound_nodes, its InputLayer among layer_names); the input scaling is its first layer.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Group } from 'h5wasm/node'
import { toKerasModelJson } from '../../../shared/model-spec'
import type { ExportModel, ExportSample, Exporter, Verification } from '../types'
import { preprocessPy } from '../helpers/preprocess-py'
import { importModelBytes } from '../import'
import { KERAS3_VERSION, checkKerasModel, extraLayerNames, kerasReadme, kerasRefusal, kerasSupports, kerasVariablePaths, loadH5wasm, scalingLayerConfig, verifyByImport } from './keras-shared'

export const H5_FILE = 'model.h5'

const BACKEND = 'tensorflow'

type LegacyLayer = { class_name: string; config: Record<string, unknown>; name?: string; inbound_nodes?: unknown[] }

/**
 * model_config: {class_name: 'Sequential', config: {name, layers: [InputLayer, scaling?, …]}} for a chain,
 * {class_name: 'Functional', config: {name, layers, input_layers, output_layers}} (Keras 2 inbound_nodes) for a graph.
 */
export function legacyModelConfig(model: ExportModel): { class_name: string; config: { name: string; layers: LegacyLayer[]; input_layers?: unknown; output_layers?: unknown } } {
  checkKerasModel(model, 'h5')
  const json = toKerasModelJson({ ...model.spec, layers: model.spec.layers.map(({ weights: _weights, ...layer }) => layer) })
  const layers: LegacyLayer[] = [...json.config.layers]
  const scaling = scalingLayerConfig(model, 'h5')
  if (scaling) {
    const taken = new Set(layers.map((l) => String(l.config.name)))
    let name = extraLayerNames(model).scaling
    for (let n = 1; taken.has(name); n++) name = `${scaling.class_name.toLowerCase()}_${n}`
    const entry: LegacyLayer = { class_name: scaling.class_name, config: { name, trainable: true, dtype: 'float32', ...scaling.settings } }
    if (json.class_name === 'Functional') {
      // The scaling layer takes the input; every layer that took the input takes its output.
      const inputName = String(layers[0].config.name)
      for (const layer of layers.slice(1)) {
        layer.inbound_nodes = (layer.inbound_nodes as unknown[][][]).map((node) => node.map((ref) => (ref[0] === inputName ? [name, ...ref.slice(1)] : ref)))
      }
      entry.name = name
      entry.inbound_nodes = [[[inputName, 0, 0, {}]]]
    }
    layers.splice(1, 0, entry)
  }
  return { class_name: json.class_name, config: { ...json.config, layers } }
}

/** A fixed-length byte-string attribute (numpy bytes_ / |S<n>), as Keras's `.encode("utf8")` values become in h5py. */
function bytesAttribute(group: Group, name: string, value: string | string[]): void {
  const length = Math.max(1, ...(Array.isArray(value) ? value : [value]).map((v) => Buffer.byteLength(v, 'utf8')))
  group.create_attribute(name, value, Array.isArray(value) ? [value.length] : null, `S${length}`)
}

/** Keras's save_attributes_to_hdf5_group: a list of names, or np.asarray([]) (float64, shape (0,)) when there are none. */
function namesAttribute(group: Group, name: string, names: string[]): void {
  if (names.length === 0) group.create_attribute(name, new Float64Array(0), [0], '<d')
  else bytesAttribute(group, name, names)
}

export async function writeLegacyH5(model: ExportModel, path: string): Promise<void> {
  const config = legacyModelConfig(model)
  const h5wasm = await loadH5wasm()
  const file = new h5wasm.File(path, 'w')
  try {
    file.create_attribute('keras_version', KERAS3_VERSION)
    file.create_attribute('backend', BACKEND)
    bytesAttribute(file, 'model_config', JSON.stringify(config))
    const weights = file.create_group('model_weights')
    // Sequential.layers: everything after the InputLayer (the scaling layer included); a Functional model's start with it.
    const layerNames = (config.class_name === 'Sequential' ? config.config.layers.slice(1) : config.config.layers).map((l) => String(l.config.name))
    namesAttribute(weights, 'layer_names', layerNames)
    bytesAttribute(weights, 'backend', BACKEND)
    bytesAttribute(weights, 'keras_version', KERAS3_VERSION)
    const byName = new Map(model.layers.map((layer) => [layer.name, layer]))
    for (const name of [...layerNames].sort()) {
      const group = weights.create_group(name)
      const layer = byName.get(name)
      const tensors = layer?.weights ?? []
      const paths = layer ? kerasVariablePaths(layer) : []
      namesAttribute(group, 'weight_names', paths)
      // Each dataset at its path below the layer's group (lstm/lstm_cell/kernel), groups made on the way.
      const made = new Map<string, Group>([['', group]])
      tensors.forEach((w, t) => {
        const parts = paths[t].split('/')
        let at = ''
        for (const part of parts.slice(0, -1)) {
          const next = at ? `${at}/${part}` : part
          if (!made.has(next)) made.set(next, made.get(at)!.create_group(part))
          at = next
        }
        made.get(at)!.create_dataset({ name: parts.at(-1)!, data: w.data, shape: w.shape, dtype: '<f' })
      })
    }
    namesAttribute(weights.create_group('top_level_model_weights'), 'weight_names', [])
  } finally {
    file.close()
  }
}

export const h5Exporter: Exporter = {
  id: 'h5',
  label: 'Keras legacy HDF5 (.h5)',
  holds: ['model.h5 (legacy Keras HDF5: architecture, trained weights, input scaling as its first layer)', 'preprocessing.json', 'preprocess.py', 'README.md'],
  supports: kerasSupports,
  refusal: kerasRefusal,
  async write(model: ExportModel, dir: string): Promise<string[]> {
    await writeLegacyH5(model, join(dir, H5_FILE))
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(model.preprocessing, null, 2) + '\n')
    await writeFile(join(dir, 'preprocess.py'), preprocessPy(model.preprocessing))
    await writeFile(join(dir, 'README.md'), kerasReadme(model, H5_FILE, 'h5'))
    return [H5_FILE, 'preprocessing.json', 'preprocess.py', 'README.md']
  },
  async verify(_model: ExportModel, dir: string, sample: ExportSample): Promise<Verification> {
    return verifyByImport(sample, async () => importModelBytes(H5_FILE, new Uint8Array(await readFile(join(dir, H5_FILE)))))
  }
}
