// TF.js layers export: model.json + weights.bin, a LayersModel that tf.loadLayersModel reads,
// rebuilt from the ExportModel by the app's own model builder with the trained weights set (a
// graph: tfjs's functional "Model" topology; Subtract is refused, tfjs has no such layer). The
// input scaling goes in front, so the model takes raw values: a Rescaling layer for a uniform
// scale without offset (÷255), otherwise a frozen BatchNormalization whose moving mean is the
// offset, gamma the scale, variance 1 and epsilon 0, which tfjs evaluates as exactly
// (x − offset) · scale (over the last axis, or over the flattened sample between Flatten and
// Reshape when the constants vary along other axes too). A diagonal Dense would compute
// x·scale − offset·scale instead, which loses digits to cancellation when offsets are large
// against the spread (years, prices), and needs features² weights.
import { readFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as TfjsModule from '@tensorflow/tfjs'
import { buildModel } from '../../engine/model-builder'
import { LAYER_CLASSES } from '../../../shared/model-spec/registry'
import { applyScaling } from '../from-tfjs'
import { ExportRefusal, maxAbsDiff, type ExportModel, type Exporter, type InputScaling, type Preprocessing, type Verification } from '../types'
import { PREPROCESS_JS, preprocessJs } from '../helpers/preprocess-js'
import { headerSection, inputSection, outputSection } from '../helpers/readme'
import { checkScalingSize } from '../helpers/scaling'

type Tf = typeof TfjsModule
type ModelArtifacts = TfjsModule.io.ModelArtifacts
type WeightsManifestEntry = TfjsModule.io.WeightsManifestEntry

const FORMAT = 'tfjs'
const SUPPORTED = new Set([
  'InputLayer', 'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D',
  'Conv1D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling1D', 'AveragePooling1D',
  'GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'UpSampling2D', 'ZeroPadding2D', 'Cropping2D',
  'Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'LayerNormalization', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise',
  'Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'
])

const nodeRequire = createRequire(__filename)
const loadTf = (): Tf => nodeRequire('@tensorflow/tfjs') as Tf

/** How the scaling goes into the model: a Rescaling layer, or a frozen BatchNormalization over the last axis or over the flattened sample. */
export type ScalingPlan =
  | { kind: 'none' }
  | { kind: 'rescaling'; scale: number }
  | { kind: 'normalize-last-axis'; scale: number[]; offset: number[] }
  | { kind: 'normalize-flat'; scale: number[]; offset: number[] }

export function scalingPlan(inputShape: number[], scaling: InputScaling | null): ScalingPlan {
  if (!scaling) return { kind: 'none' }
  checkScalingSize(FORMAT, 'TF.js export', inputShape, scaling)
  // Rescaling computes x·scale (+ offset): exact only without an offset.
  if (scaling.uniform && scaling.uniform.offset === 0) return { kind: 'rescaling', scale: scaling.uniform.scale }
  const last = inputShape[inputShape.length - 1]
  // The same constants at every position but the last axis (per channel, or a plain table): normalise over the last axis.
  const perLast = scaling.offset.every((o, i) => o === scaling.offset[i % last] && scaling.scale[i] === scaling.scale[i % last])
  if (perLast) return { kind: 'normalize-last-axis', scale: scaling.scale.slice(0, last), offset: scaling.offset.slice(0, last) }
  return { kind: 'normalize-flat', scale: scaling.scale, offset: scaling.offset }
}

function refuseUnsupported(model: ExportModel): void {
  for (const layer of model.layers) {
    if (layer.class_name === 'Subtract') {
      throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `TF.js export cannot hold layer ${layer.index + 1} "${layer.name}" (Subtract): tfjs-layers has no Subtract layer, so tf.loadLayersModel would refuse the file; export as ONNX, Keras or PyTorch, or build the difference as Add with a Dense layer of weight −1`)
    }
    if (!SUPPORTED.has(layer.class_name) || !(layer.class_name in LAYER_CLASSES)) {
      throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `TF.js export cannot hold layer ${layer.index + 1} "${layer.name}" (${layer.class_name}): the workbench has no tfjs counterpart for this layer class`)
    }
  }
}

