import { describe, expect, it } from 'vitest'
import { EXAMPLES, exampleTarget, SEED_004_INITIAL_WEIGHTS, SEED_TARGETS, TEMPLATE_TARGETS } from './examples'
import { exampleSchema } from './contract'
import { inferShapes, isSequentialSpec, SPEC_VERSION, summaryText, validateSpec } from './model-spec'
import { trainingConfigSchema } from './training'

const byId = (id: string) => EXAMPLES.find((e) => e.id === id)!

describe('EXAMPLES', () => {
  it('ships S1..S7 and the templates T1..T6, each valid against the contract, its spec valid and its config already parsed', () => {
    expect(EXAMPLES.map((e) => e.id)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6'])
    for (const example of EXAMPLES) {
      expect(exampleSchema.parse(example)).toEqual(example)
      expect(validateSpec(example.spec).errors, example.id).toEqual([])
      expect(trainingConfigSchema.parse(example.config)).toEqual(example.config)
      expect(exampleTarget(example.id), example.id).toBeDefined()
      expect(example.id.startsWith('S') ? SEED_TARGETS[example.id] : TEMPLATE_TARGETS[example.id], example.id).toBeDefined()
    }
  })

  it('builds the templates as described: LeNet-5, two skips, a residual block, the sequence and token models', () => {
    const classes = (id: string) => byId(id).spec.layers.map((l) => l.class_name)
    for (const id of ['T1', 'T2', 'T3', 'T4', 'T5', 'T6']) {
      expect(byId(id).seed_document, id).toBe('template')
      expect(byId(id).spec.version, id).toBe(SPEC_VERSION)
    }
    expect(byId('T1')).toMatchObject({ dataset_id: 'mnist', spec: { input_shape: [28, 28, 1] } })
    expect(classes('T1')).toEqual(['Conv2D', 'AveragePooling2D', 'Conv2D', 'AveragePooling2D', 'Flatten', 'Dense', 'Dense', 'Dense'])
    const lenet = inferShapes(byId('T1').spec)
    expect(lenet.layers.map((l) => l.output_shape)).toEqual([[28, 28, 6], [14, 14, 6], [10, 10, 16], [5, 5, 16], [400], [120], [84], [10]])
    expect(lenet.total_params).toBe(61706)
    expect(byId('T1').description).toContain('61 706 parameters')

    // The residual MLP and the ResNet block are graphs: each Add takes a skip and a layer's output.
    for (const id of ['T2', 'T3']) expect(isSequentialSpec(byId(id).spec), id).toBe(false)
    const adds = (id: string) => byId(id).spec.layers.filter((l) => l.class_name === 'Add').map((l) => l.inbound)
    expect(adds('T2')).toEqual([['dense_1', 'dense_2'], ['skip_1', 'dense_3']])
    expect(adds('T3')).toEqual([['stem_pool', 'block_conv2']])
    expect(classes('T3')).toContain('GlobalAveragePooling2D')
    expect(inferShapes(byId('T3').spec).layers.find((l) => l.name === 'block_add')?.input_shapes).toEqual([[7, 7, 16], [7, 7, 16]])
    expect(byId('T2').dataset_id).toBe('breast-cancer')

    for (const id of ['T1', 'T4', 'T5', 'T6']) expect(isSequentialSpec(byId(id).spec), id).toBe(true)
    expect(byId('T4')).toMatchObject({ dataset_id: 'running-sum', spec: { input_shape: [20, 1] } })
    expect(classes('T4')).toEqual(['Conv1D', 'MaxPooling1D', 'Conv1D', 'GlobalAveragePooling1D', 'Dense'])
    expect(byId('T5')).toMatchObject({ dataset_id: 'running-sum', spec: { input_shape: [20, 1] } })
    expect(byId('T5').spec.layers).toMatchObject([{ class_name: 'LSTM', config: { units: 16 } }, { class_name: 'Dense', config: { units: 1, activation: 'sigmoid' } }])
    // The Embedding covers the token set's 50 ids (src/main/data/builtins.ts, checked in library.test.ts).
    expect(byId('T6')).toMatchObject({ dataset_id: 'tokens', spec: { input_shape: [16] } })
    expect(byId('T6').spec.layers).toMatchObject([{ class_name: 'Embedding', config: { input_dim: 50 } }, { class_name: 'GlobalAveragePooling1D' }, { class_name: 'Dense', config: { units: 4, activation: 'softmax' } }])
  })

  it('follows the seed table: data sets, models and training settings', () => {
    const s1 = byId('S1')
    expect(s1).toMatchObject({ seed_document: '000', dataset_id: 'breast-cancer' })
    expect(s1.config).toMatchObject({ optimizer: { name: 'sgd', learning_rate: 0.005 }, schedule: { kind: 'time_decay', decay: 0.001 }, budget: { kind: 'steps', steps: 30000 }, batch_size: 100, loss: 'binary_crossentropy', validation: { kind: 'none' } })
    expect(s1.spec.layers.map((l) => l.config.kernel_initializer)).toEqual([{ class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }, { class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }])
    expect(inferShapes(s1.spec).layers.map((l) => l.output_shape)).toEqual([[20], [1]])
    expect(byId('S2')).toMatchObject({ dataset_id: 'mnist-raw-6k', config: { optimizer: { learning_rate: 0.1 }, budget: { kind: 'steps', steps: 20000 }, batch_size: 100, loss: 'categorical_crossentropy' } })
    expect(byId('S3').spec.layers.map((l) => l.class_name)).toEqual(['Dropout', 'Dense', 'Activation', 'Dropout', 'Dense', 'Activation'])
    expect(byId('S3')).toMatchObject({ dataset_id: 'mnist-raw', config: { schedule: { kind: 'time_decay', decay: 1e-6 }, budget: { kind: 'epochs', epochs: 100 } } })
    expect(byId('S4')).toMatchObject({ dataset_id: 'mnist', config: { optimizer: { name: 'sgd', learning_rate: 0.01 }, batch_size: 128, budget: { epochs: 5 } } })
    expect(byId('S5')).toMatchObject({ dataset_id: 'mnist', config: { optimizer: { name: 'rmsprop', learning_rate: 0.001, rho: 0.9, epsilon: 1e-8 }, batch_size: 32, budget: { kind: 'epochs', epochs: 2 } } })
    expect(byId('S5').spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Activation', 'Dense', 'Activation'])
    expect(byId('S6')).toMatchObject({ dataset_id: 'random-binary', spec: { input_shape: [100] }, config: { loss: 'binary_crossentropy', batch_size: 32, budget: { epochs: 10 }, evaluate_test: true } })
    expect(byId('S7')).toMatchObject({ dataset_id: 'linear-2x', config: { loss: 'mean_squared_error', batch_size: 4, budget: { epochs: 100 } } })
  })

  it('S7 is seed 004: 6 + 4 = 10 parameters, and the seed weights fit its layers', () => {
    const s7 = byId('S7')
    expect(inferShapes(s7.spec).total_params).toBe(10)
    expect(summaryText(s7.spec)).toContain('Total params: 10')
    const withWeights = structuredClone(s7.spec)
    withWeights.layers.forEach((layer, i) => (layer.weights = SEED_004_INITIAL_WEIGHTS[i]))
    expect(validateSpec(withWeights).ok).toBe(true)
  })

  it('gives every experiment a reported figure and a floor the reproduce command can print', () => {
    for (const [id, target] of Object.entries({ ...SEED_TARGETS, ...TEMPLATE_TARGETS })) {
      expect(target.reported.length, id).toBeGreaterThan(0)
      expect(target.floor_text.length, id).toBeGreaterThan(0)
      if (target.compare !== 'custom') expect(target.run_metric, id).toBe('test_acc')
    }
    expect(SEED_TARGETS.S5).toMatchObject({ floor: 0.935, compare: 'gte' })
    expect(SEED_TARGETS.S7).toMatchObject({ floor: 10, compare: 'custom' })
  })
})
