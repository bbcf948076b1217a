// The Distributions callback on real training: S7 (seed 004's y = 2x, Dense(3, relu) → Dense(1))
// with seed 42 has all three relu units dead after its first step and predicts a constant; the
// shipped S7 (seed 1) keeps one live unit and fits; a healthy blob classifier is not flagged.
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend, type SelectedBackend } from '../backend'
import { buildModel } from '../model-builder'
import { trainModel, type TrainingData } from '../training-loop'
import { EXAMPLES } from '../../../shared/examples'
import { BAND_PERCENTILES, DISTRIBUTION_BINS, distributionFlags, summarize, unitFlags, type DistributionEpoch } from '../../../shared/distributions'
import { Distributions, probeBatch } from './distributions'
import { config, denseModel, linearData } from '../../../../test/engine-fixtures'

const S7 = EXAMPLES.find((example) => example.id === 'S7')!
const data: TrainingData = { train: { x: Float32Array.of(1, 2, 3, 4), y: Float32Array.of(2, 4, 6, 8), count: 4, featureShape: [1] }, task: 'regression', numClasses: 0, targetSize: 1 }

async function trainS7(backend: SelectedBackend, seed: number) {
  const { tf, info } = backend
  const config = { ...S7.config, seed }
  const model = buildModel(tf, S7.spec, { seed })
  const records: DistributionEpoch[] = []
  const callback = new Distributions({ probe: probeBatch(data.train, 64, seed), record: (record) => void records.push(record), maxShare: 1 })
  const outcome = await trainModel({ tf, model, config, data, runId: 's7', backend: info, emit: () => undefined, callbacks: [callback] })
  const predicted = Array.from((await (model.predict(tf.tensor2d([5, 6], [2, 1])) as import('@tensorflow/tfjs').Tensor).data()))
  tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  model.dispose()
  return { records, predicted }
}

