// The generated train.py as text: the known pitfalls are gone (ints where Keras 3 wants floats,
// validation on the test set, a step budget rounded to epochs). py_compile of every example and
// running it under a stub keras are in test/export-keras-script.test.ts.
import { describe, expect, it } from 'vitest'
import { EXAMPLES } from './examples'
import { kerasScript, pyFloat } from './keras-script'
import { trainingConfigSchema } from './training'
import type { ModelSpec } from './model-spec'

const spec: ModelSpec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'mnist mlp',
  input_shape: [784],
  layers: [
    { class_name: 'Dense', config: { name: 'dense_1', units: 32, activation: 'relu', use_bias: true, kernel_initializer: { class_name: 'HeNormal', config: {} }, kernel_regularizer: { class_name: 'L2', config: { l2: 0 } } } },
    { class_name: 'Dropout', config: { name: 'dropout_1', rate: 0.2 } },
    { class_name: 'Dense', config: { units: 10, activation: 'softmax' } }
  ]
}

describe('kerasScript', () => {
  it('writes float literals where Keras wants floats', () => {
    expect([0, 1, 0.9, 1e-8, 1e21, -2].map(pyFloat)).toEqual(['0.0', '1.0', '0.9', '1e-8', '1e+21', '-2.0'])
    for (const example of EXAMPLES) {
      const script = kerasScript(example.spec, example.config)
      const optimizer = /^optimizer = (.*)$/m.exec(script)![1]
      // every numeric optimizer argument is a float literal (momentum=0.0, never momentum=0)
      for (const [, key, value] of optimizer.matchAll(/(\w+)=(-?[\d.e+-]+)\b/g)) if (key !== 'decay_steps') expect(value, `${example.id} ${key}`).toMatch(/[.e]/)
      expect(script).not.toMatch(/validation_split|validation_data=\(x_test/)
    }
  })

  it('rebuilds every layer with typed Keras arguments and compiles with the run optimizer', () => {
    const config = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'rmsprop', learning_rate: 0.001, rho: 0.9, epsilon: 1e-8 }, metrics: ['accuracy'], budget: { kind: 'epochs', epochs: 2 }, batch_size: 32, seed: 7 })
    const script = kerasScript(spec, config)
    expect(script).toContain('keras.utils.set_random_seed(SEED)')
    expect(script).toContain('SEED = 7')
    expect(script).toContain('model.add(keras.Input(shape=INPUT_SHAPE))')
    expect(script).toContain('model.add(keras.layers.Dense(units=32, activation="relu", use_bias=True, kernel_initializer=keras.initializers.HeNormal(), bias_initializer=keras.initializers.Zeros(), kernel_regularizer=keras.regularizers.L2(l2=0.0), bias_regularizer=None, name="dense_1"))')
    expect(script).toContain('model.add(keras.layers.Dropout(rate=0.2, name="dropout_1"))')
    // a layer without a name gets the one the workbench gives it
    expect(script).toContain('activation="softmax", use_bias=True, kernel_initializer=keras.initializers.GlorotUniform(), bias_initializer=keras.initializers.Zeros(), kernel_regularizer=None, bias_regularizer=None, name="dense_2")')
    expect(script).toContain('keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-8)')
    expect(script).toContain('metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")]')
    expect(script).toContain('return y.reshape(-1).astype("int32")')
    expect(script).toContain('EPOCHS = 2')
    expect(script).toContain('validation_data=(x_val, y_val)')
  })

  it('writes seed 000\'s time decay per step, a step budget exactly, early stopping on Keras names', () => {
    const s1 = EXAMPLES.find((e) => e.id === 'S1')!
    const config = trainingConfigSchema.parse({ ...s1.config, early_stopping: { monitor: 'acc', patience: 3 } })
    const script = kerasScript(s1.spec, config)
    expect(script).toContain('keras.optimizers.SGD(learning_rate=keras.optimizers.schedules.InverseTimeDecay(initial_learning_rate=0.005, decay_steps=1, decay_rate=0.001), momentum=0.0, nesterov=False)')
    expect(script).toContain('TOTAL_STEPS = 30000')
    expect(script).toContain('STEPS_PER_EPOCH = 1000')
    expect(script).toContain('epochs=math.ceil(TOTAL_STEPS / STEPS_PER_EPOCH)')
    expect(script).toContain('callbacks = [StepBudget(TOTAL_STEPS), keras.callbacks.EarlyStopping(monitor="accuracy", patience=3, min_delta=0.0, mode="max", restore_best_weights=True)]')
    expect(script).not.toContain('validation_data')
    // categorical cross-entropy: one-hot labels
    const s4 = EXAMPLES.find((e) => e.id === 'S4')!
    expect(kerasScript(s4.spec, s4.config)).toContain('keras.utils.to_categorical(y.reshape(-1).astype("int64"), NUM_CLASSES)')
  })
})
