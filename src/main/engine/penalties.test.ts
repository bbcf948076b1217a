import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel } from './model-builder'
import { modelPenalties } from './training-loop'
import type { LayerSpec, ModelSpec } from '../../shared/model-spec'

const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'm', input_shape: inputShape, layers })
const L2 = { class_name: 'L2', config: { l2: 0.5 } }
const sumSquares = (values: tf.Tensor[]): number => values.reduce((sum, v) => sum + tf.sum(tf.square(v)).dataSync()[0], 0)

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('the weight penalties the training loop adds to the loss', () => {
  it('include a recurrent layer\'s regularizers (tfjs keeps them on its cell) and both copies of a Bidirectional one', () => {
    for (const [className, wrap] of [['LSTM', false], ['GRU', false], ['SimpleRNN', false], ['LSTM', true]] as const) {
      const inner = { class_name: className, config: { units: 3, kernel_regularizer: L2, recurrent_regularizer: L2, bias_regularizer: L2, bias_initializer: 'ones' } }
      const spec = model([4, 2], [wrap ? { class_name: 'Bidirectional', config: { layer: inner } } : inner, { class_name: 'Dense', config: { units: 1, kernel_regularizer: L2 } }])
      const built = buildModel(tf, spec, { seed: 1 })
      const total = modelPenalties(built).reduce((sum, penalty) => sum + penalty().dataSync()[0], 0)
      // Every weight of the model is regularized except the Dense bias: 0.5 · Σ w².
      const weights = built.layers.flatMap((layer) => layer.getWeights())
      const denseBias = built.layers.at(-1)!.getWeights()[1]
      const expected = 0.5 * (sumSquares(weights) - sumSquares([denseBias]))
      expect(total, `${wrap ? 'Bidirectional ' : ''}${className}`).toBeCloseTo(expected, 4)
      built.dispose()
    }
  })
})
