// Trainer benchmark (`node --import tsx bench/trainer.bench.ts`): all ratios come from this one run.
// (a) our training loop's samples/s against a bare tfjs model.fit of the same model
//     (784-512-10 relu/softmax, MNIST-shaped data, batch 128, SGD) on the same backend;
// (b) the same model in PyTorch (CPU, one thread like wasm) when /usr/bin/python3 has torch;
// (d) tensor count and RSS over 20 epochs of our loop (both should stay flat).
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import type { LayersModel, Tensor } from '@tensorflow/tfjs'
import { selectBackend, type Tf } from '../src/main/engine/backend'
import { trainModel } from '../src/main/engine/training-loop'
import { createRandom } from '../src/main/engine/seeded-random'
import { trainingConfigSchema } from '../src/shared/training'
import type { BackendChoice } from '../src/shared/training'

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 12_800)
const BATCH = 128
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

function mnistShaped(count: number) {
  const random = createRandom(1)
  const x = new Float32Array(count * 784)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    const label = i % 10
    y[i] = label
    // A learnable pattern: a class-dependent band of bright pixels plus noise.
    for (let p = 0; p < 784; p++) x[i * 784 + p] = (Math.floor(p / 78.4) === label ? 0.8 : 0) + random() * 0.2
  }
  return { x, y, count }
}

function buildMlp(tf: Tf): LayersModel {
  const model = tf.sequential()
  model.add(tf.layers.dense({ units: 512, activation: 'relu', inputShape: [784], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }))
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }))
  return model
}

const config = (epochs: number) => trainingConfigSchema.parse({
  optimizer: { name: 'sgd', learning_rate: 0.01 }, loss: 'categorical_crossentropy', metrics: ['accuracy'],
  budget: { kind: 'epochs', epochs }, batch_size: BATCH, shuffle: true, validation: { kind: 'none' }, evaluate_test: false, seed: 1
})

/** Rate per wall second and per CPU second of this process (wasm is single-threaded, so CPU time
 * is the work done, and is far less disturbed than wall time when other jobs share the cores). */
interface Rate { wall: number; cpu: number }

function rateSince(start: number, cpuStart: NodeJS.CpuUsage, samples: number): Rate {
  const cpu = process.cpuUsage(cpuStart)
  return { wall: samples / ((performance.now() - start) / 1000), cpu: samples / ((cpu.user + cpu.system) / 1e6) }
}

async function oursSamplesPerSecond(tf: Tf, data: ReturnType<typeof mnistShaped>, epochs: number): Promise<Rate> {
  const model = buildMlp(tf)
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  const outcome = await trainModel({
    tf, model, config: config(epochs), runId: 'bench', backend: { name: 'wasm', skipped: [], forced: true }, emit: () => {},
    data: { train: { x: data.x, y: data.y, count: data.count, featureShape: [784] }, task: 'multiclass', numClasses: 10, targetSize: 1 }
  })
  const rate = rateSince(start, cpuStart, data.count * epochs)
  tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  model.dispose()
  return rate
}

async function fitSamplesPerSecond(tf: Tf, data: ReturnType<typeof mnistShaped>, epochs: number): Promise<Rate> {
  const model = buildMlp(tf)
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const x = tf.tensor2d(data.x, [data.count, 784])
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(data.y), 'int32'), 10).toFloat())
  const cpuStart = process.cpuUsage()
  const start = performance.now()
  await model.fit(x, y, { batchSize: BATCH, epochs, shuffle: true, verbose: 0 })
  const rate = rateSince(start, cpuStart, data.count * epochs)
  tf.dispose([x, y] as Tensor[])
  model.dispose()
  return rate
}

function pytorchSamplesPerSecond(count: number, epochs: number): { value: number | null; note: string } {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' })
  if (probe.status !== 0) return { value: null, note: 'PyTorch not available (/usr/bin/python3 -c "import torch" failed; apt-get install python3-torch): skipped' }
  const script = `
import time, torch
torch.manual_seed(1); torch.set_num_threads(1)
n=${count}; x=torch.rand(n,784); y=torch.arange(n)%10
model=torch.nn.Sequential(torch.nn.Linear(784,512),torch.nn.ReLU(),torch.nn.Linear(512,10))
opt=torch.optim.SGD(model.parameters(),lr=0.01); lossf=torch.nn.CrossEntropyLoss()
def epoch():
    perm=torch.randperm(n)
    for i in range(0,n,${BATCH}):
        idx=perm[i:i+${BATCH}]; opt.zero_grad(); out=model(x[idx]); loss=lossf(out,y[idx]); loss.backward(); opt.step()
epoch()
t=time.perf_counter()
for _ in range(${epochs}): epoch()
print(n*${epochs}/(time.perf_counter()-t))
`
  const result = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' })
  if (result.status !== 0) return { value: null, note: `PyTorch run failed: ${result.stderr.trim().split('\n').pop()}` }
  return { value: Number(result.stdout.trim()), note: `torch ${spawnSync('/usr/bin/python3', ['-c', 'import torch;print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim()}, 1 thread` }
}