/** The artifacts tfjs's own serialiser gives for a model (topology JSON, weight specs, one weight buffer). */
async function artifactsOf(tf: Tf, model: TfjsModule.LayersModel): Promise<{ topology: Record<string, unknown>; specs: WeightsManifestEntry[]; data: ArrayBuffer }> {
  let captured: ModelArtifacts | null = null
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  const artifacts = captured as ModelArtifacts | null
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) throw new Error('tfjs saved no topology')
  const data = artifacts.weightData
  const buffer = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data
  return { topology: artifacts.modelTopology as Record<string, unknown>, specs: artifacts.weightSpecs, data: buffer }
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base
  for (let n = 1; taken.has(name); n++) name = `${base}_${n}`
  taken.add(name)
  return name
}

/** The scaling layers as their own small Sequential (built by tfjs, so their JSON is tfjs's own). */
function scalingModel(tf: Tf, plan: ScalingPlan, inputShape: number[], taken: Set<string>): TfjsModule.Sequential | null {
  if (plan.kind === 'none') return null
  const model = tf.sequential()
  const name = uniqueName('input_scaling', taken)
  if (plan.kind === 'rescaling') {
    model.add(tf.layers.rescaling({ name, inputShape, scale: plan.scale }))
    return model
  }
  const flat = plan.kind === 'normalize-flat'
  if (flat) model.add(tf.layers.flatten({ name: uniqueName('input_scaling_flatten', taken), inputShape }))
  // (x − moving_mean) · gamma / sqrt(moving_variance + epsilon) + beta with variance 1, epsilon 0, beta 0.
  const normalize = tf.layers.batchNormalization({ name, axis: -1, epsilon: 0, center: true, scale: true, trainable: false, ...(flat ? {} : { inputShape }) })
  model.add(normalize)
  if (flat) model.add(tf.layers.reshape({ name: uniqueName('input_scaling_reshape', taken), targetShape: inputShape }))
  const size = plan.scale.length
  const tensors = [tf.tensor(plan.scale, [size]), tf.zeros([size]), tf.tensor(plan.offset, [size]), tf.ones([size])]
  normalize.setWeights(tensors) // gamma, beta, moving_mean, moving_variance
  tf.dispose(tensors)
  return model
}

interface LayerJson {
  class_name: string
  config: Record<string, unknown>
  /** Functional ("Model") topologies: the layer's name and calls, [[["source", 0, 0, {}], …]]. */
  name?: string
  inbound_nodes?: unknown[][][]
}

/**
 * A functional topology with the scaling layers chained right after its InputLayer: every layer
 * that took the input takes the last scaling layer's output instead.
 */
function functionalWithScaling(layers: LayerJson[], scalerLayers: LayerJson[]): LayerJson[] {
  const input = layers.find((l) => l.class_name === 'InputLayer')
  if (!input) throw new Error('the functional tfjs topology has no InputLayer')
  const inputName = String(input.name ?? input.config.name)
  let previous = inputName
  const chain = scalerLayers.map((l) => {
    const config = { ...l.config }
    delete config.batch_input_shape
    const name = String(config.name)
    const entry: LayerJson = { class_name: l.class_name, config, name, inbound_nodes: [[[previous, 0, 0, {}]]] }
    previous = name
    return entry
  })
  const rest = layers.filter((l) => l !== input).map((l) => ({
    ...l,
    inbound_nodes: (l.inbound_nodes ?? []).map((node) => node.map((ref) => (ref[0] === inputName ? [previous, ...ref.slice(1)] : ref)))
  }))
  return [input, ...chain, ...rest]
}

export interface TfjsArtifacts {
  modelJson: Record<string, unknown>
  weights: Uint8Array
  preprocessing: Preprocessing
  plan: ScalingPlan
}

