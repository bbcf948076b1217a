// Graph specs against what tfjs builds: per-layer output shapes and parameter counts of the
// functional model, and a real forward pass that equals the same sum computed by hand from the
// built layers, for skips, every merge layer, Concatenate on several axes and layers listed out of order.
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel } from '../src/main/engine/model-builder'
import { inferShapes, MODEL_INPUT, specGraph, type LayerSpec, type ModelSpec } from '../src/shared/model-spec'

const graph = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'g', input_shape: inputShape, layers })
const dense = (name: string, units: number, inbound: string[], activation = 'linear'): LayerSpec => ({ class_name: 'Dense', config: { name, units, activation }, inbound })
const merge = (class_name: string, name: string, inbound: string[], config: Record<string, unknown> = {}): LayerSpec => ({ class_name, config: { name, ...config }, inbound })

const CASES: Array<[string, ModelSpec]> = [
  ['residual MLP, two skips', graph([6], [
    dense('d1', 8, [MODEL_INPUT], 'relu'), dense('d2', 8, ['d1'], 'relu'), merge('Add', 'skip1', ['d1', 'd2']),
    dense('d3', 8, ['skip1'], 'relu'), merge('Add', 'skip2', ['skip1', 'd3']), dense('out', 1, ['skip2'], 'sigmoid')
  ])],
  ...['Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'].map((className): [string, ModelSpec] => [className, graph([5], [dense('a', 3, [MODEL_INPUT]), dense('b', 3, [MODEL_INPUT], 'tanh'), merge(className, 'm', ['a', 'b'])])]),
  ['Add of three branches', graph([4], [dense('a', 2, [MODEL_INPUT]), dense('b', 2, [MODEL_INPUT]), dense('c', 2, [MODEL_INPUT]), merge('Add', 'sum', ['a', 'b', 'c'])])],
  ['Concatenate last axis', graph([4], [dense('a', 5, [MODEL_INPUT]), dense('b', 2, [MODEL_INPUT]), merge('Concatenate', 'cat', ['a', 'b']), dense('out', 3, ['cat'])])],
  ['Concatenate axis 1 of sequences', graph([3, 4], [dense('a', 4, [MODEL_INPUT]), merge('Concatenate', 'cat', ['a', MODEL_INPUT], { axis: 1 }), { class_name: 'Flatten', config: { name: 'flat' }, inbound: ['cat'] }])],
  ['residual CNN block', graph([8, 8, 2], [
    { class_name: 'Conv2D', config: { name: 'stem', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' }, inbound: [MODEL_INPUT] },
    { class_name: 'Conv2D', config: { name: 'c1', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' }, inbound: ['stem'] },
    { class_name: 'Conv2D', config: { name: 'c2', filters: 4, kernel_size: 3, padding: 'same' }, inbound: ['c1'] },
    merge('Add', 'res', ['stem', 'c2']),
    { class_name: 'Activation', config: { name: 'relu', activation: 'relu' }, inbound: ['res'] },
    { class_name: 'Flatten', config: { name: 'flat' }, inbound: ['relu'] },
    dense('out', 3, ['flat'], 'softmax')
  ])],
  ['listed out of order, with an InputLayer', graph([4], [
    { class_name: 'InputLayer', config: { name: 'x', input_shape: [4] } },
    dense('out', 1, ['sum']), merge('Add', 'sum', ['a', 'b']), dense('a', 3, ['x']), dense('b', 3, ['a'])
  ])]
]

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('graph specs agree with the functional tfjs model', () => {
  it.each(CASES)('%s', (_name, spec) => {
    const summary = inferShapes(spec)
    const built = buildModel(tf, spec, { seed: 3 })
    for (const row of summary.layers.filter((r) => r.class_name !== 'InputLayer')) {
      const layer = built.getLayer(row.name)
      expect((layer.outputShape as (number | null)[]).slice(1), `${row.name} output shape`).toEqual(row.output_shape)
      expect(layer.countParams(), `${row.name} params`).toBe(row.params)
      // The tfjs layer is fed by exactly the layers the spec names.
      const fedBy = layer.inboundNodes[0].inboundLayers.map((l) => (l.getClassName() === 'InputLayer' ? MODEL_INPUT : l.name))
      expect(fedBy, `${row.name} inputs`).toEqual(row.inbound)
    }
    expect(built.countParams()).toBe(summary.total_params)
    expect((built.outputs[0].shape).slice(1)).toEqual(summary.output_shape)

    // A forward pass layer by layer along specGraph's order gives the model's own prediction.
    const x = tf.randomUniform([3, ...spec.input_shape], -1, 1, 'float32', 7)
    const values = new Map<string, tf.Tensor>([[MODEL_INPUT, x]])
    for (const node of specGraph(spec).nodes) {
      const inputs = node.inbound.map((name) => values.get(name)!)
      values.set(node.name, built.getLayer(node.name).apply(inputs.length > 1 ? inputs : inputs[0]) as tf.Tensor)
    }
    const byHand = values.get(specGraph(spec).output)!
    const predicted = built.predict(x) as tf.Tensor
    expect(predicted.shape).toEqual([3, ...summary.output_shape])
    expect(tf.max(tf.abs(tf.sub(predicted, byHand))).dataSync()[0]).toBeLessThan(1e-6)
    built.dispose()
  })

  it('Subtract computes the first input minus the second, as Keras does', () => {
    const spec = graph([2], [{ class_name: 'Dense', config: { name: 'a', units: 2, use_bias: false, kernel_initializer: 'ones' }, inbound: [MODEL_INPUT] }, merge('Subtract', 'diff', [MODEL_INPUT, 'a'])])
    const built = buildModel(tf, spec, { seed: 1 })
    // a = [1+2, 1+2] = [3, 3]; input - a = [1-3, 2-3]
    expect(Array.from((built.predict(tf.tensor2d([[1, 2]])) as tf.Tensor).dataSync())).toEqual([-2, -1])
  })
})
