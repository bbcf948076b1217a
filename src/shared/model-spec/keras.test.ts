import { describe, expect, it } from 'vitest'
import { fromKerasModelJson, scalingFromKerasLayer, toKerasModelJson } from './keras'
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
  ['BatchNormalization', model([4, 5], [{ class_name: 'BatchNormalization', config: { axis: -1, momentum: 0.9, epsilon: 0.01, center: false, gamma_regularizer: 'l2' } }])],
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
    const json = toKerasModelJson(EVERY_LAYER[1][1])
    expect(json).toMatchObject({ class_name: 'Sequential', backend: 'tensorflow', config: { name: 'm' } })
    expect(json.config.layers[0]).toEqual({ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } })
    expect(json.config.layers[1].config).toMatchObject({
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
    expect(result.spec.layers[0].config).toMatchObject({ name: 'dense', units: 32, activation: 'relu', kernel_initializer: 'he_normal' })
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
    const convLstm = fromKerasModelJson({ class_name: 'Sequential', config: { layers: [{ class_name: 'ConvLSTM2D', config: { filters: 3, kernel_size: 3, batch_input_shape: [null, 5, 4, 4, 2] } }] } })
    expect(convLstm).toMatchObject({ ok: false, errors: [{ layer: 1, message: expect.stringMatching(/^layer 1 \(ConvLSTM2D\): unknown layer class "ConvLSTM2D"/) }] })
  })
})

describe('fromKerasModelJson: newer Keras fields and scaling layers', () => {
  const input = { class_name: 'InputLayer', config: { batch_shape: [null, 3] } }
  const dense = (config: Record<string, unknown>): unknown => ({ module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 2, ...config } })

  it('drops what does not change the computation with a notice, and refuses what does', () => {
    const ok = fromKerasModelJson({ module: 'keras', class_name: 'Sequential', config: { layers: [input, dense({ quantization_config: null, some_new_flag: null, autocast: false })] } })
    expect(ok.ok && ok.warnings).toEqual([
      'quantization_config (written by Keras 3.13+) is not used by the workbench: dropped (it is null, the layers are not quantized)',
      'Dense "dense": some_new_flag=null is not a setting the workbench knows; it is off, so it was dropped',
      'Dense "dense": autocast (mixed-precision casting of inputs) is not used by the workbench: dropped'
    ])
    const changes = fromKerasModelJson({ class_name: 'Sequential', config: { layers: [input, dense({ some_new_mode: 'fast' })] } })
    expect(changes).toMatchObject({ ok: false, errors: [{ layer: 1, field: 'some_new_mode', message: expect.stringMatching(/unknown field "some_new_mode"/) }] })
  })

  it('reads Keras 3 silu and tfjs hardSigmoid, and refuses hard_sigmoid from Keras 3 (another formula)', () => {
    const silu = fromKerasModelJson({ module: 'keras', class_name: 'Sequential', config: { layers: [input, dense({ activation: 'silu' })] } })
    expect(silu.ok && silu.spec.layers[0].config.activation).toBe('swish')
    const tfjs = fromKerasModelJson({ modelTopology: { class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: 'hardSigmoid', batch_input_shape: [null, 2] } }] } } })
    expect(tfjs.ok && tfjs.spec.layers[0].config.activation).toBe('hard_sigmoid')
    expect(fromKerasModelJson({ class_name: 'Sequential', config: { layers: [input, dense({ activation: 'hard_sigmoid' })] } }, { keras_version: '3.8.0' })).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/relu6\(x \+ 3\) \/ 6 in Keras 3/) }] })
    // Keras 2 meant the workbench's formula.
    expect(fromKerasModelJson({ class_name: 'Sequential', config: { layers: [input, { class_name: 'Dense', config: { name: 'd', units: 1, activation: 'hard_sigmoid' } }] } }, { keras_version: '2.15.0' }).ok).toBe(true)
  })

  it('turns a leading Rescaling or Normalization into the input scaling', () => {
    const rescaled = fromKerasModelJson({ class_name: 'Sequential', config: { layers: [input, { class_name: 'Rescaling', config: { name: 'r', scale: 0.5, offset: -1 } }, dense({})] } })
    expect(rescaled.ok && rescaled.details.scaling_layer).toMatchObject({ class_name: 'Rescaling', name: 'r', position: 1, scaling: { offset: [2, 2, 2], scale: [0.5, 0.5, 0.5] } })
    expect(rescaled.ok && rescaled.spec.layers.map((l) => l.class_name)).toEqual(['Dense'])
    expect(rescaled.ok && rescaled.details.sources).toEqual([{ position: 2, name: 'dense', class_name: 'Dense' }])
    const adapted = fromKerasModelJson({ class_name: 'Sequential', config: { layers: [input, { class_name: 'Normalization', config: { name: 'n', axis: [-1], mean: null, variance: null } }, dense({})] } })
    expect(adapted.ok && adapted.details.scaling_layer?.scaling).toBeNull()
  })

  it('scalingFromKerasLayer broadcasts like Keras and refuses what is not (raw − offset) · scale', () => {
    expect(scalingFromKerasLayer('Normalization', { axis: [-1], mean: [1, 2], variance: [4, 16] }, [2, 2])).toEqual({ ok: true, offset: [1, 2, 1, 2], scale: [0.5, 0.25, 0.5, 0.25] })
    expect(scalingFromKerasLayer('Normalization', { axis: [1, 2], mean: [[0, 1], [2, 3]], variance: [[1, 1], [1, 4]] }, [2, 2])).toEqual({ ok: true, offset: [0, 1, 2, 3], scale: [1, 1, 1, 0.5] })
    expect(scalingFromKerasLayer('Normalization', { axis: [-1], mean: null, variance: null }, [2], [[3, 4], [1, 0.25], [10]])).toEqual({ ok: true, offset: [3, 4], scale: [1, 2] })
    expect(scalingFromKerasLayer('Normalization', { axis: [-1], mean: 0, variance: 0 }, [1])).toEqual({ ok: true, offset: [0], scale: [1e7] })
    expect(scalingFromKerasLayer('Normalization', { axis: [-1], mean: [1], variance: [1], invert: true }, [1])).toMatchObject({ ok: false, message: expect.stringMatching(/invert=True/) })
    expect(scalingFromKerasLayer('Normalization', { axis: [-1], mean: [1, 2, 3], variance: [1, 1, 1] }, [2])).toMatchObject({ ok: false, message: expect.stringMatching(/does not broadcast/) })
    expect(scalingFromKerasLayer('Rescaling', { scale: [1, 2], offset: 0 }, [3, 2])).toEqual({ ok: true, offset: [0, 0, 0, 0, 0, 0], scale: [1, 2, 1, 2, 1, 2] })
    expect(scalingFromKerasLayer('Rescaling', { scale: 0, offset: 1 }, [2])).toMatchObject({ ok: false, message: expect.stringMatching(/scale is 0/) })
  })
})
