// The Keras training script export: data.npz read back by NumPy, and every generated train.py run
// under a stub `keras` (test/fixtures/keras-stub: checks argument types the way Keras 3 does and
// records the calls), then the recorded calls checked against the run: the exact step budget, the
// run's own validation rows (never the test set), one-hot labels for categorical cross-entropy,
// float optimizer arguments, the learning-rate schedule, the initial weights, the saved model.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { unzipSync } from 'fflate'
import { buildModel } from '../src/main/engine/model-builder'
import { createRandom } from '../src/main/engine/seeded-random'
import { scheduledLearningRate } from '../src/main/engine/learning-rate'
import { buildExportModel } from '../src/main/export/from-tfjs'
import { encodeNpz, kerasScriptExporter } from '../src/main/export/formats/keras-script'
import { kerasScript } from '../src/shared/keras-script'
import { ExportRefusal, type ExportModel, type ExportSplit, type ExportTraining } from '../src/main/export/types'
import { EXAMPLES, SEED_004_INITIAL_WEIGHTS } from '../src/shared/examples'
import { specGraph, type ModelSpec } from '../src/shared/model-spec'
import { trainingConfigSchema, type TrainingConfig, type TrainingConfigInput } from '../src/shared/training'
import { fixture, FIXTURE_SPECS } from './export-fixtures'
import { GRAPH_SPECS, MORE_GRAPH_SPECS } from './graph-fixtures'

const PYTHON = '/usr/bin/python3'
const STUB = resolve(__dirname, 'fixtures/keras-stub')
const hasPython = existsSync(PYTHON)
const hasNumpy = hasPython && spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0
if (!hasNumpy) console.warn(`export-keras-script: the stub runs are skipped, ${hasPython ? '/usr/bin/python3 has no numpy' : '/usr/bin/python3 not found'}`)

