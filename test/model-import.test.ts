// Model import: our own Keras exports come back as the same spec, weights and scaling; Keras 3.13
// and Keras 2 JSON, TF.js model folders and .tfjs.tar archives read; unknown layers refused by
// name; damaged or foreign files refused with a message that says what is wrong (one table).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { zipSync } from 'fflate'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURE_SPECS, fixture, spec } from './export-fixtures'
import { kerasArchive } from '../src/main/export/formats/keras'
import { writeLegacyH5 } from '../src/main/export/formats/h5'
import { loadH5wasm } from '../src/main/export/formats/keras-shared'
import { importModelBytes, importModelFile, specWithWeights, type ModelImport } from '../src/main/export/import'
import { buildModel } from '../src/main/engine/model-builder'
import { saveModelFolder } from '../src/main/engine/weights-store'
import { tarArchive } from '../src/main/services/exports'
import { WorkbenchError } from '../src/main/services/dispatcher'
import { inferShapes, normalizeSpec, toKerasModelJson, type ModelSpec } from '../src/shared/model-spec'
import { applyScaling } from '../src/main/export/from-tfjs'
import { PARITY_TOLERANCE, maxAbsDiff } from '../src/main/export/types'
import { GRAPH_OPTIONS, GRAPH_SPECS, MORE_GRAPH_OPTIONS, MORE_GRAPH_SPECS } from './graph-fixtures'

const FIXTURES = join(__dirname, 'fixtures', 'keras')
const scratch = mkdtempSync(join(tmpdir(), 'mw-import-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const byName = (a: unknown[], b: unknown[]): number => String(a[1]).localeCompare(String(b[1]))
const byClassAndName = (a: unknown, b: unknown): number => JSON.stringify(a).localeCompare(JSON.stringify(b))
const withoutWeights = (s: ModelSpec): ModelSpec => normalizeSpec({ ...s, layers: s.layers.map(({ weights: _w, ...layer }) => layer) })
/** Keras writes a pooling layer's strides resolved (null → pool_size), tfjs its initializers with their seeds: the same computation. */
const comparable = (layers: Array<Pick<ModelSpec['layers'][number], 'class_name' | 'config'>>): unknown[] =>
  layers.map((layer) => {
    const config: Record<string, unknown> = { ...layer.config }
    if (/Pooling[12]D$/.test(layer.class_name) && config.strides === null) config.strides = config.pool_size
    for (const [key, value] of Object.entries(config)) {
      if (key.endsWith('_initializer') && typeof value === 'object' && value !== null) config[key] = (value as { class_name: string }).class_name
    }
    for (const [key, value] of Object.entries(config)) if (key.endsWith('_initializer') && typeof value === 'string') config[key] = value.replace(/_/g, '').toLowerCase()
    // tfjs writes LayerNormalization's axis counted from the batch axis (3 for −1 on a rank-3 sample): the predictions check they agree.
    if (layer.class_name === 'LayerNormalization') delete config.axis
    // A Bidirectional's wrapped layer the same way.
    const wrapped = config.layer as { class_name: string; config: Record<string, unknown> } | undefined
    if (layer.class_name === 'Bidirectional' && wrapped) config.layer = (comparable([wrapped]))[0]
    return { class_name: layer.class_name, config }
  })

describe('round trips through our own Keras exports', () => {
  it.each(Object.entries(FIXTURE_SPECS))('%s: .keras and .h5 give back the spec, every weight and the scaling', async (name, s) => {
    const f = await fixture(s, { scaling: name === 'cnn' ? 'divide255' : 'standard', rows: 2 })
    try {
      const h5Path = join(scratch, `${name}.h5`)
      await writeLegacyH5(f.model, h5Path)
      const fromKeras = await importModelBytes(`${name}.keras`, await kerasArchive(f.model))
      const fromH5 = await importModelBytes(`${name}.h5`, new Uint8Array(readFileSync(h5Path)))
      for (const imported of [fromKeras, fromH5]) {
        expect(comparable(imported.spec.layers)).toEqual(comparable(withoutWeights(s).layers))
        expect(imported.spec.input_shape).toEqual(s.input_shape)
        expect(imported.weights).toEqual(f.model.layers.map((layer) => layer.weights.map((w) => Array.from(w.data))))
        const scaling = f.model.scaling!
        expect(imported.scaling!.uniform === null).toBe(scaling.uniform === null)
        imported.scaling!.offset.forEach((o, i) => expect(o).toBeCloseTo(scaling.offset[i], 9))
        imported.scaling!.scale.forEach((v, i) => expect(v / scaling.scale[i]).toBeCloseTo(1, 12))
        expect(imported.notices.some((n) => /became the input scaling/.test(n))).toBe(true)
      }
      expect(fromKeras).toMatchObject({ source: 'keras', keras_version: expect.stringMatching(/^3\./) })
      expect(fromH5).toMatchObject({ source: 'h5', keras_version: expect.stringMatching(/^3\./) })
    } finally {
      f.dispose()
    }
  })

  it('a preprocessing.json beside the file comes with the import', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { rows: 2 })
    try {
      const dir = join(scratch, 'with-preprocessing')
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'model.keras'), await kerasArchive(f.model))
      writeFileSync(join(dir, 'preprocessing.json'), JSON.stringify(f.model.preprocessing))
      const imported = await importModelFile(join(dir, 'model.keras'))
      expect(imported.preprocessing).toEqual(f.model.preprocessing)
    } finally {
      f.dispose()
    }
  })
})

