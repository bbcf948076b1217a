// The decision threshold through the contract: a tiny binary classifier trained on breast cancer,
// evaluated (per-sample scores for the ROC), its threshold saved with the run and then used by
// predict (which says which threshold it used) and written into the export's metadata.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelSpec } from '../src/shared/model-spec'
import { binaryCurves, positiveScore, reportAt } from '../src/shared/roc'
import { trainingConfigSchema } from '../src/shared/training'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

const spec = (inputs: number, units: number, activation: string): ModelSpec => ({
  format: 'model-workbench/spec',
  version: 1,
  name: 'threshold-net',
  input_shape: [inputs],
  layers: [
    // Breast cancer is stored unscaled (areas run to 2 500): the network standardises its inputs itself.
    { class_name: 'BatchNormalization', config: { momentum: 0.8 } },
    { class_name: 'Dense', config: { units: 8, activation: 'relu' } },
    { class_name: 'Dense', config: { units, activation } }
  ]
})

interface Prediction {
  probabilities: number[][]
  classes: number[] | null
  labels: string[] | null
  threshold: number | null
}

describe('decision threshold', () => {
  let dataDir: string
  let service: WorkbenchService
  let dispatch: ReturnType<typeof createDispatcher>
  let binaryRun: string
  let regressionRun: string

  async function ok<T>(method: string, request: unknown): Promise<T> {
    const result = await dispatch(method, request)
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`)
    return result.result as T
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-threshold-'))
    service = await openWorkbench({ dataDir, host: 'browser' })
    dispatch = createDispatcher(service.handlers)
    const binary = trainingConfigSchema.parse({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learning_rate: 0.01 }, budget: { kind: 'epochs', epochs: 12 }, metrics: ['accuracy', 'auc'], batch_size: 32, validation: { kind: 'none' }, seed: 7 })
    const regression = trainingConfigSchema.parse({ loss: 'mean_squared_error', optimizer: { name: 'adam', learning_rate: 0.05 }, budget: { kind: 'epochs', epochs: 1 }, metrics: ['mae'], batch_size: 64, validation: { kind: 'none' }, seed: 1 })
    ;({ run_id: binaryRun } = await ok<{ run_id: string }>('runs.start', { spec: spec(30, 1, 'sigmoid'), config: binary, dataset_id: 'breast-cancer' }))
    ;({ run_id: regressionRun } = await ok<{ run_id: string }>('runs.start', { spec: spec(10, 1, 'linear'), config: regression, dataset_id: 'diabetes' }))
    await service.waitForRun(binaryRun)
    await service.waitForRun(regressionRun)
  }, 180_000)

  afterAll(async () => {
    await service?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('evaluation carries every test sample’s score and label, agreeing with its confusion matrix at 0.5', async () => {
    const evaluation = await ok<{ metrics: Record<string, number>; scores: number[][]; truth: number[]; confusion: number[][]; decision_threshold: number | null }>('runs.evaluate', { run_id: binaryRun, split: 'test', scores: true })
    expect(evaluation.decision_threshold).toBeNull()
    expect(evaluation.scores.length).toBe(evaluation.truth.length)
    expect(evaluation.scores.length).toBe(evaluation.confusion.flat().reduce((a, b) => a + b, 0))
    const scores = evaluation.scores.map(positiveScore)
    const at = reportAt(scores, evaluation.truth, 0.5)
    expect([[at.tn, at.fp], [at.fn, at.tp]]).toEqual(evaluation.confusion)
    // Trained, it ranks better than chance.
    const curves = binaryCurves(scores, evaluation.truth)
    expect(curves.auc).toBeGreaterThan(0.8)
    // The Keras-200 value from these scores is what the engine's own `auc` metric (tfjs counts at 200 thresholds) reports.
    expect(curves.kerasAuc).toBeCloseTo(evaluation.metrics.auc, 5)
  })

  it('predict uses 0.5, then the saved threshold, then the request’s, and says which', async () => {
    const page = await ok<{ features: number[][] }>('datasets.samples', { id: 'breast-cancer', split: 'test', offset: 0, count: 64 })
    const before = await ok<Prediction>('runs.predict', { run_id: binaryRun, inputs: page.features, preprocessed: true })
    expect(before.threshold).toBe(0.5)
    const p = before.probabilities.map((row) => row[0])
    expect(before.classes).toEqual(p.map((v) => (v > 0.5 ? 1 : 0)))
    // A threshold between the scores, so that it changes some answers.
    const sorted = [...p].sort((a, b) => a - b)
    const threshold = (sorted[Math.floor(sorted.length * 0.7)] + sorted[Math.floor(sorted.length * 0.7) - 1]) / 2
    expect(await ok('runs.setThreshold', { run_id: binaryRun, threshold })).toEqual({ run_id: binaryRun, threshold })
    const after = await ok<Prediction>('runs.predict', { run_id: binaryRun, inputs: page.features, preprocessed: true })
    expect(after.threshold).toBe(threshold)
    expect(after.probabilities).toEqual(before.probabilities)
    expect(after.classes).toEqual(p.map((v) => (v > threshold ? 1 : 0)))
    expect(after.labels).toEqual(after.classes!.map((c) => ['malignant', 'benign'][c]))
    expect(after.classes!.filter((c) => c === 1).length).toBe(Math.ceil(p.length * 0.3))
    const asked = await ok<Prediction>('runs.predict', { run_id: binaryRun, inputs: page.features, preprocessed: true, threshold: 0 })
    expect(asked.threshold).toBe(0)
    expect(asked.classes).toEqual(p.map((v) => (v > 0 ? 1 : 0)))
    // Kept with the run: its evaluation says so, and the run detail's config holds it.
    const evaluation = await ok<{ decision_threshold: number | null; scores?: unknown }>('runs.evaluate', { run_id: binaryRun, split: 'test' })
    expect(evaluation.decision_threshold).toBe(threshold)
    // Per-sample rows only when asked for.
    expect(evaluation.scores).toBeUndefined()
    const detail = await ok<{ config: Record<string, unknown> }>('runs.get', { run_id: binaryRun })
    expect(detail.config.decision_threshold).toBe(threshold)
  })

  it('writes the threshold into the export’s preprocessing.json and export.json', async () => {
    const threshold = 0.62
    await ok('runs.setThreshold', { run_id: binaryRun, threshold })
    const result = await ok<{ data_base64: string }>('runs.export', { run_id: binaryRun, format: 'tfjs' })
    const zip = unzipSync(new Uint8Array(Buffer.from(result.data_base64, 'base64')))
    const pre = JSON.parse(Buffer.from(zip['preprocessing.json']).toString()) as { output: { threshold: number | null } }
    expect(pre.output.threshold).toBe(threshold)
    const manifest = JSON.parse(Buffer.from(zip['export.json']).toString()) as { decision_threshold: number | null }
    expect(manifest.decision_threshold).toBe(threshold)
    // Reset: back to 0.5.
    await ok('runs.setThreshold', { run_id: binaryRun, threshold: null })
    const page = await ok<{ features: number[][] }>('datasets.samples', { id: 'breast-cancer', split: 'test', offset: 0, count: 4 })
    expect((await ok<Prediction>('runs.predict', { run_id: binaryRun, inputs: page.features, preprocessed: true })).threshold).toBe(0.5)
  }, 60_000)

  it('refuses a threshold for a regression run and one outside 0–1', async () => {
    const refused = await dispatch('runs.setThreshold', { run_id: regressionRun, threshold: 0.3 })
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_input', reason: 'evaluate.threshold_not_binary' } })
    expect(!refused.ok && refused.error.message).toMatch(/not a binary classifier/)
    expect(await dispatch('runs.setThreshold', { run_id: binaryRun, threshold: 1.5 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(await dispatch('runs.setThreshold', { run_id: 'run-missing', threshold: 0.5 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    const prediction = await ok<Prediction>('runs.predict', { run_id: regressionRun, inputs: [new Array<number>(10).fill(0)], preprocessed: true })
    expect(prediction.threshold).toBeNull()
  })
})
