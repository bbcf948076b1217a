import { describe, expect, it } from 'vitest'
import { fromKerasModelJson, kerasLayerOrder, scalingFromKerasLayer, toKerasModelJson } from './keras'
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
  ['AveragePooling2D', model([9, 9, 2], [{ class_name: 'AveragePooling2D', config: { pool_size: [2, 2] } }])],
  ['Conv1D', model([10, 3], [{ class_name: 'Conv1D', config: { filters: 4, kernel_size: [3], strides: [2], padding: 'same', activation: 'relu' } }])],
  ['GlobalAveragePooling2D', model([4, 4, 3], [{ class_name: 'GlobalAveragePooling2D', config: {} }])],
  ['ZeroPadding2D', model([4, 4, 1], [{ class_name: 'ZeroPadding2D', config: { padding: [[1, 2], [0, 1]] } }])],
  ['Embedding', model([6], [{ class_name: 'Embedding', config: { input_dim: 50, output_dim: 4 } }, { class_name: 'GlobalAveragePooling1D', config: {} }])],
  ['LSTM', model([5, 2], [{ class_name: 'LSTM', config: { units: 3, return_sequences: true, recurrent_dropout: 0.1 } }])],
  ['GRU', model([5, 2], [{ class_name: 'GRU', config: { units: 3, activation: 'relu' } }])],
  ['SimpleRNN', model([5, 2], [{ class_name: 'SimpleRNN', config: { units: 3, use_bias: false } }])],
  ['Bidirectional', model([5, 2], [{ class_name: 'Bidirectional', config: { layer: { class_name: 'LSTM', config: { units: 3 } }, merge_mode: 'sum' } }])],
  ['LayerNormalization', model([5, 2], [{ class_name: 'LayerNormalization', config: { epsilon: 0.01 } }])],
  ['SpatialDropout1D', model([5, 2], [{ class_name: 'SpatialDropout1D', config: { rate: 0.3, seed: 4 } }])],
  ['SpatialDropout2D', model([3, 3, 2], [{ class_name: 'SpatialDropout2D', config: { rate: 0.1 } }])],
  ['GaussianNoise', model([4], [{ class_name: 'GaussianNoise', config: { stddev: 0.2 } }])]
]

/** Graph specs: a residual MLP, a Concatenate of two branches, a Subtract (order matters). */
const GRAPHS: Array<[string, ModelSpec]> = [
  ['residual MLP', model([6], [
    { class_name: 'Dense', config: { name: 'd1', units: 4, activation: 'relu' } },
    { class_name: 'Dense', config: { name: 'd2', units: 4, activation: 'relu' } },
    { class_name: 'Add', config: { name: 'add_1' }, inbound: ['d1', 'd2'] },
    { class_name: 'Dense', config: { name: 'out', units: 1 }, inbound: ['add_1'] }
  ])],
  ['concatenate', model([6], [
    { class_name: 'Dense', config: { name: 'a', units: 3 } },
    { class_name: 'Dense', config: { name: 'b', units: 2 }, inbound: ['input'] },
    { class_name: 'Concatenate', config: { name: 'cat', axis: -1 }, inbound: ['a', 'b'] },
    { class_name: 'Dense', config: { name: 'out', units: 2, activation: 'softmax' }, inbound: ['cat'] }
  ])],
  ['subtract', model([3], [
    { class_name: 'Dense', config: { name: 'a', units: 3 } },
    { class_name: 'Subtract', config: { name: 'sub' }, inbound: ['input', 'a'] }
  ])]
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
    expect(fromKerasModelJson({ class_name: 'MyModel', config: { layers: [] } })).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/^only Keras Sequential and Functional models can be imported; this one is a MyModel/) }] })
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

