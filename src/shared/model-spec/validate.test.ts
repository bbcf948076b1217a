import { describe, expect, it } from 'vitest'
import { checkField, formatShape, inferShapes, validateSpec } from './validate'
import { isKnownReason } from '../errors'
import { SpecValidationError, type LayerSpec, type ModelSpec } from './schema'
import { LAYER_CLASSES } from './registry'

const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: inputShape, layers })
const messages = (raw: unknown): string[] => validateSpec(raw).errors.map((e) => e.message)

describe('validateSpec', () => {
  it('accepts a valid model and infers every layer', () => {
    const result = validateSpec(model([28, 28, 1], [
      { class_name: 'Conv2D', config: { filters: 8, kernel_size: 3, padding: 'same' } },
      { class_name: 'MaxPooling2D', config: {} },
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 10, activation: 'softmax' } }
    ]))
    expect(result.errors).toEqual([])
    expect(result.ok).toBe(true)
    expect(result.summary!.layers.map((l) => l.output_shape)).toEqual([[28, 28, 8], [14, 14, 8], [1568], [10]])
    expect(result.summary!.total_params).toBe(3 * 3 * 8 + 8 + 1568 * 10 + 10)
  })

  it('names the layer (1-based) and field, in the documented format', () => {
    const result = validateSpec(model([784], [{ class_name: 'Dense', config: { units: 8 } }, { class_name: 'Dropout', config: { rate: 0.1 } }, { class_name: 'Dense', config: { units: 0 } }]))
    expect(result.ok).toBe(false)
    expect(result.errors).toEqual([
      {
        layer: 3,
        class_name: 'Dense',
        field: 'units',
        message: 'layer 3 (Dense): units must be a positive integer, got 0',
        reason: 'spec.field_invalid',
        details: { layer: 3, class_name: 'Dense', field: 'units', expected: 'a positive integer', got: '0', kind: 'int', min: 1 }
      }
    ])
    expect(messages(model([784], [{ class_name: 'Dense', config: { units: 4 } }, { class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }]))).toEqual([
      'layer 2 (Conv2D) needs a (height, width, channels) input but receives (4)'
    ])
    expect(messages(model([784], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }]))).toEqual(['layer 1 (Conv2D) needs a (height, width, channels) input but receives (784)'])
  })

  it('reports field errors of several layers at once, and keeps the shapes it could infer', () => {
    const result = validateSpec(model([10], [
      { class_name: 'Dense', config: { units: 4 } },
      { class_name: 'Dense', config: { units: 2.5 } },
      { class_name: 'Dropout', config: { rate: 1 } },
      { class_name: 'Activation', config: { activation: 'relux' } },
      { class_name: 'Dense2', config: {} }
    ]))
    expect(result.errors.map((e) => [e.layer, e.field])).toEqual([[2, 'units'], [3, 'rate'], [4, 'activation'], [5, 'class_name']])
    expect(result.errors[1].message).toBe('layer 3 (Dropout): rate must be number from 0 to 1 (exclusive), got 1')
    expect(result.errors[2].message).toMatch(/^layer 4 \(Activation\): activation must be one of linear, sigmoid, .*, got "relux"$/)
    expect(result.layers).toHaveLength(1)
    expect(result.layers[0].output_shape).toEqual([4])
  })

  it('refuses unknown fields, missing required fields, unsupported Keras options and duplicate names', () => {
    expect(messages(model([3], [{ class_name: 'Dense', config: { unit: 3 } }]))).toEqual([
      'layer 1 (Dense): unknown field "unit"; Dense takes units, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, name, trainable, dtype',
      'layer 1 (Dense): units is required'
    ])
    expect(messages(model([3], [{ class_name: 'Dense', config: { units: 3, kernel_constraint: { class_name: 'MaxNorm' } } }]))[0]).toMatch(/kernel_constraint is not supported by the workbench \(it must be null\)/)
    expect(messages(model([3], [{ class_name: 'Dense', config: { units: 3, name: 'a' } }, { class_name: 'Dense', config: { units: 3, name: 'a' } }]))).toEqual([
      'layer 2 (Dense): name "a" is already used by layer 1; layer names must be unique'
    ])
    expect(messages(model([3], [{ class_name: 'Dense', config: { units: 3, name: 'has space' } }]))[0]).toMatch(/^layer 1 \(Dense\): name must start with/)
  })

  it('checks initializers and regularizers', () => {
    const dense = (extra: Record<string, unknown>): ModelSpec => model([3], [{ class_name: 'Dense', config: { units: 2, ...extra } }])
    expect(validateSpec(dense({ kernel_initializer: { class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }, kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 } } })).ok).toBe(true)
    expect(validateSpec(dense({ kernel_initializer: 'he_normal', bias_regularizer: 'l2' })).ok).toBe(true)
    expect(messages(dense({ kernel_initializer: 'glorot' }))[0]).toMatch(/^layer 1 \(Dense\): kernel_initializer must be one of glorot_uniform, .*, got "glorot"$/)
    expect(messages(dense({ kernel_initializer: { class_name: 'RandomUniform', config: { minval: 1, maxval: -1 } } }))[0]).toBe('layer 1 (Dense): kernel_initializer minval must be below maxval, got [1, -1]')
    expect(messages(dense({ kernel_initializer: { class_name: 'Zeros', config: { value: 1 } } }))[0]).toMatch(/unknown parameter "value" for Zeros/)
    expect(messages(dense({ kernel_regularizer: { class_name: 'L2', config: { l2: -1 } } }))[0]).toBe('layer 1 (Dense): kernel_regularizer l2 must be a non-negative number, got -1')
    expect(messages(dense({ kernel_regularizer: 'l3' }))[0]).toMatch(/kernel_regularizer must be null or one of l1, l2, l1_l2, got "l3"/)
  })

  it('checks an InputLayer: first only, any Keras spelling, agreeing with input_shape', () => {
    const dense: LayerSpec = { class_name: 'Dense', config: { units: 2 } }
    expect(validateSpec(model([4], [{ class_name: 'InputLayer', config: { input_shape: [4] } }, dense])).ok).toBe(true)
    expect(validateSpec(model([4], [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4] } }, dense])).ok).toBe(true)
    expect(validateSpec(model([4], [{ class_name: 'InputLayer', config: { batch_shape: [null, 4] } }, dense])).ok).toBe(true)
    expect(messages(model([784], [{ class_name: 'InputLayer', config: { input_shape: [28, 28] } }, dense]))).toEqual([
      "layer 1 (InputLayer): input_shape (28, 28) does not agree with the model's input_shape (784)"
    ])
    expect(messages(model([4], [dense, { class_name: 'InputLayer', config: { input_shape: [2] } }]))).toEqual(['layer 2 (InputLayer) can only be the first layer; remove it or move it to the top'])
    expect(messages(model([4], [{ class_name: 'InputLayer', config: { input_shape: [4] } }]))).toEqual(['the model has no layers; add at least one (a Dense layer, for example)'])
  })

  it('reports shape problems: flat Flatten, Reshape sizes, windows larger than the input, BatchNormalization axis', () => {
    expect(messages(model([784], [{ class_name: 'Flatten', config: {} }]))[0]).toBe('layer 1 (Flatten) needs an input of 2 or more dimensions but receives (784); that input is already flat, so remove the Flatten layer')
    expect(messages(model([784], [{ class_name: 'Reshape', config: { target_shape: [27, 27, 1] } }]))[0]).toBe('layer 1 (Reshape): target_shape (27, 27, 1) cannot hold the 784 values of its input (784)')
    expect(messages(model([784], [{ class_name: 'Reshape', config: { target_shape: [-1, -1] } }]))[0]).toBe('layer 1 (Reshape): target_shape may contain -1 only once, got [-1,-1]')
    expect(messages(model([5, 5, 2], [{ class_name: 'Conv2D', config: { filters: 1, kernel_size: 7 } }]))[0]).toBe('layer 1 (Conv2D): kernel_size (7, 7) does not fit its (5, 5) input with padding "valid"; use a smaller kernel_size or padding "same"')
    expect(messages(model([5, 5, 2], [{ class_name: 'Conv2D', config: { filters: 1, kernel_size: 3, strides: 2, dilation_rate: 2 } }]))[0]).toMatch(/strides above 1 cannot be combined with a dilation_rate above 1/)
    expect(messages(model([4, 5], [{ class_name: 'BatchNormalization', config: { axis: 0 } }]))[0]).toBe('layer 1 (BatchNormalization): axis must be between -2 and 2 and not 0 (the batch axis) for its input (4, 5), got 0')
  })

  it('checks explicit weights against the inferred weight shapes', () => {
    const ok = model([1], [{ class_name: 'Dense', config: { units: 3 }, weights: [[1, 2, 3], [0, 0, 0]] }])
    expect(validateSpec(ok).ok).toBe(true)
    expect(messages(model([1], [{ class_name: 'Dense', config: { units: 3 }, weights: [[1, 2], [0, 0, 0]] }]))).toEqual(['layer 1 (Dense): weights[0] (kernel, shape 1x3) needs 3 values, got 2'])
    expect(messages(model([1], [{ class_name: 'Dense', config: { units: 3, use_bias: false }, weights: [[1, 2, 3], [0, 0, 0]] }]))).toEqual([
      'layer 1 (Dense): weights holds 2 arrays but the layer has 1 weight tensors (kernel 1x3)'
    ])
  })

  it('explains structural problems without throwing', () => {
    expect(validateSpec(null).ok).toBe(false)
    expect(messages({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [0], layers: [] })[0]).toMatch(/^input_shape must be a list of positive integers/)
    expect(messages({ format: 'x', version: 1, name: 'm', input_shape: [1], layers: [] })[0]).toMatch(/^format must be "model-workbench\/spec", got "x"/)
    const badLayer = validateSpec({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [1], layers: [{ class_name: 'Dense', config: 5 }] })
    expect(badLayer.errors[0]).toMatchObject({ layer: 1, class_name: 'Dense', field: 'config' })
  })

  it('validates a deep stack and reports the shapes of every layer', () => {
    const layers: LayerSpec[] = Array.from({ length: 50 }, (_, i) => ({ class_name: 'Dense', config: { units: 16 + i } }))
    const result = validateSpec(model([784], layers))
    expect(result.ok).toBe(true)
    expect(result.layers).toHaveLength(50)
    expect(result.layers.at(-1)?.output_shape).toEqual([65])
  })
})

