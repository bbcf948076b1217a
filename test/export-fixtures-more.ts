// More models for the ONNX and TF.js exporter tests, beyond test/export-fixtures.ts: one per
// activation the registry offers, and convolution/pooling variants (strides, dilation, 'same'
// average pooling, Reshape, Dense on a rank-3 tensor, BatchNormalization without beta), and one
// that tfjs computes unlike Keras (BatchNormalization on a non-last axis).
import * as tf from '@tensorflow/tfjs'
import { ACTIVATIONS } from '../src/shared/model-spec/registry'
import { buildModel } from '../src/main/engine/model-builder'
import { createRandom } from '../src/main/engine/seeded-random'
import { inputScaling, referenceSample } from '../src/main/export/from-tfjs'
import type { ExportModel, Preprocessing } from '../src/main/export/types'
import type { ModelSpec } from '../src/shared/model-spec'
import { fixture, spec, type Fixture } from './export-fixtures'

/** Dense with the activation, then the same activation as its own layer (wide input range, so both branches of relu/elu/… are hit). */
export const ACTIVATION_SPECS: Record<string, ModelSpec> = Object.fromEntries(
  ACTIVATIONS.map((activation) => [
    activation,
    spec(`act-${activation}`, [5], [
      { class_name: 'Dense', config: { units: 7, activation, kernel_initializer: { class_name: 'RandomNormal', config: { mean: 0, stddev: 1.5 } } } },
      { class_name: 'Dense', config: { units: 4 } },
      { class_name: 'Activation', config: { activation } }
    ])
  ])
)

export const MORE_SPECS = {
  /** Strided 'same' conv, 'same' average pooling (padded cells excluded), dilated conv, strided 'same' max pooling, Reshape, rank-3 Dense. */
  convMix: spec('conv-mix', [9, 9, 2], [
    { class_name: 'Conv2D', config: { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'selu' } },
    { class_name: 'AveragePooling2D', config: { pool_size: [2, 2], strides: [1, 1], padding: 'same' } },
    { class_name: 'Conv2D', config: { filters: 2, kernel_size: [2, 2], dilation_rate: [2, 2], padding: 'same', activation: 'swish' } },
    { class_name: 'MaxPooling2D', config: { pool_size: [3, 3], strides: [2, 2], padding: 'same' } },
    { class_name: 'Dropout', config: { rate: 0.5 } },
    { class_name: 'Flatten', config: {} },
    { class_name: 'Reshape', config: { target_shape: [3, -1] } },
    { class_name: 'BatchNormalization', config: { axis: -1, epsilon: 0.01 } },
    { class_name: 'Dense', config: { units: 4, activation: 'elu' } },
    { class_name: 'Flatten', config: {} },
    { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
  ]),
  /** 'valid' average pooling with strides, a conv without bias, an InputLayer, softmax straight after a conv (over channels). */
  convValid: spec('conv-valid', [7, 6, 3], [
    { class_name: 'InputLayer', config: { input_shape: [7, 6, 3] } },
    { class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 2], padding: 'valid', use_bias: false, activation: 'relu6' } },
    { class_name: 'AveragePooling2D', config: { pool_size: [2, 2], strides: [2, 1], padding: 'valid' } },
    { class_name: 'BatchNormalization', config: { epsilon: 0.1, center: false } },
    { class_name: 'Conv2D', config: { filters: 3, kernel_size: [1, 1], activation: 'softmax' } }
  ])
} satisfies Record<string, ModelSpec>

/** BatchNormalization over axis 1 of a (3, 6) tensor: tfjs applies its statistics along the last axis instead. */
export const BN_AXIS1_SPEC = spec('bn-axis-1', [3, 6], [{ class_name: 'BatchNormalization', config: { axis: 1 } }, { class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 2 } }])

/** A hand-made ExportModel whose second layer is a class no format knows (for refusal tests). */
export function modelWithUnknownLayer(base: ExportModel, className = 'QuantumEntangler'): ExportModel {
  const first = base.layers[0]
  const fake = { ...first, index: 1, class_name: className, name: 'entangler_1', config: { name: 'entangler_1' }, spec: { class_name: className, config: {} }, weights: [] }
  return { ...base, layers: [first, fake] }
}

/**
 * The fixture's model with another input scaling (uniform with an offset, per channel, …): the
 * app's predictions are recomputed with that scaling from the same seeded tfjs model.
 * Only for specs without BatchNormalization (fixture() moves those statistics after building).
 */
