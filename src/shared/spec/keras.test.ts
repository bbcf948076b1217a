import { describe, expect, it } from 'vitest'
import { fromKerasModelJson, toKerasModelJson } from './keras'
import { normalizeSpec } from './normalize'
import type { LayerSpec, ModelSpec } from './schema'

const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: inputShape, layers })

/** One model per layer class (with non-default settings), each in an input it accepts. */
const EVERY_LAYER: Array<[string, ModelSpec]> = [
  ['InputLayer', model([4], [{ class_name: 'InputLayer', config: { input_shape: [4] } }, { class_name: 'Dense', config: { units: 2 } }])],
  ['Dense', model([4], [{ class_name: 'Dense', config: { units: 3, activation: 'tanh', use_bias: false, kernel_initializer: { class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } } } }])],
  ['Activation', model([4], [{ class_name: 'Activation', config: { activation: 'hard_sigmoid' } }])],
  ['Dropout', model([4], [{ class_name: 'Dropout', config: { rate: 0.3, seed: 7 } }])],
  ['Flatten', model([2, 3], [{ class_name: 'Flatten', config: {} }])],
  ['Reshape', model([12], [{ class_name: 'Reshape', config: { target_shape: [3, -1] } }])],
  ['BatchNormalization', model([4, 5], [{ class_name: 'BatchNormalization', config: { axis: 1, momentum: 0.9, epsilon: 0.01, center: false, gamma_regularizer: 'l2' } }])],
  ['Conv2D', model([9, 9, 2], [{ class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 2], strides: 2, padding: 'same', activation: 'relu', kernel_initializer: 'he_normal', bias_initializer: { class_name: 'Constant', config: { value: 0.1 } } } }])],
  ['MaxPooling2D', model([9, 9, 2], [{ class_name: 'MaxPooling2D', config: { pool_size: 3, strides: [2, 2], padding: 'same' } }])],
  ['AveragePooling2D', model([9, 9, 2], [{ class_name: 'AveragePooling2D', config: { pool_size: [2, 2] } }])]
]

describe('toKerasModelJson / fromKerasModelJson', () => {
  it.each(EVERY_LAYER)('round-trips %s: spec → Keras JSON → spec gives the canonical spec', (_name, spec) => {
    const json = JSON.parse(JSON.stringify(toKerasModelJson(spec)))
    const back = fromKerasModelJson(json)
    expect(back).toMatchObject({ ok: true, warnings: [] })
    if (!back.ok) return
    expect(back.spec).toEqual(normalizeSpec(spec))
    // The canonical form is itself stable.
    expect(normalizeSpec(back.spec)).toEqual(back.spec)
  })

  it('writes the Keras 2 to_json layout: an InputLayer with batch_input_shape and full layer configs', () => {
    const json = toKerasModelJson(EVERY_LAYER[1]![1])
    expect(json).toMatchObject({ class_name: 'Sequential', backend: 'tensorflow', config: { name: 'm' } })
    expect(json.config.layers[0]).toEqual({ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } })
    expect(json.config.layers[1]!.config).toMatchObject({
      name: 'dense_1', trainable: true, dtype: 'float32', units: 3, activation: 'tanh', use_bias: false,
      kernel_initializer: { class_name: 'RandomUniform', config: { minval: -1, maxval: 1, seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.01, l2: 0.02 } },
      bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null
    })
  })

  it('reads a Keras 3 to_json (module keys, dtype policies, batch_shape) and Keras 2.0 VarianceScaling', () => {
    const keras3 = {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: {
        name: 'sequential', trainable: true,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 784], dtype: 'float32', sparse: false, name: 'input_layer' }, registered_name: null },
          {
            module: 'keras.layers', class_name: 'Dense', registered_name: null, build_config: { input_shape: [null, 784] },
            config: {
              name: 'dense', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
              units: 32, activation: 'relu', use_bias: true,
              kernel_initializer: { module: 'keras.initializers', class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null }, registered_name: null },
              bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
              kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, lora_rank: null
            }
          }
        ]
      }
    }
    const result = fromKerasModelJson(JSON.stringify(keras3))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.spec.name).toBe('sequential')
    expect(result.spec.input_shape).toEqual([784])
    expect(result.spec.layers[0]!.config).toMatchObject({ name: 'dense', units: 32, activation: 'relu', kernel_initializer: 'he_normal' })
  })

  it('takes the input shape from the first layer when there is no InputLayer (older Keras)', () => {
    const result = fromKerasModelJson({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'dense_1', units: 3, batch_input_shape: [null, 1] } }] })
    expect(result.ok && result.spec.input_shape).toEqual([1])
  })

  it('refuses what it cannot represent, naming the layer and field', () => {
    expect(fromKerasModelJson({ class_name: 'Functional', config: { layers: [] } })).toMatchObject({ ok: false, errors: [{ message: 'only Keras Sequential models can be imported; this one is a Functional' }] })
    expect(fromKerasModelJson('{oops')).toMatchObject({ ok: false })
    expect(fromKerasModelJson({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 3 } }] } })).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/does not declare its input shape/) }] })
    const constrained = fromKerasModelJson({
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 2] } }, { class_name: 'Dense', config: { units: 3, kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 2 } } } }] }
    })
    expect(constrained).toMatchObject({ ok: false, errors: [{ layer: 1, field: 'kernel_constraint' }] })
    const lstm = fromKerasModelJson({ class_name: 'Sequential', config: { layers: [{ class_name: 'LSTM', config: { units: 3, batch_input_shape: [null, 5, 2] } }] } })
    expect(lstm).toMatchObject({ ok: false, errors: [{ layer: 1, message: expect.stringMatching(/^layer 1 \(LSTM\): unknown layer class "LSTM"/) }] })
  })
})