describe('round trips of graph models (Functional .keras and .h5)', () => {
  const cases = [
    ...(['residualMlp', 'residualCnn', 'concat', 'lstm', 'gru', 'conv1d'] as const).map((name) => ({ name, s: GRAPH_SPECS[name], options: GRAPH_OPTIONS[name] })),
    // convFamily: tfjs leaves SeparableConv2D's depth_multiplier out of its own files; the reader takes it from the kernel.
    ...(['merges', 'bidirectional', 'embeddingLstm', 'convFamily', 'normalization'] as const).map((name) => ({ name, s: MORE_GRAPH_SPECS[name], options: MORE_GRAPH_OPTIONS[name] }))
  ]
  it.each(cases)('$name: the graph spec, every weight and equal predictions come back', async ({ name, s, options }) => {
    const f = await fixture(s, { rows: 8, ...options })
    try {
      const h5Path = join(scratch, `graph-${name}.h5`)
      // hard_sigmoid (the embedding LSTM's recurrent activation) means another formula in Keras 3: .keras refuses it, the .h5 too.
      const keras3Safe = name !== 'embeddingLstm'
      const imports: ModelImport[] = []
      if (keras3Safe) {
        await writeLegacyH5(f.model, h5Path)
        imports.push(await importModelBytes(`${name}.keras`, await kerasArchive(f.model)), await importModelBytes(`${name}.h5`, new Uint8Array(readFileSync(h5Path))))
      } else {
        await expect(kerasArchive(f.model)).rejects.toThrow(/hard_sigmoid/)
      }
      // tfjs's own files of the same model (what a run folder holds) read back too.
      const folder = join(scratch, `graph-tfjs-${name}`)
      const built = buildModel(tf, s, { seed: 3 })
      try {
        for (const layer of f.model.layers) if (layer.weights.length) built.getLayer(layer.name).setWeights(layer.weights.map((w) => tf.tensor(w.data, w.shape)))
        await saveModelFolder(tf, built, folder)
      } finally {
        built.dispose()
      }
      imports.push(await importModelFile(join(folder, 'model.json')))
      for (const imported of imports) {
        const back = imported.spec
        expect(back.layers.map((l) => [l.class_name, l.config.name, l.inbound]).sort(byName), imported.source).toEqual(withoutWeights(s).layers.map((l) => [l.class_name, l.config.name, l.inbound]).sort(byName))
        expect(comparable(back.layers).sort(byClassAndName)).toEqual(comparable(withoutWeights(s).layers).sort(byClassAndName))
        // Every weight, by layer name.
        const byLayer = new Map(back.layers.map((l, i) => [String(l.config.name), imported.weights![i]]))
        for (const layer of f.model.layers) expect(byLayer.get(layer.name), `${imported.source} ${layer.name}`).toEqual(layer.weights.map((w) => Array.from(w.data)))
        // The imported model, rebuilt by the app, answers like the exported one.
        const rebuilt = buildModel(tf, specWithWeights(imported), { seed: 99 })
        try {
          const features = f.sample.features
          const input = applyScaling(f.sample.raw, features, imported.source === 'tfjs' ? f.model.scaling : imported.scaling)
          const y = tf.tidy(() => Float32Array.from((rebuilt.predict(tf.tensor(input, [f.sample.rows, ...back.input_shape])) as tf.Tensor).dataSync()))
          const diff = maxAbsDiff(y, f.sample.expected)
          console.log(`model-import graph ${name} (${imported.source}): max |Δ| ${diff.toExponential(2)}`)
          expect(diff).toBeLessThan(PARITY_TOLERANCE)
        } finally {
          rebuilt.dispose()
        }
      }
    } finally {
      f.dispose()
    }
  })
})

