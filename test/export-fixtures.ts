// Models for the exporter tests: built by the app's own builder (seeded weights, so every test
// sees the same numbers), wrapped as the ExportModel the export job gives a format, with raw
// held-out rows and the app's predictions for them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { buildModel } from '../src/main/engine/model-builder'
import { applyScaling, buildExportModel, inputScaling, referenceSample } from '../src/main/export/from-tfjs'
import type { ExportModel, ExportSample, InputScaling, Preprocessing } from '../src/main/export/types'
import { createRandom } from '../src/main/engine/seeded-random'
import type { LayerSpec, ModelSpec } from '../src/shared/model-spec'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

export const spec = (name: string, inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name, input_shape: inputShape, layers })

/** The model shapes every format must hold: MLPs like S1/S5/S7, a table with scaling, a small CNN with BatchNormalization. */
export const FIXTURE_SPECS = {
  /** S1-like: y = 2x regression, one Dense unit. */
  linear: spec('linear', [1], [{ class_name: 'Dense', config: { units: 1 } }]),
  /** S5-like: MNIST MLP with Dropout and softmax. */
  mnistMlp: spec('mnist-mlp', [784], [
    { class_name: 'Dense', config: { units: 32, activation: 'relu' } },
    { class_name: 'Dropout', config: { rate: 0.2 } },
    { class_name: 'Dense', config: { units: 10, activation: 'softmax' } }
  ]),
  /** S7-like: a table regression with a separate Activation layer. */
  table: spec('table', [8], [
    { class_name: 'Dense', config: { units: 3 } },
    { class_name: 'Activation', config: { activation: 'relu' } },
    { class_name: 'Dense', config: { units: 1 } }
  ]),
  /** Binary classifier with BatchNormalization and tanh/sigmoid. */
  binary: spec('binary', [5], [
    { class_name: 'Dense', config: { units: 6, activation: 'tanh' } },
    { class_name: 'BatchNormalization', config: {} },
    { class_name: 'Dense', config: { units: 1, activation: 'sigmoid' } }
  ]),
  /** A small CNN on 8×8×1 images: Conv2D, pooling, Flatten. */
  cnn: spec('cnn', [8, 8, 1], [
    { class_name: 'Conv2D', config: { filters: 3, kernel_size: [3, 3], activation: 'relu', padding: 'same' } },
    { class_name: 'MaxPooling2D', config: { pool_size: [2, 2] } },
    { class_name: 'Conv2D', config: { filters: 2, kernel_size: [2, 2], strides: [1, 1], padding: 'valid' } },
    { class_name: 'BatchNormalization', config: {} },
    { class_name: 'Flatten', config: {} },
    { class_name: 'Dense', config: { units: 4, activation: 'softmax' } }
  ])
} satisfies Record<string, ModelSpec>

/** A workbench service on a fresh data folder, called through the contract's dispatcher. */
export interface TestWorkbench {
  dataDir: string
  service: WorkbenchService
  /** One contract call: its result, or a throw `code: message` when it fails. */
  call<T = unknown>(method: string, request: unknown): Promise<T>
  /** Closes the service and removes its data folder. */
  close(): Promise<void>
}

