import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel, derivedSeed } from './model-builder'
import { SpecValidationError, type LayerSpec, type ModelSpec } from '../../shared/model-spec'
import { EXAMPLES, SEED_004_INITIAL_WEIGHTS } from '../../shared/examples'

const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: inputShape, layers })
const weightsOf = (m: tf.LayersModel): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()))

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const mlp = model([6], [
  { class_name: 'Dense', config: { units: 5, activation: 'relu', bias_initializer: 'he_uniform' } },
  { class_name: 'Dropout', config: { rate: 0.5 } },
  { class_name: 'Dense', config: { units: 4, kernel_initializer: 'he_normal' } },
  { class_name: 'BatchNormalization', config: { gamma_initializer: { class_name: 'RandomNormal', config: { mean: 1, stddev: 0.1 } } } },
  { class_name: 'Dense', config: { units: 2, kernel_initializer: 'lecun_uniform', bias_initializer: { class_name: 'TruncatedNormal', config: {} } } }
])

describe('buildModel', () => {
  it('gives identical initial weights for the same seed and different ones for another seed', () => {
    const a = weightsOf(buildModel(tf, mlp, { seed: 5 }))
    const b = weightsOf(buildModel(tf, mlp, { seed: 5 }))
    const c = weightsOf(buildModel(tf, mlp, { seed: 6 }))
    expect(a).toEqual(b)
    expect(a[0]).not.toEqual(c[0])
    // Two layers of the same shape and initializer still draw different weights.
    const twin = buildModel(tf, model([3], [{ class_name: 'Dense', config: { units: 3 } }, { class_name: 'Dense', config: { units: 3 } }]), { seed: 1 })
    expect(weightsOf(twin)[0]).not.toEqual(weightsOf(twin)[2])
  })

  it('derives distinct seeds per layer and slot', () => {
    const seeds = new Set<number>()
    for (let layer = 1; layer <= 20; layer++) for (const slot of ['kernel_initializer', 'bias_initializer', 'dropout']) seeds.add(derivedSeed(42, layer, slot))
    expect(seeds.size).toBe(60)
    expect(derivedSeed(42, 1, 'kernel_initializer')).toBe(derivedSeed(42, 1, 'kernel_initializer'))
    for (const seed of seeds) expect(seed >= 0 && seed < 2 ** 31).toBe(true)
  })

  it('maps configs: activations, initializer ranges, use_bias, regularizers, trainable', () => {
    const built = buildModel(tf, model([50], [
      { class_name: 'Dense', config: { units: 40, activation: 'hard_sigmoid', kernel_initializer: { class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }, bias_initializer: { class_name: 'Constant', config: { value: 0.5 } }, kernel_regularizer: { class_name: 'L2', config: { l2: 0.1 } } } },
      { class_name: 'Dense', config: { units: 2, use_bias: false, trainable: false } }
    ]), { seed: 3 })
    const [kernel, bias, kernel2] = weightsOf(built)
    expect(Math.min(...kernel)).toBeLessThan(-0.9)
    expect(Math.max(...kernel)).toBeGreaterThan(0.9)
    expect(kernel.every((v) => v >= -1 && v <= 1)).toBe(true)
    expect(bias.every((v) => v === 0.5)).toBe(true)
    expect(built.layers[1].getWeights()).toHaveLength(1)
    expect(built.layers[1].trainable).toBe(false)
    expect(kernel2).toHaveLength(80)
    const config = built.layers[0].getConfig()
    expect(config.activation).toBe('hardSigmoid')
    // The regularizer is live: the layer's losses hold its penalty, 0.1 · Σ kernel².
    const penalty = built.layers[0].losses as unknown as Array<() => tf.Scalar>
    expect(penalty).toHaveLength(1)
    expect(penalty[0]().dataSync()[0]).toBeCloseTo(0.1 * kernel.reduce((sum, v) => sum + v * v, 0), 2)
    // hard_sigmoid(0.2x + 0.5) stays within [0, 1].
    const out = built.layers[0].apply(tf.ones([1, 50]).mul(100)) as tf.Tensor
    expect(Array.from(out.dataSync()).every((v) => v >= 0 && v <= 1)).toBe(true)
  })

  it("applies explicit initial weights (seed 004's hand-picked ones)", () => {
    const s7 = EXAMPLES.find((e) => e.id === 'S7')!
    const spec = structuredClone(s7.spec)
    spec.layers.forEach((layer, i) => (layer.weights = SEED_004_INITIAL_WEIGHTS[i]))
    const built = buildModel(tf, spec, { seed: 9 })
    const weights = weightsOf(built)
    expect(weights[0][0]).toBeCloseTo(-0.82203424, 6)
    expect(weights[2][2]).toBeCloseTo(-0.5426246, 6)
    expect(built.getWeights().map((w) => w.shape)).toEqual([[1, 3], [3], [3, 1], [1]])
    // The forward pass is the seed's own: relu(x·k + b)·w2 + b2.
    const x = 4
    const hidden = [-0.82203424, -0.9185806, 0.03494298].map((k) => Math.max(0, k * x))
    const expected = hidden[0] * 1.0692896 + hidden[1] * 0.62761235 + hidden[2] * -0.5426246
    expect((built.predict(tf.tensor2d([[x]])) as tf.Tensor).dataSync()[0]).toBeCloseTo(expected, 5)
  })

  it('keeps Dropout seeded: the same seed drops the same units in training mode', () => {
    const spec = model([200], [{ class_name: 'Dropout', config: { rate: 0.5 } }])
    const run = (seed: number): number[] => Array.from((buildModel(tf, spec, { seed }).layers[0].apply(tf.ones([1, 200]), { training: true }) as tf.Tensor).dataSync())
    expect(run(4)).toEqual(run(4))
    expect(run(4).filter((v) => v === 0).length).toBeGreaterThan(50)
  })

  it('draws a new Dropout mask at every training step (tfjs alone repeats its seeded mask), the same sequence for the same seed', () => {
    for (const layer of [{ class_name: 'Dropout', config: { rate: 0.5 } }, { class_name: 'SpatialDropout1D', config: { rate: 0.5 } }]) {
      const spec = model(layer.class_name === 'Dropout' ? [200] : [1, 200], [layer])
      const masks = (seed: number): string[] => {
        const built = buildModel(tf, spec, { seed })
        const x = tf.ones([1, ...spec.input_shape])
        return [0, 1, 2].map(() => Array.from((built.layers[0].apply(x, { training: true }) as tf.Tensor).dataSync()).map((v) => (v === 0 ? '0' : '1')).join(''))
      }
      const first = masks(4)
      expect(new Set(first).size, layer.class_name).toBe(3)
      expect(masks(4)).toEqual(first)
      // Inference drops nothing.
      const built = buildModel(tf, spec, { seed: 4 })
      expect(Array.from((built.layers[0].apply(tf.ones([1, ...spec.input_shape]), { training: false }) as tf.Tensor).dataSync()).every((v) => v === 1)).toBe(true)
    }
  })

  it('refuses an invalid spec with the validation errors', () => {
    expect(() => buildModel(tf, model([3], [{ class_name: 'Dense', config: { units: 0 } }]), { seed: 1 })).toThrow(SpecValidationError)
  })

  it('builds every shipped example with the parameter count the spec predicts', async () => {
    const { inferShapes } = await import('../../shared/model-spec')
    for (const example of EXAMPLES) {
      const built = buildModel(tf, example.spec, { seed: example.config.seed })
      expect(built.countParams(), example.id).toBe(inferShapes(example.spec).total_params)
      built.dispose()
    }
  })
})
