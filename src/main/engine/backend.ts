// The backend ladder: tensorflow-gpu (tfjs-node-gpu, CUDA) → tensorflow (tfjs-node, CPU) →
// webgpu (Dawn; the ladder takes it on a real GPU only, see webgpu.ts) → wasm → cpu. Picks the
// best one that loads and can train the model, and records why each better one was skipped.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import type * as TfjsModule from '@tensorflow/tfjs'
import type { BackendInfo } from '../../shared/run'
import type { BackendChoice, BackendName } from '../../shared/training'
import { DEFAULT_WASM_THREADS, prepareWasmThreads, registerWasmKernels, WASM_KERNEL_SET } from './wasm-kernels'
import { initWebgpu, probeWebgpu, WEBGPU_SYNC_READS } from './webgpu'
import { firstMissingKernel, type KernelNeed } from './training-kernels'

export type Tf = typeof TfjsModule

/** tfjs and the wasm backend load on first use, so that importing this module (probeBackends) stays cheap. */
function loadTfjs(): Tf {
  return nodeRequire('@tensorflow/tfjs') as Tf
}

export interface BackendNeeds {
  /** The model has a convolution (every rung trains those; wasm with our Conv2DBackpropFilter). */
  convolution: boolean
  /** wasm threads (XNNPACK's pool) when this process starts the wasm backend; default DEFAULT_WASM_THREADS. */
  threads?: number
  /** The job reads tensors synchronously (dataSync: the export parity checks); webgpu cannot in Node. */
  syncReads?: boolean
  /** Kernels training the model needs (trainingKernelNeeds): a backend without one of them is skipped, or refused when forced. */
  kernels?: readonly KernelNeed[]
}

export interface SelectedBackend {
  tf: Tf
  info: BackendInfo
  /** Versions worth recording with a run (tfjs, backend, node). */
  versions: Record<string, string>
}

export class BackendUnavailableError extends Error {
  constructor(readonly backend: BackendName, readonly reason: string) {
    super(`The ${backend} backend was requested but cannot be used: ${reason}`)
    this.name = 'BackendUnavailableError'
  }
}

/** A forced backend that lacks a kernel the model needs for training (details name the layer, the kernel and a backend that has it). */
export class MissingKernelError extends BackendUnavailableError {
  constructor(readonly need: KernelNeed, backend: BackendName, readonly alternative: BackendName | null) {
    super(backend, missingKernelText(need, alternative))
    this.name = 'MissingKernelError'
  }
}

function missingKernelText(need: KernelNeed, alternative: BackendName | null): string {
  const instead = alternative ? `; the ${alternative} backend has it: choose ${alternative} (or auto)` : '; no backend here has it'
  return `it has no ${need.kernel} kernel, which training layer ${need.layer} (${need.class_name}) needs${instead}`
}

const nodeRequire = createRequire(__filename)
const LADDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']
const NATIVE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const

const notInstalled = (pkg: string): string => `${pkg} is not installed (optional dependency: its install needs libtensorflow)`

type Attempt = { ok: true; tf: Tf; adapter?: string; versions?: Record<string, string> } | { ok: false; reason: string }

/**
 * Where the wasm binaries live. The backend's own lookup uses the `__dirname` of its JS file,
 * which is wrong once that file is bundled into out/main; resolving the package works from the
 * sources and from the bundle (which keeps node_modules external). A copy next to the bundle
 * (out/main/wasm/, seen from the bundle or its chunks folder) is the fallback for a packaged app without node_modules.
 */