describe('inferShapes', () => {
  it('counts seed 004: Dense(3, relu) on [1] then Dense(1) has 6 + 4 = 10 parameters', () => {
    const summary = inferShapes(model([1], [{ class_name: 'Dense', config: { units: 3, activation: 'relu' } }, { class_name: 'Dense', config: { units: 1 } }]))
    expect(summary.layers.map((l) => [l.index, l.name, l.class_name, l.input_shape, l.output_shape, l.params, l.trainable_params])).toEqual([
      [1, 'dense_1', 'Dense', [1], [3], 6, 6],
      [2, 'dense_2', 'Dense', [3], [1], 4, 4]
    ])
    expect(summary).toMatchObject({ input_shape: [1], output_shape: [1], total_params: 10, trainable_params: 10, non_trainable_params: 0 })
  })

  it('separates BatchNormalization moving statistics and frozen layers as non-trainable', () => {
    const summary = inferShapes(model([6], [{ class_name: 'BatchNormalization', config: {} }, { class_name: 'Dense', config: { units: 2, trainable: false } }]))
    expect(summary.layers.map((l) => [l.params, l.trainable_params])).toEqual([[24, 12], [14, 0]])
    expect(summary.non_trainable_params).toBe(12 + 14)
    expect(summary.layers[0].weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance'])
  })

  it('throws a SpecValidationError carrying the errors for an invalid spec', () => {
    expect(() => inferShapes(model([1], [{ class_name: 'Dense', config: { units: -1 } }]))).toThrow(SpecValidationError)
  })
})

describe('checkField and formatShape', () => {
  it('accepts a single integer for a pair and refuses wrong lengths', () => {
    const kernel = LAYER_CLASSES.Conv2D.fields.find((f) => f.key === 'kernel_size')!
    expect(checkField(kernel, 3)).toBeNull()
    expect(checkField(kernel, [3, 3])).toBeNull()
    expect(checkField(kernel, [3, 3, 3])).toBe('must be 2 positive integers, got [3,3,3]')
    expect(checkField(kernel, undefined)).toBe('is required')
  })
  it('prints shapes like Keras', () => {
    expect(formatShape([null, 28, 28, 1])).toBe('(None, 28, 28, 1)')
    expect(formatShape([784])).toBe('(784)')
  })
})

describe('validateSpec against hostile specs', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])('reports class_name %s as an unknown layer and never throws', (name) => {
    const raw = JSON.parse(JSON.stringify(model([4], [{ class_name: name, config: {} }, { class_name: 'Dense', config: { units: 2 } }])))
    expect(() => validateSpec(raw)).not.toThrow()
    expect(messages(raw)[0]).toMatch(new RegExp(`^layer 1 \\(${name.replace(/[$_]/g, '\\$&')}\\): unknown layer class`))
  })

  it('does not take Object members for initializers, regularizers or fixed fields', () => {
    for (const name of ['toString', 'constructor', '__proto__']) {
      expect(validateSpec(model([4], [{ class_name: 'Dense', config: { units: 2, kernel_initializer: name } }])).ok).toBe(false)
      expect(validateSpec(model([4], [{ class_name: 'Dense', config: { units: 2, bias_regularizer: name } }])).ok).toBe(false)
      expect(() => validateSpec(model([4], [{ class_name: 'Dense', config: { units: 2, kernel_initializer: { class_name: name, config: {} } } }]))).not.toThrow()
    }
    expect(messages(model([4], [{ class_name: 'Dense', config: { units: 2, constructor: 1 } }]))[0]).toContain('unknown field "constructor"')
  })

  it('refuses more than 2 000 layers before any per-layer work', () => {
    const layers = Array.from({ length: 2001 }, () => ({ class_name: 'NotEvenALayer', config: { bogus: true } }))
    expect(messages(model([4], layers))).toEqual(['the model has 2 001 layers, more than the 2 000 the workbench accepts; use fewer layers'])
  })

  it('names 2 000 unnamed layers like Keras, in linear time', () => {
    const layers: LayerSpec[] = Array.from({ length: 2000 }, (_, i) => (i % 2 ? { class_name: 'Dense', config: { units: 3 } } : { class_name: 'Dropout', config: { rate: 0.1 } }))
    layers[3] = { class_name: 'Dense', config: { units: 3, name: 'dense_3' } }
    const started = performance.now()
    const result = validateSpec(model([3], layers))
    expect(performance.now() - started).toBeLessThan(1000)
    expect(result.ok).toBe(true)
    expect(result.layers.slice(0, 6).map((l) => l.name)).toEqual(['dropout_1', 'dense_1', 'dropout_2', 'dense_3', 'dropout_3', 'dense_2'])
    expect(result.layers.at(-1)!.name).toBe('dense_1000')
  })
})

