// PyTorch training job: a folder that reproduces a run in PyTorch, on one process or under
// `torchrun --nproc_per_node=N` with DistributedDataParallel (gloo on CPU, NCCL on CUDA), on one
// machine or a cluster. train.py (the same for every job) reads job.json (config, metric plan,
// seeded-stream offset), data/*.npy (the rows the run trained and validated on, already scaled),
// initial.safetensors and model.py (from the pytorch format); it writes metrics.jsonl under the
// workbench's metric names, run.json and the weights as safetensors, which
// ../import/torch-job-import.ts reads back as a run.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { planMetrics, MetricPlanError } from '../../engine/metric-plan'
import { createRandom, permutation, range } from '../../engine/seeded-random'
import { REGULARIZERS, resolveRegularizer } from '../../../shared/model-spec/registry'
import type { RegularizerValue } from '../../../shared/model-spec'
import { ExportRefusal, type ExportModel, type ExportSample, type ExportSplit, type ExportTensor, type Exporter, type Verification, maxAbsDiff } from '../types'
import { encodeNpy } from '../helpers/npy'
import { encodeSafetensors } from '../helpers/safetensors'
import { preprocessPy } from '../helpers/preprocess-py'
import { findPythonTorch, runPython } from '../helpers/python-torch'
import { modelPy, planTorchModule, stateTensors, torchSupports, type TorchLayout, type TorchPlan } from '../helpers/torch-module'
import { TRAIN_PY } from '../helpers/train-py'
import { torchMetadata } from './pytorch'

const FORMAT = 'torch_job'
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional'])

/** job.json: what train.py needs besides its data and weights, and what the importer reads back. */
export interface TorchJobFile {
  format: 'model-workbench/torch-job'
  version: 1
  source: { run_id: string; run_name: string; model_name: string; dataset_name: string; dataset_fingerprint: string; app_version: string; created_at: string }
  spec: ExportModel['spec']
  config: NonNullable<ExportModel['training']>['config']
  task: 'binary' | 'multiclass' | 'regression'
  num_classes: number
  target_size: number
  output_units: number
  loss: string
  metrics: string[]
  metric_names: string[]
  label_form: 'as_is' | 'one_hot'
  accuracy: 'binary' | 'categorical'
  /** Draws of the seeded stream the app spent before training (its validation-split shuffle). */
  rng_skip: number
  /** 'run': the run's own initial weights; 'exported': the exported (trained) weights, the run's initial ones being unknown. */
  initial_weights: 'run' | 'exported'
  regularizers: Array<{ key: string; l1: number; l2: number }>
  rows: { train: number; validation: number; test: number }
  layout: TorchLayout
  safetensors_metadata: Record<string, string>
}

const refuse = (message: string): ExportRefusal => new ExportRefusal(FORMAT, null, message)

/** The rows the run trained on and validated on, as the app's training loop forms them. */
function splits(model: ExportModel): { train: ExportSplit; validation: ExportSplit | null; rngSkip: number } {
  const training = model.training!
  const config = training.config
  const full = training.data.train
  const features = model.input_shape.reduce((a, b) => a * b, 1)
  const targetSize = training.target_size
  if (config.validation.kind === 'none') return { train: full, validation: null, rngSkip: 0 }
  if (config.validation.kind === 'dataset') {
    if (!training.data.validation) throw refuse(`The run validated on the data set's ${config.validation.split} split, but the export got no validation rows; export from a run whose data set is still in the library.`)
    return { train: full, validation: training.data.validation, rngSkip: 0 }
  }
  // validation_split: the app shuffled the train rows with the seed, then took the tail. Given
  // `train` as the whole train split, the job's rows are split here exactly so; given the rows
  // already split (train = the rows trained on, in the app's order; validation = the tail), they
  // are used as they are and train.py skips the draws the shuffle took.
  const random = createRandom(training.seed)
  const order = config.shuffle ? permutation(full.count, random) : range(full.count)
  const validationCount = Math.floor(full.count * config.validation.fraction)
  const given = training.data.validation
  const pick = (rows: Int32Array): ExportSplit => {
    const x = new Float32Array(rows.length * features)
    const y = new Float32Array(rows.length * targetSize)
    rows.forEach((row, i) => {
      x.set(full.x.subarray(row * features, (row + 1) * features), i * features)
      y.set(full.y.subarray(row * targetSize, (row + 1) * targetSize), i * targetSize)
    })
    return { count: rows.length, x, y }
  }
  if (given) {
    const resplit = given.count === validationCount && validationCount >= 1 ? pick(order.slice(full.count - validationCount)) : null
    const trainIsWhole = resplit !== null && resplit.x.every((v, i) => v === given.x[i])
    if (!trainIsWhole) {
      const total = full.count + given.count
      return { train: full, validation: given, rngSkip: config.shuffle && total > 1 ? total - 1 : 0 }
    }
  }
  if (validationCount < 1 || validationCount >= full.count) throw refuse(`A validation fraction of ${config.validation.fraction} leaves no rows for ${validationCount < 1 ? 'validation' : 'training'} out of ${full.count}.`)
  return { train: pick(order.slice(0, full.count - validationCount)), validation: pick(order.slice(full.count - validationCount)), rngSkip: config.shuffle && full.count > 1 ? full.count - 1 : 0 }
}

