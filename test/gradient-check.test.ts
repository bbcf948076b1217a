// The gradient check (src/main/engine/gradient-check.ts) in-process on the cpu backend: it passes
// on seed 004's model (S7) and on an MLP classifier, fails on a layer whose back-propagation is
// deliberately wrong (its kernel's gradient ×1.5, through tf.customGrad) and names that tensor,
// and reports weights whose nudge straddles a ReLU kink instead of calling them errors.
import { beforeAll, describe, expect, it } from 'vitest'
import type * as TfjsModule from '@tensorflow/tfjs'
import type { Tensor } from '@tensorflow/tfjs'
import { selectBackend } from '../src/main/engine/backend'
import { buildModel } from '../src/main/engine/model-builder'
import { GRADIENT_TOLERANCES, gradientCheck, gradientCheckOnSplit, sampleIndices, type CheckSplit } from '../src/main/engine/gradient-check'
import { createRandom } from '../src/main/engine/seeded-random'
import { EXAMPLES, SEED_004_INITIAL_WEIGHTS } from '../src/shared/examples'
import type { ModelSpec } from '../src/shared/model-spec'

type Tf = typeof TfjsModule
let tf: Tf

beforeAll(async () => {
  tf = (await selectBackend('cpu')).tf
})

const S7 = EXAMPLES.find((example) => example.id === 'S7')!

/** Seed 004's data: x = 1..4, y = 2x. */
function linear2x(): CheckSplit {
  return { x: Float32Array.from([1, 2, 3, 4]), y: Float32Array.from([2, 4, 6, 8]), count: 4, featureShape: [1], task: 'regression', numClasses: 0, targetSize: 1 }
}

/** Three Gaussian blobs in 4 dimensions, 60 rows. */
function blobs(): CheckSplit {
  const random = createRandom(3)
  const count = 60
  const x = new Float32Array(count * 4)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    const label = i % 3
    y[i] = label
    for (let j = 0; j < 4; j++) x[i * 4 + j] = (j === label ? 2 : 0) + (random() - 0.5)
  }
  return { x, y, count, featureShape: [4], task: 'multiclass', numClasses: 3, targetSize: 1 }
}

function spec(inputShape: number[], layers: ModelSpec['layers']): ModelSpec {
  return { format: 'model-workbench/spec', version: 1, name: 'gradcheck-test', input_shape: inputShape, layers }
}

