// Distributions and the learning-rate finder through the service the views and the CLI use:
// S7 with seed 42 records its dead relu units with the run (runs.distributions, kept in the run
// folder, gone with runs.delete); the finder's suggestion for S5 (MNIST, 32 relu units, RMSprop)
// trains S5's own budget (2 epochs) to S5's floor (test accuracy ≥ 0.935, SEED_TARGETS).
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'
import { EXAMPLES, SEED_TARGETS } from '../src/shared/examples'
import type { Request } from '../src/shared/contract'

const example = (id: string) => EXAMPLES.find((e) => e.id === id)!

describe('insights service', () => {
  let dataDir: string
  let service: WorkbenchService
  const call = async <M extends 'runs.start' | 'runs.get' | 'runs.distributions' | 'runs.delete' | 'runs.findLearningRate'>(method: M, request: Request<M>) => {
    const handler = service.handlers[method] as unknown as (r: Request<M>) => Promise<unknown>
    return handler(request)
  }
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-insights-'))
    service = await openWorkbench({ dataDir, host: 'browser' })
  })
  afterAll(async () => {
    await service?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('S7 with seed 42: the run records its distributions and flags dense_1 dead; they go with the run', { timeout: 120_000 }, async () => {
    const s7 = example('S7')
    const { run_id } = (await call('runs.start', { spec: s7.spec, config: { ...s7.config, seed: 42 }, dataset_id: s7.dataset_id })) as { run_id: string }
    await service.waitForRun(run_id)
    const answer = (await call('runs.distributions', { run_id })) as import('../src/shared/distributions').Distributions
    expect(answer.probe_rows).toBe(4)
    expect(answer.epochs[0].epoch).toBe(0)
    // A short run stays within the recording allowance (1 s): every epoch is there.
    expect(answer.epochs.map((record) => record.epoch)).toEqual(Array.from({ length: 101 }, (_, i) => i))
    expect(answer.flags).toEqual([
      { kind: 'dead_relu', layer: 'dense_1', activation: 'relu', units: [0, 2], layer_units: 3, since_epoch: 0 },
      { kind: 'dead_relu', layer: 'dense_1', activation: 'relu', units: [1], layer_units: 3, since_epoch: 1 }
    ])
    const file = join(dataDir, 'runs', run_id, 'distributions.jsonl')
    expect(existsSync(file)).toBe(true)
    await call('runs.delete', { run_id })
    expect(existsSync(file)).toBe(false)
  })

  it('refuses a finder range that does not rise and a model that does not fit the data set, before any trainer starts', async () => {
    const s5 = example('S5')
    await expect(call('runs.findLearningRate', { spec: s5.spec, config: s5.config, dataset_id: s5.dataset_id, start: 0.1, end: 0.01 })).rejects.toMatchObject({ code: 'bad_input', reason: 'lr.range', details: { start: 0.1, end: 0.01 } })
    const s7 = example('S7')
    await expect(call('runs.findLearningRate', { spec: s7.spec, config: s7.config, dataset_id: s5.dataset_id })).rejects.toMatchObject({ code: 'bad_input', reason: 'run.input_shape_mismatch' })
  })

  it("the finder's suggestion trains S5 to its floor", { timeout: 600_000 }, async () => {
    const s5 = example('S5')
    const found = (await call('runs.findLearningRate', { spec: s5.spec, config: s5.config, dataset_id: s5.dataset_id })) as import('../src/shared/lr-finder').LrFinderAnswer
    expect(found.stopped).toBe('diverged')
    const suggestion = found.suggestion!
    expect(suggestion.rule).toBe('min_over_10')
    expect(suggestion.lr).toBeGreaterThan(1e-5)
    expect(suggestion.lr).toBeLessThan(1e-1)
    const config = { ...s5.config, optimizer: { ...s5.config.optimizer, learning_rate: suggestion.lr } }
    const { run_id } = (await call('runs.start', { spec: s5.spec, config, dataset_id: s5.dataset_id })) as { run_id: string }
    await service.waitForRun(run_id)
    const run = (await call('runs.get', { run_id })) as { status: string; final_metrics: Record<string, number> }
    expect(run.status).toBe('finished')
    console.log(`S5 at the suggested rate ${suggestion.lr.toPrecision(3)} (min ${suggestion.min_lr.toPrecision(3)}): test_acc ${run.final_metrics.test_acc}`)
    expect(run.final_metrics.test_acc, `suggested ${suggestion.lr}`).toBeGreaterThanOrEqual(SEED_TARGETS.S5.floor)
  })
})
