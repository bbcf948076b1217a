// Our wasm UnsortedSegmentSum against the cpu backend's (the stock one): the op itself over
// ranks of x (tfjs takes 1-D ids only), dropped out-of-range ids and int32 values, and the
// gradient of an Embedding lookup.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '@tensorflow/tfjs'
import { selectBackend, type Tf } from '../backend'
import { createRandom } from '../seeded-random'

let tf: Tf

beforeAll(async () => {
  tf = (await selectBackend('wasm', { convolution: true })).tf
})

async function on(backend: 'cpu' | 'wasm', fn: () => Tensor): Promise<{ shape: number[]; data: number[] }> {
  await tf.setBackend(backend)
  const out = tf.tidy(fn)
  const read = { shape: out.shape, data: Array.from(out.dataSync()) }
  out.dispose()
  return read
}

function floats(count: number, seed: number): Float32Array {
  const random = createRandom(seed)
  return Float32Array.from({ length: count }, () => random() * 2 - 1)
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered for wasm by the backend ladder', () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined()
  })

  it.each([
    { shape: [7], segments: 4 },
    { shape: [6, 3], segments: 5 },
    { shape: [10, 4], segments: 1 },
    { shape: [4, 2, 3], segments: 6 }
  ])('sums x of shape $shape by its first axis into $segments segments as the cpu backend does', async ({ shape, segments }) => {
    const size = shape.reduce((a, b) => a * b, 1)
    const idCount = shape[0]
    const random = createRandom(idCount)
    // Some ids out of range (-1, segments): dropped on both backends.
    const ids = Int32Array.from({ length: idCount }, () => Math.floor(random() * (segments + 2)) - 1)
    const x = floats(size, size)
    const run = () => tf.unsortedSegmentSum(tf.tensor(x, shape), tf.tensor1d(ids, 'int32'), segments)
    const cpu = await on('cpu', run)
    const wasm = await on('wasm', run)
    expect(wasm.shape).toEqual([segments, ...shape.slice(1)])
    expect(wasm.shape).toEqual(cpu.shape)
    wasm.data.forEach((value, i) => expect(Math.abs(value - cpu.data[i]), `element ${i}`).toBeLessThanOrEqual(1e-6))
  })

  it('sums int32 values exactly', async () => {
    const run = () => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([2, 0, 2], 'int32'), 3)
    const wasm = await on('wasm', run)
    expect(wasm.data).toEqual([3, 4, 0, 0, 6, 8])
    expect(wasm.data).toEqual((await on('cpu', run)).data)
  })

  it('gives the gradient of an embedding lookup that the cpu backend gives', async () => {
    const table = floats(50 * 8, 3)
    const random = createRandom(9)
    const ids = Int32Array.from({ length: 32 * 16 }, () => Math.floor(random() * 50))
    const weights = floats(32 * 16 * 8, 4)
    const gradient = () => tf.grad((t: Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [32, 16], 'int32')), tf.tensor3d(weights, [32, 16, 8]))))(tf.tensor2d(table, [50, 8]))
    const cpu = await on('cpu', gradient)
    const wasm = await on('wasm', gradient)
    expect(wasm.shape).toEqual([50, 8])
    wasm.data.forEach((value, i) => expect(Math.abs(value - cpu.data[i]), `element ${i}`).toBeLessThanOrEqual(1e-5))
    // Every row got its share: the gradient is not all zeros.
    expect(wasm.data.filter((v) => v !== 0).length).toBeGreaterThan(300)
  })
})
