// The ReduceOnPlateau callback: the rate changes at an epoch's end (the next epoch uses it),
// after `patience` epochs without improvement, then `cooldown`; a missing monitor fails the run.
import { describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../backend'
import { ReduceOnPlateau } from './reduce-on-plateau'
import { fakeContext } from './test-context'

const ctxFor = () => fakeContext({} as Tf, {} as LayersModel, { baseRate: 0.1 })

describe('ReduceOnPlateau callback', () => {
  it('reduces the rate after patience epochs without improvement and waits cooldown epochs', () => {
    const ctx = ctxFor()
    const callback = new ReduceOnPlateau({ kind: 'reduce_on_plateau', monitor: 'val_loss', factor: 0.5, patience: 1, min_delta: 0, cooldown: 2, min_lr: 0.02 }, 0.1)
    callback.onTrainBegin(ctx)
    const rates: number[] = []
    for (let epoch = 0; epoch < 6; epoch++) {
      callback.onEpochEnd(epoch, { val_loss: 1 }, ctx)
      rates.push(ctx.learningRate)
    }
    // epoch 1 improves; 2 reduces (wait 1 >= 1); 3 is cooldown; 4 brings the cooldown to 0 and, as
    // in Keras, already counts: it reduces; 5 is cooldown; 6 reduces, to min_lr
    expect(rates).toEqual([0.1, 0.05, 0.05, 0.025, 0.025, 0.02])
    expect(ctx.status).toBe('running')
  })

  it('fails the run when an epoch lacks the monitored metric', () => {
    const ctx = ctxFor()
    const callback = new ReduceOnPlateau({ kind: 'reduce_on_plateau', monitor: 'val_accuracy', factor: 0.5, patience: 1, min_delta: 0, cooldown: 0, min_lr: 0 }, 0.1)
    callback.onEpochEnd(2, { loss: 1 }, ctx)
    expect(ctx.status).toBe('failed')
    expect(ctx.error).toMatch(/"val_acc" is missing from epoch 3, which reported loss;/)
    expect(ctx.learningRate).toBe(0.1)
  })
})