describe('typed spec errors', () => {
  const cases: Array<[string, unknown, string, Record<string, unknown>]> = [
    ['missing units', model([4], [{ class_name: 'Dense', config: {} }]), 'spec.field_required', { layer: 1, class_name: 'Dense', field: 'units' }],
    ['unknown class', model([4], [{ class_name: 'Densely', config: {} }]), 'spec.unknown_class', { layer: 1, class_name: 'Densely', field: 'class_name' }],
    ['unknown field', model([4], [{ class_name: 'Dense', config: { units: 2, unitz: 3 } }]), 'spec.unknown_param', { layer: 1, field: 'unitz' }],
    ['bad activation', model([4], [{ class_name: 'Dense', config: { units: 2, activation: 'swish2' } }]), 'spec.field_invalid', { field: 'activation', kind: 'enum', got: '"swish2"' }],
    ['conv on a flat input', model([4], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }]), 'spec.shape_mismatch', { layer: 1, input: '(4)' }],
    ['reshape that cannot hold its input', model([6], [{ class_name: 'Reshape', config: { target_shape: [4] } }]), 'spec.reshape_size', { field: 'target_shape', size: 6 }],
    ['duplicate names', model([4], [{ class_name: 'Dense', config: { units: 2, name: 'a' } }, { class_name: 'Dense', config: { units: 2, name: 'a' } }]), 'spec.duplicate_name', { layer: 2, name: 'a', earlier: 1 }],
    ['no layers', model([4], []), 'spec.no_layers', {}],
    ['wrong format', { ...model([4], [{ class_name: 'Dense', config: { units: 1 } }]), format: 'keras' }, 'spec.bad_format', { got: '"keras"' }]
  ]
  it.each(cases)('%s: reason and details beside the English message', (_name, spec, reason, details) => {
    const result = validateSpec(spec)
    expect(result.ok).toBe(false)
    const error = result.errors.find((e) => e.reason === reason)
    expect(error, JSON.stringify(result.errors)).toBeDefined()
    expect(error!.details).toMatchObject(details)
  })

  it('gives every error validateSpec reports a registered reason', () => {
    const specs = cases.map(([, spec]) => spec)
    for (const spec of specs) for (const error of validateSpec(spec).errors) expect(isKnownReason(error.reason), error.message).toBe(true)
  })
})