/** The config key of the regularizer of each Keras weight (moving statistics have none). */
const REGULARIZER_OF: Record<string, string> = {
  kernel: 'kernel_regularizer', bias: 'bias_regularizer', recurrent_kernel: 'recurrent_regularizer', depthwise_kernel: 'depthwise_regularizer',
  pointwise_kernel: 'pointwise_regularizer', gamma: 'gamma_regularizer', beta: 'beta_regularizer', embeddings: 'embeddings_regularizer'
}

function regularizers(model: ExportModel, plan: TorchPlan): TorchJobFile['regularizers'] {
  const out: TorchJobFile['regularizers'] = []
  for (const map of plan.layout.layers) {
    const layer = model.layers.find((l) => l.index === map.index)!
    // Bidirectional: the wrapped layer's regularizers, on both directions' weights (tfjs builds the backward copy from its config).
    const config = layer.class_name === 'Bidirectional' ? ((layer.config.layer as { config?: Record<string, unknown> } | undefined)?.config ?? {}) : layer.config
    for (const tensor of map.tensors) {
      const key = REGULARIZER_OF[tensor.keras]
      const value = key ? (config[key] as RegularizerValue | undefined) : undefined
      if (value === undefined || value === null) continue
      const resolved = resolveRegularizer(value)
      if (resolved === undefined) throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `Layer ${layer.index + 1} "${layer.name}" has a ${key} the job cannot reproduce (${JSON.stringify(value)}); set it to ${Object.values(REGULARIZERS).map((r) => r.label).join(', ')} or none in the Designer and train again.`)
      if (!resolved) continue
      out.push({ key: tensor.key, l1: resolved.l1, l2: resolved.l2 })
    }
  }
  return out
}

