// runs.gradientCheck through the service (real trainer processes): on an untrained spec and on a
// finished run, with job.progress events and typed refusals; and a run started with hand-set
// initial weights (LayerSpec.weights, as the Designer's Set weights table stores them) begins
// with exactly those weights.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES, SEED_004_INITIAL_WEIGHTS } from '../src/shared/examples'
import { trainingConfigSchema } from '../src/shared/training'
import type { EventPayload } from '../src/shared/contract'
import type { GradientCheckAnswer } from '../src/shared/gradient-check'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

const s7 = EXAMPLES.find((e) => e.id === 'S7')!

describe('runs.gradientCheck and hand-set weights (service)', () => {
  let dataDir: string
  let service: WorkbenchService
  let call: ReturnType<typeof createDispatcher>

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-gradcheck-'))
    service = await openWorkbench({ dataDir, host: 'browser' })
    call = createDispatcher(service.handlers)
  })
  afterAll(async () => {
    await service?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('checks the untrained S7 spec on linear-2x (pass, job.progress) and refuses a loss that does not fit', async () => {
    const progress: EventPayload<'job.progress'>[] = []
    const off = service.onEvent((event, payload) => {
      if (event === 'job.progress' && (payload as EventPayload<'job.progress'>).job === 'gc-test') progress.push(payload as EventPayload<'job.progress'>)
    })
    const answer = await call('runs.gradientCheck', { spec: s7.spec, dataset_id: 'linear-2x', seed: 1, job: 'gc-test' })
    off()
    expect(answer.ok).toBe(true)
    const result = (answer as { result: GradientCheckAnswer }).result
    expect(result.verdict).toBe('pass')
    expect(result.source).toEqual({ kind: 'untrained', model_name: 'seed004', dataset_id: 'linear-2x' })
    expect(result.loss_name).toBe('mean_squared_error')
    expect(result.tensors).toHaveLength(4)
    // linear-2x trains on x = 1..4: fewer rows than the default batch of 8, so all four.
    expect(result.batch_size).toBe(4)
    expect(result.rows).toEqual([0, 1, 2, 3])
    expect(progress.at(-1)).toMatchObject({ done: result.compared, total: result.compared })

    const wrongLoss = await call('runs.gradientCheck', { spec: s7.spec, dataset_id: 'linear-2x', loss: 'sparse_categorical_crossentropy' })
    expect(wrongLoss).toMatchObject({ ok: false, error: { code: 'bad_input', reason: 'run.bad_config' } })
    const both = await call('runs.gradientCheck', { spec: s7.spec, run_id: 'r1', dataset_id: 'linear-2x' })
    expect(both).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  }, 60_000)

  it('a run started with hand-set weights begins with exactly those; its gradient check passes', async () => {
    const spec = { ...s7.spec, layers: s7.spec.layers.map((layer, i) => ({ ...layer, weights: SEED_004_INITIAL_WEIGHTS[i] })) }
    // One step of SGD at a learning rate of 1e-30: no weight of order 1e-2 or more moves in float32,
    // so the saved weights are the initial ones (a zero bias may become ~1e-29).
    const config = trainingConfigSchema.parse({ ...s7.config, optimizer: { name: 'sgd', learning_rate: 1e-30 }, budget: { kind: 'epochs', epochs: 1 }, evaluate_test: false })
    const started = await call('runs.start', { spec, config, dataset_id: 'linear-2x' })
    expect(started.ok).toBe(true)
    const runId = (started as { result: { run_id: string } }).result.run_id
    await service.waitForRun(runId)
    expect(service.store.getRun(runId).status).toBe('finished')
    // Stored with the run's spec…
    expect(service.store.getRun(runId).spec.layers.map((layer) => layer.weights)).toEqual(SEED_004_INITIAL_WEIGHTS)
    // …and used: the weights the run trained from.
    const weights = await call('runs.weights', { run_id: runId })
    const values = (weights as { result: Array<{ values: number[] }> }).result.map((w) => w.values)
    const expected = SEED_004_INITIAL_WEIGHTS.flat()
    expect(values).toHaveLength(4)
    values.forEach((tensor, t) => tensor.forEach((v, i) => expect(v).toBeCloseTo(expected[t][i], 6)))
    expect(values[0]).toEqual(expected[0].map((v) => Math.fround(v)))

    const checked = await call('runs.gradientCheck', { run_id: runId })
    expect(checked.ok).toBe(true)
    const result = (checked as { result: GradientCheckAnswer }).result
    expect(result.source).toMatchObject({ kind: 'run', run_id: runId, which: 'last' })
    expect(result.verdict).toBe('pass')
  }, 90_000)
})
