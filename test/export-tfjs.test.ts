// The TF.js layers exporter on every fixture model: model.json + weights.bin in tfjs's own
// format, with the input scaling as its first layer (Rescaling, or a frozen BatchNormalization
// that computes (x − offset) · scale), reloaded from the files with tf.loadLayersModel and compared with the app's
// predictions on raw rows; and the generated preprocess.js, run in node on records with a
// categorical column, feeding the exported model as its README says.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scalingPlan, tfjsExporter } from '../src/main/export/formats/tfjs'
import { onnxExporter } from '../src/main/export/formats/onnx'
import { PREPROCESS_JS, preprocessJs } from '../src/main/export/helpers/preprocess-js'
import { inputScaling } from '../src/main/export/from-tfjs'
import { ExportRefusal, PARITY_TOLERANCE, maxAbsDiff, type Preprocessing } from '../src/main/export/types'
import { importModelBytes } from '../src/main/export/import'
import { isSequentialSpec, normalizeSpec, type ModelSpec } from '../src/shared/model-spec'
import { LAYER_CLASS_NAMES } from '../src/shared/model-spec/registry'
import { FIXTURE_SPECS, fixture, spec, type Fixture } from './export-fixtures'
import { GRAPH_OPTIONS, GRAPH_SPECS, MORE_GRAPH_OPTIONS, MORE_GRAPH_SPECS } from './graph-fixtures'
import { ACTIVATION_SPECS, ENCODED, MORE_SPECS, RECORDS, fixtureWithScaling, modelWithUnknownLayer, readmeScript, tableCategoricalFixture, tablePreprocessing } from './export-fixtures-more'

