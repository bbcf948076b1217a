// Host-assembled batches equal what tf.gather / slice of the device copy gave (bit for bit),
// for one-hot and as-is labels, and the evaluation in host chunks equals the device one.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '@tensorflow/tfjs'
import { selectBackend, type Tf } from './backend'
import { HostRows } from './host-batches'
import { planMetrics } from './metric-plan'
import { createRandom, permutation } from './seeded-random'
import { evaluateOnDevice, evaluateRows, EVAL_CHUNK, toDevice, type TrainingData } from './training-loop'

let tf: Tf
beforeAll(async () => {
  tf = (await selectBackend('wasm')).tf
})

function data(count: number, classes: number, targetSize = 1): TrainingData {
  const random = createRandom(5)
  const x = Float32Array.from({ length: count * 6 }, () => random() * 4 - 2)
  const y = Float32Array.from({ length: count * targetSize }, () => (classes ? Math.floor(random() * classes) : random()))
  return { train: { x, y, count, featureShape: [2, 3] }, task: classes ? 'multiclass' : 'regression', numClasses: classes, targetSize }
}

const values = (t: Tensor): number[] => Array.from(t.dataSync())

describe('host batches', () => {
  it('assemble the rows a device gather would pick, with one-hot or as-is labels', () => {
    for (const [d, loss] of [[data(50, 4), 'sparse_categorical_crossentropy'], [data(50, 0, 2), 'mean_squared_error']] as const) {
      const plan = planMetrics({ loss, metrics: [], outputUnits: d.numClasses || d.targetSize, task: d.task, numClasses: d.numClasses, targetSize: d.targetSize })
      const subset = permutation(50, createRandom(1)).slice(0, 40)
      const device = toDevice(tf, d.train, d, plan, [6], subset)
      const host = new HostRows(d.train, subset, [6], { form: plan.labelForm, numClasses: d.numClasses, targetSize: d.targetSize }, 8)
      expect(host.count).toBe(40)
      const picked = Int32Array.from([39, 0, 7, 7, 12, 30, 1, 25])
      const batch = host.batch(tf, picked)
      const index = tf.tensor1d(picked, 'int32')
      expect(batch.x.shape).toEqual([8, 6])
      expect(values(batch.x)).toEqual(values(tf.gather(device.x, index)))
      expect(values(batch.y)).toEqual(values(tf.gather(device.y, index)))
      // a contiguous range, smaller than the buffers
      const range = host.batch(tf, null, 35, 5)
      expect(values(range.x)).toEqual(values(device.x.slice(35, 5)))
      expect(values(range.y)).toEqual(values(device.y.slice(35, 5)))
      tf.dispose([batch.x, batch.y, range.x, range.y, index, device.x, device.y])
    }
  })

  it('refuse a model input of another size, and vector targets for a class-index loss', () => {
    const d = data(10, 3)
    expect(() => new HostRows(d.train, null, [5], { form: 'one_hot', numClasses: 3, targetSize: 1 }, 4)).toThrow(/expects inputs of shape \[5\] \(5 values\) but the data set's samples have shape \[2, 3\] \(6 values\)/)
    expect(() => new HostRows(d.train, null, [6], { form: 'one_hot', numClasses: 3, targetSize: 3 }, 4)).toThrow(/one class index per sample/)
  })

  it('evaluate in host chunks exactly as on the device', async () => {
    const count = EVAL_CHUNK * 2 + 37
    const d = data(count, 3)
    const model = tf.sequential()
    model.add(tf.layers.dense({ units: 3, activation: 'softmax', inputShape: [6], kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }))
    const plan = planMetrics({ loss: 'sparse_categorical_crossentropy', metrics: ['accuracy', 'auc'], outputUnits: 3, task: 'multiclass', numClasses: 3, targetSize: 1 })
    const device = toDevice(tf, d.train, d, plan, [6])
    const onDevice = await evaluateOnDevice(tf, model, plan, device)
    const onHost = await evaluateRows(tf, model, plan, new HostRows(d.train, null, [6], { form: plan.labelForm, numClasses: 3, targetSize: 1 }, EVAL_CHUNK))
    expect(onHost).toEqual(onDevice)
    tf.dispose([device.x, device.y])
    model.dispose()
  })
})
