// Our wasm kernel overrides (src/main/engine/wasm-kernels) against the cpu backend: forward
// results and gradients of matmuls in every transpose combination, of convolutions over
// shapes, strides, dilations and same/valid/explicit/numeric padding, and of a whole small CNN.
// Tolerance: max |wasm − cpu| ≤ 1e-5 · max(1, max |cpu|) over each output (float32 sums in
// another order differ by a few ulps of the largest term; a wrong index is off by O(1)).
// Also: the stock kernels conv training needs exist on wasm, unregistering restores the stock
// set, and wasm threads in Node start and give the single-thread results bit for bit.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Scalar, Tensor, Tensor4D } from '@tensorflow/tfjs'
import { selectBackend, type Tf } from '../src/main/engine/backend'
import { registerWasmKernels, STOCK_CONV_KERNELS, unregisterWasmKernels, WASM_KERNEL_SET, wasmKernelsRegistered } from '../src/main/engine/wasm-kernels'
import { createRandom } from '../src/main/engine/seeded-random'

const TOLERANCE = 1e-5

let tf: Tf

beforeAll(async () => {
  const selected = await selectBackend('wasm', { convolution: true })
  tf = selected.tf
  expect(selected.versions['wasm-kernels']).toBe(WASM_KERNEL_SET)
})

function values(shape: number[], seed: number): Float32Array {
  const random = createRandom(seed)
  const size = shape.reduce((a, b) => a * b, 1)
  return Float32Array.from({ length: size }, () => random() * 2 - 1)
}

/** Run `fn` on a backend and read its outputs back as plain arrays. */
async function on(backend: 'cpu' | 'wasm', fn: () => Tensor[]): Promise<{ shape: number[]; data: Float32Array }[]> {
  await tf.setBackend(backend)
  const outputs = tf.tidy(fn)
  const read = outputs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }))
  tf.dispose(outputs)
  return read
}

function expectClose(wasm: { shape: number[]; data: Float32Array }[], cpu: { shape: number[]; data: Float32Array }[], label: string): void {
  expect(wasm.length, label).toBe(cpu.length)
  wasm.forEach((w, i) => {
    const c = cpu[i]
    expect(w.shape, `${label} output ${i} shape`).toEqual(c.shape)
    let scale = 1
    let worst = 0
    for (let k = 0; k < c.data.length; k++) {
      scale = Math.max(scale, Math.abs(c.data[k]))
      worst = Math.max(worst, Math.abs(w.data[k] - c.data[k]))
    }
    expect(worst / scale, `${label} output ${i}: max |wasm − cpu| / max(1, max |cpu|)`).toBeLessThanOrEqual(TOLERANCE)
  })
}

async function compare(label: string, fn: () => Tensor[]): Promise<void> {
  expect(wasmKernelsRegistered(tf)).toBe(true)
  const cpu = await on('cpu', fn)
  const wasm = await on('wasm', fn)
  expectClose(wasm, cpu, label)
}

describe('wasm kernel set', () => {
  it('has the stock kernels convolutional training needs, and ours for the rest', () => {
    for (const name of STOCK_CONV_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined()
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
  })

  it('unregisters back to the stock set and registers again', async () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm')
    unregisterWasmKernels(tf)
    expect(wasmKernelsRegistered(tf)).toBe(false)
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined()
    const stock = tf.getKernel('BatchMatMul', 'wasm')
    expect(stock).toBeDefined()
    expect(stock).not.toBe(ours)
    // The stock kernel still computes the transposed product (slowly): same numbers as ours.
    const a = values([64, 48], 1)
    const b = values([32, 64], 2)
    const product = () => [tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [32, 64]), true, true)]
    const stockResult = await on('wasm', product)
    registerWasmKernels(tf)
    registerWasmKernels(tf) // idempotent: does not wrap itself
    expect(wasmKernelsRegistered(tf)).toBe(true)
    expectClose(await on('wasm', product), stockResult, 'ours vs stock')
  })
})