const root = mkdtempSync(join(tmpdir(), 'export-tfjs-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const diffs: Record<string, number> = {}
afterAll(() => console.log(`export-tfjs: max |Δ| vs the app: ${JSON.stringify(diffs)}`))

interface ModelJson {
  format: string
  modelTopology: { class_name: string; config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>
  userDefinedMetadata: { preprocessing: Preprocessing; model_workbench: { run_id: string } }
}

async function exportAndVerify(name: string, f: Fixture): Promise<{ dir: string; json: ModelJson; pre: Preprocessing; note: string | null }> {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const files = await tfjsExporter.write(f.model, dir)
  expect(files.sort()).toEqual(['README.md', 'model.json', 'preprocess.js', 'preprocessing.json', 'weights.bin'])
  const verification = await tfjsExporter.verify!(f.model, dir, f.sample)
  expect(verification.verified_by).toMatch(/^tfjs 4\.\d+\.\d+ \((cpu|wasm|tensorflow)\)$/)
  expect(verification.rows).toBe(f.sample.rows)
  expect(verification.max_abs_diff).not.toBeNull()
  expect(verification.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
  diffs[name] = verification.max_abs_diff!
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson
  const pre = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8')) as Preprocessing
  // Structure every export shares: one weights file holding exactly the manifest's float32 tensors, the preprocessing inside too.
  expect(json.format).toBe('layers-model')
  expect(json.modelTopology.class_name).toBe('Sequential')
  expect(json.weightsManifest.map((g) => g.paths)).toEqual([['weights.bin']])
  const floats = json.weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0)
  expect(statSync(join(dir, 'weights.bin')).size).toBe(floats * 4)
  expect(json.weightsManifest[0].weights.every((w) => w.dtype === 'float32')).toBe(true)
  expect(new Set(json.weightsManifest[0].weights.map((w) => w.name)).size).toBe(json.weightsManifest[0].weights.length)
  expect(json.userDefinedMetadata.preprocessing).toEqual(pre)
  expect(json.userDefinedMetadata.model_workbench.run_id).toBe('run-fixture')
  expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, ...f.model.input_shape])
  return { dir, json, pre, note: verification.note }
}

const classes = (json: ModelJson): string[] => json.modelTopology.config.layers.map((l) => l.class_name)

describe('TF.js exporter', () => {
  it('plans the scaling: Rescaling when uniform without offset, else a BatchNormalization over the last axis or the flattened sample', () => {
    expect(scalingPlan([784], inputScaling(new Array<number>(784).fill(0), new Array<number>(784).fill(1 / 255)))).toEqual({ kind: 'rescaling', scale: 1 / 255 })
    expect(scalingPlan([2], inputScaling([1, 1], [3, 3]))).toEqual({ kind: 'normalize-last-axis', scale: [3, 3], offset: [1, 1] })
    expect(scalingPlan([2], inputScaling([1, 2], [3, 4]))).toEqual({ kind: 'normalize-last-axis', scale: [3, 4], offset: [1, 2] })
    expect(scalingPlan([2, 2, 2], inputScaling([1, 2, 1, 2, 1, 2, 1, 2], [3, 4, 3, 4, 3, 4, 3, 4]))).toEqual({ kind: 'normalize-last-axis', scale: [3, 4], offset: [1, 2] })
    expect(scalingPlan([2, 1], inputScaling([1, 2], [3, 4]))).toEqual({ kind: 'normalize-flat', scale: [3, 4], offset: [1, 2] })
    expect(scalingPlan([3], null)).toEqual({ kind: 'none' })
    expect(() => scalingPlan([3], inputScaling([1, 2], [3, 4]))).toThrow(/2 offsets and 2 scales for 3 input features/)
  })

  it('linear (S1-like): a frozen BatchNormalization in front computes (raw − offset) · scale', async () => {
    const f = await fixture(FIXTURE_SPECS.linear)
    const { json, pre, dir } = await exportAndVerify('linear', f)
    expect(classes(json)).toEqual(['BatchNormalization', 'Dense'])
    const first = json.modelTopology.config.layers[0].config
    expect([first.name, first.trainable, first.epsilon, first.axis]).toEqual(['input_scaling', false, 0, -1])
    expect(json.weightsManifest[0].weights.slice(0, 4).map((w) => w.name)).toEqual(['input_scaling/gamma', 'input_scaling/beta', 'input_scaling/moving_mean', 'input_scaling/moving_variance'])
    const data = new Float32Array(new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer)
    expect(Array.from(data.slice(0, 4))).toEqual([2, 0, 7, 1]) // scale 1/0.5, beta 0, offset 10 − 3, variance 1
    expect(pre.scaling_in_model).toBe(true)
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('tf.loadLayersModel')
    f.dispose()
  })

  it('mnistMlp (S5-like): ÷255 as a Rescaling layer tfjs reads back', async () => {
    const f = await fixture(FIXTURE_SPECS.mnistMlp, { scaling: 'divide255', rows: 32 })
    const { json } = await exportAndVerify('mnistMlp', f)
    expect(classes(json)).toEqual(['Rescaling', 'Dense', 'Dropout', 'Dense'])
    expect(json.modelTopology.config.layers[0].config.scale).toBeCloseTo(1 / 255, 12)
    f.dispose()
  })

  it.each(['table', 'binary', 'cnn'] as const)('%s', async (name) => {
    const f = await fixture(FIXTURE_SPECS[name], { scaling: name === 'cnn' ? 'divide255' : 'standard' })
    const { json } = await exportAndVerify(name, f)
    expect(classes(json)[0]).toBe(name === 'cnn' ? 'Rescaling' : 'BatchNormalization')
    expect(classes(json).slice(1)).toEqual(FIXTURE_SPECS[name].layers.map((l) => l.class_name))
    f.dispose()
  })

  it('cnn with per-pixel scaling: Flatten → BatchNormalization → Reshape in front', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'standard', seed: 5 })
    const { json } = await exportAndVerify('cnnStandard', f)
    expect(classes(json).slice(0, 4)).toEqual(['Flatten', 'BatchNormalization', 'Reshape', 'Conv2D'])
    f.dispose()
  })

  it('per-channel image scaling and uniform scaling with an offset: one BatchNormalization over the channels (also in ONNX)', async () => {
    const s = spec('rgb', [4, 4, 3], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: [3, 3], activation: 'relu' } }, { class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 2, activation: 'softmax' } }])
    const perChannel = await fixtureWithScaling(s, Array.from({ length: 48 }, (_, i) => [120, 110, 100][i % 3]), Array.from({ length: 48 }, (_, i) => [1 / 60, 1 / 50, 1 / 40][i % 3]))
    const { json } = await exportAndVerify('perChannel', perChannel)
    expect(classes(json)).toEqual(['BatchNormalization', 'Conv2D', 'Flatten', 'Dense'])
    expect(json.weightsManifest[0].weights[0]).toEqual({ name: 'input_scaling/gamma', shape: [3], dtype: 'float32' })
    const uniform = await fixtureWithScaling(s, new Array<number>(48).fill(127.5), new Array<number>(48).fill(1 / 127.5))
    const u = await exportAndVerify('uniformOffset', uniform)
    expect(classes(u.json)[0]).toBe('BatchNormalization')
    for (const [name, f] of [['perChannel', perChannel], ['uniformOffset', uniform]] as const) {
      const dir = join(root, `onnx-${name}`)
      mkdirSync(dir, { recursive: true })
      await onnxExporter.write(f.model, dir)
      const v = await onnxExporter.verify!(f.model, dir, f.sample)
      expect(v.max_abs_diff!, name).toBeLessThan(PARITY_TOLERANCE)
      diffs[`onnx:${name}`] = v.max_abs_diff!
      f.dispose()
    }
  })

  it('a wide table (1 030 features) keeps its per-feature scaling inside, with 4 weights per feature', async () => {
    const features = 1030
    const s = spec('wide', [features], [{ class_name: 'Dense', config: { units: 2 } }])
    // Year-like offsets, small spreads: x·scale − offset·scale would lose digits here.
    const f = await fixtureWithScaling(s, Array.from({ length: features }, (_, i) => 1990 + (i % 30)), Array.from({ length: features }, (_, i) => 1 / (1 + (i % 5))), { rows: 4 })
    const { json, pre, note } = await exportAndVerify('wide', f)
    expect(classes(json)).toEqual(['BatchNormalization', 'Dense'])
    expect(json.weightsManifest[0].weights.slice(0, 4).map((w) => w.shape)).toEqual([[features], [features], [features], [features]])
    expect(pre.scaling_in_model).toBe(true)
    expect(note).toBeNull()
    f.dispose()
  })

  it('a model whose preprocessing.json says the scaling is outside is verified with the scaling applied from that file', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { rows: 4 })
    const dir = join(root, 'outside')
    mkdirSync(dir, { recursive: true })
    // What an exporter writes for a model without the scaling inside: the same network, scaling_in_model false.
    await tfjsExporter.write({ ...f.model, scaling: null }, dir)
    const pre = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8')) as Preprocessing
    writeFileSync(join(dir, 'preprocessing.json'), JSON.stringify({ ...pre, scaling: f.model.preprocessing.scaling, scaling_in_model: false }))
    const v = await tfjsExporter.verify!(f.model, dir, f.sample)
    expect(v.note).toMatch(/not in the model file/)
    expect(v.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
    f.dispose()
  })

  it.each(Object.keys(MORE_SPECS))('%s (InputLayer, strides, dilation, pooling, Reshape, BatchNormalization without beta)', async (name) => {
    const f = await fixture(MORE_SPECS[name as keyof typeof MORE_SPECS], { scaling: 'standard', rows: 12 })
    const { json } = await exportAndVerify(name, f)
    expect(classes(json)).not.toContain('InputLayer')
    f.dispose()
  })

  it('keeps an InputLayer when there is no scaling to put in front', async () => {
    const f = await fixture(MORE_SPECS.convValid, { scaling: 'none', rows: 4 })
    const { json } = await exportAndVerify('convValidRaw', f)
    expect(classes(json)[0]).toBe('InputLayer')
    f.dispose()
  })

  it('every activation', async () => {
    for (const [name, s] of Object.entries(ACTIVATION_SPECS)) {
      const f = await fixture(s, { scaling: 'none', rows: 8 })
      await exportAndVerify(`act_${name}`, f)
      f.dispose()
    }
  })

  it('both exporters support every layer class the Designer offers, and refuse one they do not know by name', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { rows: 2 })
    for (const className of LAYER_CLASS_NAMES) {
      const layer = { ...f.model.layers[0], class_name: className }
      // Subtract is the app's own tfjs layer: a plain tf.loadLayersModel cannot load it.
      expect(tfjsExporter.supports(layer), className).toBe(className !== 'Subtract')
      expect(onnxExporter.supports(layer), className).toBe(true)
    }
    const odd = modelWithUnknownLayer(f.model)
    expect(tfjsExporter.supports(odd.layers[1])).toBe(false)
    const dir = join(root, 'refused')
    mkdirSync(dir, { recursive: true })
    const error = await tfjsExporter.write(odd, dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExportRefusal)
    expect((error as ExportRefusal).format).toBe('tfjs')
    expect((error as ExportRefusal).layer).toEqual({ index: 1, class_name: 'QuantumEntangler', name: 'entangler_1' })
    expect((error as Error).message).toMatch(/TF\.js.*"entangler_1" \(QuantumEntangler\)/)
    f.dispose()
  })
})

