// The Divergence callback: a non-finite loss or output ends the run at that step; non-finite
// weights end it at the read's last step; finite values change nothing.
import { describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../backend'
import { Divergence } from './divergence'
import { fakeContext } from './test-context'

const ctxFor = () => fakeContext({} as Tf, {} as LayersModel)

describe('Divergence callback', () => {
  it('lets finite values pass', () => {
    const ctx = ctxFor()
    const callback = new Divergence()
    callback.onBatchEnd(1, { loss: 0.5, outputSum: -3 }, ctx)
    callback.onRead({ weightsSum: 12 }, ctx)
    expect(ctx.status).toBe('running')
    expect(ctx.stopTraining).toBe(false)
  })

  it('ends the run at the step whose loss is NaN or infinite', () => {
    for (const [loss, word] of [[Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, 'infinite']] as const) {
      const ctx = ctxFor()
      ctx.epoch = 2
      new Divergence().onBatchEnd(7, { loss, outputSum: 1 }, ctx)
      expect(ctx).toMatchObject({ status: 'diverged', divergedAt: 7, stopTraining: true })
      expect(ctx.error).toBe(`The loss became ${word} at step 7 (epoch 3); lower the learning rate, scale the inputs, or check the data for invalid values.`)
    }
  })

  it('ends the run when the outputs are non-finite although the loss is not', () => {
    const ctx = ctxFor()
    new Divergence().onBatchEnd(2, { loss: 16.1, outputSum: Number.NaN }, ctx)
    expect(ctx).toMatchObject({ status: 'diverged', divergedAt: 2 })
    expect(ctx.error).toMatch(/^The model's outputs became NaN at step 2 \(epoch 1\) although the loss looked finite/)
  })

  it('ends the run at the read when the weights are non-finite', () => {
    const ctx = ctxFor()
    ctx.step = 40
    new Divergence().onRead({ weightsSum: Number.NEGATIVE_INFINITY }, ctx)
    expect(ctx).toMatchObject({ status: 'diverged', divergedAt: 40 })
    expect(ctx.error).toMatch(/^The weights became infinite by step 40 \(epoch 1;/)
  })
})