describe('gradient check', () => {
  it('passes on the S7 model (seeded initialisers, and seed 004\'s hand-set weights)', async () => {
    const model = buildModel(tf, S7.spec, { seed: S7.config.seed })
    const result = await gradientCheckOnSplit(tf, model, linear2x(), 'mean_squared_error', { seed: 1 })
    expect(result.verdict).toBe('pass')
    expect(result.tensors.map((row) => `${row.layer}/${row.weight}`)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias'])
    expect(result.tensors.map((row) => row.sampled)).toEqual([3, 3, 3, 1])
    for (const row of result.tensors) expect(row.max_rel_error!).toBeLessThan(GRADIENT_TOLERANCES.pass)
    expect(result.batch_size).toBe(4)
    model.dispose()

    const handSet = { ...S7.spec, layers: S7.spec.layers.map((layer, i) => ({ ...layer, weights: SEED_004_INITIAL_WEIGHTS[i] })) }
    const seeded = buildModel(tf, handSet, { seed: 0 })
    const again = await gradientCheckOnSplit(tf, seeded, linear2x(), 'mean_squared_error', { seed: 1 })
    expect(again.verdict).toBe('pass')
    // The loss at seed 004's weights: only unit 3 is alive (x·0.0349 then ×(−0.5426)), far from 2x.
    const expected = [1, 2, 3, 4].reduce((sum, x) => sum + (x * 0.03494298 * -0.5426246 - 2 * x) ** 2, 0) / 4
    expect(again.loss).toBeCloseTo(expected, 3)
    seeded.dispose()
  })

  it('passes on an MLP classifier (tanh + relu hidden layers, softmax, sampled big tensors)', async () => {
    const model = buildModel(tf, spec([4], [
      { class_name: 'Dense', config: { units: 32, activation: 'tanh' } },
      { class_name: 'Dense', config: { units: 16, activation: 'relu' } },
      { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
    ]), { seed: 5 })
    const progress: number[] = []
    const result = await gradientCheckOnSplit(tf, model, blobs(), 'sparse_categorical_crossentropy', { seed: 2, samplesPerTensor: 20, onProgress: (done) => progress.push(done) })
    expect(result.verdict).toBe('pass')
    expect(result.batch_size).toBe(8)
    // 4×32 and 32×16 kernels are sampled (20 each); the biases of 32 and 16 too; the last bias has 3.
    expect(result.tensors.map((row) => row.sampled)).toEqual([20, 20, 20, 16, 20, 3])
    expect(progress.at(-1)).toBe(result.compared)
    for (const row of result.tensors) if (row.verdict !== 'inconclusive') expect(row.max_rel_error!).toBeLessThan(GRADIENT_TOLERANCES.pass)
    model.dispose()
  })

  it('fails on a layer whose kernel gradient is scaled by 1.5 and names that tensor', async () => {
    // A Dense-like layer whose backward pass for the kernel is 1.5× the true one.
    class WrongGradDense extends tf.layers.Layer {
      static className = 'WrongGradDense'
      private kernel: ReturnType<TfjsModule.layers.Layer['addWeight']> | null = null
      constructor(private readonly units: number) {
        super({ name: 'wrong_grad' })
      }
      override build(inputShape: number[]): void {
        this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units], 'float32', tf.initializers.glorotUniform({ seed: 9 }))
        this.built = true
      }
      override computeOutputShape(inputShape: number[]): number[] {
        return [inputShape[0], this.units]
      }
      override call(inputs: Tensor | Tensor[]): Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs
        const matmul = tf.customGrad((...args: Array<Tensor | ((tensors: Tensor[]) => void)>) => {
          const [a, k, save] = args as [Tensor, Tensor, (tensors: Tensor[]) => void]
          save([a, k])
          return {
            value: tf.matMul(a, k),
            gradFunc: (dy: Tensor, saved: Tensor[]) => {
              const [sa, sk] = saved as TfjsModule.Tensor2D[]
              return [tf.matMul(dy, sk, false, true), tf.mul(tf.matMul(sa, dy as TfjsModule.Tensor2D, true, false), 1.5)]
            }
          }
        })
        return matmul(x, this.kernel!.read())
      }
    }
    const model = tf.sequential()
    model.add(tf.layers.dense({ units: 5, activation: 'tanh', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), name: 'hidden' }))
    model.add(new WrongGradDense(3))
    model.add(tf.layers.activation({ activation: 'softmax', name: 'probs' }))
    const result = await gradientCheckOnSplit(tf, model, blobs(), 'sparse_categorical_crossentropy', { seed: 3 })
    expect(result.verdict).toBe('fail')
    const failing = result.tensors.filter((row) => row.verdict === 'fail').map((row) => `${row.layer}/${row.weight}`)
    expect(failing).toEqual(['wrong_grad/kernel'])
    const wrong = result.tensors.find((row) => row.layer === 'wrong_grad')!
    // |1.5a − a| / 1.5|a| = 1/3 wherever the gradient stands above the noise floor.
    expect(wrong.max_rel_error!).toBeCloseTo(1 / 3, 2)
    expect(wrong.worst!.analytic / wrong.worst!.numeric).toBeCloseTo(1.5, 2)
    // The layer below gets a correct gradient through the wrong layer's (correct) input gradient.
    expect(result.tensors.filter((row) => row.layer === 'hidden').every((row) => row.verdict === 'pass')).toBe(true)
    model.dispose()
  })

  it('reports a nudge that straddles a ReLU kink as a kink and keeps it out of the verdict', async () => {
    // One relu unit with w = 1, b = -1 on x = 1: its pre-activation is exactly 0.
    const kinked = spec([1], [
      { class_name: 'Dense', config: { name: 'gate', units: 1, activation: 'relu' }, weights: [[1], [-1]] },
      { class_name: 'Dense', config: { name: 'out', units: 1, activation: 'linear' }, weights: [[2], [0.5]] }
    ])
    const data: CheckSplit = { x: Float32Array.from([1, 3]), y: Float32Array.from([0, 1]), count: 2, featureShape: [1], task: 'regression', numClasses: 0, targetSize: 1 }
    const model = buildModel(tf, kinked, { seed: 0 })
    const result = await gradientCheckOnSplit(tf, model, data, 'mean_squared_error', { seed: 1 })
    const gate = result.tensors.filter((row) => row.layer === 'gate')
    expect(gate.map((row) => row.kinks)).toEqual([1, 1])
    expect(result.kinks).toBe(2)
    expect(result.verdict).toBe('pass')

    // On the kinked row alone the bias's one-sided slopes are 0 (unit off) and 2·(pred − y)·2 = 2
    // (unit on): the central difference, 1, matches neither side. Every sample of it is a kink, so
    // the tensor has no verdict of its own.
    const batch = { x: tf.tensor2d([[1]]), y: tf.tensor2d([[0]]) }
    const raw = await gradientCheck(tf, model, batch.x, batch.y, { lossOf: (yt, yp) => tf.losses.meanSquaredError<Tensor, TfjsModule.Scalar>(yt, yp), lossName: 'mean_squared_error', seed: 1 })
    expect(raw.tensors.find((row) => row.layer === 'gate' && row.weight === 'bias')!.kinks).toBe(1)
    expect(raw.tensors.find((row) => row.layer === 'gate' && row.weight === 'bias')!.verdict).toBe('inconclusive')
    tf.dispose([batch.x, batch.y])
    // The weights are left as found.
    expect(Array.from(model.layers[0].getWeights()[1].dataSync())).toEqual([-1])
    model.dispose()
  })

  it('passes on wasm too (the backend runs train on here, with our transposed-MatMul kernels), S7 and the MLP', async () => {
    const wasm = (await selectBackend('wasm')).tf
    try {
      const s7 = buildModel(wasm, S7.spec, { seed: S7.config.seed })
      expect((await gradientCheckOnSplit(wasm, s7, linear2x(), 'mean_squared_error', { seed: 1 })).verdict).toBe('pass')
      s7.dispose()
      const mlp = buildModel(wasm, spec([4], [{ class_name: 'Dense', config: { units: 32, activation: 'tanh' } }, { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }]), { seed: 5 })
      const result = await gradientCheckOnSplit(wasm, mlp, blobs(), 'sparse_categorical_crossentropy', { seed: 2, samplesPerTensor: 20 })
      expect(result.verdict).toBe('pass')
      mlp.dispose()
    } finally {
      tf = (await selectBackend('cpu')).tf
    }
  })

  it('passes on a small CNN (Conv2D relu, MaxPooling, Dense softmax) on cpu and on wasm, whose Conv2DBackpropFilter is ours', async () => {
    const random = createRandom(8)
    const count = 16
    const images: CheckSplit = { x: Float32Array.from({ length: count * 64 }, () => random()), y: Float32Array.from({ length: count }, (_, i) => i % 3), count, featureShape: [8, 8, 1], task: 'multiclass', numClasses: 3, targetSize: 1 }
    const cnn = spec([8, 8, 1], [
      { class_name: 'Conv2D', config: { filters: 3, kernel_size: [3, 3], activation: 'relu' } },
      { class_name: 'MaxPooling2D', config: { pool_size: [2, 2] } },
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
    ])
    for (const name of ['cpu', 'wasm'] as const) {
      const backend = (await selectBackend(name)).tf
      const model = buildModel(backend, cnn, { seed: 3 })
      const result = await gradientCheckOnSplit(backend, model, images, 'sparse_categorical_crossentropy', { seed: 4, samplesPerTensor: 20 })
      expect(result.tensors.map((row) => `${row.class_name}/${row.weight}`)).toEqual(['Conv2D/kernel', 'Conv2D/bias', 'Dense/kernel', 'Dense/bias'])
      expect({ backend: name, verdict: result.verdict }).toEqual({ backend: name, verdict: 'pass' })
      model.dispose()
    }
    tf = (await selectBackend('cpu')).tf
  })

  it('samples at most the asked number of distinct indices, the same for the same seed', () => {
    const a = sampleIndices(1000, 50, createRandom(7))
    expect(new Set(a).size).toBe(50)
    expect(a.every((i) => i >= 0 && i < 1000)).toBe(true)
    expect(sampleIndices(1000, 50, createRandom(7))).toEqual(a)
    expect(sampleIndices(5, 50, createRandom(7))).toEqual([0, 1, 2, 3, 4])
  })
})
