// The webgpu rung on Dawn. Without a GPU (these machines, CI) Dawn's OpenGL ES backend runs on
// Mesa's llvmpipe when webgpu is chosen by hand: the same seeded MLP (with dropout) and a small
// CNN train on cpu, wasm and webgpu and give the same loss curves; the ladder skips a software
// adapter with the reason; a trainer child process on webgpu records the adapter and exits cleanly.
// Skipped, with the reason printed, only when Dawn finds no adapter at all (no Mesa installed).
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BackendUnavailableError, probeBackends, selectBackend, type SelectedBackend } from '../src/main/engine/backend'
import { buildModel } from '../src/main/engine/model-builder'
import { createRandom } from '../src/main/engine/seeded-random'
import { evaluateRun, startTraining, type ForkTrainer } from '../src/main/engine/supervisor'
import { trainModel, type TrainingData } from '../src/main/engine/training-loop'
import { summariseAdapter, WEBGPU_SYNC_READS } from '../src/main/engine/webgpu'
import { DatasetLibrary } from '../src/main/data'
import type { ProgressEvent } from '../src/shared/run'
import type { ModelSpec } from '../src/shared/model-spec'
import type { BackendName } from '../src/shared/training'
import { blobData, config } from './engine-fixtures'

// Dawn's adapter, chosen the way a user's "webgpu" choice does (software and the GLES fallback allowed).
const forced = await selectBackend('webgpu', { convolution: true }).then(
  (selected) => ({ ok: true as const, selected }),
  (error: Error) => ({ ok: false as const, reason: error instanceof BackendUnavailableError ? error.reason : error.message })
)
const noAdapter = !forced.ok && /found no GPU adapter|webgpu package \(Dawn\) is not installed/.test(forced.reason)
if (noAdapter) console.warn(`engine-webgpu: skipped, Dawn found no adapter: ${forced.ok ? '' : forced.reason}`)

/**
 * Float32 on different devices sums in different orders: the curves agree to about 1e-7 here
 * (cpu, wasm and llvmpipe); a step loss may differ by 1e-5 relative, which no real divergence stays under.
 */
const TOLERANCE = 1e-5

const mlpSpec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'webgpu-mlp',
  input_shape: [2],
  layers: [
    { class_name: 'Dense', config: { units: 16, activation: 'relu' } },
    { class_name: 'Dropout', config: { rate: 0.3 } },
    { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
  ]
} as ModelSpec

const cnnSpec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'webgpu-cnn',
  input_shape: [8, 8, 1],
  layers: [
    { class_name: 'Conv2D', config: { filters: 4, kernel_size: [3, 3], activation: 'relu' } },
    { class_name: 'MaxPooling2D', config: { pool_size: [2, 2] } },
    { class_name: 'Flatten', config: {} },
    { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
  ]
} as ModelSpec

/** 8×8 images of a bright row, column or diagonal with noise: three classes a small CNN separates. */
function patternData(count = 24): TrainingData {
  const random = createRandom(5)
  const x = new Float32Array(count * 64)
  const y = new Float32Array(count)
  for (let n = 0; n < count; n++) {
    const label = n % 3
    const at = 1 + Math.floor(random() * 6)
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        const on = label === 0 ? i === at : label === 1 ? j === at : i === j
        x[n * 64 + i * 8 + j] = (on ? 1 : 0) + (random() - 0.5) * 0.2
      }
    }
    y[n] = label
  }
  return { train: { x, y, count, featureShape: [8, 8, 1] }, task: 'multiclass', numClasses: 3, targetSize: 1 }
}

async function curve(backend: SelectedBackend, spec: ModelSpec, data: TrainingData): Promise<number[]> {
  const { tf } = backend
  expect(tf.getBackend()).toBe(backend.info.name)
  const model = buildModel(tf, spec, { seed: 17 })
  const outcome = await trainModel({
    tf, model, data, runId: 'webgpu-test', backend: backend.info, recordSteps: true, emit: () => {},
    config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'adam', learning_rate: 0.01 }, batch_size: 8, seed: 11, budget: { kind: 'epochs', epochs: 2 } })
  })
  expect(outcome.ended.status).toBe('finished')
  tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  model.dispose()
  return outcome.stepLosses
}

