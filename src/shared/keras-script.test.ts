import { describe, expect, it } from 'vitest'
import { kerasScript } from './keras-script'
import { trainingConfigSchema } from './training'
import type { ModelSpec } from './spec'

const spec: ModelSpec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'mnist mlp',
  input_shape: [784],
  layers: [
    { class_name: 'Dense', config: { name: 'dense_1', units: 32, activation: 'relu', use_bias: true, kernel_initializer: { class_name: 'HeNormal', config: {} } } },
    { class_name: 'Dropout', config: { name: 'dropout_1', rate: 0.2 } },
    { class_name: 'Dense', config: { name: 'dense_2', units: 10, activation: 'softmax' } }
  ]
} as ModelSpec

describe('kerasScript', () => {
  it('rebuilds every layer with its Keras arguments and compiles with the run optimizer', () => {
    const config = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'rmsprop', learning_rate: 0.001, rho: 0.9, epsilon: 1e-8 }, metrics: ['accuracy', 'auc'], budget: { kind: 'epochs', epochs: 2 }, batch_size: 32, seed: 7 })
    const script = kerasScript(spec, config)
    expect(script).toContain('keras.utils.set_random_seed(7)')
    expect(script).toContain('model.add(keras.Input(shape=(784,)))')
    expect(script).toContain('model.add(keras.layers.Dense(units=32, activation="relu", use_bias=True, kernel_initializer=keras.initializers.deserialize({"class_name": "HeNormal", "config": {}}), name="dense_1"))')
    expect(script).toContain('model.add(keras.layers.Dropout(rate=0.2, name="dropout_1"))')
    expect(script).toContain('keras.optimizers.RMSprop(learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-8)')
    expect(script).toContain('metrics=["accuracy", "AUC"]')
    expect(script).toContain('epochs=2')
    expect(script).toContain('validation_split=0.1')
  })

  it('turns time-based decay into InverseTimeDecay and early stopping into a callback', () => {
    const config = trainingConfigSchema.parse({ loss: 'binary_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.005 }, schedule: { kind: 'time_decay', decay: 0.001 }, early_stopping: { patience: 3 }, validation: { kind: 'none' } })
    const script = kerasScript(spec, config)
    expect(script).toContain('keras.optimizers.schedules.InverseTimeDecay(0.005, decay_steps=1, decay_rate=0.001)')
    expect(script).toContain('keras.callbacks.EarlyStopping(monitor="val_loss", patience=3')
    expect(script).not.toContain('validation_split')
  })
})
