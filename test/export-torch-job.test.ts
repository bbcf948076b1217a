// The PyTorch training job: a tiny run trained by the app (tfjs), exported as a job, run by
// train.py in one process and in two gloo processes under torchrun: the two agree within 1e-5
// (same global batches), both follow the app's own training, metrics.jsonl parses, and the
// importer brings the run back with Keras-layout weights that evaluate like the job said.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildModel } from '../src/main/engine/model-builder'
import { trainModel, type TrainingData } from '../src/main/engine/training-loop'
import { createRandom } from '../src/main/engine/seeded-random'
import { buildExportModel, exportLayersFromTfjs } from '../src/main/export/from-tfjs'
import { torchJobExporter } from '../src/main/export/formats/torch-job'
import { importTorchJob, parseMetricsJsonl, specWithWeights } from '../src/main/export/import/torch-job-import'
import { ExportRefusal, maxAbsDiff, type ExportModel, type Preprocessing } from '../src/main/export/types'
import { trainingConfigSchema } from '../src/shared/training'
import type { LayerSpec, ModelSpec } from '../src/shared/model-spec'
import { spec } from './export-fixtures'

const run = promisify(execFile)
const PYTHON = '/usr/bin/python3'
function hasTorch(): boolean {
  if (!existsSync(PYTHON)) return false
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore', env: { ...process.env, OMP_NUM_THREADS: '1' } })
    return true
  } catch {
    return false
  }
}
const HAS_TORCH = hasTorch()
if (!HAS_TORCH) console.warn('export-torch-job: SKIPPING the job runs: /usr/bin/python3 has no torch (apt-get install python3-torch)')
const withTorch = HAS_TORCH ? it : it.skip
const ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' }

/** Runs each folder's train.py as `python train.py` would, all in one Python process (torch imported once). */
async function trainAll(dirs: string[], timeout: number): Promise<void> {
  const driver = `
import runpy, sys
for d in sys.argv[1:]:
    for m in ('model', 'train'):
        sys.modules.pop(m, None)
    sys.argv = [d + '/train.py']
    runpy.run_path(d + '/train.py', run_name='__main__')
    sys.path.remove(d)
`
  await run(PYTHON, ['-c', driver, ...dirs], { env: ENV, timeout })
}

const SPEC = spec('tiny', [4], [
  { class_name: 'Dense', config: { units: 8, activation: 'relu' } },
  { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
])
const CONFIG = trainingConfigSchema.parse({
  optimizer: { name: 'sgd', learning_rate: 0.1, momentum: 0.9 },
  schedule: { kind: 'time_decay', decay: 0.01 },
  loss: 'sparse_categorical_crossentropy',
  metrics: ['accuracy'],
  budget: { kind: 'epochs', epochs: 3 },
  // 64 training rows in batches of 15: the last batch has 4 rows, and 15 splits 8 / 7 over 2 ranks.
  batch_size: 15,
  validation: { kind: 'split', fraction: 0.2 },
  seed: 7,
  backend: 'cpu'
})

function rows(count: number, seed: number): { x: Float32Array; y: Float32Array } {
  const random = createRandom(seed)
  const x = new Float32Array(count * 4)
  const y = new Float32Array(count)
  for (let r = 0; r < count; r++) {
    for (let f = 0; f < 4; f++) x[r * 4 + f] = random() * 4 - 2
    const scores = [x[r * 4] + x[r * 4 + 1], x[r * 4 + 2] - x[r * 4], 0.5 * x[r * 4 + 3]]
    y[r] = scores.indexOf(Math.max(...scores))
  }
  return { x, y }
}

const folders: string[] = []
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })))
})

interface Setup {
  model: ExportModel
  appWeights: Float32Array[]
  appEpochs: Array<Record<string, number>>
  appTest: Record<string, number>
  test: { x: Float32Array; y: Float32Array }
}

let setup: Setup

