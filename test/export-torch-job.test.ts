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
  batch_size: 16,
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
    const scores = [x[r * 4]! + x[r * 4 + 1]!, x[r * 4 + 2]! - x[r * 4]!, 0.5 * x[r * 4 + 3]!]
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

  withTorch('train.py in 1 process and in 2 gloo processes (torchrun) give the same weights; both follow the app; the importer reads the run back', async () => {
    const dir = await jobFolder()
    const one = join(dir, 'out-1')
    const two = join(dir, 'out-2')
    // The job's own seeded stream equals the app's.
    const stream = execFileSync(PYTHON, ['-c', `import sys; sys.argv=['x']; sys.path.insert(0, ${JSON.stringify(dir)}); import train; r = train.Mulberry32(7); print([r() for _ in range(3)]); print(train.permutation(10, train.Mulberry32(3)))`], { env: ENV }).toString().trim().split('\n')
    const r = createRandom(7)
    expect(JSON.parse(stream[0]!)).toEqual([r(), r(), r()])
    const { permutation } = await import('../src/main/engine/seeded-random')
    expect(JSON.parse(stream[1]!)).toEqual(Array.from(permutation(10, createRandom(3))))

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
    const ddpDiff = Math.max(...wa.map((w, i) => maxAbsDiff(w, wb[i]!)))
    expect(ddpDiff).toBeLessThanOrEqual(1e-5)
    // Against the app's own training (tfjs, same initial weights, batches and updates).
    expect(wa.map((w) => w.length)).toEqual(setup.appWeights.map((w) => w.length))
    const appDiff = Math.max(...wa.map((w, i) => maxAbsDiff(w, setup.appWeights[i]!)))
    expect(appDiff).toBeLessThan(1e-4)
    const lossDiff = Math.max(...setup.appEpochs.map((m, e) => Math.abs(m.loss! - (a.metrics.find((p) => p.name === 'loss' && p.epoch === e + 1)?.value ?? NaN))))
    expect(lossDiff).toBeLessThan(1e-4)
    console.log(`torch-job: 1 process ${oneS.toFixed(1)} s, 2 gloo processes ${twoS.toFixed(1)} s; max |Δw| 1 vs 2 processes = ${ddpDiff.toExponential(2)}, torch vs app (tfjs) = ${appDiff.toExponential(2)}, epoch loss vs app = ${lossDiff.toExponential(2)}`)

    // metrics.jsonl: the workbench's names for each of the 3 epochs, then the test metrics.
    const points = parseMetricsJsonl(await readFile(join(one, 'metrics.jsonl'), 'utf8'))
    for (const name of ['loss', 'acc', 'val_loss', 'val_acc', 'lr']) expect(points.filter((p) => p.name === name).map((p) => p.epoch)).toEqual([1, 2, 3])
    expect(points.filter((p) => p.name === 'loss').map((p) => p.step)).toEqual([4, 8, 12])
    expect(points.find((p) => p.name === 'lr' && p.epoch === 3)!.value).toBeCloseTo(0.1 / (1 + 0.01 * 11), 12)
    expect(points.some((p) => p.name === 'test_loss')).toBe(true)
    expect(a.metrics).toEqual(points)
    expect(a.final_metrics.test_acc).toBeCloseTo(setup.appTest.test_acc!, 6)
    expect(Math.abs(a.final_metrics.test_loss! - setup.appTest.test_loss!)).toBeLessThan(1e-4)
    expect(a.best_epoch).not.toBeNull()
    expect(a.best_weights).not.toBeNull()
    expect(a.initial_weights).toBe('run')

    // The imported Keras-layout weights evaluate in tfjs as the job reported.
    const imported = buildModel(tf, specWithWeights(a.spec, a.weights), { seed: 1 })
    const loss = tf.tidy(() => {
      const p = (imported.predict(tf.tensor2d(setup.test.x, [20, 4])) as tf.Tensor).clipByValue(1e-7, 1 - 1e-7)
      const y = tf.oneHot(tf.tensor1d(Int32Array.from(setup.test.y), 'int32'), 3)
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(p)), -1))).dataSync()[0]!
    })
    imported.dispose()
    expect(Math.abs(loss - a.final_metrics.test_loss!)).toBeLessThan(1e-5)
  }, 240_000)

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