describe('Keras JSON', () => {
  it.each(Object.entries(GRAPH_SPECS))('tfjs itself reads the Functional Keras JSON we write for %s (Keras 2 nodes), with the same parameter count', async (_name, s) => {
    const loaded = await tf.models.modelFromJSON(JSON.parse(JSON.stringify(toKerasModelJson(s))) as tf.io.ModelJSON['modelTopology'])
    try {
      expect(loaded.countParams()).toBe(inferShapes(s).total_params)
      expect(loaded.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name).sort()).toEqual(normalizeSpec(s).layers.map((l) => String(l.config.name)).sort())
    } finally {
      loaded.dispose()
    }
  })

  it('reads a Keras 3.13 model.to_json(), dropping quantization_config and initializer input_axes with notices', async () => {
    const imported = await importModelFile(join(FIXTURES, 'keras-3.13-mlp.to_json.json'))
    expect(imported.source).toBe('keras_json')
    expect(imported.weights).toBeNull()
    expect(imported.spec.input_shape).toEqual([8])
    expect(imported.spec.layers.map((l) => [l.class_name, l.config.name])).toEqual([
      ['Dense', 'dense'], ['BatchNormalization', 'batch_normalization'], ['Dropout', 'dropout'], ['Dense', 'dense_1']
    ])
    expect(imported.spec.layers[0].config).toMatchObject({ units: 16, activation: 'relu', kernel_initializer: 'glorot_uniform' })
    expect(imported.notices).toEqual(expect.arrayContaining([
      expect.stringMatching(/^quantization_config \(written by Keras 3\.13\+\) is not used by the workbench: dropped/),
      expect.stringMatching(/^Dense "dense" kernel_initializer: initializer parameter input_axes=null \(GlorotUniform\) is not used by the workbench: dropped/),
      expect.stringMatching(/output_axes=null/)
    ]))
    // The result builds in tfjs as is.
    buildModel(tf, imported.spec, { seed: 1 }).dispose()
  })

  it('reads a legacy Keras 2 model.to_json() (Conv2D, BatchNormalization axis [3], L2 regularizer)', async () => {
    const imported = await importModelFile(join(FIXTURES, 'keras-2.15-cnn.to_json.json'))
    expect(imported).toMatchObject({ source: 'keras_json', keras_version: '2.15.0', notices: [] })
    expect(imported.spec.input_shape).toEqual([8, 8, 1])
    expect(imported.spec.layers.map((l) => l.class_name)).toEqual(['Conv2D', 'MaxPooling2D', 'BatchNormalization', 'Flatten', 'Dense'])
    expect(imported.spec.layers[2].config.axis).toBe(3)
    expect(imported.spec.layers[4].config.kernel_regularizer).toEqual({ class_name: 'L2', config: { l2: 0.0001 } })
  })

  it('refuses an unknown layer by its exact name, and a scaling layer that is not first', async () => {
    const convLstm = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 5, 4, 4, 2] } }, { class_name: 'ConvLSTM2D', config: { name: 'conv_lstm', filters: 3, kernel_size: 3 } }] } }
    await expect(importModelBytes('lstm.json', new TextEncoder().encode(JSON.stringify(convLstm)))).rejects.toThrow(/lstm\.json cannot be imported: layer 1 \(ConvLSTM2D\): unknown layer class "ConvLSTM2D"/)
    const late = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 2] } }, { class_name: 'Dense', config: { name: 'd', units: 2 } }, { class_name: 'Rescaling', config: { name: 'r', scale: 2, offset: 0 } }] } }
    await expect(importModelBytes('late.json', new TextEncoder().encode(JSON.stringify(late)))).rejects.toThrow(/Keras layer 3 \(Rescaling "r"\): Rescaling is supported only as the first layer/)
  })
})

