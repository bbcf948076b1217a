// Distributions overhead (`node --import tsx bench/distributions.bench.ts`): the epoch time of our
// trainer with and without the Distributions callback (per-layer weight and probe-activation
// summaries at epoch 0 and every epoch end, appended to a JSON-lines file as the trainer does), on
// S4's 784-512-10 MLP (batch 128) and S5's 784-32-10 (batch 32) over 12 800 MNIST-shaped rows, and
// on S7 (4 rows, one step per epoch: the worst case, where an epoch is one tiny step; the callback's
// 3 % time cap thins its records there). Rounds alternate which contender runs first. Prints the
// per-epoch CPU times of this process and the ratio (with / without − 1).
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selectBackend, type Tf } from '../src/main/engine/backend'
import { Distributions, probeBatch } from '../src/main/engine/callbacks/distributions'
import { buildModel } from '../src/main/engine/model-builder'
import { createRandom } from '../src/main/engine/seeded-random'
import { trainModel, type TrainingData } from '../src/main/engine/training-loop'
import { EXAMPLES } from '../src/shared/examples'
import { PROBE_ROWS } from '../src/shared/distributions'
import { trainingConfigSchema } from '../src/shared/training'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 12_800)

function mnistShaped(count: number): TrainingData {
  const random = createRandom(1)
  const x = new Float32Array(count * 784)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    y[i] = i % 10
    for (let p = 0; p < 784; p++) x[i * 784 + p] = (Math.floor(p / 78.4) === i % 10 ? 0.8 : 0) + random() * 0.2
  }
  return { train: { x, y, count, featureShape: [784] }, task: 'multiclass', numClasses: 10, targetSize: 1 }
}

const linear: TrainingData = { train: { x: Float32Array.of(1, 2, 3, 4), y: Float32Array.of(2, 4, 6, 8), count: 4, featureShape: [1] }, task: 'regression', numClasses: 0, targetSize: 1 }

/** Per contender: CPU ms per epoch; with distributions also the callback's own wall ms per record and its records. */
const recordCosts = new Map<string, number[]>()

async function epochMs(tf: Tf, id: string, data: TrainingData, epochs: number, withDistributions: boolean, file: string): Promise<number> {
  const example = EXAMPLES.find((e) => e.id === id)!
  const config = trainingConfigSchema.parse({ ...example.config, budget: { kind: 'epochs', epochs }, evaluate_test: false, validation: { kind: 'none' } })
  const model = buildModel(tf, example.spec, { seed: 1 })
  const callbacks = withDistributions ? [new Distributions({ probe: probeBatch(data.train, PROBE_ROWS, 1), record: (record) => appendFileSync(file, JSON.stringify(record) + '\n') })] : []
  // CPU time of this process (the machine is shared: wall time swings with the neighbours' load).
  const start = process.cpuUsage()
  const outcome = await trainModel({ tf, model, config, data, runId: 'bench', backend: { name: 'wasm', skipped: [], forced: true }, emit: () => {}, callbacks })
  const used = process.cpuUsage(start)
  const ms = (used.user + used.system) / 1000 / epochs
  const recorder = callbacks[0]
  if (recorder) recordCosts.set(id, [...(recordCosts.get(id) ?? []), recorder.spentMs / epochs, recorder.records.length])
  tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  model.dispose()
  return ms
}

async function main(): Promise<void> {
  const { tf } = await selectBackend('wasm')
  const dir = mkdtempSync(join(tmpdir(), 'mw-dist-bench-'))
  const mnist = mnistShaped(SAMPLES)
  const cases: Array<[string, TrainingData, number]> = [['S4', mnist, 2], ['S5', mnist, 2], ['S7', linear, 200]]
  try {
    for (const [id, data, epochs] of cases) {
      const times = { off: [] as number[], on: [] as number[] }
      for (let round = 0; round < ROUNDS; round++) {
        for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
          times[on ? 'on' : 'off'].push(await epochMs(tf, id, data, epochs, on, join(dir, `${id}-${round}.jsonl`)))
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
      const off = median(times.off)
      const on = median(times.on)
      const costs = recordCosts.get(id) ?? []
      const perEpoch = median(costs.filter((_, i) => i % 2 === 0))
      console.log(`${id}: the callback itself: ${perEpoch.toFixed(2)} ms per epoch (${((perEpoch / off) * 100).toFixed(2)} % of an epoch), ${median(costs.filter((_, i) => i % 2 === 1))} records for ${epochs} epochs`)
      console.log(`${id}: epoch ${off.toFixed(2)} CPU ms without, ${on.toFixed(2)} ms with distributions (median of ${ROUNDS}); overhead ${((on / off - 1) * 100).toFixed(2)} % (${(on - off).toFixed(2)} ms per epoch)`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
