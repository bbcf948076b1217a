// The LearningRateSchedule callback: before step n it sets the schedule's rate after n - 1
// updates (Keras's iterations), and step decay follows the epoch.
import { describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../backend'
import { LearningRateSchedule } from './learning-rate-schedule'
import { fakeContext } from './test-context'

describe('LearningRateSchedule callback', () => {
  it('applies time decay per step: lr0 / (1 + decay * (step - 1))', () => {
    const ctx = fakeContext({} as Tf, {} as LayersModel)
    const callback = new LearningRateSchedule({ kind: 'time_decay', decay: 0.5 }, 0.1)
    const rates = [1, 2, 3].map((step) => (callback.onBatchBegin(step, ctx), ctx.learningRate))
    expect(rates).toEqual([0.1, 0.1 / 1.5, 0.1 / 2])
  })

  it('applies step decay by finished epochs and keeps a constant rate constant', () => {
    const ctx = fakeContext({} as Tf, {} as LayersModel)
    const callback = new LearningRateSchedule({ kind: 'step_decay', drop: 0.5, every_epochs: 2 }, 0.4)
    const rates = [0, 1, 2, 3, 4].map((epoch) => {
      ctx.epoch = epoch
      callback.onBatchBegin(epoch * 10 + 1, ctx)
      return ctx.learningRate
    })
    expect(rates).toEqual([0.4, 0.4, 0.2, 0.2, 0.1])
    const constant = new LearningRateSchedule({ kind: 'constant' }, 0.3)
    constant.onBatchBegin(99, ctx)
    expect(ctx.learningRate).toBe(0.3)
  })
})