async function flatness(tf: Tf): Promise<void> {
  const data = mnistShaped(2048)
  const model = buildMlp(tf)
  const tensors: number[] = []
  const rss: number[] = []
  const outcome = await trainModel({
    tf, model, config: { ...config(20), metrics: ['accuracy', 'precision', 'recall', 'auc'], validation: { kind: 'split', fraction: 0.1 }, early_stopping: { monitor: 'val_loss', patience: 100, min_delta: 0, mode: 'auto', restore_best_weights: true } },
    runId: 'bench', backend: { name: 'wasm', skipped: [], forced: true },
    emit: (e) => {
      if (e.type !== 'epoch') return
      tensors.push(tf.memory().numTensors)
      rss.push(process.memoryUsage().rss / 2 ** 20)
    },
    data: { train: { x: data.x, y: data.y, count: data.count, featureShape: [784] }, task: 'multiclass', numClasses: 10, targetSize: 1 }
  })
  tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  console.log(`(d) 20 epochs: tensors epoch 1 ${tensors[0]}, epoch 2 ${tensors[1]}, epoch 20 ${tensors[19]} (${new Set(tensors.slice(1)).size === 1 ? 'flat' : 'NOT flat'}); RSS epoch 2 ${rss[1].toFixed(1)} MiB, epoch 20 ${rss[19].toFixed(1)} MiB`)
}

async function main(): Promise<void> {
  const choice = (process.env.BENCH_BACKEND ?? 'auto') as BackendChoice
  const { tf, info } = await selectBackend(choice)
  console.log(`trainer bench on backend ${info.name}; ${SAMPLES} samples of 784 features, batch ${BATCH}, ${ROUNDS} rounds of 1 epoch each, alternating`)
  const data = mnistShaped(SAMPLES)
  // Warm-up (kernel compilation, allocator) for both.
  await oursSamplesPerSecond(tf, mnistShaped(1024), 1)
  await fitSamplesPerSecond(tf, mnistShaped(1024), 1)
  const ours: Rate[] = []
  const fit: Rate[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so that neither always runs second.
    if (round % 2 === 0) {
      fit.push(await fitSamplesPerSecond(tf, data, 1))
      ours.push(await oursSamplesPerSecond(tf, data, 1))
    } else {
      ours.push(await oursSamplesPerSecond(tf, data, 1))
      fit.push(await fitSamplesPerSecond(tf, data, 1))
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]
  const oursRate = median(ours.map((r) => r.wall))
  const fitRate = median(fit.map((r) => r.wall))
  const oursCpu = median(ours.map((r) => r.cpu))
  const fitCpu = median(fit.map((r) => r.cpu))
  console.log(`(a) wall: ours ${oursRate.toFixed(0)} samples/s, model.fit ${fitRate.toFixed(0)} samples/s, ratio ours/fit ${(oursRate / fitRate).toFixed(3)} (target >= 0.95)`)
  console.log(`    per CPU second: ours ${oursCpu.toFixed(0)}, model.fit ${fitCpu.toFixed(0)}, ratio ours/fit ${(oursCpu / fitCpu).toFixed(3)}`)
  console.log(`    rounds (wall) ours [${ours.map((v) => v.wall.toFixed(0)).join(', ')}], fit [${fit.map((v) => v.wall.toFixed(0)).join(', ')}]; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`)
  const torch = pytorchSamplesPerSecond(SAMPLES, 2)
  if (torch.value === null) console.log(`(b) ${torch.note}`)
  else console.log(`(b) PyTorch ${torch.value.toFixed(0)} samples/s (${torch.note}); ratio ours/pytorch ${(oursRate / torch.value).toFixed(3)}`)
  await flatness(tf)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