describe('TF.js models', () => {
  it('reads a run folder (model.json + weights.bin) and our .tfjs.tar with every weight', async () => {
    await tf.setBackend('cpu')
    const s = FIXTURE_SPECS.binary
    const model = buildModel(tf, s, { seed: 5 })
    try {
      const folder = join(scratch, 'tfjs-run')
      await saveModelFolder(tf, model, folder)
      const expected = model.layers.map((layer) => layer.getWeights().map((w) => Array.from(w.dataSync())))
      const fromFolder = await importModelFile(join(folder, 'model.json'))
      expect(fromFolder.source).toBe('tfjs')
      expect(comparable(fromFolder.spec.layers)).toEqual(comparable(withoutWeights(s).layers))
      expect(fromFolder.weights).toEqual(expected)
      const tar = tarArchive(['model.json', 'weights.bin'].map((name) => ({ name, data: readFileSync(join(folder, name)) })))
      const fromTar = await importModelBytes('run.tfjs.tar', new Uint8Array(tar))
      expect(fromTar.weights).toEqual(expected)
      expect(fromTar.spec).toEqual(fromFolder.spec)
      // A preprocessing.json in the archive that is not JSON is left out, as one beside a model.json is.
      const badSidecar = tarArchive([...['model.json', 'weights.bin'].map((name) => ({ name, data: readFileSync(join(folder, name)) })), { name: 'preprocessing.json', data: Buffer.from('{not json') }])
      const withBadSidecar = await importModelBytes('run.tfjs.tar', new Uint8Array(badSidecar))
      expect(withBadSidecar.weights).toEqual(expected)
      expect(withBadSidecar.preprocessing).toBeUndefined()
      // And the imported weights rebuild the same model.
      const rebuilt = buildModel(tf, specWithWeights(fromTar), { seed: 99 })
      const x = tf.tensor2d([[0.1, -0.2, 0.3, 0.4, -0.5]])
      expect(Array.from((rebuilt.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()))
      rebuilt.dispose()
      x.dispose()
    } finally {
      model.dispose()
    }
  })
})

describe('refused files', () => {
  const encoder = new TextEncoder()
  let real: { keras: Uint8Array; h5: Uint8Array; tar: Uint8Array } | null = null
  const files = async (): Promise<{ keras: Uint8Array; h5: Uint8Array; tar: Uint8Array }> => {
    if (real) return real
    const f = await fixture(FIXTURE_SPECS.mnistMlp, { rows: 1 })
    const h5Path = join(scratch, 'bad-source.h5')
    await writeLegacyH5(f.model, h5Path)
    const keras = await kerasArchive(f.model)
    f.dispose()
    const model = buildModel(tf, FIXTURE_SPECS.linear, { seed: 1 })
    const folder = join(scratch, 'bad-tfjs')
    await saveModelFolder(tf, model, folder)
    model.dispose()
    const tar = new Uint8Array(tarArchive(['model.json', 'weights.bin'].map((name) => ({ name, data: readFileSync(join(folder, name)) }))))
    real = { keras, h5: new Uint8Array(readFileSync(h5Path)), tar }
    return real
  }
  const weightsOnlyH5 = async (): Promise<Uint8Array> => {
    const h5wasm = await loadH5wasm()
    const path = join(scratch, 'weights-only.h5')
    const file = new h5wasm.File(path, 'w')
    file.create_attribute('layer_names', ['dense'], [1], 'S5')
    file.create_group('dense')
    file.close()
    return new Uint8Array(readFileSync(path))
  }
  const kerasZip = (entries: Record<string, unknown>): Uint8Array => zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, encoder.encode(typeof v === 'string' ? v : JSON.stringify(v))])))
  const sequential = (layers: unknown[]): unknown => ({ module: 'keras', class_name: 'Sequential', config: { name: 's', layers } })
  const input2 = { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 2], name: 'input_layer' } }

  // Netron style: each file and the words its refusal must contain.
  const TABLE: Array<[string, string, () => Promise<Uint8Array>, RegExp]> = [
    ['empty file', 'model.keras', async () => new Uint8Array(0), /^model\.keras is empty \(0 bytes\)/],
    ['truncated .keras', 'model.keras', async () => (await files()).keras.subarray(0, Math.floor((await files()).keras.length / 2)), /^model\.keras is a damaged zip archive .*truncated/],
    ['.keras that is not a zip', 'model.keras', async () => encoder.encode('hello'), /^model\.keras is not a \.keras archive \(not a zip file\)/],
    ['zip without config.json', 'other.keras', async () => kerasZip({ 'readme.txt': 'x' }), /^other\.keras has no config\.json/],
    ['.keras without weights', 'model.keras', async () => kerasZip({ 'config.json': sequential([input2, { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 1 } }]) }), /has no model\.weights\.h5/],
    ['.keras of a subclassed model', 'f.keras', async () => kerasZip({ 'config.json': { module: 'my_models', class_name: 'MyModel', config: {} } }), /only Keras Sequential and Functional models can be imported; this one is a MyModel \(a subclassed model/],
    ['.keras of a Functional model with two inputs', 'two.keras', async () => kerasZip({ 'config.json': { module: 'keras.src.models.functional', class_name: 'Functional', config: { layers: [{ ...input2, name: 'a' }, { ...input2, name: 'b', config: { ...input2.config, name: 'b' } }], input_layers: [['a', 0, 0], ['b', 0, 0]], output_layers: [['a', 0, 0]] } } }), /has 2 inputs \(a, b\); the workbench builds models with one input/],
    ['.keras with an unknown layer', 'u.keras', async () => kerasZip({ 'config.json': sequential([input2, { module: 'keras.layers', class_name: 'ConvLSTM1D', config: { name: 'conv_lstm', filters: 2, kernel_size: 2 } }]), 'model.weights.h5': (await files()).h5 }), /layer 1 \(ConvLSTM1D\): unknown layer class "ConvLSTM1D"/],
    ['.keras with hard_sigmoid (Keras 3 meaning)', 'hs.keras', async () => kerasZip({ 'config.json': sequential([input2, { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 1, activation: 'hard_sigmoid' } }]) }), /activation hard_sigmoid means relu6\(x \+ 3\) \/ 6 in Keras 3/],
    ['quantized Dense', 'q.keras', async () => kerasZip({ 'config.json': sequential([input2, { module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 1, quantization_config: { mode: 'int8' } } }]) }), /the layer is quantized/],
    ['.h5 that is text', 'model.h5', async () => encoder.encode('not hdf5 at all'), /^model\.h5 is not an HDF5 file \(no HDF5 signature\)/],
    ['truncated .h5', 'model.h5', async () => (await files()).h5.subarray(0, 1200), /^model\.h5 is damaged: HDF5 cannot open it \(truncated: 1200 bytes of the \d+ it records\)/],
    ['weights-only .h5', 'weights.h5', weightsOnlyH5, /holds no model_config: it is a weights-only file/],
    ['model.json that is not JSON', 'model.json', async () => encoder.encode('{oops'), /^model\.json is not valid JSON/],
    ['model.json without its weights', 'model.json', async () => new TextEncoder().encode(JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, batch_input_shape: [null, 1] } }] } }, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'd/kernel', shape: [1, 1], dtype: 'float32' }] }] })), /needs the weights file "weights\.bin" beside it/],
    ['truncated .tfjs.tar', 'run.tfjs.tar', async () => (await files()).tar.subarray(0, 700), /truncated tar archive/],
    ['binary of another kind', 'model.bin', async () => new Uint8Array([0, 1, 2, 3, 4, 5]), /^model\.bin is not a model file the workbench reads; expected a Keras \.keras or \.h5 file/]
  ]

  it.each(TABLE)('%s → refused', async (_what, name, bytes, message) => {
    const error = await importModelBytes(name, await bytes()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkbenchError)
    expect((error as WorkbenchError).code).toBe('bad_input')
    expect((error as Error).message).toMatch(message)
  })

  it('a missing file is not_found', async () => {
    await expect(importModelFile(join(scratch, 'nope.keras'))).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no such file/) })
  })
})

describe('spec JSON', () => {
  it('reads our own spec, weights split out', async () => {
    const s = spec('w', [2], [{ class_name: 'Dense', config: { units: 1 }, weights: [[0.5, -1], [0.25]] }])
    const imported = await importModelBytes('w.spec.json', new TextEncoder().encode(JSON.stringify(s)))
    expect(imported.source).toBe('spec')
    expect(imported.weights).toEqual([[[0.5, -1], [0.25]]])
    expect(imported.spec.layers[0].weights).toBeUndefined()
  })
})