/** Opens a browser-host workbench in a new temporary folder named `prefix…`. */
export async function openTestWorkbench(prefix: string): Promise<TestWorkbench> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix))
  const service = await openWorkbench({ dataDir, host: 'browser' })
  const dispatch = createDispatcher(service.handlers)
  return {
    dataDir,
    service,
    async call<T>(method: string, request: unknown): Promise<T> {
      const result = await dispatch(method, request)
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
      return result.result as T
    },
    async close() {
      await service.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export interface Fixture {
  model: ExportModel
  sample: ExportSample
  dispose(): void
}

export interface FixtureOptions {
  scaling?: 'standard' | 'divide255' | 'none'
  rows?: number
  seed?: number
  /** Integer token ids below this as raw inputs (for Embedding models; no scaling). */
  tokens?: number
  /** Train this many full-batch Adam steps on the rows (random targets) before exporting, so that no weight (biases included) keeps its initial value. */
  train?: number
}

/**
 * A seeded model for `s` with non-trivial BatchNormalization statistics, wrapped for export.
 * `scaling` (per feature) is what the exported model must bake in; raw rows are drawn so that the
 * scaled inputs are roughly standard normal (pixels: 0–255).
 */
export async function fixture(s: ModelSpec, options: FixtureOptions = {}): Promise<Fixture> {
  await tf.setBackend('cpu')
  const model = buildModel(tf, s, { seed: options.seed ?? 3 })
  const random = createRandom(options.seed ?? 3)
  // Move BatchNormalization statistics off their defaults so an exporter that drops them fails.
  model.layers.forEach((layer) => {
    if (layer.getClassName() !== 'BatchNormalization') return
    const next = layer.getWeights().map((w, i) => {
      const n = w.size
      // The variance must stay positive; it is not always the 4th weight (center/scale false drop beta/gamma).
      const variance = layer.weights[i].name.includes('moving_variance')
      const values = Float32Array.from({ length: n }, () => (variance ? 0.5 + random() : random() - 0.5))
      return tf.tensor(values, w.shape)
    })
    layer.setWeights(next)
    tf.dispose(next)
  })
  const features = s.input_shape.reduce((a, b) => a * b, 1)
  const rows = options.rows ?? 16
  const kind = options.tokens !== undefined ? 'none' : (options.scaling ?? 'standard')
  let scaling: InputScaling | null = null
  if (kind === 'standard') {
    const offset = Array.from({ length: features }, (_, f) => 10 * (f + 1) - 3)
    const scale = Array.from({ length: features }, (_, f) => 1 / (0.5 + f))
    scaling = inputScaling(offset, scale)
  } else if (kind === 'divide255') {
    scaling = inputScaling(new Array<number>(features).fill(0), new Array<number>(features).fill(1 / 255))
  }
  const raw = new Float32Array(rows * features)
  for (let i = 0; i < raw.length; i++) {
    const f = i % features
    raw[i] = options.tokens !== undefined ? Math.floor(random() * options.tokens) : kind === 'divide255' ? Math.floor(random() * 256) : scaling ? scaling.offset[f] + (random() * 4 - 2) / scaling.scale[f] : random() * 4 - 2
  }
  const outputSize = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number
  const last = s.layers[s.layers.length - 1]
  const classifier = last.config.activation === 'softmax' || last.config.activation === 'sigmoid'
  if (options.train) await trainSteps(model, s, applyScaling(raw, features, scaling), rows, classifier ? (outputSize === 1 ? 'binary' : 'multiclass') : 'regression', options.train, random)
  const preprocessing: Preprocessing = {
    format: 'model-workbench/preprocessing',
    version: 1,
    kind: s.input_shape.length === 3 ? 'image' : 'table',
    input_shape: [...s.input_shape],
    columns: s.input_shape.length === 3 ? [] : Array.from({ length: features }, (_, f) => ({ name: `x${f}`, kind: 'numeric' as const, feature_index: f, fill: null })),
    feature_names: s.input_shape.length === 3 ? [] : Array.from({ length: features }, (_, f) => `x${f}`),
    missing: null,
    scaling: scaling ? { method: kind === 'none' ? 'none' : kind, offset: scaling.offset, scale: scaling.scale } : null,
    scaling_in_model: true,
    image: s.input_shape.length === 3 ? { height: s.input_shape[0], width: s.input_shape[1], channels: s.input_shape[2], pixel_range: [0, 255] } : null,
    output: {
      task: !classifier ? 'regression' : outputSize === 1 ? 'binary' : 'multiclass',
      kind: classifier ? 'probabilities' : 'values',
      size: outputSize,
      class_names: classifier ? Array.from({ length: Math.max(2, outputSize) }, (_, c) => `class_${c}`) : [],
      threshold: classifier && outputSize === 1 ? 0.5 : null
    }
  }
  const exportModel = buildExportModel({
    model,
    spec: s,
    scaling,
    preprocessing,
    meta: {
      run_id: 'run-fixture',
      run_name: `${s.name} fixture`,
      model_name: s.name,
      dataset_name: 'fixture',
      dataset_fingerprint: 'sha256:fixture',
      weights: 'last',
      epoch: 1,
      test_metrics: {},
      app_version: '0.0.0-test',
      created_at: '2026-12-01T00:00:00.000Z'
    }
  })
  const sample = referenceSample(tf, model, s, raw, scaling)
  return { model: exportModel, sample, dispose: () => model.dispose() }
}

/** A few deterministic full-batch Adam steps on random targets (cpu backend, no shuffling): moves every trainable weight off its initial value. */
async function trainSteps(model: tf.LayersModel, s: ModelSpec, x: Float32Array, rows: number, task: 'binary' | 'multiclass' | 'regression', steps: number, random: () => number): Promise<void> {
  const outputShape = model.outputs[0].shape.slice(1) as number[]
  const size = outputShape.reduce((a, b) => a * b, 1)
  const classes = outputShape[outputShape.length - 1]
  const targets = new Float32Array(rows * size)
  for (let i = 0; i < targets.length; i += task === 'multiclass' ? classes : 1) {
    if (task === 'multiclass') targets[i + Math.floor(random() * classes)] = 1
    else targets[i] = task === 'binary' ? (random() < 0.5 ? 0 : 1) : random() * 2 - 1
  }
  model.compile({ optimizer: tf.train.adam(0.02), loss: task === 'multiclass' ? 'categoricalCrossentropy' : task === 'binary' ? 'binaryCrossentropy' : 'meanSquaredError' })
  const xs = tf.tensor(x, [rows, ...s.input_shape])
  const ys = tf.tensor(targets, [rows, ...outputShape])
  await model.fit(xs, ys, { epochs: steps, batchSize: rows, shuffle: false, verbose: 0 })
  tf.dispose([xs, ys])
}
