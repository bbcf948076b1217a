// The EarlyStopping callback: Keras's stop after `patience`, the best epoch's metrics and
// weights, restore_best_weights only after a run that trained, and a missing monitor failing the run.
import { beforeAll, describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import { selectBackend, type Tf } from '../backend'
import { EarlyStopping } from './early-stopping'
import { fakeContext } from './test-context'

let tf: Tf
beforeAll(async () => {
  tf = (await selectBackend('cpu')).tf
})

function model(): LayersModel {
  const m = tf.sequential()
  m.add(tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros', biasInitializer: 'zeros' }))
  return m
}
const setKernel = (m: LayersModel, value: number): void => m.setWeights([tf.tensor2d([[value]]), tf.tensor1d([0])])
const kernel = (m: LayersModel): number => m.getWeights()[0].dataSync()[0]

describe('EarlyStopping callback', () => {
  it('stops once patience epochs pass without improvement, keeps the best epoch and restores its weights', () => {
    const m = model()
    const ctx = fakeContext(tf, m)
    const callback = new EarlyStopping({ monitor: 'val_loss', patience: 2, min_delta: 0, mode: 'auto', restore_best_weights: true }, true)
    const losses = [1, 0.5, 0.6, 0.7, 0.1]
    let stoppedAfter: number | null = null
    for (let epoch = 0; epoch < losses.length && !ctx.stopTraining; epoch++) {
      setKernel(m, epoch + 1)
      callback.onEpochEnd(epoch, { loss: 9, val_loss: losses[epoch] }, ctx)
      if (ctx.stopTraining) stoppedAfter = epoch + 1
    }
    expect(stoppedAfter).toBe(4)
    expect(callback.bestEpoch).toBe(2)
    expect(callback.bestMetrics).toEqual({ loss: 9, val_loss: 0.5 })
    expect(ctx.events).toEqual([expect.objectContaining({ type: 'status', status: 'running', message: expect.stringMatching(/^Early stopping after epoch 4: val_loss has not improved for 2 epochs \(best 0.5 at epoch 2\)/) })])
    expect(kernel(m)).toBe(4)
    callback.onTrainEnd(ctx)
    expect(kernel(m)).toBe(2)
    tf.dispose(callback.bestWeights!)
  })

  it('without early stopping only tracks the best epoch (loss when there is no validation) and never stops', () => {
    const m = model()
    const ctx = fakeContext(tf, m)
    const callback = new EarlyStopping(null, false)
    expect(callback.monitor).toBe('loss')
    for (let epoch = 0; epoch < 20; epoch++) callback.onEpochEnd(epoch, { loss: epoch === 3 ? 0.1 : 1 }, ctx)
    expect(ctx.stopTraining).toBe(false)
    expect(callback.bestEpoch).toBe(4)
    setKernel(m, 7)
    callback.onTrainEnd(ctx)
    expect(kernel(m)).toBe(7)
    tf.dispose(callback.bestWeights!)
  })

  it('does not restore the best weights after a run that diverged', () => {
    const m = model()
    const ctx = fakeContext(tf, m)
    const callback = new EarlyStopping({ monitor: 'loss', patience: 5, min_delta: 0, mode: 'min', restore_best_weights: true }, false)
    setKernel(m, 1)
    callback.onEpochEnd(0, { loss: 1 }, ctx)
    setKernel(m, 2)
    ctx.end('diverged', 'NaN', 12)
    callback.onTrainEnd(ctx)
    expect(kernel(m)).toBe(2)
    tf.dispose(callback.bestWeights!)
  })

  it('accepts the Keras name and fails the run when an epoch lacks the monitor', () => {
    const ctx = fakeContext(tf, model())
    const callback = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, min_delta: 0, mode: 'auto', restore_best_weights: false }, true)
    expect(callback.monitor).toBe('val_acc')
    callback.onEpochEnd(0, { loss: 1, acc: 0.5, lr: 0.1 }, ctx)
    expect(ctx.status).toBe('failed')
    expect(ctx.error).toBe('The monitored metric "val_acc" is missing from epoch 1, which reported loss, acc, lr; the run cannot go on without it.')
    expect(callback.bestWeights).toBeNull()
  })
})