function runNode(dir: string, script: string): unknown {
  writeFileSync(join(dir, 'run.cjs'), script)
  return JSON.parse(execFileSync(process.execPath, [join(dir, 'run.cjs')], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
}

describe('preprocess.js', () => {
  it('turns records by column name into the input: numbers, fill, one-hot; refuses what it cannot encode', () => {
    const dir = join(root, 'preprocess')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'in-model.js'), preprocessJs(tablePreprocessing(true), 'table'))
    writeFileSync(join(dir, 'outside.js'), preprocessJs(tablePreprocessing(false), 'table'))
    const result = runNode(dir, `
      const inModel = require('./in-model.js'), outside = require('./outside.js')
      const attempt = (f) => { try { f(); return null } catch (e) { return e.message } }
      console.log(JSON.stringify({
        raw: Array.from(inModel.preprocessRows(${JSON.stringify(RECORDS)})),
        scaled: Array.from(outside.preprocess({ age: 50, color: 'blue', income: 1100 })),
        shape: inModel.INPUT_SHAPE,
        errors: [
          attempt(() => inModel.preprocess({ age: 1, color: 'purple', income: 2 })),
          attempt(() => inModel.preprocess({ age: 1, color: 'red' })),
          attempt(() => inModel.preprocess({ age: 'old', color: 'red', income: 2 })),
          attempt(() => inModel.preprocess({ age: 1, income: 2 }))
        ],
        decoded: [inModel.decode([0.1, 0.7, 0.2]), inModel.decode(new Float32Array([0.5, 0.2, 0.3]))]
      }))`) as { raw: number[]; scaled: number[]; shape: number[]; errors: string[]; decoded: Array<{ label: string; index: number }> }
    expect(result.raw).toEqual(ENCODED)
    expect(result.scaled.map((v) => Number(v.toFixed(5)))).toEqual([2, 1, 0, 0, 1])
    expect(result.shape).toEqual([5])
    expect(result.errors[0]).toMatch(/"color" is "purple", not one of the categories seen in training \("blue", "green", "red"\)/)
    expect(result.errors[1]).toMatch(/"income" is missing/)
    expect(result.errors[2]).toMatch(/"age" is "old", not a number/)
    expect(result.errors[3]).toMatch(/"color" is missing/)
    expect(result.decoded.map((d) => [d.label, d.index])).toEqual([['mid', 1], ['low', 0]])
  })

  it('binary and image helpers: threshold decoding, flat pixel arrays checked for length', () => {
    const dir = join(root, 'preprocess-image')
    mkdirSync(dir, { recursive: true })
    const pre: Preprocessing = {
      ...tablePreprocessing(true),
      kind: 'image',
      input_shape: [2, 2, 1],
      columns: [],
      feature_names: [],
      scaling: { method: 'divide255', offset: [0, 0, 0, 0], scale: [1 / 255, 1 / 255, 1 / 255, 1 / 255] },
      image: { height: 2, width: 2, channels: 1, pixel_range: [0, 255] },
      output: { task: 'binary', kind: 'probabilities', size: 1, class_names: ['cat', 'dog'], threshold: 0.7 }
    }
    writeFileSync(join(dir, PREPROCESS_JS), preprocessJs(pre, 'pets'))
    const result = runNode(dir, `
      const p = require('./preprocess.js')
      const attempt = (f) => { try { f(); return null } catch (e) { return e.message } }
      console.log(JSON.stringify({ px: Array.from(p.preprocess([0, 128, 255, 7])), short: attempt(() => p.preprocess([1, 2])), named: attempt(() => p.preprocess({ a: 1 })), d: [p.decode([0.69]).label, p.decode([0.71]).label] }))`) as { px: number[]; short: string; named: string; d: string[] }
    expect(result.px).toEqual([0, 128, 255, 7])
    expect(result.short).toMatch(/expected 4 values, got 2/)
    expect(result.named).toMatch(/flat array of 4 numbers/)
    expect(result.d).toEqual(['cat', 'dog'])
  })

  it('feeds the exported TF.js model in node with the README\'s own Node example, answering like the app', async () => {
    const f = await tableCategoricalFixture()
    const dir = join(root, 'table-cat')
    mkdirSync(dir, { recursive: true })
    await tfjsExporter.write(f.model, dir)
    const script = readmeScript(readFileSync(join(dir, 'README.md'), 'utf8'), '## Node', { "'@tensorflow/tfjs'": JSON.stringify(resolve('node_modules/@tensorflow/tfjs')) })
    const out = runNode(dir, script) as Array<{ label: string; scores: number[] }>
    expect(out).toHaveLength(RECORDS.length)
    const got = Float32Array.from(out.flatMap((r) => r.scores))
    let max = 0
    got.forEach((v, i) => (max = Math.max(max, Math.abs(v - f.sample.expected[i]))))
    expect(max).toBeLessThan(PARITY_TOLERANCE)
    diffs['tableCategorical(README Node example)'] = max
    expect(out.map((r) => r.label)).toEqual(out.map((r) => ['low', 'mid', 'high'][r.scores.indexOf(Math.max(...r.scores))]))
    f.dispose()
  })
})