describe('validateSpec on graphs', () => {
  const graph = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'g', input_shape: inputShape, layers })
  const dense = (name: string, units: number, inbound?: string[]): LayerSpec => ({ class_name: 'Dense', config: { name, units }, ...(inbound ? { inbound } : {}) })
  const add = (name: string, inbound: string[]): LayerSpec => ({ class_name: 'Add', config: { name }, inbound })

  it('infers shapes and counts parameters over a residual graph, and takes the sink as the output', () => {
    const result = validateSpec(graph([30], [dense('d1', 32), dense('d2', 32), add('add_1', ['d1', 'd2']), dense('d3', 32), add('add_2', ['add_1', 'd3']), dense('out', 1)]))
    expect(result.errors).toEqual([])
    const byName = Object.fromEntries(result.summary!.layers.map((l) => [l.name, l]))
    expect(byName.add_1).toMatchObject({ inbound: ['d1', 'd2'], input_shapes: [[32], [32]], output_shape: [32], params: 0 })
    expect(byName.d1.inbound).toEqual(['input'])
    expect(byName.d3.inbound).toEqual(['add_1'])
    expect(result.summary!.output_shape).toEqual([1])
    expect(result.summary!.total_params).toBe(30 * 32 + 32 + 2 * (32 * 32 + 32) + 33)
  })

  it('names the layer and the shapes that meet at a bad merge', () => {
    expect(messages(graph([8], [dense('a', 32), dense('b', 16, ['input']), add('add_1', ['a', 'b']), dense('out', 1)]))).toEqual([
      'layer 3 (Add): inputs have shapes (None, 32) and (None, 16) (from a, b); Add needs them equal'
    ])
    const concat = (axis: number): ModelSpec => graph([4, 3], [dense('a', 5), dense('b', 2, ['input']), { class_name: 'Concatenate', config: { name: 'c', axis }, inbound: ['a', 'b'] }])
    expect(validateSpec(concat(-1)).summary!.output_shape).toEqual([4, 7])
    expect(messages(concat(1))).toEqual(['layer 3 (Concatenate): inputs have shapes (None, 4, 5) and (None, 4, 2) (from a, b); Concatenate on axis 1 needs every other axis equal'])
    expect(validateSpec(concat(3)).errors[0]).toMatchObject({ field: 'axis', reason: 'spec.axis_out_of_range' })
  })

  it('names cycles, unknown and missing inputs, wrong input counts and outputs that go nowhere', () => {
    const cycle = validateSpec(graph([4], [dense('a', 4, ['input']), dense('b', 4, ['a', 'c']), dense('c', 4, ['b'])].map((l) => (l.config.name === 'b' ? { ...l, class_name: 'Add' as const, config: { name: 'b' } } : l))))
    expect(cycle.errors.map((e) => e.reason)).toContain('spec.cycle')
    expect(cycle.errors.find((e) => e.reason === 'spec.cycle')!.message).toMatch(/the layers (b → c → b|c → b → c) form a cycle/)
    expect(validateSpec(graph([4], [dense('a', 4), dense('b', 4, [])])).errors.map((e) => [e.layer, e.reason])).toEqual([[1, 'spec.dangling_output'], [2, 'spec.unconnected']])
    expect(messages(graph([4], [dense('a', 4), dense('b', 4, ['nope'])]))).toEqual(['layer 1 (Dense): its output "a" goes nowhere; connect it to a later layer or delete it (the model\'s one output is layer 2 "b")', 'layer 2 (Dense): its input "nope" is not a layer of the model'])
    expect(messages(graph([4], [dense('a', 4), add('s', ['a'])]))).toEqual(['layer 2 (Add) takes at least 2 inputs but has 1 (a)'])
    expect(messages(graph([4], [dense('a', 4), dense('b', 4, ['input']), dense('c', 4, ['a', 'b'])]))).toEqual(['layer 3 (Dense) takes exactly 1 input but has 2 (a, b)'])
    expect(messages(graph([4], [dense('input', 4)]))).toEqual(['layer 1 (Dense): the name "input" is kept for the model input; rename the layer'])
  })

  it('accepts layers listed out of order, and an InputLayer name for the model input', () => {
    const result = validateSpec(graph([4], [{ class_name: 'InputLayer', config: { name: 'in', input_shape: [4] } }, dense('out', 1, ['sum']), add('sum', ['a', 'b']), dense('a', 3, ['in']), dense('b', 3, ['in'])]))
    expect(result.errors).toEqual([])
    expect(result.summary!.output_shape).toEqual([1])
    expect(result.summary!.layers.find((l) => l.name === 'a')!.inbound).toEqual(['input'])
  })
})