describe('BatchMatMul and _FusedMatMul with transposes', () => {
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [128, 784], b: [128, 512], ta: true, tb: false }, // Dense dW = Xᵀ·dY
    { a: [128, 10], b: [512, 10], ta: false, tb: true }, // Dense dX = dY·Wᵀ
    { a: [7, 5], b: [3, 7], ta: true, tb: true },
    { a: [1, 9], b: [4, 9], ta: false, tb: true }, // a size-1 axis (Transpose's no-op path)
    { a: [3, 6, 4], b: [3, 5, 6], ta: true, tb: true }, // batched
    { a: [2, 4, 6], b: [1, 5, 6], ta: false, tb: true }, // broadcast batch
    { a: [6, 4], b: [4, 3], ta: false, tb: false } // untransposed: straight to the stock kernel
  ]
  it.each(cases)('matMul a [$a] b [$b] transposeA $ta transposeB $tb', async ({ a, b, ta, tb }) => {
    const av = values(a, 3)
    const bv = values(b, 4)
    await compare('matMul', () => [tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), ta, tb)])
  })

  it('fused matMul with bias and relu, transposed both ways, and its gradients', async () => {
    const av = values([1, 20, 30], 5)
    const bv = values([1, 40, 20], 6)
    const biasV = values([40], 7)
    await compare('fused matMul', () => {
      const a = tf.tensor(av, [1, 20, 30])
      const b = tf.tensor(bv, [1, 40, 20])
      const bias = tf.tensor(biasV, [40])
      const forward = tf.fused.matMul({ a, b, transposeA: true, transposeB: true, bias, activation: 'relu' })
      const grads = tf.grads((x: Tensor, w: Tensor) => tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }).square().sum())
      const [dx, dw] = grads([tf.tensor(av, [1, 30, 20]), tf.tensor(bv, [1, 20, 40])])
      return [forward, dx, dw]
    })
  })

  it('gradients of a 784-512-10 dense network (tf.variableGrads)', async () => {
    const xv = values([32, 784], 8)
    const w1v = values([784, 64], 9)
    const w2v = values([64, 10], 10)
    await compare('dense grads', () => {
      const x = tf.tensor2d(xv, [32, 784])
      const w1 = tf.variable(tf.tensor2d(w1v, [784, 64]), true, 'w1')
      const w2 = tf.variable(tf.tensor2d(w2v, [64, 10]), true, 'w2')
      const { value, grads } = tf.variableGrads(() => tf.logSoftmax(tf.relu(x.matMul(w1).mul(0.05)).matMul(w2)).mean().neg() as Scalar, [w1, w2])
      const out = [value, grads['w1'], grads['w2']]
      w1.dispose()
      w2.dispose()
      return out
    })
  })
})

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]]
interface ConvCase { x: [number, number, number, number]; f: [number, number, number, number]; strides: number | [number, number]; pad: Pad; dilations?: number; rounding?: 'floor' | 'round' | 'ceil' }

/** dW[kh, kw, ci, co] = Σ x[n, oh·s + kh·d − top, ow·s + kw·d − left, ci] · dy[n, oh, ow, co], NHWC, as plain loops. */
function filterGradByDefinition(tfjs: Tf, x: Float32Array, xShape: number[], dy: Float32Array, f: [number, number, number, number], strides: number | [number, number], pad: Pad, dilations: number): Tensor {
  const info = tfjs.backend_util.computeConv2DInfo(xShape as [number, number, number, number], f, strides, dilations, pad)
  const [n, h, w, ci] = xShape as [number, number, number, number]
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info
  const co = f[3]
  const out = new Float32Array(f[0] * f[1] * ci * co)
  for (let kh = 0; kh < f[0]; kh++) for (let kw = 0; kw < f[1]; kw++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) {
    let sum = 0
    for (let b = 0; b < n; b++) for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
      const row = r * sh + kh * dh - info.padInfo.top
      const col = q * sw + kw * dw - info.padInfo.left
      if (row < 0 || row >= h || col < 0 || col >= w) continue
      sum += x[((b * h + row) * w + col) * ci + c] * dy[((b * oh + r) * ow + q) * co + o]
    }
    out[((kh * f[1] + kw) * ci + c) * co + o] = sum
  }
  return tfjs.tensor4d(out, f)
}