function readme(model: ExportModel, job: TorchJobFile): string {
  const c = job.config
  const sameAveragePooling = model.layers.some((l) => l.class_name === 'AveragePooling2D' && l.config.padding === 'same')
  const recurrentModules = job.layout.layers.filter((l) => RECURRENT.has(l.class_name) && l.module).map((l) => `${l.module}.`)
  const recurrentRegularized = job.regularizers.some((r) => recurrentModules.some((prefix) => r.key.startsWith(prefix)))
  const budget = c.budget.kind === 'epochs' ? `${c.budget.epochs} epochs` : `${c.budget.steps} steps (evaluated every ${c.budget.eval_every})`
  const initial = job.initial_weights === 'run'
    ? "the run's own initial weights (what the app started from), so a run reproduces the app's"
    : "**the exported (trained) weights** — the run's initial weights were not available, so the job continues training from where the app ended instead of starting over"
  return `# ${model.spec.name} — PyTorch training job

Reproduces Model Workbench run \`${model.meta.run_id}\` (${model.meta.run_name}) on \`${model.meta.dataset_name}\` (${model.meta.dataset_fingerprint}) in PyTorch 1.13+, on one process or many with DistributedDataParallel.

* optimizer ${c.optimizer.name} (learning rate ${c.optimizer.learning_rate}), schedule ${c.schedule.kind}, loss ${c.loss}, batch size ${c.batch_size} (the GLOBAL batch: split across the processes), ${budget}, seed ${c.seed}
* training rows ${job.rows.train}, validation rows ${job.rows.validation}, test rows ${job.rows.test} (\`data/*.npy\`: model inputs already scaled as the app trained on them; labels as stored)
* starts from ${initial} (\`initial.safetensors\`)

## Run it

One process:

    OMP_NUM_THREADS=1 python3 train.py

N processes on this machine (gloo on CPU, NCCL when CUDA is available):

    OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node=2 --redirects 1 --tee 1 --log_dir logs train.py

(no \`torchrun\` on PATH: \`python3 -m torch.distributed.run\` with the same arguments). A cluster: on each of M nodes,

    torchrun --nnodes=M --nproc_per_node=N --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 --rdzv_id=job1 --redirects 1 --tee 1 --log_dir logs train.py

\`--redirects 1 --tee 1 --log_dir DIR\` are needed by Debian's torch 1.13 torchrun on Python 3.11 (without them it stops at once with \`'NoneType' object has no attribute 'get'\`). Options: \`--device cpu|cuda\`, \`--out DIR\`, \`--dry-run\` (one step, nothing written).

## What it writes

* \`metrics.jsonl\`: one JSON object a line, \`{step, epoch, name, value, time}\` (time in ms since 1970): per epoch ${job.metric_names.map((n) => `\`${n}\``).join(', ')}${job.rows.validation ? `, ${job.metric_names.map((n) => `\`val_${n}\``).join(', ')}` : ''}, \`lr\`; \`batch/loss\` and \`batch/lr\` during epochs; \`test_*\` at the end
* \`run.json\`: status (finished, stopped, diverged, failed), config, world size, device, timings, final and best metrics, best epoch
* \`model.safetensors\`: the last weights (then \`load_model()\` in model.py gives the trained model, taking raw inputs); \`best.safetensors\`: the best epoch's

Bring it back: \`model-workbench runs import <this folder>\`.

## How close to the app

Batches are the app's: train.py replays its seeded random stream (mulberry32) for the validation split, the per-epoch shuffles and the step budget's draws. The loss, metrics, optimizer update rules (tfjs's), learning-rate schedule, early stopping and reduce-on-plateau (Keras's semantics) are the app's. Each global batch is split across the processes and the loss scaled so that N processes take the same steps as one; weights then agree to float rounding. Not bit-identical: float summation order differs from tfjs; Dropout, SpatialDropout, GaussianNoise and recurrent input dropout draw their masks and noise from torch's generator (seeded with seed + rank); BatchNormalization uses each process's own rows for its batch statistics (no SyncBatchNorm), so with BatchNormalization N processes differ slightly from one.${sameAveragePooling ? "\n\nThis model has AveragePooling2D with 'same' padding: tfjs's gradient for it divides every window by its full size, although its forward pass leaves padded cells out of the average; train.py uses the true gradient, so training here differs from the app's at those borders (predictions with the same weights agree)." : ''}${recurrentRegularized ? "\n\nThis model has regularizers on a recurrent layer: tfjs 4.22 keeps them on the layer's cell, where the app's training loop does not collect them, so the app trained without them; train.py applies them (Keras's semantics), so training here differs from the app's." : ''}

On GPUs: one process per GPU (\`--nproc_per_node\` at most the number of GPUs); NCCL is chosen when CUDA is available, \`--device cpu\` forces gloo.
`
}

export const torchJobExporter: Exporter = {
  id: FORMAT,
  label: 'PyTorch training job (DDP)',
  holds: ['train.py (torchrun / DDP)', 'model.py', 'data/*.npy (the run\'s rows)', 'initial.safetensors', 'job.json', 'README.md'],
  supports: torchSupports,

  async write(model: ExportModel, dir: string): Promise<string[]> {
    const training = model.training
    if (!training) throw refuse("A training job needs the run's configuration and data; export it from a run whose data set is in the library.")
    const plan = planTorchModule(model, FORMAT)
    const outputUnits = model.output_shape[model.output_shape.length - 1] ?? 1
    let metricPlan
    try {
      metricPlan = planMetrics({ loss: training.config.loss, metrics: training.config.metrics, outputUnits, task: training.task, numClasses: training.num_classes, targetSize: training.target_size })
    } catch (error) {
      if (error instanceof MetricPlanError) throw refuse(error.message)
      throw error
    }
    const { train, validation, rngSkip } = splits(model)
    const test = training.config.evaluate_test ? training.data.test ?? null : null
    if (train.count < 1) throw refuse('The run has no training rows to export.')
    const initial = new Map<number, ExportTensor[]>((training.initial_weights ?? []).map((entry) => [entry.index, entry.weights]))
    const fromRun = training.initial_weights !== undefined && plan.layout.layers.every((l) => l.tensors.length === 0 || initial.has(l.index))
    const metadata = torchMetadata(model, plan)
    const job: TorchJobFile = {
      format: 'model-workbench/torch-job',
      version: 1,
      source: { run_id: model.meta.run_id, run_name: model.meta.run_name, model_name: model.meta.model_name, dataset_name: model.meta.dataset_name, dataset_fingerprint: model.meta.dataset_fingerprint, app_version: model.meta.app_version, created_at: model.meta.created_at },
      spec: model.spec,
      config: { ...training.config, seed: training.seed },
      task: training.task,
      num_classes: training.num_classes,
      target_size: training.target_size,
      output_units: outputUnits,
      loss: training.config.loss,
      metrics: [...training.config.metrics],
      metric_names: metricPlan.names,
      label_form: metricPlan.labelForm,
      accuracy: metricPlan.accuracy,
      rng_skip: rngSkip,
      initial_weights: fromRun ? 'run' : 'exported',
      regularizers: regularizers(model, plan),
      rows: { train: train.count, validation: validation?.count ?? 0, test: test?.count ?? 0 },
      layout: plan.layout,
      safetensors_metadata: metadata
    }
    const files: string[] = []
    const put = async (name: string, data: string | Uint8Array): Promise<void> => {
      await writeFile(join(dir, name), data)
      files.push(name)
    }
    await mkdir(join(dir, 'data'), { recursive: true })
    const xShape = (count: number): number[] => [count, ...model.input_shape]
    const yShape = (count: number): number[] => [count, training.target_size]
    await put('data/x_train.npy', encodeNpy(train.x, xShape(train.count)))
    await put('data/y_train.npy', encodeNpy(train.y, yShape(train.count)))
    if (validation) {
      await put('data/x_val.npy', encodeNpy(validation.x, xShape(validation.count)))
      await put('data/y_val.npy', encodeNpy(validation.y, yShape(validation.count)))
    }
    if (test) {
      await put('data/x_test.npy', encodeNpy(test.x, xShape(test.count)))
      await put('data/y_test.npy', encodeNpy(test.y, yShape(test.count)))
    }
    const note = 'Trained by train.py (a Model Workbench training job): model.safetensors holds the weights the job ended with.'
    await put('model.py', modelPy(model, plan, { note }))
    await put('train.py', TRAIN_PY)
    await put('job.json', JSON.stringify(job, null, 2) + '\n')
    await put('initial.safetensors', encodeSafetensors(stateTensors(model, plan, FORMAT, fromRun ? initial : undefined), { ...metadata, weights: fromRun ? 'initial' : model.meta.weights }))
    await put('exported.safetensors', encodeSafetensors(stateTensors(model, plan, FORMAT), metadata))
    await put('preprocessing.json', JSON.stringify(model.preprocessing, null, 2) + '\n')
    await put('preprocess.py', preprocessPy(model.preprocessing))
    await put('README.md', readme(model, job))
    return files
  },

  verify(_model: ExportModel, dir: string, sample: ExportSample): Promise<Verification> {
    return verifyJob(dir, sample)
  }
}