beforeAll(async () => {
  await tf.setBackend('cpu')
  const train = rows(80, 11)
  const test = rows(20, 12)
  const model = buildModel(tf, SPEC, { seed: CONFIG.seed })
  const initial = exportLayersFromTfjs(model, SPEC).map((layer) => ({ index: layer.index, weights: layer.weights }))
  const data: TrainingData = {
    train: { x: train.x, y: train.y, count: 80, featureShape: [4] },
    test: { x: test.x, y: test.y, count: 20, featureShape: [4] },
    task: 'multiclass', numClasses: 3, targetSize: 1
  }
  const outcome = await trainModel({ tf, model, config: CONFIG, data, runId: 'run-tiny', backend: { name: 'cpu', skipped: [], forced: false }, emit: () => {} })
  const appWeights = outcome.lastWeights.map((w) => Float32Array.from(w.dataSync()))
  tf.dispose(outcome.lastWeights)
  if (outcome.bestWeights) tf.dispose(outcome.bestWeights)
  const preprocessing: Preprocessing = {
    format: 'model-workbench/preprocessing', version: 1, kind: 'table', input_shape: [4],
    columns: [0, 1, 2, 3].map((f) => ({ name: `x${f}`, kind: 'numeric' as const, feature_index: f, fill: null })),
    feature_names: ['x0', 'x1', 'x2', 'x3'], missing: null, scaling: null, scaling_in_model: true, image: null,
    output: { task: 'multiclass', kind: 'probabilities', size: 3, class_names: ['a', 'b', 'c'], threshold: null }
  }
  const exportModel = buildExportModel({
    model, spec: SPEC, scaling: null, preprocessing,
    meta: { run_id: 'run-tiny', run_name: 'tiny', model_name: 'tiny', dataset_name: 'tiny', dataset_fingerprint: 'sha256:tiny', weights: 'last', epoch: 3, test_metrics: {}, app_version: '0.0.0-test', created_at: '2026-12-01T00:00:00.000Z' }
  })
  exportModel.training = { config: CONFIG, seed: CONFIG.seed, task: 'multiclass', num_classes: 3, target_size: 1, data: { train: { count: 80, x: train.x, y: train.y }, test: { count: 20, x: test.x, y: test.y } }, initial_weights: initial }
  setup = { model: exportModel, appWeights, appEpochs: outcome.epochs, appTest: outcome.ended.final_metrics, test }
  model.dispose()
}, 60_000)

async function jobFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
  folders.push(dir)
  await torchJobExporter.write(setup.model, dir)
  return dir
}

function flat(weights: Float32Array[][]): Float32Array[] {
  return weights.flat()
}