export function wasmBinaryFolder(): string | null {
  const candidates: string[] = []
  try {
    candidates.push(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm')))
  } catch {
    // not resolvable from here: fall through to the copy next to the bundle
  }
  candidates.push(join(__dirname, 'wasm'), join(dirname(__dirname), 'wasm'))
  const found = candidates.find((folder) => existsSync(join(folder, 'tfjs-backend-wasm-simd.wasm')))
  return found ? found + '/' : null
}

let wasmPathsSet = false
/** Threads the wasm backend started with in this process (fixed once it has started). */
let wasmThreads: { count: number; note: string | null } | null = null

async function tryNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<Attempt> {
  const pkg = NATIVE_PACKAGES[name]
  let loaded: Tf
  try {
    loaded = nodeRequire(pkg) as Tf
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'MODULE_NOT_FOUND') return { ok: false, reason: notInstalled(pkg) }
    return { ok: false, reason: `${pkg} failed to load: ${(error as Error).message}` }
  }
  try {
    if (!(await loaded.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but its backend did not initialise` }
  } catch (error) {
    return { ok: false, reason: `${pkg} loaded but its backend did not initialise: ${(error as Error).message}` }
  }
  return { ok: true, tf: loaded }
}

async function tryWasm(needs: BackendNeeds): Promise<Attempt> {
  const tfjs = loadTfjs()
  const wasmPackage = nodeRequire('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
  if (!wasmPathsSet) {
    const folder = wasmBinaryFolder()
    if (!folder) return { ok: false, reason: 'the tfjs-backend-wasm binaries (*.wasm) were not found next to the package or the bundle' }
    wasmPackage.setWasmPaths(folder)
    wasmPathsSet = true
  }
  // Threads are set up before the backend's first start in this process (see wasm-kernels/threads.ts).
  let restoreThreads: (() => void) | null = null
  let threadNote: string | null = null
  const starting = wasmThreads === null && !('wasm' in tfjs.engine().registry)
  const requested = needs.threads ?? DEFAULT_WASM_THREADS
  if (starting && requested > 1) {
    const prepared = prepareWasmThreads(tfjs, wasmPackage, requested)
    if (typeof prepared === 'string') threadNote = `1 thread: ${prepared}`
    else restoreThreads = prepared
  }
  try {
    if (!(await tfjs.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not initialise (see the log for the WebAssembly error)' }
  } catch (error) {
    return { ok: false, reason: `the wasm backend did not initialise: ${(error as Error).message}` }
  } finally {
    restoreThreads?.()
  }
  if (wasmThreads === null) wasmThreads = { count: wasmPackage.getThreadsCount(), note: threadNote }
  registerWasmKernels(tfjs)
  const versions: Record<string, string> = { 'wasm-kernels': WASM_KERNEL_SET, 'wasm-threads': String(wasmThreads.count) }
  if (wasmThreads.note) versions['wasm-threads-note'] = wasmThreads.note
  return { ok: true, tf: tfjs, versions }
}

async function tryCpu(): Promise<Attempt> {
  const tfjs = loadTfjs()
  if (!(await tfjs.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend did not initialise' }
  return { ok: true, tf: tfjs }
}

/** The ladder takes webgpu on a real GPU only; chosen by hand it may run on a software adapter. */
async function tryWebgpu(forced: boolean, needs: BackendNeeds): Promise<Attempt> {
  if (needs.syncReads) return { ok: false, reason: WEBGPU_SYNC_READS }
  const tfjs = loadTfjs()
  const result = await initWebgpu(tfjs, { allowSoftware: forced })
  return result.ok ? { ok: true, tf: tfjs, adapter: result.adapter.label, versions: result.versions } : result
}

function attempt(name: BackendName, needs: BackendNeeds, forced = false): Promise<Attempt> {
  if (name === 'tensorflow-gpu' || name === 'tensorflow') return tryNative(name)
  if (name === 'webgpu') return tryWebgpu(forced, needs)
  if (name === 'wasm') return tryWasm(needs)
  return tryCpu()
}

/**
 * Select and initialise a backend. 'auto' walks the ladder; a named backend is forced and
 * throws {@link BackendUnavailableError} with the reason when it cannot be used.
 */
export async function selectBackend(choice: BackendChoice, needs: BackendNeeds = { convolution: false }): Promise<SelectedBackend> {
  const skipped: BackendInfo['skipped'] = []
  const candidates = choice === 'auto' ? LADDER : [choice]
  for (const name of candidates) {
    const result = await attempt(name, needs, choice !== 'auto')
    const missing = result.ok ? firstMissingKernel(result.tf, name, needs.kernels ?? []) : null
    if (result.ok && missing) {
      // The first later rung (else any) whose registered kernels include it.
      const alternative = [...LADDER.slice(LADDER.indexOf(name) + 1), ...LADDER].find((other) => other !== name && result.tf.getKernel(missing.kernel, other) !== undefined) ?? null
      if (choice !== 'auto') throw new MissingKernelError(missing, name, alternative)
      skipped.push({ backend: name, reason: missingKernelText(missing, alternative) })
      continue
    }
    if (result.ok) {
      await result.tf.ready()
      return {
        tf: result.tf,
        info: { name, skipped, forced: choice !== 'auto', ...(result.adapter ? { adapter: result.adapter } : {}) },
        versions: { tfjs: result.tf.version.tfjs, backend: name, node: process.versions.node, ...result.versions }
      }
    }
    if (choice !== 'auto') throw new BackendUnavailableError(name, result.reason)
    skipped.push({ backend: name, reason: result.reason })
  }
  // cpu always initialises in practice; reaching here means even it failed.
  throw new Error(`No TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`)
}

/** Whether a model spec's layers include a convolution. */
export function specHasConvolution(layers: readonly { class_name: string }[]): boolean {
  return layers.some((layer) => /^Conv|^SeparableConv|^DepthwiseConv/.test(layer.class_name))
}

export interface BackendAvailability {
  name: BackendName
  available: boolean
  reason: string | null
}

/**
 * Which backends this machine could use, without loading TensorFlow: native packages are only
 * resolved (loading a native addon belongs in the trainer process), wasm needs its binaries;
 * webgpu is the exception: Dawn's addon loads once for a default adapter request (cached, no
 * device, no EGL change), since only Dawn can say whether a real GPU is there.
 */
export async function probeBackends(): Promise<BackendAvailability[]> {
  // webgpu: one cached adapter request (no device) tells whether the ladder would take it.
  const webgpu = await probeWebgpu()
  return LADDER.map((name): BackendAvailability => {
    if (name === 'webgpu') return { name, available: webgpu.available, reason: webgpu.reason }
    if (name === 'tensorflow-gpu' || name === 'tensorflow') {
      const pkg = NATIVE_PACKAGES[name]
      try {
        nodeRequire.resolve(pkg)
        return { name, available: true, reason: null }
      } catch {
        return { name, available: false, reason: notInstalled(pkg) }
      }
    }
    if (name === 'wasm') {
      return wasmBinaryFolder() ? { name, available: true, reason: null } : { name, available: false, reason: 'the tfjs-backend-wasm binaries (*.wasm) were not found next to the package or the bundle' }
    }
    return { name, available: true, reason: null }
  })
}