/**
 * The exported folder loaded by plain @tensorflow/tfjs in a fresh node process (none of the app's
 * code or custom layers): its predictions on the raw rows, flattened.
 */
function freshTfjsPredict(dir: string, raw: Float32Array, shape: number[]): Float32Array {
  writeFileSync(join(dir, 'raw.f32'), Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength))
  const out = runNode(dir, `
    const tf = require(${JSON.stringify(resolve('node_modules/@tensorflow/tfjs'))})
    const { readFileSync } = require('fs')
    ;(async () => {
      const json = JSON.parse(readFileSync('model.json', 'utf8'))
      const weightData = new Uint8Array(readFileSync('weights.bin')).buffer
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }))
      const bytes = readFileSync('raw.f32')
      const raw = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      const shape = ${JSON.stringify(shape)}
      const rows = raw.length / shape.reduce((a, b) => a * b, 1)
      const y = model.predict(tf.tensor(raw, [rows, ...shape]))
      console.log(JSON.stringify(Array.from(y.dataSync())))
    })()`) as number[]
  return Float32Array.from(out)
}

const TFJS_GRAPHS = [
  ...Object.keys(GRAPH_SPECS).map((name) => ({ name, s: GRAPH_SPECS[name as keyof typeof GRAPH_SPECS], options: GRAPH_OPTIONS[name] })),
  ...(['bidirectional', 'embeddingLstm', 'conv1dGru', 'concatConv', 'convFamily', 'normalization', 'bilinear'] as const).map((name) => ({ name, s: MORE_GRAPH_SPECS[name], options: MORE_GRAPH_OPTIONS[name] }))
]