describe('Distributions callback', () => {
  let backend: SelectedBackend
  beforeAll(async () => {
    backend = await selectBackend('cpu')
  })

  it('flags S7 with seed 42: two relu units dead at epoch 0, the third dead after the first step, a constant prediction', async () => {
    // Our seeded initialisation gives dense_1 the kernel [-0.092, 0.005, -0.514]: units 0 and 2 are
    // never positive on x = 1…4; unit 1 is (barely) and its first update pushes it below zero for good.
    const { records, predicted } = await trainS7(backend, 42)
    expect(records.map((record) => record.epoch)).toEqual(Array.from({ length: 101 }, (_, i) => i))
    expect(records[0].layers[0]).toMatchObject({ layer: 'dense_1', activation: 'relu', units: 3, dead_units: [0, 2] })
    expect(records[1].layers[0].dead_units).toEqual([0, 1, 2])
    expect(records[100].layers[0].activations?.max).toBe(0)
    expect(distributionFlags(records)).toEqual([
      { kind: 'dead_relu', layer: 'dense_1', activation: 'relu', units: [0, 2], layer_units: 3, since_epoch: 0 },
      { kind: 'dead_relu', layer: 'dense_1', activation: 'relu', units: [1], layer_units: 3, since_epoch: 1 }
    ])
    // Dead units pass no gradient: the output is the last bias alone, the same constant 4.3 for x = 5 and 6 (issue 12).
    expect(predicted[0]).toBeCloseTo(predicted[1], 6)
    expect(predicted[0]).toBeCloseTo(4.3, 1)
  })

  it('flags the shipped S7 (seed 1) in part: two of three units dead from the start, the third fits y = 2x', async () => {
    const { records, predicted } = await trainS7(backend, 1)
    expect(distributionFlags(records)).toEqual([{ kind: 'dead_relu', layer: 'dense_1', activation: 'relu', units: [0, 1], layer_units: 3, since_epoch: 0 }])
    expect(Math.abs(predicted[0] - 10)).toBeLessThan(1.5)
    // Weights move between epoch 0 and the end; every record summarises 3 + 3 (dense_1) and 3 + 1 (dense_2) weights.
    const [start, end] = [records[0], records[records.length - 1]]
    expect(start.layers.map((layer) => layer.weights.map((weight) => weight.summary.count))).toEqual([[3, 3], [3, 1]])
    expect(end.layers[0].weights[0].summary.max).toBeGreaterThan(start.layers[0].weights[0].summary.max + 0.5)
  })

  it('keeps its cost within maxShare of the training time (past its allowance) by thinning records, and always records the last epoch', async () => {
    const { tf, info } = backend
    const model = buildModel(tf, S7.spec, { seed: 42 })
    const records: DistributionEpoch[] = []
    const callback = new Distributions({ probe: probeBatch(data.train, 64, 42), record: (record) => void records.push(record), allowanceMs: 0 })
    const outcome = await trainModel({ tf, model, config: { ...S7.config, seed: 42 }, data, runId: 's7', backend: info, emit: () => undefined, callbacks: [callback] })
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
    model.dispose()
    // One step per epoch costs about as much as a record: far fewer than 101 records, but the first and the last.
    expect(records.length).toBeLessThan(60)
    expect(records[0].epoch).toBe(0)
    expect(records[records.length - 1].epoch).toBe(100)
    expect(distributionFlags(records).flatMap((flag) => flag.units).sort()).toEqual([0, 1, 2])
  })

  it('records every layer of a small CNN (Conv2D, BatchNormalization, MaxPooling2D, Dropout, Flatten, Dense): units are channels', async () => {
    const { tf, info } = backend
    const spec = { ...S7.spec, name: 'cnn', input_shape: [6, 6, 1], layers: [
      { class_name: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'relu' } },
      { class_name: 'BatchNormalization', config: {} },
      { class_name: 'MaxPooling2D', config: { pool_size: 2 } },
      { class_name: 'Dropout', config: { rate: 0.2 } },
      { class_name: 'Flatten', config: {} },
      { class_name: 'Dense', config: { units: 2, activation: 'sigmoid' } }
    ] }
    const model = buildModel(tf, spec, { seed: 2 })
    const count = 16
    const images: TrainingData = { train: { x: Float32Array.from({ length: count * 36 }, (_, i) => ((i * 7919) % 13) / 13), y: Float32Array.from({ length: count }, (_, i) => i % 2), count, featureShape: [6, 6, 1] }, task: 'binary', numClasses: 2, targetSize: 1 }
    const records: DistributionEpoch[] = []
    const callback = new Distributions({ probe: probeBatch(images.train, 64, 2), maxShare: 1, record: (record) => void records.push(record) })
    const outcome = await trainModel({ tf, model, config: config({ loss: 'binary_crossentropy', budget: { kind: 'epochs', epochs: 2 }, batch_size: 8 }), data: images, runId: 'cnn', backend: info, emit: () => undefined, callbacks: [callback] })
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
    model.dispose()
    expect(callback.failure).toBeNull()
    expect(records).toHaveLength(3)
    const last = records[2].layers
    expect(last.map((layer) => [layer.class_name, layer.units])).toEqual([['Conv2D', 4], ['BatchNormalization', 4], ['MaxPooling2D', 4], ['Dropout', 4], ['Flatten', 16], ['Dense', 2]])
    expect(last[0].activations?.count).toBe(16 * 4 * 4 * 4) // 16 rows × 4×4 positions × 4 filters
    expect(last[1].weights.map((weight) => weight.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance'])
  })

  it('never fails the run: a sink that throws stops recording, training goes on', async () => {
    const { tf, info } = backend
    const model = buildModel(tf, S7.spec, { seed: 1 })
    let calls = 0
    const callback = new Distributions({ probe: probeBatch(data.train, 64, 1), maxShare: 1, record: () => {
      calls++
      if (calls === 3) throw new Error('disk full')
    } })
    const outcome = await trainModel({ tf, model, config: { ...S7.config, seed: 1, budget: { kind: 'epochs', epochs: 10 } }, data, runId: 's7', backend: info, emit: () => undefined, callbacks: [callback] })
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
    model.dispose()
    expect(outcome.ended.status).toBe('finished')
    expect(outcome.epochs).toHaveLength(10)
    expect(calls).toBe(3)
    expect(callback.failure).toBe('disk full')
  })

  it('does not flag a healthy run (y = 2x on [-1, 1], Dense(8, relu) → Dense(4, tanh) → Dense(1))', async () => {
    // Zero biases and inputs on both sides of 0: every relu unit starts positive on about half the rows.
    const { tf, info } = backend
    const blobs = linearData(128)
    const model = denseModel(tf, 1, [{ units: 8, activation: 'relu' }, { units: 4, activation: 'tanh' }, { units: 1, activation: 'linear' }], 3)
    const records: DistributionEpoch[] = []
    const callback = new Distributions({ probe: probeBatch(blobs.train, 64, 5), record: (record) => void records.push(record), maxShare: 1 })
    const outcome = await trainModel({ tf, model, config: config({ loss: 'mean_squared_error', budget: { kind: 'epochs', epochs: 5 }, batch_size: 16, optimizer: { name: 'sgd', learning_rate: 0.01 } }), data: blobs, runId: 'blobs', backend: info, emit: () => undefined, callbacks: [callback] })
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
    expect(records).toHaveLength(6)
    expect(records[5].layers.map((layer) => [layer.activation, layer.units])).toEqual([['relu', 8], ['tanh', 4], [null, 1]])
    expect(records[5].layers[1].activations?.count).toBe(64 * 4)
    expect(outcome.epochs[4].loss).toBeLessThan(outcome.epochs[0].loss)
    expect(distributionFlags(records)).toEqual([])
  })

  it('summarises values exactly: bins sum to the count, percentiles interpolate the sorted values', () => {
    const values = Float32Array.from({ length: 101 }, (_, i) => i)
    const summary = summarize(values.slice())
    expect(summary).toMatchObject({ count: 101, min: 0, max: 100, mean: 50 })
    expect(summary.std).toBeCloseTo(Math.sqrt(850), 6)
    expect(summary.bins).toHaveLength(DISTRIBUTION_BINS)
    expect(summary.bins.reduce((a, b) => a + b, 0)).toBe(101)
    expect(summary.percentiles).toEqual(BAND_PERCENTILES.map((p) => expect.closeTo(p, 4)))
  })

  it('flags saturated sigmoid units (≥ 99 % of rows within 1e-3 of a bound), not ones that move', () => {
    // 2 units × 100 rows: unit 0 at 0.9995 on every row, unit 1 spread over (0, 1).
    const rows = 100
    const output = new Float32Array(rows * 2)
    for (let r = 0; r < rows; r++) {
      output[2 * r] = 0.9995
      output[2 * r + 1] = (r + 0.5) / rows
    }
    expect(unitFlags(output, rows, 2, 'sigmoid')).toEqual({ dead: [], saturated: [0] })
    output[0] = 0.5 // 99 of 100 rows still saturated: flagged
    expect(unitFlags(output, rows, 2, 'sigmoid').saturated).toEqual([0])
    output[2] = 0.5 // 98 of 100: not
    expect(unitFlags(output, rows, 2, 'sigmoid').saturated).toEqual([])
    expect(unitFlags(Float32Array.of(0, 0.2, 0, 0), 2, 2, 'relu').dead).toEqual([0])
  })

  it('dates a flag by the epoch its unit died and stayed dead', () => {
    const record = (epoch: number, dead: number[]): DistributionEpoch => ({ epoch, step: epoch, layers: [{ layer: 'h', class_name: 'Dense', activation: 'relu', weights: [], activations: null, units: 4, dead_units: dead, saturated_units: [] }] })
    const flags = distributionFlags([record(0, [1]), record(1, []), record(2, [0]), record(3, [0, 1]), record(4, [0, 1])])
    expect(flags).toEqual([
      { kind: 'dead_relu', layer: 'h', activation: 'relu', units: [0], layer_units: 4, since_epoch: 2 },
      { kind: 'dead_relu', layer: 'h', activation: 'relu', units: [1], layer_units: 4, since_epoch: 3 }
    ])
  })
})

describe('summarize on a big tensor', () => {
  it('takes percentiles from a fine histogram within (max − min) / 3 000 of the sorted values', () => {
    const count = 50_000
    const values = new Float32Array(count)
    let state = 12345
    for (let i = 0; i < count; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31
      values[i] = Math.tan((state / 2 ** 31 - 0.5) * 2.8) // heavy-tailed
    }
    const summary = summarize(values.slice())
    const sorted = values.slice().sort()
    const tolerance = (summary.max - summary.min) / 3000 + 1e-6
    BAND_PERCENTILES.forEach((p, i) => expect(Math.abs(summary.percentiles[i] - sorted[Math.min(count - 1, Math.round((p / 100) * (count - 1)))])).toBeLessThan(tolerance))
    expect(summary.bins.reduce((a, b) => a + b, 0)).toBe(count)
  })
})
