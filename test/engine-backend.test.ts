// The backend ladder here (no libtensorflow): native packages skipped with the reason, wasm
// chosen for dense and convolutional models (with our kernels); forcing an unusable backend fails; the
// optimizer's learning rate really changes when the schedule sets it.
import { describe, expect, it } from 'vitest'
import { BackendUnavailableError, probeBackends, selectBackend, wasmBinaryFolder } from '../src/main/engine/backend'
import { applyLearningRate } from '../src/main/engine/learning-rate'
import { DEFAULT_WASM_THREADS, WASM_KERNEL_SET } from '../src/main/engine/wasm-kernels'
import { createOptimizer } from '../src/main/engine/training-loop'
import { optimizerSchema, OPTIMIZER_NAMES } from '../src/shared/training'

const NOT_INSTALLED = /is not installed \(optional dependency: its install needs libtensorflow\)/

describe('backend ladder', () => {
  it('probes without loading TensorFlow', async () => {
    const probe = await probeBackends()
    expect(probe.map((b) => b.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'])
    expect(probe[0]).toMatchObject({ available: false, reason: expect.stringMatching(NOT_INSTALLED) })
    // webgpu: available with a real GPU, else the reason (no adapter, or only a software one).
    if (probe[2].available) expect(probe[2].reason).toBeNull()
    else expect(probe[2].reason).toMatch(/found no GPU adapter|software renderer|webgpu package \(Dawn\)|no Vulkan loader/)
    expect(probe[3]).toEqual({ name: 'wasm', available: true, reason: null })
    expect(wasmBinaryFolder()).toMatch(/tfjs-backend-wasm\/dist\/$/)
  })

  it('picks wasm for a dense model and says why the native ones were skipped', async () => {
    const { info, tf } = await selectBackend('auto', { convolution: false })
    expect(info.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(info.forced).toBe(false)
    // These machines have no GPU: the ladder skips webgpu (see engine-webgpu.test.ts).
    expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu'])
    expect(info.skipped[0].reason).toMatch(/^@tensorflow\/tfjs-node-gpu /)
    expect(info.skipped[1].reason).toMatch(NOT_INSTALLED)
  })

  it('picks wasm for a convolutional model too (our Conv2DBackpropFilter) and records the kernel set and threads', async () => {
    const { info, tf, versions } = await selectBackend('auto', { convolution: true })
    expect(info.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(info.skipped.map((s) => s.backend)).not.toContain('wasm')
    expect(versions['wasm-kernels']).toBe(WASM_KERNEL_SET)
    expect(versions['wasm-threads']).toBe(String(DEFAULT_WASM_THREADS))
    await expect(selectBackend('tensorflow')).rejects.toBeInstanceOf(BackendUnavailableError)
    await expect(selectBackend('tensorflow')).rejects.toThrow(/The tensorflow backend was requested but cannot be used: @tensorflow\/tfjs-node is not installed/)
    const forced = await selectBackend('cpu')
    expect(forced.info).toEqual({ name: 'cpu', skipped: [], forced: true })
  })

  it.each(OPTIMIZER_NAMES)('sets the learning rate of %s in place', async (name) => {
    const { tf } = await selectBackend('cpu')
    const optimizer = createOptimizer(tf, optimizerSchema.parse({ name, learning_rate: 0.5 }))
    applyLearningRate(optimizer, 0.125)
    expect((optimizer as unknown as { learningRate: number }).learningRate).toBe(0.125)
    if (name === 'sgd') {
      // The update really uses the new rate: w = 1, d(w²)/dw = 2 → w = 1 - 0.125 * 2.
      const w = tf.variable(tf.scalar(1))
      optimizer.minimize(() => tf.square(w).asScalar(), false, [w])
      expect(w.dataSync()[0]).toBeCloseTo(0.75, 6)
    }
    optimizer.dispose()
  })
})