let work: string
beforeAll(async () => {
  await tf.setBackend('cpu')
  work = await mkdtemp(join(tmpdir(), 'keras-script-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

interface Call {
  call: string
  [key: string]: unknown
}

function split(count: number, features: number, task: ExportTraining['task'], numClasses: number, targetSize: number, seed: number): ExportSplit {
  const random = createRandom(seed)
  const x = Float32Array.from({ length: count * features }, () => random() * 2 - 1)
  const y = Float32Array.from({ length: count * targetSize }, () => (task === 'regression' ? random() * 10 : Math.floor(random() * numClasses)))
  return { count, x, y }
}

function taskOf(config: TrainingConfig, outputUnits: number): { task: ExportTraining['task']; numClasses: number } {
  if (config.loss === 'binary_crossentropy') return { task: 'binary', numClasses: 2 }
  if (config.loss === 'categorical_crossentropy' || config.loss === 'sparse_categorical_crossentropy') return { task: 'multiclass', numClasses: outputUnits }
  return { task: 'regression', numClasses: 0 }
}

/** An ExportModel of `spec` (seeded tfjs model) with a training section of small synthetic splits. */
function withTraining(model: ExportModel, config: TrainingConfig, counts = { train: 57, validation: 13, test: 11 }, initial?: ExportTraining['initial_weights']): ExportModel {
  const features = model.input_shape.reduce((a, b) => a * b, 1)
  const outputUnits = model.output_shape[model.output_shape.length - 1]
  const { task, numClasses } = taskOf(config, outputUnits)
  const targetSize = task === 'regression' ? outputUnits : 1
  const make = (count: number, seed: number) => split(count, features, task, numClasses, targetSize, seed)
  return {
    ...model,
    training: {
      config, seed: config.seed, task, num_classes: numClasses, target_size: targetSize,
      data: { train: make(counts.train, 1), validation: config.validation.kind === 'none' ? undefined : make(counts.validation, 2), test: config.evaluate_test ? make(counts.test, 3) : undefined },
      initial_weights: initial
    }
  }
}

function exportModelOf(spec: ModelSpec, seed = 1): ExportModel {
  const built = buildModel(tf, spec, { seed })
  const model = buildExportModel({
    model: built, spec, scaling: null,
    preprocessing: {
      format: 'model-workbench/preprocessing', version: 1, kind: 'tensor', input_shape: [...spec.input_shape], columns: [], feature_names: [], missing: null, scaling: null, scaling_in_model: true, image: null,
      output: { task: 'regression', kind: 'values', size: 1, class_names: [], threshold: null }
    },
    meta: { run_id: 'run-1', run_name: `${spec.name} run`, model_name: spec.name, dataset_name: 'synthetic', dataset_fingerprint: 'sha256:test', weights: 'last', epoch: 1, test_metrics: {}, app_version: '0.0.0-test', created_at: '2026-12-01T00:00:00.000Z' }
  })
  built.dispose()
  return model
}

const sum = (values: Float32Array): number => values.reduce((a, b) => a + b, 0)

/** Writes the export into a fresh folder, runs its train.py under the stub, returns the recorded calls. */
async function runUnderStub(model: ExportModel, name: string): Promise<{ calls: Call[]; dir: string; files: string[] }> {
  const dir = join(work, name)
  await import('node:fs/promises').then((fs) => fs.mkdir(dir))
  const files = await kerasScriptExporter.write(model, dir)
  const log = join(dir, 'stub-log.json')
  const result = spawnSync(PYTHON, [join(dir, 'train.py')], { env: { ...process.env, PYTHONPATH: STUB, KERAS_STUB_LOG: log, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`train.py failed under the Keras stub:\n${result.stderr}`)
  const calls = (JSON.parse(await readFile(log, 'utf8')) as { calls: Call[] }).calls
  return { calls, dir, files }
}

const one = (calls: Call[], kind: string): Call => {
  const found = calls.filter((c) => c.call === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]
}

/** What the workbench's loop runs: total optimizer steps for the training rows it had. */
function expectedSteps(config: TrainingConfig, trainRows: number): number {
  if (config.budget.kind === 'steps') return config.budget.steps
  return config.budget.epochs * Math.ceil(trainRows / Math.min(config.batch_size, trainRows))
}

function checkRun(model: ExportModel, calls: Call[]): void {
  const training = model.training!
  const config = training.config
  const fit = one(calls, 'fit')
  expect(fit.steps).toBe(expectedSteps(config, training.data.train.count))
  expect(one(calls, 'set_random_seed').seed).toBe(config.seed)
  // Validation: the run's own rows, never the test set.
  if (training.data.validation) {
    expect(fit.validation_rows).toBe(training.data.validation.count)
    expect(fit.validation_x_sum).toBeCloseTo(sum(training.data.validation.x), 2)
  } else {
    expect(fit.validation_rows).toBeNull()
  }
  if (training.data.test) {
    expect(fit.validation_x_sum).not.toBe(sum(training.data.test.x))
    const evaluate = one(calls, 'evaluate')
    expect(evaluate.rows).toBe(training.data.test.count)
    expect(evaluate.x_sum).toBeCloseTo(sum(training.data.test.x), 2)
  }
  if (config.budget.kind === 'steps') {
    expect(fit.generator).toBe(true)
    expect(fit.steps_per_epoch).toBe(config.budget.eval_every)
    expect(fit.batch_rows).toEqual([Math.min(config.batch_size, training.data.train.count)])
  } else {
    expect(fit.train_rows).toBe(training.data.train.count)
    expect(fit.epochs).toBe(config.budget.epochs)
    expect(fit.train_x_sum).toBeCloseTo(sum(training.data.train.x), 2)
  }
  // Labels one-hot (to_categorical) exactly for categorical cross-entropy.
  const compile = one(calls, 'compile')
  const categorical = compile.loss === 'categorical_crossentropy'
  expect(calls.some((c) => c.call === 'to_categorical')).toBe(categorical)
  if (config.loss === 'categorical_crossentropy') expect(categorical).toBe(true)
  // The schedule gives the loop's learning rate at every recorded step.
  const stepsPerEpoch = config.budget.kind === 'steps' ? config.budget.eval_every : Math.ceil(training.data.train.count / Math.min(config.batch_size, training.data.train.count))
  for (const [step, rate] of fit.learning_rates as Array<[number, number]>) {
    expect(rate, `lr at step ${step}`).toBeCloseTo(scheduledLearningRate(config.schedule, config.optimizer.learning_rate, step, Math.floor(step / stepsPerEpoch)), 10)
  }
  expect(one(calls, 'optimizer').cls).toBe({ sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adagrad: 'Adagrad', adadelta: 'Adadelta', adamax: 'Adamax' }[config.optimizer.name])
  expect(one(calls, 'save').path).toBe('model.keras')
}

describe.skipIf(!hasPython)('generated train.py', () => {
  it('compiles with python3 (py_compile) for every example', async () => {
    const files = await Promise.all(EXAMPLES.map(async (example) => {
      const file = join(work, `compile-${example.id}.py`)
      await import('node:fs/promises').then((fs) => fs.writeFile(file, kerasScript(example.spec, example.config, { runName: example.title })))
      return file
    }))
    const result = spawnSync(PYTHON, ['-c', 'import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, cfile=f + "c", doraise=True)', ...files], { encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})

describe.skipIf(!hasNumpy)('Keras training script export', () => {
  it('writes data.npz that NumPy reads back exactly (x, y and their shapes)', async () => {
    const x = Float32Array.from([1.5, -2, 3.25, 1e-8, 0, 7])
    const bytes = encodeNpz({ x_train: { data: x, shape: [3, 2] }, y_train: { data: Int32Array.from([0, 2, 1]), shape: [3] } })
    expect(Object.keys(unzipSync(bytes)).sort()).toEqual(['x_train.npy', 'y_train.npy'])
    const file = join(work, 'check.npz')
    await import('node:fs/promises').then((fs) => fs.writeFile(file, bytes))
    const out = execFileSync(PYTHON, ['-c', 'import json,sys,numpy as np; d=np.load(sys.argv[1]); print(json.dumps({k: [str(d[k].dtype), list(d[k].shape), d[k].reshape(-1).tolist()] for k in sorted(d.files)}))', file], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({ x_train: ['float32', [3, 2], Array.from(x)], y_train: ['int32', [3], [0, 2, 1]] })
  })

  it.each(EXAMPLES.map((e) => [e.id, e] as const))('%s: train.py runs under the Keras stub with the run\'s budget, rows and labels', async (id, example) => {
    const initial = id === 'S7' ? SEED_004_INITIAL_WEIGHTS.map((layer, i) => ({ index: i, weights: layer.map((values, w) => ({ name: w === 0 ? 'kernel' : 'bias', shape: w === 0 ? (i === 0 ? [1, 3] : [3, 1]) : [values.length], data: Float32Array.from(values) })) })) : undefined
    const model = withTraining(exportModelOf(example.spec), example.config, id === 'S7' ? { train: 4, validation: 0, test: 2 } : undefined, initial)
    const { calls, files } = await runUnderStub(model, id)
    expect(files).toEqual(['train.py', 'data.npz', 'preprocessing.json', 'preprocess.py', 'README.md'])
    checkRun(model, calls)
    if (id === 'S7') {
      const set = calls.filter((c) => c.call === 'set_weights')
      expect(set.map((c) => c.layer)).toEqual(['dense_1', 'dense_2'])
      expect((set[0].sums as number[])[0]).toBeCloseTo(-0.82203424 - 0.9185806 + 0.03494298, 5)
    }
  })

  it('a step budget that is not a whole number of epochs trains exactly that many steps, with validation, early stopping and plateau on Keras names', async () => {
    const config = trainingConfigSchema.parse({
      loss: 'sparse_categorical_crossentropy', metrics: ['accuracy', 'auc'], optimizer: { name: 'sgd', learning_rate: 0.1, momentum: 0 },
      schedule: { kind: 'reduce_on_plateau', monitor: 'val_acc', patience: 2, cooldown: 1 }, budget: { kind: 'steps', steps: 37, eval_every: 10 },
      batch_size: 8, validation: { kind: 'split', fraction: 0.2 }, early_stopping: { monitor: 'val_accuracy', patience: 3 }, seed: 5
    } satisfies TrainingConfigInput)
    const model = withTraining(exportModelOf(FIXTURE_SPECS.mnistMlp), config)
    const { calls, dir } = await runUnderStub(model, 'steps-37')
    checkRun(model, calls)
    const fit = one(calls, 'fit')
    expect(fit).toMatchObject({ steps: 37, epochs: 4, epochs_run: 4, callbacks: ['StepBudget', 'EarlyStopping', 'ReduceLROnPlateau'] })
    expect(one(calls, 'EarlyStopping')).toMatchObject({ monitor: 'val_accuracy', patience: 3, mode: 'max', restore_best_weights: true })
    expect(one(calls, 'ReduceLROnPlateau')).toMatchObject({ monitor: 'val_accuracy', patience: 2, cooldown: 1, mode: 'max' })
    expect(one(calls, 'optimizer')).toMatchObject({ cls: 'SGD', learning_rate: 0.1, momentum: 0, nesterov: false })
    // sparse labels would not fit AUC: one-hot, and the same loss as categorical cross-entropy
    expect(one(calls, 'compile')).toMatchObject({ loss: 'categorical_crossentropy', metrics: [{ cls: 'CategoricalAccuracy', name: 'accuracy' }, { cls: 'AUC', name: 'auc' }] })
    const script = await readFile(join(dir, 'train.py'), 'utf8')
    expect(script).not.toMatch(/validation_split|validation_data=\(x_test/)
  })

  it('a CNN on scaled images: the saved model takes raw pixels through a Normalization layer; sparse labels stay integers', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'divide255' })
    const config = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'adam', learning_rate: 0.001 }, budget: { kind: 'epochs', epochs: 3 }, batch_size: 16, validation: { kind: 'dataset' }, schedule: { kind: 'step_decay', drop: 0.5, every_epochs: 1 } })
    const model = withTraining(f.model, config, { train: 40, validation: 9, test: 7 })
    f.dispose()
    const { calls, dir } = await runUnderStub(model, 'cnn')
    checkRun(model, calls)
    expect(one(calls, 'fit')).toMatchObject({ steps: 9, epochs: 3 })
    expect(one(calls, 'compile')).toMatchObject({ loss: 'sparse_categorical_crossentropy', metrics: [{ cls: 'SparseCategoricalAccuracy', name: 'accuracy' }] })
    const normalization = calls.find((c) => c.call === 'layer' && c.cls === 'Normalization')!
    expect(normalization).toMatchObject({ mean_shape: [8, 8, 1], mean_sum: 0 })
    expect(normalization.std_sum as number).toBeCloseTo(64 * 255, 1)
    expect(one(calls, 'save')).toMatchObject({ path: 'model.keras', model: 'cnn_raw_inputs' })
    expect(calls.filter((c) => c.call === 'layer').map((c) => c.cls)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'Flatten', 'Dense', 'Normalization'])
    const pre = JSON.parse(await readFile(join(dir, 'preprocessing.json'), 'utf8')) as { scaling_in_model: boolean }
    expect(pre.scaling_in_model).toBe(true)
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toMatch(/takes RAW inputs/)
  })

  it('refuses a model without its training data, and SGD momentum Keras cannot take', async () => {
    const model = exportModelOf(FIXTURE_SPECS.linear)
    await expect(kerasScriptExporter.write(model, work)).rejects.toBeInstanceOf(ExportRefusal)
    const config = trainingConfigSchema.parse({ loss: 'mean_squared_error', optimizer: { name: 'sgd', momentum: 1.5 }, validation: { kind: 'none' } })
    await expect(kerasScriptExporter.write(withTraining(model, config), work)).rejects.toThrow(/momentum between 0 and 1/)
  })

  it.each(['residualMlp', 'concat'] as const)('%s graph: train.py builds it with the functional API, every layer called on the outputs it takes', async (name) => {
    const spec = GRAPH_SPECS[name]
    const config = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], optimizer: { name: 'adam', learning_rate: 0.01 }, budget: { kind: 'epochs', epochs: 2 }, batch_size: 8, validation: { kind: 'split', fraction: 0.2 }, seed: 3 } satisfies TrainingConfigInput)
    const model = withTraining(exportModelOf(spec), config)
    const script = kerasScript(spec, config)
    expect(script).toContain('inputs = keras.Input(shape=INPUT_SHAPE)')
    expect(script).toMatch(/keras\.Model\(inputs=inputs, outputs=out, name=/)
    if (name === 'residualMlp') expect(script).toMatch(/^add_1 = keras\.layers\.Add\(name="add_1"\)\(\[d1, d2\]\)$/m)
    else expect(script).toMatch(/^joined = keras\.layers\.Concatenate\(axis=-1, name="joined"\)\(\[wide, narrow\]\)$/m)
    const { calls } = await runUnderStub(model, `graph-${name}`)
    checkRun(model, calls)
    // The model the stub traced is the spec's graph: who feeds whom, and the output.
    const traced = one(calls, 'functional')
    const graph = specGraph(spec)
    expect(traced.layers).toEqual(graph.nodes.map((n) => n.name))
    expect(traced.edges).toEqual(Object.fromEntries(graph.nodes.map((n) => [n.name, n.inbound])))
    expect(traced.output).toBe(graph.output)
    expect(one(calls, 'compile').output_shape).toEqual([3 - (name === 'concat' ? 1 : 0)])
  })

  it('writes the functional API for every graph fixture (python3 compiles each), naming outputs clear of the script\'s own variables', async () => {
    const config = trainingConfigSchema.parse({ loss: 'mean_squared_error', validation: { kind: 'none' } } satisfies TrainingConfigInput)
    const clash: ModelSpec = { format: 'model-workbench/spec', version: 2, name: 'clash', input_shape: [3], layers: [
      { class_name: 'Dense', config: { name: 'model', units: 2 } },
      { class_name: 'Dense', config: { name: 'data', units: 2 }, inbound: ['input'] },
      { class_name: 'Add', config: { name: 'add' }, inbound: ['model', 'data'] }
    ] }
    const clashScript = kerasScript(clash, config)
    expect(clashScript).toMatch(/^model_out = keras\.layers\.Dense\(.*name="model"\)\(inputs\)$/m)
    expect(clashScript).toMatch(/^add = keras\.layers\.Add\(name="add"\)\(\[model_out, data_out\]\)$/m)
    const specs = [clash, ...Object.values(GRAPH_SPECS), ...Object.values(MORE_GRAPH_SPECS)] as ModelSpec[]
    const files = await Promise.all(specs.map(async (spec, i) => {
      const file = join(work, `graph-compile-${i}.py`)
      await writeFile(file, kerasScript(spec, config))
      return file
    }))
    const result = spawnSync(PYTHON, ['-c', 'import py_compile, sys\nfor f in sys.argv[1:]: py_compile.compile(f, cfile=f + "c", doraise=True)', ...files], { encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})