export async function fixtureWithScaling(s: ModelSpec, offset: number[], scale: number[], options: { rows?: number; seed?: number; raw?: Float32Array } = {}): Promise<Fixture> {
  if (s.layers.some((l) => l.class_name === 'BatchNormalization')) throw new Error('fixtureWithScaling: no BatchNormalization')
  const seed = options.seed ?? 3
  const base = await fixture(s, { scaling: 'none', rows: options.rows ?? 16, seed })
  const model = buildModel(tf, s, { seed })
  const scaling = inputScaling(offset, scale)
  const random = createRandom(seed + 1)
  const features = offset.length
  const raw = options.raw ?? Float32Array.from({ length: base.sample.rows * features }, (_, i) => offset[i % features] + (random() * 4 - 2) / scale[i % features])
  const sample = referenceSample(tf, model, s, raw, scaling)
  model.dispose()
  const exportModel: ExportModel = {
    ...base.model,
    scaling,
    preprocessing: { ...base.model.preprocessing, scaling: { method: 'standard', offset, scale }, scaling_in_model: true }
  }
  return { model: exportModel, sample, dispose: () => base.dispose() }
}

/** A table with a numeric column that fills, a categorical one and one that refuses missing values. */
export function tablePreprocessing(scalingInModel: boolean): Preprocessing {
  return {
    format: 'model-workbench/preprocessing',
    version: 1,
    kind: 'table',
    input_shape: [5],
    columns: [
      { name: 'age', kind: 'numeric', feature_index: 0, fill: 40 },
      { name: 'color', kind: 'categorical', categories: ['blue', 'green', 'red'], feature_indices: [1, 2, 3] },
      { name: 'income', kind: 'numeric', feature_index: 4, fill: null }
    ],
    feature_names: ['age', 'color=blue', 'color=green', 'color=red', 'income'],
    missing: 'fill',
    scaling: { method: 'standard', offset: [30, 0, 0, 0, 1000], scale: [0.1, 1, 1, 1, 0.01] },
    scaling_in_model: scalingInModel,
    image: null,
    output: { task: 'multiclass', kind: 'probabilities', size: 3, class_names: ['low', 'mid', 'high'], threshold: null }
  }
}

export const RECORDS = [
  { age: 35, color: 'red', income: 1200 },
  { age: '', color: ' green ', income: '980.5' },
  { color: 'blue', income: 1000 }
]
export const ENCODED = [35, 0, 0, 1, 1200, 40, 0, 1, 0, 980.5, 40, 1, 0, 0, 1000]

/** A softmax classifier on that table, with its scaling (one-hot features unscaled), predicting the encoded RECORDS. */
export async function tableCategoricalFixture(): Promise<Fixture> {
  const s = spec('table-cat', [5], [{ class_name: 'Dense', config: { units: 4, activation: 'relu' } }, { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }])
  const pre = tablePreprocessing(true)
  const f = await fixtureWithScaling(s, pre.scaling!.offset, pre.scaling!.scale, { raw: Float32Array.from(ENCODED) })
  return { ...f, model: { ...f.model, preprocessing: pre } }
}

/**
 * The JavaScript example under `heading` in an export's README, made runnable on RECORDS: module
 * paths replaced (`paths`: quoted name → quoted path), the rows placeholder filled, and the
 * decoded first row replaced by every row's decoded output printed as JSON.
 */
export function readmeScript(readme: string, heading: string, paths: Record<string, string>): string {
  const section = readme.slice(readme.indexOf(heading))
  const match = /```js\n([\s\S]*?)```/.exec(section)
  if (!match) throw new Error(`no js example under ${heading}`)
  let code = match[1]
  for (const [name, path] of Object.entries(paths)) code = code.split(`require(${name})`).join(`require(${path})`)
  code = code.replace(/const rows = \[\/\*[^*]*\*\/\]/, `const rows = ${JSON.stringify(RECORDS)}`)
  // print every row, not just the first: the example's last statement decodes row 0
  code = code.replace(/console\.log\(decode\((.*?)\)\)\s*\/\/ the first row/, (_all, first: string) => {
    const all = first.endsWith('[0]') ? `${first.slice(0, -3)}.map((r) => decode(r))` : `rows.map((_, i) => decode(${first.replace(/slice\(0, (\d+)\)/, (_m, n: string) => `slice(i * ${n}, (i + 1) * ${n})`)}))`
    return `console.log(JSON.stringify(${all}))`
  })
  if (!code.includes('JSON.stringify(')) throw new Error('the README example no longer ends with decode(...) // the first row')
  return code
}