describe('Functional models', () => {
  it.each(GRAPHS)('round-trips the %s graph through Functional JSON, Keras 2 and Keras 3 nodes', (_name, spec) => {
    for (const nodes of ['keras2', 'keras3'] as const) {
      const json = JSON.parse(JSON.stringify(toKerasModelJson(spec, { nodes })))
      expect(json.class_name).toBe('Functional')
      const back = fromKerasModelJson(json)
      expect(back).toMatchObject({ ok: true, warnings: [] })
      if (!back.ok) return
      expect(back.spec).toEqual(normalizeSpec(spec))
      expect(back.details.sources.map((s) => s.name)).toEqual(back.spec.layers.map((l) => l.config.name))
    }
  })

  it('lists a graph\'s layers in the order Keras computes (depth from the output, then depth-first visit order), not the spec\'s', () => {
    // Keras: a DFS from the output visits add, b, a, input, c; longest paths to the output: a 2, b 1, c 1; so input, a, b, c, add.
    const spec = model([3], [
      { class_name: 'Dense', config: { name: 'c', units: 2 }, inbound: ['input'] },
      { class_name: 'Dense', config: { name: 'a', units: 2 }, inbound: ['input'] },
      { class_name: 'Dense', config: { name: 'b', units: 2 }, inbound: ['a'] },
      { class_name: 'Add', config: { name: 'add' }, inbound: ['b', 'c'] }
    ])
    expect(toKerasModelJson(spec).config.layers.map((l) => l.name)).toEqual(['input_1', 'a', 'b', 'c', 'add'])
    // A long skip: the deeper branch's layers come first at each depth.
    expect(kerasLayerOrder([
      { name: 'd1', inbound: ['input'] }, { name: 'd2', inbound: ['d1'] }, { name: 'add_1', inbound: ['d1', 'd2'] },
      { name: 'd3', inbound: ['add_1'] }, { name: 'add_2', inbound: ['add_1', 'd3'] }, { name: 'out', inbound: ['add_2'] }
    ], 'out')).toEqual(['input', 'd1', 'd2', 'add_1', 'd3', 'add_2', 'out'])
    expect(kerasLayerOrder([{ name: 'x', inbound: ['input'] }, { name: 'y', inbound: ['input'] }, { name: 'm', inbound: ['y', 'x'] }], 'm')).toEqual(['input', 'y', 'x', 'm'])
    // It reads back as the same graph, listed in Keras's order.
    const back = fromKerasModelJson(JSON.parse(JSON.stringify(toKerasModelJson(spec))))
    expect(back.ok && back.spec.layers.map((l) => [l.config.name, l.inbound])).toEqual([['a', ['input']], ['b', ['a']], ['c', ['input']], ['add', ['b', 'c']]])
  })

  it('writes an explicit InputLayer, inbound_nodes in both styles, input_layers and output_layers', () => {
    const spec = GRAPHS[0][1]
    const keras2 = toKerasModelJson(spec)
    expect(keras2.config.layers[0]).toMatchObject({ class_name: 'InputLayer', name: 'input_1', inbound_nodes: [] })
    expect(keras2.config.layers.find((l) => l.name === 'add_1')!.inbound_nodes).toEqual([[['d1', 0, 0, {}], ['d2', 0, 0, {}]]])
    expect(keras2.config.layers.find((l) => l.name === 'd1')!.inbound_nodes).toEqual([[['input_1', 0, 0, {}]]])
    expect(keras2.config).toMatchObject({ input_layers: [['input_1', 0, 0]], output_layers: [['out', 0, 0]] })
    const keras3 = toKerasModelJson(spec, { nodes: 'keras3' })
    const tensor = (name: string, shape: number[]): unknown => ({ class_name: '__keras_tensor__', config: { shape: [null, ...shape], dtype: 'float32', keras_history: [name, 0, 0] } })
    expect(keras3.config.layers.find((l) => l.name === 'add_1')!.inbound_nodes).toEqual([{ args: [[tensor('d1', [4]), tensor('d2', [4])]], kwargs: {} }])
    expect(keras3.config.layers.find((l) => l.name === 'd1')!.inbound_nodes).toEqual([{ args: [tensor('input_1', [6])], kwargs: {} }])
    // A chain stays a Sequential.
    expect(toKerasModelJson(EVERY_LAYER[1][1]).class_name).toBe('Sequential')
  })

  it('reads what Keras 3 writes for a Functional model (module keys, build_config, a flat input_layers, a Rescaling after the input)', () => {
    const dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }
    const kt = (name: string, shape: number[]): unknown => ({ class_name: '__keras_tensor__', config: { shape: [null, ...shape], dtype: 'float32', keras_history: [name, 0, 0] } })
    const dense = (name: string, units: number, from: unknown): unknown => ({
      module: 'keras.layers', class_name: 'Dense', registered_name: null, name, build_config: { input_shape: [null, 4] },
      config: { name, trainable: true, dtype, units, activation: 'relu', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null }, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null },
      inbound_nodes: [{ args: [from], kwargs: {} }]
    })
    const json = {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'res', trainable: true,
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'x', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, name: 'x' }, inbound_nodes: [] },
          { module: 'keras.layers', class_name: 'Rescaling', registered_name: null, name: 'rescaling', config: { name: 'rescaling', dtype, scale: 0.5, offset: 0 }, inbound_nodes: [{ args: [kt('x', [4])], kwargs: {} }] },
          dense('h', 4, kt('rescaling', [4])),
          { module: 'keras.layers', class_name: 'Add', registered_name: null, name: 'add', config: { name: 'add', trainable: true, dtype }, inbound_nodes: [{ args: [[kt('rescaling', [4]), kt('h', [4])]], kwargs: {} }] },
          dense('y', 2, kt('add', [4]))
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['y', 0, 0]
      },
      build_config: { input_shape: null }, compile_config: null
    }
    const result = fromKerasModelJson(json, { keras_version: '3.10.0' })
    expect(result).toMatchObject({ ok: true, warnings: [] })
    if (!result.ok) return
    expect(result.spec.layers.map((l) => [l.class_name, l.config.name, l.inbound])).toEqual([['Dense', 'h', ['input']], ['Add', 'add', ['input', 'h']], ['Dense', 'y', ['add']]])
    expect(result.details.scaling_layer).toMatchObject({ class_name: 'Rescaling', name: 'rescaling', scaling: { offset: [0, 0, 0, 0], scale: [0.5, 0.5, 0.5, 0.5] } })
    expect(result.details.sources.map((s) => s.position)).toEqual([2, 3, 4])
  })

  it('reads Keras 2 / tfjs Functional ("Model") configs and refuses two inputs, two outputs, shared layers and nested models', () => {
    const input = (name: string): unknown => ({ class_name: 'InputLayer', name, config: { batch_input_shape: [null, 3], name }, inbound_nodes: [] })
    const dense = (name: string, nodes: unknown[]): unknown => ({ class_name: 'Dense', name, config: { name, units: 3 }, inbound_nodes: nodes })
    const ok = fromKerasModelJson({ class_name: 'Model', config: { name: 'm', layers: [input('in'), dense('a', [[['in', 0, 0, {}]]]), dense('b', [[['a', 0, 0, {}]]])], input_layers: [['in', 0, 0]], output_layers: [['b', 0, 0]] } })
    expect(ok.ok && ok.spec.layers.map((l) => [l.config.name, l.inbound])).toEqual([['a', undefined], ['b', undefined]])
    const twoInputs = fromKerasModelJson({ class_name: 'Functional', config: { layers: [input('p'), input('q'), dense('a', [[['p', 0, 0, {}]]])], input_layers: [['p', 0, 0], ['q', 0, 0]], output_layers: [['a', 0, 0]] } })
    expect(twoInputs).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/has 2 inputs \(p, q\); the workbench builds models with one input/) }] })
    const twoOutputs = fromKerasModelJson({ class_name: 'Functional', config: { layers: [input('p'), dense('a', [[['p', 0, 0, {}]]]), dense('b', [[['p', 0, 0, {}]]])], input_layers: [['p', 0, 0]], output_layers: [['a', 0, 0], ['b', 0, 0]] } })
    expect(twoOutputs).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/has 2 outputs \(a, b\)/) }] })
    const shared = fromKerasModelJson({ class_name: 'Functional', config: { layers: [input('p'), dense('a', [[['p', 0, 0, {}]], [['a', 0, 0, {}]]])], input_layers: [['p', 0, 0]], output_layers: [['a', 1, 0]] } })
    expect(shared).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/"a"\) is called 2 times \(a shared layer\)/) }] })
    const nested = fromKerasModelJson({ class_name: 'Functional', config: { layers: [input('p'), { class_name: 'Sequential', name: 'inner', config: { name: 'inner', layers: [] }, inbound_nodes: [[['p', 0, 0, {}]]] }], input_layers: [['p', 0, 0]], output_layers: [['inner', 0, 0]] } })
    expect(nested).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/is a nested model/) }] })
  })

  it('reads Keras 3 Bidirectional (forward_ name, the backward copy, use_cudnn) back into the spec', () => {
    const lstm = (name: string, backwards: boolean): unknown => ({ module: 'keras.layers', class_name: 'LSTM', registered_name: null, config: { name, trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }, units: 3, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, unit_forget_bias: true, return_sequences: false, return_state: false, go_backwards: backwards, stateful: false, unroll: false, zero_output_for_mask: false, use_cudnn: 'auto', dropout: 0, recurrent_dropout: 0, seed: null } })
    const json = { module: 'keras', class_name: 'Sequential', config: { name: 'm', layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 5, 2], name: 'input_layer' } },
      { module: 'keras.layers', class_name: 'Bidirectional', config: { name: 'bidirectional', trainable: true, merge_mode: 'concat', layer: lstm('forward_lstm', false), backward_layer: lstm('backward_lstm', true) } }
    ] } }
    const result = fromKerasModelJson(json)
    expect(result).toMatchObject({ ok: true })
    if (!result.ok) return
    const spec = model([5, 2], [{ class_name: 'Bidirectional', config: { name: 'bidirectional', layer: { class_name: 'LSTM', config: { units: 3 } } } }])
    expect(result.spec).toEqual(normalizeSpec(spec))
  })
})