const VERIFY_SCRIPT = `
import contextlib, importlib.util, io, json, os, sys
import torch
torch.set_num_threads(1)
folder, raw_path, rows, features, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, folder)
def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(folder, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
model_py = load('model')
model = model_py.load_model(folder, 'exported.safetensors')
with open(raw_path, 'rb') as f:
    x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(rows, features)
with torch.no_grad():
    y = model(x)
with open(out_path, 'wb') as f:
    f.write(y.detach().to(torch.float32).contiguous().reshape(-1).numpy().astype('<f4').tobytes())
train = load('train')
captured = io.StringIO()
with contextlib.redirect_stdout(captured):
    train.main(['--dry-run', '--device', 'cpu'])
print(json.dumps({'torch': torch.__version__, 'dry_run': captured.getvalue().strip().splitlines()[-1]}))
`

/** The job's model.py with the exported weights predicts like the app, and train.py runs one step (--dry-run). */
async function verifyJob(dir: string, sample: ExportSample): Promise<Verification> {
  const python = await findPythonTorch()
  if (!python) return { verified_by: null, max_abs_diff: null, rows: 0, note: 'not verified: python3 with torch not found' }
  const { mkdtemp, readFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const scratch = await mkdtemp(join(tmpdir(), 'workbench-torch-job-verify-'))
  try {
    const rawPath = join(scratch, 'raw.f32')
    const outPath = join(scratch, 'out.f32')
    const raw = new Uint8Array(sample.raw.length * 4)
    const view = new DataView(raw.buffer)
    sample.raw.forEach((v, i) => view.setFloat32(4 * i, v, true))
    await writeFile(rawPath, raw)
    const result = await runPython(python.python, ['-c', VERIFY_SCRIPT, dir, rawPath, String(sample.rows), String(sample.features), outPath], { timeoutMs: 180_000 })
    const by = `torch ${python.torchVersion} (python3)`
    if (result.code !== 0) return { verified_by: by, max_abs_diff: null, rows: sample.rows, note: `failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}` }
    const bytes = await readFile(outPath)
    const outView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const outputs = Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => outView.getFloat32(4 * i, true))
    const info = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { torch?: string; dry_run?: string }
    return { verified_by: `torch ${info.torch ?? python.torchVersion} (python3)`, max_abs_diff: maxAbsDiff(outputs, sample.expected), rows: sample.rows, note: `model.py with the exported weights; train.py --dry-run: ${info.dry_run ?? '?'}` }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
