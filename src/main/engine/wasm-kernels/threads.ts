// Threads for tfjs-backend-wasm under Node.
//
// tfjs-backend-wasm 4.22 turns threads off in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag is
// false whenever IS_NODE), and forcing the flag fails with ERR_WORKER_PATH: the backend hands
// Emscripten's pthread pool a blob: URL for the worker script and a Blob for the main script,
// which Node's Worker cannot load. Three things make it work, all scoped to the backend's
// initialisation (nothing in node_modules is changed):
//  * a worker_threads.Worker subclass, installed as the global `Worker` Emscripten constructs,
//    that runs the worker source (shipped in the package's wasm-out/ folder) with eval: true
//    and answers the pool's 'load' message with the path of the threaded factory file instead
//    of the Blob (the worker's importScripts reads that path with fs);
//  * the WASM_HAS_MULTITHREAD_SUPPORT flag set and setThreadsCount(n);
//  * the backend caps its pool at half the logical cores (backend.cc: num_cores =
//    emscripten_num_logical_cores() / 2, read from os.cpus() when the module starts), so on a
//    2-core machine it would never use 2 threads: while the module starts, os.cpus() reports at
//    least 2·n entries.
// The threaded binary computes the same results as the single-threaded one (XNNPACK splits the
// work, not the sums), and one thread keeps the stock single-threaded binary.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import type { Tf } from './kernel-types'

const nodeRequire = createRequire(__filename)

/**
 * Threads the wasm backend starts with unless the training config says otherwise (measured on
 * the project's 2-core machines: see docs/architecture.md, "Training in its own process").
 */
export const DEFAULT_WASM_THREADS = 1
/** XNNPACK's pool is made of the 8 workers Emscripten starts; more cannot be used. */
export const MAX_WASM_THREADS = 8

export interface ThreadedFiles {
  /** The pthread worker's source (wasm-out/…worker.js exports it as a string). */
  workerSource: string
  /** The threaded Emscripten factory, which each worker loads by path. */
  factoryPath: string
}

/** The package's threaded worker source and factory, or why they cannot be used. */
export function threadedFiles(): ThreadedFiles | string {
  let packageFolder: string
  try {
    packageFolder = dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json'))
  } catch {
    return '@tensorflow/tfjs-backend-wasm could not be resolved'
  }
  const workerPath = join(packageFolder, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')
  const factoryPath = join(packageFolder, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js')
  if (!existsSync(workerPath) || !existsSync(factoryPath)) return `the threaded wasm scripts are missing from ${join(packageFolder, 'wasm-out')}`
  const loaded = nodeRequire(workerPath) as { wasmWorkerContents?: unknown }
  if (typeof loaded.wasmWorkerContents !== 'string') return `${workerPath} does not export the worker source`
  return { workerSource: loaded.wasmWorkerContents, factoryPath }
}

interface LoadMessage {
  cmd: 'load'
  urlOrBlob: unknown
}
const isLoadMessage = (message: unknown): message is LoadMessage => typeof message === 'object' && message !== null && (message as { cmd?: unknown }).cmd === 'load'

/** The Worker class Emscripten's pthread pool constructs (with a blob: URL it cannot load). */
export function pthreadWorkerClass(files: ThreadedFiles): typeof Worker {
  // The worker source arrives with real newlines inside string literals (the backend escapes
  // them the same way before making its Blob).
  const source = files.workerSource.replace(/\n/g, '\\n')
  return class PthreadWorker extends Worker {
    constructor(_url: string | URL, options?: WorkerOptions) {
      super(source, { ...options, eval: true })
    }

    override postMessage(message: unknown, transferList?: Parameters<Worker['postMessage']>[1]): void {
      if (isLoadMessage(message) && typeof message.urlOrBlob !== 'string') message = { ...message, urlOrBlob: files.factoryPath }
      super.postMessage(message, transferList)
    }
  }
}

interface WasmPackage {
  setThreadsCount(count: number): void
}

/**
 * Prepare a threaded start of the wasm backend with `count` threads: call just before
 * `tf.setBackend('wasm')` (the first one in this process) and call the returned function once
 * it has settled. Returns why threads cannot be used instead when the files are missing.
 */
export function prepareWasmThreads(tf: Tf, wasm: WasmPackage, count: number): (() => void) | string {
  const files = threadedFiles()
  if (typeof files === 'string') return files
  const PthreadWorker = pthreadWorkerClass(files)
  const previousWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker')
  const realCpus = os.cpus
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
  wasm.setThreadsCount(count)
  // Emscripten assigns global.Worker = worker_threads.Worker when it starts; the setter keeps ours.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} })
  os.cpus = () => {
    const cpus = realCpus()
    const wanted = Math.max(cpus.length, 2 * count)
    return Array.from({ length: wanted }, (_, i) => cpus[i % cpus.length])
  }
  return () => {
    os.cpus = realCpus
    if (previousWorker) Object.defineProperty(globalThis, 'Worker', previousWorker)
    else delete (globalThis as { Worker?: unknown }).Worker
  }
}