/** model.json (tfjs "layers-model" format) and weights.bin for an ExportModel. */
export async function tfjsArtifacts(model: ExportModel): Promise<TfjsArtifacts> {
  refuseUnsupported(model)
  const tf = loadTf()
  const app = buildModel(tf, model.spec, { seed: 0 })
  const disposables: TfjsModule.LayersModel[] = [app]
  try {
    for (const layer of model.layers) {
      // By name: a functional tfjs model's layers start with an InputLayer the spec may not have.
      let target: TfjsModule.layers.Layer | null = null
      try {
        target = app.getLayer(layer.name)
      } catch {
        target = null
      }
      if (!target || target.weights.length !== layer.weights.length) {
        throw new Error(`layer ${layer.index + 1} "${layer.name}": the rebuilt model has ${target?.weights.length ?? 'no'} weights, the run ${layer.weights.length}`)
      }
      if (layer.weights.length === 0) continue
      const tensors = layer.weights.map((w) => tf.tensor(w.data, w.shape))
      target.setWeights(tensors)
      tf.dispose(tensors)
    }
    const appArtifacts = await artifactsOf(tf, app)
    const plan = scalingPlan(model.input_shape, model.scaling)
    const topology = appArtifacts.topology
    const config = topology.config as { name: string; layers: LayerJson[] }
    // tfjs-layers 4.22's SeparableConv2D.getConfig leaves depth_multiplier out, so its own loader
    // would build a multiplier of 1 and refuse the weights: written back from the spec.
    const byName = new Map(model.layers.map((l) => [l.name, l]))
    for (const entry of config.layers) {
      const source = byName.get(String(entry.config.name))
      if (source?.class_name === 'SeparableConv2D' && entry.config.depth_multiplier === undefined) entry.config.depth_multiplier = source.config.depth_multiplier
    }
    let specs = appArtifacts.specs
    let weights = new Uint8Array(appArtifacts.data)
    const taken = new Set(config.layers.map((l) => String(l.config.name)))
    const scaler = scalingModel(tf, plan, model.input_shape, taken)
    if (scaler) {
      disposables.push(scaler)
      const scalerArtifacts = await artifactsOf(tf, scaler)
      const scalerLayers = (scalerArtifacts.topology.config as { layers: LayerJson[] }).layers
      if (topology.class_name === 'Sequential') {
        // The scaling layers come first and carry the input shape; the app's InputLayer (if any) and first-layer shape go.
        const appLayers = config.layers.filter((l) => l.class_name !== 'InputLayer').map((l, i) => {
          if (i > 0) return l
          const rest = { ...l.config }
          delete rest.batch_input_shape
          return { ...l, config: rest }
        })
        config.layers = [...scalerLayers, ...appLayers]
      } else {
        config.layers = functionalWithScaling(config.layers, scalerLayers)
      }
      specs = [...scalerArtifacts.specs, ...specs]
      const joined = new Uint8Array(scalerArtifacts.data.byteLength + weights.byteLength)
      joined.set(new Uint8Array(scalerArtifacts.data), 0)
      joined.set(weights, scalerArtifacts.data.byteLength)
      weights = joined
    }
    const preprocessing: Preprocessing = { ...model.preprocessing, scaling_in_model: model.scaling !== null }
    const modelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version['tfjs-layers']}`,
      convertedBy: `Model Workbench ${model.meta.app_version}`,
      modelTopology: topology,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      userDefinedMetadata: { preprocessing, model_workbench: model.meta }
    }
    return { modelJson, weights, preprocessing, plan }
  } finally {
    for (const m of disposables) m.dispose()
  }
}

function readme(model: ExportModel, pre: Preprocessing, plan: ScalingPlan): string {
  const shape = model.input_shape.join(', ')
  const scalingNote: Record<ScalingPlan['kind'], string> = {
    none: 'The model takes its inputs as they are.',
    rescaling: 'Its first layer, `input_scaling` (Rescaling), applies the training scaling: feed raw values.',
    'normalize-last-axis': 'Its first layer, `input_scaling` (a frozen BatchNormalization: moving mean = offset, gamma = scale, variance 1, epsilon 0), applies the training scaling: feed raw values.',
    'normalize-flat': 'Its first layers, `input_scaling…` (Flatten, a frozen BatchNormalization: moving mean = offset, gamma = scale, variance 1, epsilon 0, Reshape), apply the per-feature training scaling: feed raw values.'
  }
  return [
    ...headerSection(model, 'TensorFlow.js'),
    '`model.json` + `weights.bin`: a TensorFlow.js LayersModel (layers format). ' + scalingNote[plan.kind],
    '',
    ...inputSection(model, pre.scaling_in_model),
    '',
    ...outputSection(model),
    '',
    '## Browser',
    '',
    '```html',
    '<script src="https://cdn.jsdelivr.net/npm/@tensorflow/tfjs@4.22.0/dist/tf.min.js"></script>',
    `<script src="${PREPROCESS_JS}"></script>`,
    '<script>',
    "  tf.loadLayersModel('model.json').then((model) => {",
    `    const row = modelWorkbenchPreprocess.preprocess(/* a raw record${pre.kind === 'table' ? ' by column name' : ' as a flat array'} */)`,
    `    const y = model.predict(tf.tensor(row, [1, ${shape}]))`,
    '    console.log(modelWorkbenchPreprocess.decode(y.dataSync()))',
    '  })',
    '</script>',
    '```',
    '',
    '## Node',
    '',
    '```js',
    "const tf = require('@tensorflow/tfjs')",
    "const { readFileSync } = require('fs')",
    `const { preprocessRows, decode } = require('./${PREPROCESS_JS}')`,
    ';(async () => {',
    "  const json = JSON.parse(readFileSync('model.json', 'utf8'))",
    "  const weightData = new Uint8Array(readFileSync('weights.bin')).buffer",
    '  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }))',
    `  const rows = [/* raw records${pre.kind === 'table' ? ' by column name' : ' as flat arrays'} */]`,
    `  const y = model.predict(tf.tensor(preprocessRows(rows), [rows.length, ${shape}]))`,
    '  console.log(decode(y.arraySync()[0]))  // the first row',
    '})()',
    '```',
    '',
    "(With @tensorflow/tfjs-node, `tf.loadLayersModel('file://model.json')` works too.)",
    '',
    `\`preprocessing.json\` describes the columns, encodings, scaling and class names (also in model.json's \`userDefinedMetadata\`); \`${PREPROCESS_JS}\` turns a raw record into the input row.`,
    ''
  ].join('\n')
}

