import { describe, expect, it } from 'vitest'
import { MODEL_INPUT } from './graph'
import { createLayer, MERGE_CLASSES, LAYER_CLASSES, LAYER_CLASS_NAMES, layerNames, resolveInitializer, resolveRegularizer, uniqueLayerName } from './registry'
import { validateSpec } from './validate'

describe('layer registry', () => {
  it('describes every layer class the issue lists, with a category, description and form fields', () => {
    for (const name of ['InputLayer', 'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'BatchNormalization', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate',
      'Conv1D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling1D', 'AveragePooling1D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D',
      'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'UpSampling2D', 'ZeroPadding2D', 'Cropping2D', 'Embedding', 'SimpleRNN', 'LSTM', 'GRU', 'Bidirectional',
      'LayerNormalization', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise']) expect(LAYER_CLASS_NAMES).toContain(name)
    for (const info of Object.values(LAYER_CLASSES)) {
      expect(info.description.length).toBeGreaterThan(10)
      for (const field of info.fields) expect(['int', 'float', 'enum', 'bool', 'int_list', 'int_pairs', 'initializer', 'regularizer', 'activation', 'layer']).toContain(field.kind)
    }
  })

  it('creates layers with unique Keras-like names whose defaults validate', () => {
    expect(createLayer('Dense').config.name).toBe('dense_1')
    expect(createLayer('Dense', ['dense_1', 'dense_3']).config.name).toBe('dense_2')
    expect(createLayer('MaxPooling2D', []).config).toMatchObject({ name: 'max_pooling2d_1', pool_size: [2, 2], strides: null, padding: 'valid' })
    expect(() => createLayer('ConvLSTM2D')).toThrow(/unknown layer class "ConvLSTM2D"/)
    expect(createLayer('Bidirectional').config).toMatchObject({ name: 'bidirectional_1', layer: { class_name: 'LSTM', config: { units: 32 } }, merge_mode: 'concat' })
    const image = [28, 28, 1]
    const sequence = [20, 3]
    const inputShapes: Record<string, number[]> = {
      Flatten: image, Reshape: [784], Conv2D: image, MaxPooling2D: image, AveragePooling2D: image, InputLayer: [784],
      DepthwiseConv2D: image, SeparableConv2D: image, Conv2DTranspose: image, GlobalAveragePooling2D: image, GlobalMaxPooling2D: image,
      UpSampling2D: image, ZeroPadding2D: image, Cropping2D: image, SpatialDropout2D: image,
      Conv1D: sequence, MaxPooling1D: sequence, AveragePooling1D: sequence, GlobalAveragePooling1D: sequence, GlobalMaxPooling1D: sequence,
      SimpleRNN: sequence, LSTM: sequence, GRU: sequence, Bidirectional: sequence, LayerNormalization: sequence, SpatialDropout1D: sequence, Embedding: [12]
    }
    for (const className of LAYER_CLASS_NAMES) {
      const layers = [createLayer(className)]
      if (className === 'InputLayer') layers.push(createLayer('Dense'))
      // A merge layer takes two branches: two Dense layers side by side from the input.
      if (MERGE_CLASSES.has(className)) layers.unshift({ ...createLayer('Dense'), inbound: [MODEL_INPUT] }, { ...createLayer('Dense', ['dense_1']), inbound: [MODEL_INPUT] })
      if (MERGE_CLASSES.has(className)) layers[2] = { ...layers[2], inbound: ['dense_1', 'dense_2'] }
      const result = validateSpec({ format: 'model-workbench/spec', version: 2, name: 'm', input_shape: inputShapes[className] ?? [8], layers })
      expect(result.errors, className).toEqual([])
    }
  })

  it('names unnamed layers as Keras would, around the names already taken', () => {
    expect(layerNames([{ class_name: 'Dense', config: {} }, { class_name: 'Dense', config: { name: 'dense_1' } }, { class_name: 'Dropout', config: {} }])).toEqual(['dense_2', 'dense_1', 'dropout_1'])
    expect(uniqueLayerName('conv2d', ['conv2d_1'])).toBe('conv2d_2')
  })

  it('resolves initializers and regularizers from string names and Keras dicts', () => {
    expect(resolveInitializer('glorot_uniform')).toEqual({ name: 'glorot_uniform', params: {}, seed: null })
    expect(resolveInitializer({ class_name: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 3 } })).toEqual({ name: 'random_uniform', params: { minval: -1, maxval: 1 }, seed: 3 })
    expect(resolveInitializer({ class_name: 'RandomUniform' })!.params).toEqual({ minval: -0.05, maxval: 0.05 })
    expect(resolveInitializer('nope')).toBeNull()
    expect(resolveRegularizer(null)).toBeNull()
    expect(resolveRegularizer('l2')).toEqual({ name: 'l2', l1: 0, l2: 0.01 })
    expect(resolveRegularizer({ class_name: 'L1L2', config: { l2: 0.5 } })).toEqual({ name: 'l1_l2', l1: 0, l2: 0.5 })
    expect(resolveRegularizer('l3')).toBeUndefined()
  })
})