describe('TF.js exporter: graph models', () => {
  it.each(TFJS_GRAPHS)('$name: a functional model.json that plain tfjs loads in a fresh process, answering like the app', async ({ name, s, options }) => {
    const f = await fixture(s, { rows: 12, ...options })
    const dir = join(root, `graph-${name}`)
    mkdirSync(dir, { recursive: true })
    await tfjsExporter.write(f.model, dir)
    const verification = await tfjsExporter.verify!(f.model, dir, f.sample)
    expect(verification.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { class_name: string; config: { layers: Array<{ class_name: string; name?: string; inbound_nodes?: unknown[][][] }> } } }
    const sequential = isSequentialSpec(s)
    expect(json.modelTopology.class_name).toBe(sequential ? 'Sequential' : 'Model')
    if (!sequential && f.model.scaling) {
      // The scaling layers sit between the InputLayer and every layer that took the input.
      const layers = json.modelTopology.config.layers
      expect(layers[0].class_name).toBe('InputLayer')
      const takers = layers.slice(1).filter((l) => JSON.stringify(l.inbound_nodes ?? []).includes(`"${layers[0].name}"`))
      expect(takers.map((l) => l.name?.startsWith('input_scaling'))).toEqual([true])
    }
    const fresh = freshTfjsPredict(dir, f.sample.raw, f.model.input_shape)
    const diff = maxAbsDiff(fresh, f.sample.expected)
    diffs[`graph ${name} (fresh tfjs)`] = diff
    expect(diff).toBeLessThan(PARITY_TOLERANCE)
    // And it imports back: the same graph, the scaling layers in front as ordinary layers (tfjs's spellings read back too).
    const back = await importModelBytes('model.json', new Uint8Array(readFileSync(join(dir, 'model.json'))), { files: new Map([['weights.bin', new Uint8Array(readFileSync(join(dir, 'weights.bin')))]]) })
    const own = new Set(f.model.layers.map((l) => l.name))
    // (tfjs lists a graph's layers by depth: the same graph may come back in another topological order.)
    const named = (spec: ModelSpec): unknown => spec.layers.filter((l) => own.has(String(l.config.name))).map((l) => [l.class_name, String(l.config.name), (l.inbound ?? []).filter((n) => own.has(n))]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))
    expect(named(back.spec)).toEqual(named(normalizeSpec(s)))
    f.dispose()
  })

  it('refuses Subtract (tfjs has no such layer), naming it', async () => {
    const f = await fixture(MORE_GRAPH_SPECS.merges, { rows: 2, ...MORE_GRAPH_OPTIONS.merges })
    const dir = join(root, 'graph-subtract')
    mkdirSync(dir, { recursive: true })
    const error = await tfjsExporter.write(f.model, dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExportRefusal)
    expect((error as ExportRefusal).layer).toMatchObject({ class_name: 'Subtract', name: 'sub' })
    expect((error as Error).message).toMatch(/tfjs-layers has no Subtract layer/)
    f.dispose()
  })
})
