import { describe, expect, it } from 'vitest'
import { adaptConfigToTask, defaultConfigForTask, lossForTask, startRefusal } from './train-rules'
import type { DatasetDescriptor } from '../../../../shared/dataset'
import type { ModelSpec } from '../../../../shared/model-spec'

const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'mlp', input_shape: [784], layers: [{ class_name: 'Dense', config: { units: 10, activation: 'softmax' } }] }
const mnist = { id: 'mnist', name: 'MNIST', task: 'multiclass', feature_shape: [784] } as DatasetDescriptor
const ok = { ok: true, errors: [] }

describe('defaults from the task', () => {
  it('picks the loss the task needs', () => {
    expect(lossForTask('binary').loss).toBe('binary_crossentropy')
    expect(lossForTask('multiclass').loss).toBe('sparse_categorical_crossentropy')
    expect(lossForTask('regression')).toEqual({ loss: 'mean_squared_error', metrics: ['mae'] })
    expect(defaultConfigForTask('binary')).toMatchObject({ loss: 'binary_crossentropy', metrics: ['accuracy'], batch_size: 32 })
  })
  it('keeps a fitting loss and replaces one that does not fit', () => {
    const categorical = { ...defaultConfigForTask('multiclass'), loss: 'categorical_crossentropy' as const }
    expect(adaptConfigToTask(categorical, 'multiclass').loss).toBe('categorical_crossentropy')
    expect(adaptConfigToTask(categorical, 'regression')).toMatchObject({ loss: 'mean_squared_error', metrics: ['mae'] })
  })
})

describe('startRefusal', () => {
  it('allows a valid model on a data set of its input shape', () => {
    expect(startRefusal({ spec, validation: ok, dataset: mnist, busy: false })).toBeNull()
  })
  it('refuses an invalid model, naming the first error and its layer', () => {
    const refusal = startRefusal({ spec, validation: { ok: false, errors: [{ message: 'units must be positive', layer: 0 }] }, dataset: mnist, busy: false })
    expect(refusal).toEqual({ key: 'train.refuse.invalidSpec', params: { count: 1, message: 'units must be positive' } })
  })
  it('refuses when the input shape does not match the data set', () => {
    const refusal = startRefusal({ spec: { ...spec, input_shape: [28, 28] }, validation: ok, dataset: mnist, busy: false })
    expect(refusal).toEqual({ key: 'train.refuse.shape', params: { model: '[28, 28]', data: '[784]', dataset: 'MNIST' } })
  })
  it('refuses without a data set, without layers, or while a run trains', () => {
    expect(startRefusal({ spec, validation: ok, dataset: null, busy: false })?.key).toBe('train.refuse.noDataset')
    expect(startRefusal({ spec: { ...spec, layers: [] }, validation: ok, dataset: mnist, busy: false })?.key).toBe('train.refuse.noLayers')
    expect(startRefusal({ spec, validation: ok, dataset: mnist, busy: true })?.key).toBe('train.refuse.busy')
  })
})
