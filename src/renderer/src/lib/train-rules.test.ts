import { describe, expect, it } from 'vitest'
import { adaptConfigToTask, backendProblem, chooseDataset, datasetMisfit, defaultConfigForTask, lossForTask, startRefusal } from './train-rules'
import type { DatasetDescriptor } from '../../../shared/dataset'
import type { ModelSpec } from '../../../shared/model-spec'

const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'mlp', input_shape: [784], layers: [{ class_name: 'Dense', config: { units: 10, activation: 'softmax' } }] }
const mnist = { id: 'mnist', name: 'MNIST', task: 'multiclass', feature_shape: [784], classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], target_size: 1 } as DatasetDescriptor
const iris = { id: 'iris', name: 'Iris', task: 'multiclass', feature_shape: [4], classes: ['a', 'b', 'c'], target_size: 1 } as DatasetDescriptor
const wide = { id: 'wide', name: 'Wide', task: 'binary', feature_shape: [784], classes: ['no', 'yes'], target_size: 1 } as DatasetDescriptor
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
    const refusal = startRefusal({ spec: { ...spec, input_shape: [28, 27] }, validation: ok, dataset: mnist, busy: false })
    expect(refusal).toEqual({ key: 'train.refuse.shape', params: { model: '[28, 27]', data: '[784]', dataset: 'MNIST' } })
    // The same 784 values as [28, 28]: the trainer reshapes, so Start is not refused.
    expect(startRefusal({ spec: { ...spec, input_shape: [28, 28] }, validation: ok, dataset: mnist, busy: false })).toBeNull()
  })
  it('refuses without a data set, without layers, or while a run trains', () => {
    expect(startRefusal({ spec, validation: ok, dataset: null, busy: false })?.key).toBe('train.refuse.noDataset')
    expect(startRefusal({ spec: { ...spec, layers: [] }, validation: ok, dataset: mnist, busy: false })?.key).toBe('train.refuse.noLayers')
    expect(startRefusal({ spec, validation: ok, dataset: mnist, busy: true })?.key).toBe('train.refuse.busy')
  })
})

describe('which data set fits a model', () => {
  it('names the input shape or the output size that does not fit', () => {
    expect(datasetMisfit(spec, [10], mnist)).toBeNull()
    // A same-size shape fits, as the trainer reshapes ([28, 28, 1] on 784-value rows).
    expect(datasetMisfit({ ...spec, input_shape: [28, 28, 1] }, [10], mnist)).toBeNull()
    expect(datasetMisfit({ ...spec, input_shape: [28, 28, 2] }, [10], mnist)).toMatchObject({ key: 'train.fit.shape' })
    expect(datasetMisfit(spec, [10], iris)).toEqual({ key: 'train.fit.shape', params: { model: '[784]', data: '[4]', dataset: 'Iris' } })
    expect(datasetMisfit(spec, [10], wide)).toEqual({ key: 'train.fit.outputs.binary', params: { units: 10, wanted: 1, dataset: 'Wide' } })
    expect(datasetMisfit({ ...spec, input_shape: [4] }, [10], iris)).toMatchObject({ key: 'train.fit.outputs.multiclass', params: { units: 10, wanted: 3 } })
    // output not inferable yet: only the input is judged
    expect(datasetMisfit(spec, null, wide)).toBeNull()
  })
  it('refuses Start for a misfit with what to do', () => {
    expect(startRefusal({ spec, validation: ok, dataset: wide, busy: false, outputShape: [10] })).toEqual({ key: 'train.refuse.outputs.binary', params: { units: 10, wanted: 1, dataset: 'Wide' } })
  })
  it('preselects a preferred set that fits, else the first that fits, else the preferred one', () => {
    const items = [iris, wide, mnist]
    expect(chooseDataset(spec, [10], items, ['wide', 'mnist'])).toBe('mnist')
    expect(chooseDataset(spec, [10], items, [null, 'gone'])).toBe('mnist')
    expect(chooseDataset({ ...spec, input_shape: [3] }, [10], items, ['wide'])).toBe('wide')
    expect(chooseDataset(spec, [10], [], ['wide'])).toBeNull()
  })
})

describe('backend availability', () => {
  const backends = [{ name: 'tensorflow-gpu', available: false, reason: 'tfjs-node-gpu is not installed' }, { name: 'wasm', available: true, reason: null }]
  it('refuses a backend that is not installed, with why; auto and available ones pass', () => {
    expect(backendProblem('tensorflow-gpu', backends)).toEqual({ name: 'tensorflow-gpu', reason: 'tfjs-node-gpu is not installed' })
    expect(backendProblem('wasm', backends)).toBeNull()
    expect(backendProblem('auto', backends)).toBeNull()
    const config = { ...defaultConfigForTask('multiclass'), backend: 'tensorflow-gpu' as const }
    expect(startRefusal({ spec, validation: ok, dataset: mnist, busy: false, config, backends })).toEqual({ key: 'train.refuse.backend', params: { name: 'tensorflow-gpu', reason: 'tfjs-node-gpu is not installed' } })
  })
})