describe('torch-job export', () => {
  it('refuses without the run\'s training data', async () => {
    const { training: _training, ...bare } = setup.model
    const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
    folders.push(dir)
    await expect(torchJobExporter.write(bare, dir)).rejects.toBeInstanceOf(ExportRefusal)
  })

  it('writes the job: data as .npy, job.json with the seeded-stream offset and regularizers, README with the torchrun flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
    folders.push(dir)
    const regularized: ExportModel = { ...setup.model, layers: setup.model.layers.map((l, i) => (i === 0 ? { ...l, config: { ...l.config, kernel_regularizer: { class_name: 'L2', config: { l2: 0.001 } } } } : l)) }
    await torchJobExporter.write(regularized, dir)
    const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as { rng_skip: number; rows: Record<string, number>; initial_weights: string; label_form: string; regularizers: unknown[] }
    expect(job.rows).toEqual({ train: 64, validation: 16, test: 20 })
    expect(job.rng_skip).toBe(79)
    expect(job.initial_weights).toBe('run')
    expect(job.label_form).toBe('one_hot')
    expect(job.regularizers).toEqual([{ key: 'dense_1.weight', l1: 0, l2: 0.001 }])
    const readme = await readFile(join(dir, 'README.md'), 'utf8')
    expect(readme).toContain('torchrun --standalone --nproc_per_node=2 --redirects 1 --tee 1 --log_dir logs train.py')
    expect(readme).toContain('python3 -m torch.distributed.run')
    const npy = await readFile(join(dir, 'data', 'x_train.npy'))
    expect(npy.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY')
    expect((10 + npy.readUInt16LE(8)) % 64).toBe(0)
    expect(npy.subarray(10, 10 + npy.readUInt16LE(8)).toString('latin1')).toContain("'shape': (64, 4)")
  })

  it('takes validation_split rows either as the whole train split or already split, with the same result', async () => {
    const whole = await jobFolder()
    const training = setup.model.training!
    const { createRandom: random, permutation } = await import('../src/main/engine/seeded-random')
    const order = permutation(80, random(CONFIG.seed))
    const pick = (rows: Int32Array): { count: number; x: Float32Array; y: Float32Array } => ({
      count: rows.length,
      x: Float32Array.from(Array.from(rows).flatMap((r) => Array.from(training.data.train.x.subarray(r * 4, r * 4 + 4)))),
      y: Float32Array.from(Array.from(rows).map((r) => training.data.train.y[r]))
    })
    const presplit = { train: pick(order.slice(0, 64)), validation: pick(order.slice(64)) }
    const variants = [
      { ...training, data: { ...training.data, ...presplit } },
      { ...training, data: { ...training.data, validation: presplit.validation } }
    ]
    for (const variant of variants) {
      const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
      folders.push(dir)
      await torchJobExporter.write({ ...setup.model, training: variant }, dir)
      for (const file of ['x_train.npy', 'y_train.npy', 'x_val.npy', 'y_val.npy']) expect((await readFile(join(dir, 'data', file))).equals(await readFile(join(whole, 'data', file))), file).toBe(true)
      expect(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')).rng_skip).toBe(79)
    }
  })

  withTorch('train.py in 1 process and in 2 gloo processes (torchrun) give the same weights; both follow the app; the importer reads the run back', async () => {
    const dir = await jobFolder()
    const one = join(dir, 'out-1')
    const two = join(dir, 'out-2')
    // The job's own seeded stream equals the app's.
    const stream = execFileSync(PYTHON, ['-c', `import sys; sys.argv=['x']; sys.path.insert(0, ${JSON.stringify(dir)}); import train; r = train.Mulberry32(7); print([r() for _ in range(3)]); print(train.permutation(10, train.Mulberry32(3)))`], { env: ENV }).toString().trim().split('\n')
    const r = createRandom(7)
    expect(JSON.parse(stream[0])).toEqual([r(), r(), r()])
    const { permutation } = await import('../src/main/engine/seeded-random')
    expect(JSON.parse(stream[1])).toEqual(Array.from(permutation(10, createRandom(3))))

    const started = performance.now()
    await run(PYTHON, [join(dir, 'train.py'), '--out', one, '--device', 'cpu'], { env: ENV, timeout: 120_000 })
    const oneS = (performance.now() - started) / 1000
    const startedTwo = performance.now()
    await run(PYTHON, ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', '--log_dir', join(dir, 'logs'), join(dir, 'train.py'), '--out', two, '--device', 'cpu'], { env: ENV, timeout: 180_000 })
    const twoS = (performance.now() - startedTwo) / 1000

    const a = await importTorchJob(one)
    const b = await importTorchJob(two)
    expect(a.status).toBe('finished')
    expect(b.status).toBe('finished')
    expect(a.world_size).toBe(1)
    expect(b.world_size).toBe(2)
    expect(b.backend).toMatch(/gloo, 2 processes/)
    const wa = flat(a.weights)
    const wb = flat(b.weights)
    const ddpDiff = Math.max(...wa.map((w, i) => maxAbsDiff(w, wb[i])))
    expect(ddpDiff).toBeLessThanOrEqual(1e-5)
    // Against the app's own training (tfjs, same initial weights, batches and updates).
    expect(wa.map((w) => w.length)).toEqual(setup.appWeights.map((w) => w.length))
    const appDiff = Math.max(...wa.map((w, i) => maxAbsDiff(w, setup.appWeights[i])))
    expect(appDiff).toBeLessThan(1e-4)
    const lossDiff = Math.max(...setup.appEpochs.map((m, e) => Math.abs(m.loss - (a.metrics.find((p) => p.name === 'loss' && p.epoch === e + 1)?.value ?? NaN))))
    expect(lossDiff).toBeLessThan(1e-4)
    console.log(`torch-job: 1 process ${oneS.toFixed(1)} s, 2 gloo processes ${twoS.toFixed(1)} s; max |Δw| 1 vs 2 processes = ${ddpDiff.toExponential(2)}, torch vs app (tfjs) = ${appDiff.toExponential(2)}, epoch loss vs app = ${lossDiff.toExponential(2)}`)

    // metrics.jsonl: the workbench's names for each of the 3 epochs, then the test metrics.
    const points = parseMetricsJsonl(await readFile(join(one, 'metrics.jsonl'), 'utf8'))
    for (const name of ['loss', 'acc', 'val_loss', 'val_acc', 'lr']) expect(points.filter((p) => p.name === name).map((p) => p.epoch)).toEqual([1, 2, 3])
    expect(points.filter((p) => p.name === 'loss').map((p) => p.step)).toEqual([5, 10, 15])
    expect(points.find((p) => p.name === 'lr' && p.epoch === 3)!.value).toBeCloseTo(0.1 / (1 + 0.01 * 14), 12)
    expect(points.some((p) => p.name === 'test_loss')).toBe(true)
    expect(a.metrics).toEqual(points)
    expect(a.final_metrics.test_acc).toBeCloseTo(setup.appTest.test_acc, 6)
    expect(Math.abs(a.final_metrics.test_loss - setup.appTest.test_loss)).toBeLessThan(1e-4)
    expect(a.best_epoch).not.toBeNull()
    expect(a.best_weights).not.toBeNull()
    expect(a.initial_weights).toBe('run')

    // The imported Keras-layout weights evaluate in tfjs as the job reported.
    const imported = buildModel(tf, specWithWeights(a.spec, a.weights), { seed: 1 })
    const loss = tf.tidy(() => {
      const p = (imported.predict(tf.tensor2d(setup.test.x, [20, 4])) as tf.Tensor).clipByValue(1e-7, 1 - 1e-7)
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(setup.test.y), 'int32'), 3)
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(p)), -1))).dataSync()[0]
    })
    imported.dispose()
    expect(Math.abs(loss - a.final_metrics.test_loss)).toBeLessThan(1e-5)
  }, 240_000)

  withTorch('every optimizer, schedule, budget and stopping rule follows the app (one python process for all)', async () => {
    const train = rows(80, 21)
    const regressionY = Float32Array.from({ length: 80 }, (_, r) => train.x[r * 4] + 0.5 * train.x[r * 4 + 1])
    const regression = spec('reg', [4], [{ class_name: 'Dense', config: { units: 5, activation: 'tanh' } }, { class_name: 'Dense', config: { units: 1 } }])
    const batchNorm = spec('bn', [4], [{ class_name: 'Dense', config: { units: 6, activation: 'relu' } }, { class_name: 'BatchNormalization', config: { momentum: 0.8 } }, { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }])
    // 4 features seen as 2×2×1 images: Conv2D (same), BatchNormalization on NCHW, pooling, Flatten in NHWC order.
    const conv = spec('conv', [2, 2, 1], [
      { class_name: 'Conv2D', config: { filters: 3, kernel_size: [2, 2], padding: 'same', activation: 'relu' } },
      { class_name: 'BatchNormalization', config: {} },
      { class_name: 'MaxPooling2D', config: { pool_size: [2, 2], strides: [1, 1], padding: 'same' } },
      // 'valid': tfjs's AvgPoolGrad divides by the whole window even where 'same' padding left cells
      // out of the forward average (its forward and gradient disagree at the borders); the job
      // trains with the true gradient, so 'same' average pooling cannot reproduce the app exactly.
      { class_name: 'AveragePooling2D', config: { pool_size: [2, 2], strides: [1, 1], padding: 'valid' } },
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
    ])
    const variants: Array<{ name: string; config: Record<string, unknown>; regression?: boolean; spec?: typeof SPEC }> = [
      { name: 'batchnorm (training mode)', config: {}, spec: batchNorm },
      // SGD here, not Adam: a bias right before BatchNormalization has a gradient that is 0 up to
      // rounding, and Adam's first steps (about ±lr whatever the gradient's size) would amplify that noise.
      { name: 'conv2d + batchnorm + pooling', config: { optimizer: { name: 'sgd', learning_rate: 0.1, momentum: 0.5 } }, spec: conv },
      { name: 'adam', config: { optimizer: { name: 'adam', learning_rate: 0.01 } } },
      { name: 'rmsprop+momentum', config: { optimizer: { name: 'rmsprop', learning_rate: 0.01, momentum: 0.5 } } },
      { name: 'adagrad', config: { optimizer: { name: 'adagrad', learning_rate: 0.1 } } },
      { name: 'adadelta', config: { optimizer: { name: 'adadelta', learning_rate: 1 } } },
      { name: 'adamax', config: { optimizer: { name: 'adamax', learning_rate: 0.01 } } },
      { name: 'nesterov+exponential', config: { optimizer: { name: 'sgd', learning_rate: 0.1, momentum: 0.9, nesterov: true }, schedule: { kind: 'exponential', decay_rate: 0.5, decay_steps: 4 } } },
      { name: 'step_decay', config: { schedule: { kind: 'step_decay', drop: 0.5, every_epochs: 1 } } },
      { name: 'plateau+early-stopping', config: { optimizer: { name: 'sgd', learning_rate: 0.5 }, schedule: { kind: 'reduce_on_plateau', monitor: 'val_loss', patience: 0, factor: 0.5, min_delta: 0.05 }, early_stopping: { monitor: 'val_accuracy', patience: 3, restore_best_weights: true }, budget: { kind: 'epochs', epochs: 12 } } },
      { name: 'steps budget', config: { budget: { kind: 'steps', steps: 10, eval_every: 4 }, validation: { kind: 'none' } } },
      { name: 'regression mse+mae', config: { loss: 'mean_squared_error', metrics: ['mae'], optimizer: { name: 'sgd', learning_rate: 0.05 } }, regression: true }
    ]
    const cases: Array<{ name: string; dir: string; app: Float32Array[]; epochs: Array<Record<string, number>>; bestEpoch: number | null }> = []
    for (const variant of variants) {
      const s = variant.spec ?? (variant.regression ? regression : SPEC)
      const config = trainingConfigSchema.parse({ ...CONFIG, evaluate_test: false, ...variant.config })
      const model = buildModel(tf, s, { seed: config.seed })
      const initial = exportLayersFromTfjs(model, s).map((layer) => ({ index: layer.index, weights: layer.weights }))
      const y = variant.regression ? regressionY : train.y
      const data: TrainingData = { train: { x: train.x, y, count: 80, featureShape: [...s.input_shape] }, task: variant.regression ? 'regression' : 'multiclass', numClasses: variant.regression ? 0 : 3, targetSize: 1 }
      const outcome = await trainModel({ tf, model, config, data, runId: 'v', backend: { name: 'cpu', skipped: [], forced: false }, emit: () => {} })
      // lastWeights follow model.weights (every trainable weight first); put them in per-layer order.
      const all = model.weights
      const app = model.layers.flatMap((layer) => layer.weights.map((w) => Float32Array.from(outcome.lastWeights[all.indexOf(w)].dataSync())))
      tf.dispose(outcome.lastWeights)
      if (outcome.bestWeights) tf.dispose(outcome.bestWeights)
      const exportModel: ExportModel = { ...setup.model, spec: s, layers: exportLayersFromTfjs(model, s), input_shape: [...s.input_shape], output_shape: [variant.regression ? 1 : 3] }
      exportModel.training = { config, seed: config.seed, task: data.task, num_classes: data.numClasses, target_size: 1, data: { train: { count: 80, x: train.x, y } }, initial_weights: initial }
      model.dispose()
      const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
      folders.push(dir)
      await torchJobExporter.write(exportModel, dir)
      cases.push({ name: variant.name, dir, app, epochs: outcome.epochs, bestEpoch: outcome.ended.best_epoch })
    }
    await trainAll(cases.map((c) => c.dir), 120_000)
    const report: string[] = []
    for (const c of cases) {
      const imported = await importTorchJob(c.dir)
      const weights = flat(imported.weights)
      const dw = Math.max(...weights.map((w, i) => maxAbsDiff(w, c.app[i])))
      const epochs = imported.metrics.filter((p) => p.name === 'loss').length
      let dm = 0
      for (const [e, m] of c.epochs.entries()) {
        for (const [name, value] of Object.entries(m)) {
          const point = imported.metrics.find((p) => p.name === name && p.epoch === e + 1)
          expect(point, `${c.name}: ${name} at epoch ${e + 1}`).toBeDefined()
          dm = Math.max(dm, Math.abs(point!.value - value))
        }
      }
      report.push(`${c.name}: ${epochs} epochs, max |Δw| ${dw.toExponential(1)}, max |Δmetric| ${dm.toExponential(1)}`)
      expect(epochs, c.name).toBe(c.epochs.length)
      expect(imported.best_epoch, c.name).toBe(c.bestEpoch)
      expect(dw, c.name).toBeLessThan(1e-4)
      expect(dm, c.name).toBeLessThan(1e-4)
      if (c.name.startsWith('plateau')) expect(new Set(imported.metrics.filter((p) => p.name === 'lr').map((p) => p.value)).size).toBeGreaterThan(1)
    }
    console.log(`torch-job vs app:\n  ${report.join('\n  ')}`)
  }, 240_000)

  it("maps the new families' regularizers to their state_dict keys (recurrent kernels, Bidirectional's both directions, embeddings); refuses recurrent dropout", async () => {
    const reg = (l1: number, l2: number): Record<string, unknown> => ({ class_name: 'L1L2', config: { l1, l2 } })
    const s: ModelSpec = { format: 'model-workbench/spec', version: 2, name: 'regs', input_shape: [4], layers: [
      { class_name: 'Embedding', config: { name: 'emb', input_dim: 5, output_dim: 2, embeddings_regularizer: reg(0.1, 0) } },
      { class_name: 'LSTM', config: { name: 'lstm', units: 2, return_sequences: true, recurrent_regularizer: reg(0, 0.2), bias_regularizer: reg(0.3, 0) } },
      { class_name: 'Bidirectional', config: { name: 'bi', layer: { class_name: 'GRU', config: { units: 2, kernel_regularizer: reg(0, 0.4) } } } },
      { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax' } }
    ] }
    const model = buildModel(tf, s, { seed: 1 })
    const exportModel: ExportModel = { ...setup.model, spec: s, layers: exportLayersFromTfjs(model, s), input_shape: [4], output_shape: [3] }
    model.dispose()
    exportModel.training = { ...setup.model.training!, initial_weights: undefined }
    const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
    folders.push(dir)
    await torchJobExporter.write(exportModel, dir)
    const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as { regularizers: unknown[]; initial_weights: string }
    expect(job.initial_weights).toBe('exported')
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toContain('regularizers on a recurrent layer')
    expect(job.regularizers).toEqual([
      { key: 'emb.weight', l1: 0.1, l2: 0 },
      { key: 'lstm.weight_hh_l0', l1: 0, l2: 0.2 },
      { key: 'lstm.bias_ih_l0', l1: 0.3, l2: 0 },
      { key: 'bi.weight_ih_l0', l1: 0, l2: 0.4 },
      { key: 'bi.weight_ih_l0_reverse', l1: 0, l2: 0.4 }
    ])
    // A recurrent dropout the job cannot reproduce is refused, naming the layer.
    const dropped: ExportModel = { ...exportModel, layers: exportModel.layers.map((l) => (l.name === 'lstm' ? { ...l, config: { ...l.config, recurrent_dropout: 0.1 } } : l)) }
    const error = await torchJobExporter.write(dropped, await mkdtemp(join(tmpdir(), 'export-torch-job-'))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExportRefusal)
    expect((error as ExportRefusal).layer).toEqual({ index: 1, class_name: 'LSTM', name: 'lstm' })
  })

  withTorch('graph models (residual MLP, Concatenate, LSTM, GRU, Conv1D, Bidirectional) train in the job as in the app; the importer reads their weights back per spec layer', async () => {
    const train = rows(80, 31)
    const g = (name: string, inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name, input_shape: inputShape, layers })
    const l = (class_name: string, name: string, config: Record<string, unknown>, inbound?: string[]): LayerSpec => ({ class_name, config: { name, ...config }, ...(inbound ? { inbound } : {}) })
    const softmax = (): LayerSpec => l('Dense', 'out', { units: 3, activation: 'softmax' })
    const variants: Array<{ name: string; spec: ModelSpec; config?: Record<string, unknown> }> = [
      { name: 'residual MLP', spec: g('res-mlp', [4], [
        l('Dense', 'd1', { units: 6, activation: 'relu', kernel_regularizer: { class_name: 'L2', config: { l2: 0.001 } } }), l('Dense', 'd2', { units: 6, activation: 'tanh' }), l('Add', 'skip_1', {}, ['d1', 'd2']),
        l('Dense', 'd3', { units: 6, activation: 'relu' }), l('Add', 'skip_2', {}, ['skip_1', 'd3']), softmax()
      ]) },
      { name: 'concatenate', spec: g('concat', [4], [l('Dense', 'wide', { units: 5, activation: 'relu' }, ['input']), l('Dense', 'narrow', { units: 2, activation: 'tanh' }, ['input']), l('Concatenate', 'joined', {}, ['wide', 'narrow']), softmax()]) },
      // Recurrent and 1-D models see the 4 features as 4 time steps of 1 value.
      // No regularizers on recurrent layers here: tfjs keeps them on the RNN's cell, whose losses the app's training loop does not collect (see the job.json test below).
      { name: 'lstm', spec: g('lstm', [4, 1], [l('LSTM', 'lstm', { units: 4, dropout: 0 }), l('Dense', 'out', { units: 3, activation: 'softmax', bias_regularizer: { class_name: 'L2', config: { l2: 0.01 } } })]), config: { optimizer: { name: 'adam', learning_rate: 0.02 } } },
      { name: 'gru', spec: g('gru', [4, 1], [l('GRU', 'gru', { units: 4, return_sequences: true }), l('GlobalAveragePooling1D', 'gap', {}), softmax()]), config: { optimizer: { name: 'adam', learning_rate: 0.02 } } },
      { name: 'conv1d', spec: g('conv1d', [4, 1], [l('Conv1D', 'c1', { filters: 3, kernel_size: [2], padding: 'same', activation: 'relu' }), l('Conv1D', 'c2', { filters: 3, kernel_size: [3], padding: 'same' }), l('Add', 'skip', {}, ['c1', 'c2']), l('Flatten', 'flat', {}), softmax()]) },
      { name: 'bidirectional', spec: g('bi', [4, 1], [l('Bidirectional', 'bi', { layer: { class_name: 'LSTM', config: { units: 3 } }, merge_mode: 'concat' }), softmax()]), config: { optimizer: { name: 'adam', learning_rate: 0.02 } } }
    ]
    const cases: Array<{ name: string; dir: string; app: Float32Array[][]; epochs: Array<Record<string, number>> }> = []
    for (const variant of variants) {
      const s = variant.spec
      const config = trainingConfigSchema.parse({ ...CONFIG, evaluate_test: false, ...variant.config })
      const model = buildModel(tf, s, { seed: config.seed })
      const initial = exportLayersFromTfjs(model, s).map((layer) => ({ index: layer.index, weights: layer.weights }))
      const data: TrainingData = { train: { x: train.x, y: train.y, count: 80, featureShape: [...s.input_shape] }, task: 'multiclass', numClasses: 3, targetSize: 1 }
      const outcome = await trainModel({ tf, model, config, data, runId: 'g', backend: { name: 'cpu', skipped: [], forced: false }, emit: () => {} })
      // The app's last weights per spec layer (spec order, looked up by name), as the importer gives them.
      const all = model.weights
      const app = s.layers.map((layer) => model.getLayer(String(layer.config.name)).weights.map((w) => Float32Array.from(outcome.lastWeights[all.indexOf(w)].dataSync())))
      tf.dispose(outcome.lastWeights)
      if (outcome.bestWeights) tf.dispose(outcome.bestWeights)
      const exportModel: ExportModel = { ...setup.model, spec: s, layers: exportLayersFromTfjs(model, s), input_shape: [...s.input_shape], output_shape: [3] }
      exportModel.training = { config, seed: config.seed, task: 'multiclass', num_classes: 3, target_size: 1, data: { train: { count: 80, x: train.x, y: train.y } }, initial_weights: initial }
      model.dispose()
      const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
      folders.push(dir)
      await torchJobExporter.write(exportModel, dir)
      cases.push({ name: variant.name, dir, app, epochs: outcome.epochs })
    }
    const job = JSON.parse(await readFile(join(cases[0].dir, 'job.json'), 'utf8')) as { regularizers: unknown[] }
    expect(job.regularizers).toEqual([{ key: 'd1.weight', l1: 0, l2: 0.001 }])
    await trainAll(cases.map((c) => c.dir), 180_000)
    const report: string[] = []
    for (const c of cases) {
      const imported = await importTorchJob(c.dir)
      expect(imported.status, c.name).toBe('finished')
      expect(imported.weights.map((w) => w.map((t) => t.length)), c.name).toEqual(c.app.map((w) => w.map((t) => t.length)))
      const dw = Math.max(...imported.weights.flatMap((w, i) => w.map((t, k) => maxAbsDiff(t, c.app[i][k]))))
      let dm = 0
      for (const [e, m] of c.epochs.entries()) {
        for (const [name, value] of Object.entries(m)) {
          const point = imported.metrics.find((p) => p.name === name && p.epoch === e + 1)
          expect(point, `${c.name}: ${name} at epoch ${e + 1}`).toBeDefined()
          dm = Math.max(dm, Math.abs(point!.value - value))
        }
      }
      report.push(`${c.name}: max |Δw| ${dw.toExponential(1)}, max |Δmetric| ${dm.toExponential(1)}`)
      expect(dw, c.name).toBeLessThan(1e-4)
      expect(dm, c.name).toBeLessThan(1e-4)
    }
    console.log(`torch-job graphs vs app:\n  ${report.join('\n  ')}`)
  }, 300_000)

  withTorch('a token model with the training-time noise layers (SpatialDropout1D, LSTM input dropout, GaussianNoise, SpatialDropout2D) trains a step in train.py and predicts like the app', async () => {
    const s: ModelSpec = { format: 'model-workbench/spec', version: 2, name: 'noisy', input_shape: [4], layers: [
      { class_name: 'Embedding', config: { name: 'emb', input_dim: 6, output_dim: 3 } },
      { class_name: 'SpatialDropout1D', config: { name: 'sdrop', rate: 0.3 } },
      { class_name: 'LSTM', config: { name: 'lstm', units: 4, dropout: 0.25, return_sequences: true } },
      { class_name: 'GaussianNoise', config: { name: 'noise', stddev: 0.2 } },
      { class_name: 'Reshape', config: { name: 'img', target_shape: [4, 4, 1] } },
      { class_name: 'SpatialDropout2D', config: { name: 'sdrop2', rate: 0.2 } },
      { class_name: 'Flatten', config: { name: 'flat' } },
      { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax' } }
    ] }
    const random = createRandom(5)
    const tokens = Float32Array.from({ length: 80 * 4 }, () => Math.floor(random() * 6))
    const labels = Float32Array.from({ length: 80 }, (_, r) => tokens[r * 4] % 3)
    const model = buildModel(tf, s, { seed: 2 })
    const expected = Float32Array.from(tf.tidy(() => (model.predict(tf.tensor2d(tokens.subarray(0, 40), [10, 4])) as tf.Tensor).dataSync()))
    const exportModel: ExportModel = { ...setup.model, spec: s, layers: exportLayersFromTfjs(model, s), input_shape: [4], output_shape: [3] }
    model.dispose()
    exportModel.training = { config: CONFIG, seed: CONFIG.seed, task: 'multiclass', num_classes: 3, target_size: 1, data: { train: { count: 80, x: tokens, y: labels } } }
    const dir = await mkdtemp(join(tmpdir(), 'export-torch-job-'))
    folders.push(dir)
    await torchJobExporter.write(exportModel, dir)
    const text = await readFile(join(dir, 'model.py'), 'utf8')
    expect(text).toContain('_channel_dropout(emb, 0.3, self.training, -1)')
    expect(text).toContain('torch.randn_like(lstm) * 0.2 if self.training else lstm')
    const result = await torchJobExporter.verify!(exportModel, dir, { rows: 10, features: 4, outputs: 3, raw: tokens.subarray(0, 40), expected })
    expect(result.note).toMatch(/dry_run.*ok/)
    expect(result.max_abs_diff!).toBeLessThan(1e-5)
  }, 60_000)

  withTorch('verify: model.py with the exported weights predicts like the app and train.py --dry-run takes a step', async () => {
    const dir = await jobFolder()
    const model = buildModel(tf, specWithWeights(SPEC, setup.model.layers.map((l) => l.weights.map((w) => w.data))), { seed: 1 })
    const raw = setup.test.x
    const expected = Float32Array.from(tf.tidy(() => (model.predict(tf.tensor2d(raw, [20, 4])) as tf.Tensor).dataSync()))
    model.dispose()
    const result = await torchJobExporter.verify!(setup.model, dir, { rows: 20, features: 4, outputs: 3, raw, expected })
    expect(result.verified_by).toMatch(/^torch /)
    expect(result.max_abs_diff!).toBeLessThan(1e-5)
    expect(result.note).toMatch(/dry_run.*ok/)
    expect(existsSync(join(dir, 'metrics.jsonl'))).toBe(false)
  }, 60_000)
})
