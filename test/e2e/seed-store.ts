// Fills a data folder's run database directly through WorkbenchStore, before the server opens
// it: finished runs with realistic configs and metric series, for the views' scale checks.
import { join } from 'node:path'
import { WorkbenchStore } from '../../src/main/store'
import type { MetricPoint } from '../../src/shared/run'
import type { ModelSpec } from '../../src/shared/model-spec'
import { trainingConfigSchema, type OptimizerName } from '../../src/shared/training'

const seededSpec: ModelSpec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'mnist-mlp',
  input_shape: [784],
  layers: [
    { class_name: 'Dense', config: { units: 32 } },
    { class_name: 'Activation', config: { activation: 'relu' } },
    { class_name: 'Dense', config: { units: 10 } },
    { class_name: 'Activation', config: { activation: 'softmax' } }
  ]
}

const seededDataset = { id: 'mnist', name: 'MNIST', fingerprint: 'sha256:seeded-for-benchmarks' }
const OPTIMIZERS: OptimizerName[] = ['sgd', 'rmsprop', 'adam']

export interface SeedOptions {
  runs: number
  /** Per-batch loss points (`batch/loss`, one per step) of every run. */
  pointsPerRun: number
  epochs?: number
}

/**
 * Creates `runs` finished runs in `<dataDir>/workbench.db`, each with `pointsPerRun` batch-loss
 * points and per-epoch loss/acc, with learning rates and optimizers that differ between runs.
 * Returns the run ids, newest last.
 */
export function seedFinishedRuns(dataDir: string, options: SeedOptions): string[] {
  const store = WorkbenchStore.open(join(dataDir, 'workbench.db'))
  const epochs = options.epochs ?? 10
  const ids: string[] = []
  try {
    for (let r = 0; r < options.runs; r++) {
      const optimizer = OPTIMIZERS[r % OPTIMIZERS.length]
      const learningRate = [0.001, 0.003, 0.01, 0.03, 0.1][r % 5]
      const config = trainingConfigSchema.parse({
        loss: 'categorical_crossentropy',
        optimizer: { name: optimizer, learning_rate: learningRate },
        budget: { kind: 'epochs', epochs },
        batch_size: [32, 64, 128][r % 3],
        seed: r
      })
      const run = store.createRun({ id: `run-seeded-${String(r).padStart(5, '0')}`, name: `seeded run ${r}`, model_name: seededSpec.name, dataset: seededDataset, spec: seededSpec, config })
      store.markRunning(run.id, { backend_info: { name: 'wasm', skipped: [], forced: false }, versions: { '@tensorflow/tfjs': '4.22.0' } })
      const points: MetricPoint[] = []
      const stepsPerEpoch = Math.max(1, Math.ceil(options.pointsPerRun / epochs))
      const t0 = Date.now()
      let loss = 2.3
      for (let step = 0; step < options.pointsPerRun; step++) {
        const epoch = Math.floor(step / stepsPerEpoch)
        loss = 0.05 + (loss - 0.05) * (1 - learningRate * 0.5) + 0.02 * Math.sin(step * 0.37 + r)
        points.push({ step, epoch, name: 'batch/loss', value: Math.max(0.01, loss), time: t0 + step })
      }
      for (let epoch = 0; epoch < epochs && options.pointsPerRun > 0; epoch++) {
        const step = Math.min(options.pointsPerRun - 1, (epoch + 1) * stepsPerEpoch - 1)
        points.push({ step, epoch, name: 'loss', value: 2 / (epoch + 2 + r * 0.1), time: t0 + step })
        points.push({ step, epoch, name: 'acc', value: 0.8 + 0.015 * epoch - 0.002 * r, time: t0 + step })
      }
      if (points.length) {
        const writer = store.metricWriter(run.id, { maxBufferedRows: 50_000 })
        writer.append(points)
        writer.close()
      }
      store.finishRun(run.id, {
        status: 'finished',
        final_metrics: { loss: 2 / (epochs + 1 + r * 0.1), acc: 0.8 + 0.015 * (epochs - 1) - 0.002 * r },
        best_metrics: { acc: 0.8 + 0.015 * (epochs - 1) - 0.002 * r },
        best_epoch: epochs,
        error: null,
        diverged_at_step: null
      })
      ids.push(run.id)
    }
  } finally {
    store.close()
  }
  return ids
}