function expectSameCurve(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${label} step ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(expected[i])))
  }
}

/** The backend by name, re-selected before each curve (selecting one makes it tfjs's current backend). */
async function on(name: BackendName, convolution: boolean): Promise<SelectedBackend | null> {
  try {
    return await selectBackend(name, { convolution })
  } catch (error) {
    if (error instanceof BackendUnavailableError && name === 'wasm') return null
    throw error
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'mw-webgpu-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe.skipIf(noAdapter)('webgpu rung (Dawn)', () => {
  it('finds an adapter when chosen by hand and records its name', () => {
    if (!forced.ok) throw new Error(`webgpu chosen by hand failed: ${forced.reason}`)
    const { info, versions } = forced.selected
    expect(info).toMatchObject({ name: 'webgpu', skipped: [], forced: true })
    expect(info.adapter).toMatch(/\S/)
    expect(versions['webgpu-adapter']).toBe(info.adapter)
    expect(versions.webgpu).toMatch(/^\d+\.\d+\.\d+/)
    expect(versions['tfjs-backend-webgpu']).toBe(versions.tfjs)
  })

  it('the ladder takes webgpu only on a real GPU, and probeBackends says why not', async () => {
    if (!forced.ok) throw new Error(forced.reason)
    const software = /software/.test(forced.selected.info.adapter ?? '')
    const auto = await selectBackend('auto', { convolution: false })
    const probe = (await probeBackends()).find((b) => b.name === 'webgpu')!
    if (software) {
      expect(auto.info.name).not.toBe('webgpu')
      expect(auto.info.skipped.find((s) => s.backend === 'webgpu')?.reason).toMatch(/software renderer|found no GPU adapter/)
      expect(probe.available).toBe(false)
      expect(probe.reason).toMatch(/software renderer|found no GPU adapter/)
    } else {
      expect(auto.info.name).toBe('webgpu')
      expect(probe).toEqual({ name: 'webgpu', available: true, reason: null })
    }
  })

  it('refuses jobs that read synchronously (exports) with the reason, and dataSync says what to do', async () => {
    await expect(selectBackend('webgpu', { convolution: false, syncReads: true })).rejects.toThrow(WEBGPU_SYNC_READS)
    const auto = await selectBackend('auto', { convolution: false, syncReads: true })
    expect(auto.info.skipped.find((s) => s.backend === 'webgpu')?.reason).toBe(WEBGPU_SYNC_READS)
    const { tf } = (await on('webgpu', false))!
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]))
    expect(Array.from(await sum.data())).toEqual([4, 6])
    // Large enough to run on the device (tfjs computes tiny ops on the CPU and reads those fine).
    const ones = tf.ones([64, 64])
    const product = tf.matMul(ones, ones)
    expect(() => product.dataSync()).toThrow(/cannot read tensors synchronously in Node .*await tensor\.data\(\)/)
    expect((await product.data())[0]).toBe(64)
    tf.dispose([sum, ones, product])
  })

  it('trains the same seeded MLP with dropout to the same loss curve on cpu, wasm and webgpu', async () => {
    const data = blobData(8)
    const cpu = await curve((await on('cpu', false))!, mlpSpec, data)
    const wasm = await curve((await on('wasm', false))!, mlpSpec, data)
    const webgpu = await curve((await on('webgpu', false))!, mlpSpec, data)
    expect(cpu.length).toBe(6)
    expect(new Set(cpu).size).toBeGreaterThan(1)
    expectSameCurve(wasm, cpu, 'wasm vs cpu')
    expectSameCurve(webgpu, cpu, 'webgpu vs cpu')
  }, 60_000)

  it('trains the same small CNN to the same loss curve on cpu and webgpu (and wasm once it can)', async () => {
    const data = patternData()
    const cpu = await curve((await on('cpu', true))!, cnnSpec, data)
    const webgpu = await curve((await on('webgpu', true))!, cnnSpec, data)
    expect(cpu.length).toBe(6)
    expectSameCurve(webgpu, cpu, 'webgpu vs cpu')
    const wasm = await on('wasm', true)
    if (wasm) expectSameCurve(await curve(wasm, cnnSpec, data), cpu, 'wasm vs cpu')
    else console.warn('engine-webgpu: the CNN curve on wasm is not compared: the wasm backend refuses convolutional models')
  }, 120_000)

  it('a trainer child process on webgpu records the adapter and exits with code 0; evaluate runs there too', async () => {
    await new DatasetLibrary(dataDir).ensureBuiltin('blobs')
    let exited: Promise<{ code: number | null; signal: string | null }> = Promise.resolve({ code: null, signal: 'not started' })
    const forkWatched: ForkTrainer = (entry, args) => {
      const child = fork(entry, args, { execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
      return {
        send: (message) => void (child.connected && child.send(message as object)),
        on: ((event: 'message' | 'exit', cb: (...a: never[]) => void) => void child.on(event, cb as (...a: unknown[]) => void)),
        kill: () => void child.kill('SIGKILL')
      }
    }
    const runDir = join(dataDir, 'runs', 'webgpu-child')
    const childConfig = config({ loss: 'sparse_categorical_crossentropy', batch_size: 32, budget: { kind: 'steps', steps: 3, eval_every: 3 }, backend: 'webgpu' })
    const handle = startTraining({ runId: 'webgpu-child', dataDir, datasetId: 'blobs', runDir, spec: mlpSpec, config: childConfig }, { fork: forkWatched })
    const events: ProgressEvent[] = []
    handle.onEvent((event) => events.push(event))
    const ended = await handle.done
    expect(ended.error).toBeNull()
    expect(ended.status).toBe('finished')
    const started = events.find((e): e is Extract<ProgressEvent, { type: 'started' }> => e.type === 'started')
    expect(started?.backend).toMatchObject({ name: 'webgpu', forced: true, adapter: forced.ok ? forced.selected.info.adapter : 'none' })
    expect(started?.versions['webgpu-adapter']).toBe(started?.backend.adapter)
    // Dawn's device is destroyed on the way out: no crash, no hang after the run ends.
    expect(await exited).toEqual({ code: 0, signal: null })
    // Evaluate (another short-lived trainer) loads the saved model on webgpu: metrics and a full confusion matrix.
    const evaluation = await evaluateRun({ runDir, dataDir, datasetId: 'blobs', spec: mlpSpec, config: childConfig, split: 'test' })
    expect(evaluation.metrics.loss).toBeGreaterThan(0)
    expect(evaluation.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(evaluation.per_class!.reduce((a, c) => a + c.support, 0))
  }, 60_000)
})

describe('adapter names', () => {
  it('calls llvmpipe, lavapipe and SwiftShader software and a GPU not', () => {
    expect(summariseAdapter({ vendor: '', architecture: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6' }, 'opengles', 'compatibility')).toMatchObject({
      label: 'llvmpipe-llvm-15-0-6-256-bits (OpenGL version OpenGL ES 3.2 Mesa 22.3.6; opengles; compatibility; software)', software: true
    })
    expect(summariseAdapter({ vendor: 'mesa', architecture: '', device: 'lavapipe', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, 'default', 'core').software).toBe(true)
    expect(summariseAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'subzero', description: '' }, 'default', 'core').software).toBe(true)
    expect(summariseAdapter({ vendor: 'nvidia', architecture: 'ada-lovelace', device: '', description: 'NVIDIA GeForce RTX 4070' }, 'default', 'core')).toEqual({
      label: 'nvidia ada-lovelace (NVIDIA GeForce RTX 4070)', vendor: 'nvidia', architecture: 'ada-lovelace', device: '', description: 'NVIDIA GeForce RTX 4070', software: false, dawnBackend: 'default', featureLevel: 'core'
    })
  })
})
