// Our kernel overrides for the tfjs wasm backend, registered by the backend ladder whenever it
// selects wasm (src/main/engine/backend.ts). Nothing in node_modules is patched: each override
// is registered with tf.registerKernel, wrapping or complementing the stock kernel, and
// unregisterWasmKernels puts the stock set back (the benchmark compares both in one process).
//
//  * BatchMatMul, _FusedMatMul: transposed operands go through XNNPACK (batch-mat-mul.ts).
//  * Conv2DBackpropFilter: missing on wasm; a forward convolution on XNNPACK (conv2d-backprop-filter.ts).
//  * UnsortedSegmentSum: missing on wasm (Embedding's gradient); one pass on the host (unsorted-segment-sum.ts).
// The other kernels convolutional models need for training are in the stock wasm set
// (Conv2D, FusedConv2D, Conv2DBackpropInput, MaxPool, MaxPoolGrad, AvgPool, AvgPoolGrad);
// test/wasm-kernels.test.ts checks that they exist and that ours match the cpu backend.
//
// Runs record WASM_KERNEL_SET in their versions: results trained on it are not bit-identical to
// runs trained on the stock kernels (float sums in another order).
import type { KernelConfig } from '@tensorflow/tfjs'
import { untransposedMatMul } from './batch-mat-mul'
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter'
import { wasmKernel, type Tf } from './kernel-types'
import { unsortedSegmentSumKernel } from './unsorted-segment-sum'

export const WASM_KERNEL_SET = 'model-workbench-2 (BatchMatMul-transposed, _FusedMatMul-transposed, Conv2DBackpropFilter, UnsortedSegmentSum)'
/** What runs record when the wasm backend trained on its stock kernels. */
export const STOCK_KERNEL_SET = 'stock'

/** Stock kernels a convolutional model needs on wasm, besides the ones this module adds. */
export const STOCK_CONV_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad'] as const

const OVERRIDDEN = ['BatchMatMul', '_FusedMatMul'] as const
const ADDED = ['Conv2DBackpropFilter', 'UnsortedSegmentSum'] as const
const ADDED_KERNELS: Record<(typeof ADDED)[number], (tf: Tf) => KernelConfig> = { Conv2DBackpropFilter: conv2dBackpropFilterKernel, UnsortedSegmentSum: () => unsortedSegmentSumKernel() }

/** The stock configs we replaced (null: the stock backend had none), kept to restore them. */
const stock = new Map<string, KernelConfig | null>()
const ours = new WeakSet<KernelConfig>()

function replace(tf: Tf, name: string, config: KernelConfig): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm')
  tf.registerKernel(config)
}

/** Whether our overrides are the registered wasm kernels now. */
export function wasmKernelsRegistered(tf: Tf): boolean {
  return [...OVERRIDDEN, ...ADDED].every((name) => {
    const config = tf.getKernel(name, 'wasm')
    return config !== undefined && ours.has(config)
  })
}

/** Register our wasm kernels (idempotent). Needs @tensorflow/tfjs-backend-wasm loaded. */
export function registerWasmKernels(tf: Tf): void {
  if (wasmKernelsRegistered(tf)) return
  const configs: KernelConfig[] = []
  for (const name of OVERRIDDEN) {
    const current = wasmKernel(tf, name)
    if (ours.has(current)) continue
    stock.set(name, current)
    configs.push(untransposedMatMul(tf, current))
  }
  for (const name of ADDED) {
    const current = tf.getKernel(name, 'wasm')
    if (current && ours.has(current)) continue
    stock.set(name, current ?? null)
    configs.push(ADDED_KERNELS[name](tf))
  }
  for (const config of configs) {
    ours.add(config)
    replace(tf, config.kernelName, config)
  }
}

/** Put the stock wasm kernels back (the benchmark's "stock kernels" figure). */
export function unregisterWasmKernels(tf: Tf): void {
  for (const [name, config] of stock) {
    const current = tf.getKernel(name, 'wasm')
    if (!current || !ours.has(current)) continue
    tf.unregisterKernel(name, 'wasm')
    if (config) tf.registerKernel(config)
  }
  stock.clear()
}

export { DEFAULT_WASM_THREADS, MAX_WASM_THREADS, prepareWasmThreads, threadedFiles } from './threads'