export const tfjsExporter: Exporter = {
  id: 'tfjs',
  label: 'TensorFlow.js',
  holds: ['model.json + weights.bin (LayersModel, input scaling inside where tfjs can hold it)', 'preprocessing.json', 'preprocess.js (raw record → input)', 'README.md'],
  supports: (layer) => SUPPORTED.has(layer.class_name),
  async write(model, dir) {
    const { modelJson, weights, preprocessing, plan } = await tfjsArtifacts(model)
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson))
    await writeFile(join(dir, 'weights.bin'), weights)
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(preprocessing, null, 2) + '\n')
    await writeFile(join(dir, PREPROCESS_JS), preprocessJs(preprocessing, model.meta.model_name))
    await writeFile(join(dir, 'README.md'), readme(model, preprocessing, plan))
    return ['model.json', 'weights.bin', 'preprocessing.json', PREPROCESS_JS, 'README.md']
  },
  async verify(model, dir, sample): Promise<Verification> {
    const tf = loadTf()
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: WeightsManifestEntry[] }> }
    const pre = JSON.parse(await readFile(join(dir, 'preprocessing.json'), 'utf8')) as Preprocessing
    // Every weight file the manifest names, in its order (what tf.loadLayersModel fetches).
    const parts = await Promise.all(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(join(dir, p)))))
    const weightData = tf.io.concatenateArrayBuffers(parts.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)))
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData }))
    try {
      // Scaling the file does not hold is applied from the preprocessing.json written beside it.
      const outside = !pre.scaling_in_model && pre.scaling ? { offset: pre.scaling.offset, scale: pre.scaling.scale, uniform: null } : null
      const input = outside ? applyScaling(sample.raw, sample.features, outside) : sample.raw
      const got = tf.tidy(() => {
        const y = loaded.predict(tf.tensor(input, [sample.rows, ...model.input_shape])) as TfjsModule.Tensor
        return y.dataSync() as Float32Array
      })
      return {
        verified_by: `tfjs ${tf.version.tfjs} (${tf.getBackend()})`,
        max_abs_diff: maxAbsDiff(got, sample.expected),
        rows: sample.rows,
        note: outside ? 'the scaling is not in the model file: applied from preprocessing.json before predicting' : null
      }
    } finally {
      loaded.dispose()
    }
  }
}
