// The Progress callback: started/running at the start, batch events spaced by everyMs with the
// epoch's running mean loss, samples/s and ETA over training time, and one event per epoch.
import { describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../backend'
import { Progress } from './progress'
import { fakeContext } from './test-context'

describe('Progress callback', () => {
  it('emits started, throttled batch events with the running mean, and epoch events', () => {
    let now = 1000
    const ctx = fakeContext({} as Tf, {} as LayersModel, { totalSteps: 40, stepsPerEpoch: 20, totalEpochs: 2, batchSize: 8 })
    const progress = new Progress({ backend: { name: 'cpu', skipped: [], forced: true }, versions: { tfjs: '4' }, everyMs: 100, now: () => now })
    progress.onTrainBegin(ctx)
    expect(ctx.events).toEqual([
      { type: 'started', run_id: 'run', backend: { name: 'cpu', skipped: [], forced: true }, total_steps: 40, steps_per_epoch: 20, epochs: 2, versions: { tfjs: '4' } },
      { type: 'status', run_id: 'run', status: 'running' }
    ])
    ctx.events.length = 0
    progress.onEpochBegin()
    const readSteps = (losses: number[]): void => {
      for (const loss of losses) progress.onBatchEnd(++ctx.step, { loss, outputSum: 0 }, ctx)
      progress.onRead({ weightsSum: 0 }, ctx)
    }
    ctx.elapsedMs = 500
    readSteps([1, 3])
    now += 50
    readSteps([2]) // 50 ms later: no event
    now += 60
    ctx.learningRate = 0.05
    readSteps([6])
    expect(ctx.events).toEqual([
      { type: 'batch', run_id: 'run', step: 2, epoch: 1, metrics: { loss: 2, lr: 0.1 }, samples_per_s: 32, eta_s: 9.5, progress: 0.05, step_losses: [1, 3] },
      // the step read 50 ms earlier (not sent then) comes with this event: every step's own loss, in order
      { type: 'batch', run_id: 'run', step: 4, epoch: 1, metrics: { loss: 3, lr: 0.05 }, samples_per_s: 64, eta_s: 4.5, progress: 0.1, step_losses: [2, 6] }
    ])
    progress.onEpochEnd(0, { loss: 3, lr: 0.05 }, ctx)
    expect(ctx.events[2]).toEqual({ type: 'epoch', run_id: 'run', step: 4, epoch: 1, metrics: { loss: 3, lr: 0.05 } })
    // A new epoch starts a new running mean.
    ctx.events.length = 0
    ctx.epoch = 1
    progress.onEpochBegin()
    now += 200
    readSteps([0.5])
    expect(ctx.events[0]).toMatchObject({ step: 5, epoch: 2, metrics: { loss: 0.5 }, step_losses: [0.5] })
  })

  it('sends the steps not sent yet before the epoch event and when training ends, so the last step is named', () => {
    let now = 1000
    const ctx = fakeContext({} as Tf, {} as LayersModel, { totalSteps: 6, stepsPerEpoch: 3, totalEpochs: 2, batchSize: 4 })
    const progress = new Progress({ backend: { name: 'cpu', skipped: [], forced: true }, everyMs: 100, now: () => now })
    progress.onTrainBegin(ctx)
    ctx.events.length = 0
    progress.onEpochBegin()
    ctx.elapsedMs = 100
    progress.onBatchEnd(++ctx.step, { loss: 4, outputSum: 0 }, ctx)
    progress.onRead({ weightsSum: 0 }, ctx)
    now += 10
    progress.onBatchEnd(++ctx.step, { loss: 3, outputSum: 0 }, ctx)
    progress.onBatchEnd(++ctx.step, { loss: 2, outputSum: 0 }, ctx)
    progress.onRead({ weightsSum: 0 }, ctx) // throttled
    expect(ctx.events.map((e) => e.type)).toEqual(['batch'])
    progress.onEpochEnd(0, { loss: 3 }, ctx)
    expect(ctx.events.slice(1)).toMatchObject([{ type: 'batch', step: 3, progress: 0.5, step_losses: [3, 2] }, { type: 'epoch', step: 3, epoch: 1 }])
    // nothing new: no empty batch event before the next epoch event
    progress.onEpochEnd(0, { loss: 3 }, ctx)
    expect(ctx.events.slice(3).map((e) => e.type)).toEqual(['epoch'])
    ctx.events.length = 0
    ctx.epoch = 1
    progress.onEpochBegin()
    progress.onBatchEnd(++ctx.step, { loss: 1, outputSum: 0 }, ctx)
    // Stop after step 4, read but throttled: training's end sends it
    progress.onRead({ weightsSum: 0 }, ctx)
    progress.onTrainEnd(ctx)
    expect(ctx.events).toMatchObject([{ type: 'batch', step: 4, epoch: 2, step_losses: [1] }])
    progress.onTrainEnd(ctx)
    expect(ctx.events).toHaveLength(1)
  })

  it('gives no ETA before any time has passed and a null epoch count for a step budget', () => {
    const ctx = fakeContext({} as Tf, {} as LayersModel, { byEpochs: false })
    const progress = new Progress({ backend: { name: 'cpu', skipped: [], forced: false }, now: () => 500 })
    progress.onTrainBegin(ctx)
    expect(ctx.events[0]).toMatchObject({ type: 'started', epochs: null, versions: {} })
    progress.onRead({ weightsSum: 0 }, ctx)
    expect(ctx.events[2]).toMatchObject({ type: 'batch', step: 0, eta_s: null, samples_per_s: 0 })
  })
})