describe('Conv2DBackpropFilter', () => {
  const cases: ConvCase[] = [
    { x: [2, 8, 8, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 2], f: [3, 3, 2, 5], strides: 2, pad: 'valid' },
    { x: [4, 28, 28, 1], f: [3, 3, 1, 8], strides: 1, pad: 'valid' }, // the small CNN's first layer
    { x: [3, 7, 6, 2], f: [2, 3, 2, 3], strides: [2, 1], pad: 'same' },
    { x: [2, 10, 10, 3], f: [5, 5, 3, 2], strides: 3, pad: 'same' },
    { x: [2, 9, 8, 2], f: [3, 2, 2, 3], strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    { x: [2, 9, 9, 2], f: [3, 3, 2, 2], strides: 2, pad: 1, rounding: 'floor' }
  ]
  const dilated: ConvCase[] = [
    { x: [2, 11, 11, 2], f: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 2 },
    { x: [2, 12, 12, 2], f: [3, 3, 2, 3], strides: 1, pad: 'valid', dilations: 3 },
    { x: [2, 13, 12, 2], f: [2, 3, 2, 2], strides: 2, pad: 'valid', dilations: 2 }
  ]
  const label = (c: ConvCase) => `x [${c.x}] f [${c.f}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)} dilations ${c.dilations ?? 1}`

  it.each(cases.map((c) => [label(c), c] as const))('conv2d forward and tf.grads: %s', async (_name, c) => {
    const xv = values(c.x, 11)
    const fv = values(c.f, 12)
    await compare('conv2d', () => {
      const conv = (x: Tensor, f: Tensor) => tf.conv2d(x as Tensor4D, f as Tensor4D, c.strides, c.pad, 'NHWC', c.dilations ?? 1, c.rounding)
      const x = tf.tensor4d(xv, c.x)
      const f = tf.tensor4d(fv, c.f)
      const forward = conv(x, f)
      // A random weight per output element, so that dy is not all ones.
      const weight = tf.tensor(values(forward.shape, 13), forward.shape)
      const [dx, df] = tf.grads((a: Tensor, b: Tensor) => conv(a, b).mul(weight).sum())([x, f])
      return [forward, dx, df]
    })
  })

  // tfjs's conv2d gradient refuses dilations > 1 and the cpu kernel ignores them; ours honours
  // them when called directly: checked against the definition, summed on the host.
  it.each(dilated.map((c) => [label(c), c] as const))('dilated, against the definition: %s', async (_name, c) => {
    const xv = values(c.x, 11)
    const forwardShape = tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, c.dilations ?? 1, c.pad).outShape
    const dyv = values(forwardShape, 13)
    const wasm = await on('wasm', () => [tf.engine().runKernel<Tensor>('Conv2DBackpropFilter', { x: tf.tensor4d(xv, c.x), dy: tf.tensor(dyv, forwardShape) }, { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f, dilations: c.dilations ?? 1 })])
    const reference = await on('cpu', () => [filterGradByDefinition(tf, xv, c.x, dyv, c.f, c.strides, c.pad, c.dilations ?? 1)])
    expectClose(wasm, reference, 'dilated backprop filter')
  })

  it('NCHW input through the kernel directly', async () => {
    const xv = values([2, 3, 9, 8], 14)
    const dyv = values([2, 4, 5, 4], 15)
    await compare('conv2d NCHW backprop filter', () => [
      tf.engine().runKernel<Tensor>('Conv2DBackpropFilter', { x: tf.tensor4d(xv, [2, 3, 9, 8]), dy: tf.tensor4d(dyv, [2, 4, 5, 4]) }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] })
    ])
  })

  it('refuses a dy that does not fit the convolution', async () => {
    await tf.setBackend('wasm')
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.zeros([1, 8, 8, 1]), dy: tf.zeros([1, 7, 7, 2]) }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 2] })).toThrow(/dy has shape \[1, 7, 7, 2\] where the convolution gives \[1, 8, 8, 2\]/)
  })

  it('gradients of a small CNN (Conv2D 8 3×3 relu → MaxPool → AvgPool → Flatten → Dense 10) through the layers API', async () => {
    const xv = values([8, 28, 28, 1], 16)
    const labels = Array.from({ length: 8 }, (_, i) => i % 10)
    await compare('cnn grads', () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
          tf.layers.averagePooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
        ]
      })
      const x = tf.tensor4d(xv, [8, 28, 28, 1])
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10)
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy<Tensor, Scalar>(y, model.predict(x) as Tensor))
      const out = [value, ...Object.keys(grads).sort().map((k) => grads[k])]
      model.dispose()
      return out
    })
  })
})

describe('wasm threads in Node', () => {
  const probe = join(__dirname, 'fixtures', 'wasm-threads-probe.ts')
  const run = (threads: number): { threads: number; checksum: number[] } => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', probe, String(threads)], { encoding: 'utf8', timeout: 60_000 })
    expect(result.status, result.stderr).toBe(0)
    return JSON.parse(result.stdout.trim().split('\n').pop()!) as { threads: number; checksum: number[] }
  }

  it('starts 2 threads on this machine and gives the 1-thread results bit for bit', () => {
    const one = run(1)
    const two = run(2)
    expect(one.threads).toBe(1)
    expect(two.threads).toBe(2)
    expect(two.checksum).toEqual(one.checksum)
  }, 120_000)
})
