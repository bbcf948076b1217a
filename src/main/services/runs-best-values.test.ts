// withMetricBests: the Runs list's best value per metric is its min or max over the epochs (not
// the value at the monitor's best epoch), and epochs_trained counts the epochs that ran.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { WorkbenchStore } from '../store'
import { trainingConfigSchema } from '../../shared/training'
import type { MetricPoint } from '../../shared/run'
import { withMetricBests, type MetricBestCache } from './runs-service'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('withMetricBests', () => {
  it('gives each metric its own best over the epochs and the epochs trained', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-best-'))
    dirs.push(dir)
    const store = WorkbenchStore.open(join(dir, 'workbench.db'))
    try {
      const config = trainingConfigSchema.parse({ loss: 'categorical_crossentropy', optimizer: { name: 'adam', learning_rate: 0.01 }, budget: { kind: 'epochs', epochs: 1500 }, batch_size: 32 })
      const spec = { format: 'model-workbench/spec' as const, version: 1 as const, name: 'm', input_shape: [4], layers: [{ class_name: 'Dense', config: { units: 3 } }] }
      const run = store.createRun({ name: 'r', model_name: 'm', dataset: { id: 'iris', name: 'Iris', fingerprint: 'x' }, spec, config })
      store.markRunning(run.id, { backend_info: { name: 'cpu', skipped: [], forced: false }, versions: {} })
      // val_acc peaks at epoch 2 while val_loss is lowest at epoch 3: the two bests are at different epochs.
      const valAcc = [0.6, 0.95, 0.9]
      const valLoss = [0.8, 0.3, 0.25]
      const points: MetricPoint[] = []
      for (let e = 0; e < 3; e++) {
        points.push({ step: e * 10 + 9, epoch: e + 1, name: 'val_acc', value: valAcc[e], time: e }, { step: e * 10 + 9, epoch: e + 1, name: 'val_loss', value: valLoss[e], time: e })
        for (let s = 0; s < 10; s++) points.push({ step: e * 10 + s, epoch: e + 1, name: 'batch/loss', value: 0.001, time: e })
      }
      const writer = store.metricWriter(run.id)
      writer.append(points)
      writer.close()
      const cache: MetricBestCache = new Map()
      const live = withMetricBests(store, store.getRunSummary(run.id), cache)
      expect(live.best_values).toEqual({ val_acc: 0.95, val_loss: 0.25 })
      expect(live.epochs_trained).toBe(3)
      store.finishRun(run.id, { status: 'stopped', final_metrics: { val_acc: 0.9, val_loss: 0.25, test_acc: 0.8 }, best_metrics: { val_acc: 0.95, val_loss: 0.3 }, best_epoch: 2, error: null, diverged_at_step: null })
      const ended = withMetricBests(store, store.getRunSummary(run.id), cache)
      // best_metrics keeps val_loss at the best val_acc epoch (0.3); best_values has the best val_loss (0.25).
      expect(ended.best_metrics.val_loss).toBe(0.3)
      expect(ended.best_values).toEqual({ val_acc: 0.95, val_loss: 0.25 })
      expect(ended.epochs_trained).toBe(3)
      expect(ended.epochs).toBe(1500)
      expect(cache.get(run.id)?.key).toContain('stopped')
    } finally {
      store.close()
    }
  })
})