describe('the layer families of issue 11', () => {
  const one = (inputShape: number[], layer: LayerSpec): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'm', input_shape: inputShape, layers: [layer] })
  const first = (spec: ModelSpec) => validateSpec(spec).errors[0]

  it('names the input a sequence or image layer needs', () => {
    expect(first(one([784], { class_name: 'LSTM', config: { units: 4 } }))).toMatchObject({
      layer: 1, message: 'layer 1 (LSTM) needs a (timesteps, features) input but receives (784); put an Embedding, a Conv1D or a Reshape to (timesteps, features) before it',
      reason: 'spec.shape_mismatch', details: { input: '(784)', needs: '(timesteps, features)' }
    })
    expect(first(one([5, 3], { class_name: 'GlobalAveragePooling2D', config: {} }))?.message).toMatch(/^layer 1 \(GlobalAveragePooling2D\) needs a \(height, width, channels\) input but receives \(5, 3\)/)
    expect(first(one([8, 8, 3], { class_name: 'SpatialDropout1D', config: { rate: 0.1 } }))?.reason).toBe('spec.shape_mismatch')
  })

  it('refuses windows, crops and axes that do not fit, naming the field', () => {
    expect(first(one([4, 2], { class_name: 'Conv1D', config: { filters: 2, kernel_size: 5 } }))).toMatchObject({ field: 'kernel_size', reason: 'spec.window_too_big', message: 'layer 1 (Conv1D): kernel_size (5) does not fit its (4) input with padding "valid"; use a smaller kernel_size or padding "same"' })
    expect(first(one([4, 2], { class_name: 'MaxPooling1D', config: { pool_size: 6 } }))).toMatchObject({ field: 'pool_size', reason: 'spec.window_too_big' })
    expect(first(one([4, 4, 1], { class_name: 'Cropping2D', config: { cropping: [[2, 2], [0, 0]] } }))).toMatchObject({
      field: 'cropping', reason: 'spec.crop_too_big', message: 'layer 1 (Cropping2D): cropping [[2,2],[0,0]] removes all of its (4, 4) input; crop less'
    })
    expect(first(one([5, 3], { class_name: 'LayerNormalization', config: { axis: 3 } }))).toMatchObject({ field: 'axis', reason: 'spec.axis_out_of_range' })
    expect(first(one([9, 9, 2], { class_name: 'SeparableConv2D', config: { filters: 2, kernel_size: 3, strides: 2, dilation_rate: 2 } }))).toMatchObject({ field: 'strides', reason: 'spec.strides_with_dilation' })
  })

  it('checks int_pairs, fixed Keras keys and the wrapped layer of Bidirectional', () => {
    expect(validateSpec(one([4, 4, 1], { class_name: 'ZeroPadding2D', config: { padding: [2, 1] } })).summary!.output_shape).toEqual([8, 6, 1])
    expect(first(one([4, 4, 1], { class_name: 'ZeroPadding2D', config: { padding: [[1, -1], [0, 0]] } }))).toMatchObject({ field: 'padding', reason: 'spec.field_invalid' })
    expect(first(one([5, 3], { class_name: 'GRU', config: { units: 2, reset_after: true } }))).toMatchObject({ field: 'reset_after', reason: 'spec.unsupported_value' })
    expect(first(one([5], { class_name: 'Embedding', config: { input_dim: 10, output_dim: 4, mask_zero: true } }))).toMatchObject({ field: 'mask_zero', reason: 'spec.unsupported_value' })
    expect(first(one([5, 3], { class_name: 'Bidirectional', config: { layer: { class_name: 'Dense', config: { units: 2 } } } }))).toMatchObject({ field: 'layer', reason: 'spec.field_invalid' })
    expect(first(one([5, 3], { class_name: 'Bidirectional', config: { layer: { class_name: 'LSTM', config: { units: 0 } } } }))).toMatchObject({
      field: 'layer', reason: 'spec.wrapped_field', message: 'layer 1 (Bidirectional): layer (LSTM) units must be a positive integer, got 0', details: { wrapped: 'LSTM', key: 'units' }
    })
    expect(first(one([5, 3], { class_name: 'Bidirectional', config: { layer: { class_name: 'LSTM', config: { units: 2, stateful: true } } } }))).toMatchObject({ reason: 'spec.wrapped_field', details: { key: 'stateful' } })
  })

  it('gives recurrent and Bidirectional weights in Keras order with Keras names', () => {
    const lstm = validateSpec(one([5, 3], { class_name: 'LSTM', config: { units: 4, return_sequences: true } })).summary!.layers[0]
    expect(lstm.output_shape).toEqual([5, 4])
    expect(lstm.weights.map((w) => [w.name, w.shape])).toEqual([['kernel', [3, 16]], ['recurrent_kernel', [4, 16]], ['bias', [16]]])
    const bidi = validateSpec(one([5, 3], { class_name: 'Bidirectional', config: { layer: { class_name: 'GRU', config: { units: 2 } } } })).summary!.layers[0]
    expect(bidi.output_shape).toEqual([4])
    expect(bidi.weights.map((w) => w.name)).toEqual(['forward_gru/kernel', 'forward_gru/recurrent_kernel', 'forward_gru/bias', 'backward_gru/kernel', 'backward_gru/recurrent_kernel', 'backward_gru/bias'])
    const separable = validateSpec(one([8, 8, 3], { class_name: 'SeparableConv2D', config: { filters: 5, kernel_size: 3, depth_multiplier: 2 } })).summary!.layers[0]
    expect(separable.weights.map((w) => [w.name, w.shape])).toEqual([['depthwise_kernel', [3, 3, 3, 2]], ['pointwise_kernel', [1, 1, 6, 5]], ['bias', [5]]])
    for (const reason of ['spec.crop_too_big', 'spec.wrapped_field']) expect(isKnownReason(reason), reason).toBe(true)
  })
})
