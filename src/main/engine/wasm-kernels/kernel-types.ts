// Shared types of our wasm kernel overrides. They only call other wasm kernels (Transpose,
// Conv2D, Slice, the stock BatchMatMul) through the kernel registry, so they need nothing of
// the backend but the ability to free the intermediate tensors they create.
import type * as TfjsModule from '@tensorflow/tfjs'
import type { DataId, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'

export type Tf = typeof TfjsModule

/** What a kernel needs of the wasm backend object it is handed. */
export interface KernelBackend {
  disposeData(dataId: DataId, force?: boolean): boolean
}

export type KernelArgs = Parameters<KernelFunc>[0]

/** Look a stock wasm kernel up; it must exist (the wasm backend registers it on import). */
export function wasmKernel(tf: Tf, name: string): KernelConfig {
  const config = tf.getKernel(name, 'wasm')
  if (!config) throw new Error(`the wasm backend has no ${name} kernel; is @tensorflow/tfjs-backend-wasm loaded?`)
  return config
}

/** Run a kernel that returns a single tensor. */
export function runSingle(kernel: KernelConfig, inputs: Record<string, TensorInfo>, backend: KernelBackend, attrs: NamedAttrMap): TensorInfo {
  const out = kernel.kernelFunc({ inputs, backend, attrs })
  if (Array.isArray(out)) throw new Error(`kernel ${kernel.kernelName} returned ${out.length} tensors where one was expected`)
  return out
}

/** Transpose through the wasm Transpose kernel. */
export function transposeWith(transpose: KernelConfig, x: TensorInfo, perm: number[], backend: KernelBackend): TensorInfo {
  return runSingle(transpose, { x }, backend, { perm })
}

/** The permutation that swaps the last two axes of a tensor of this rank. */
export function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i)
  perm[rank - 2] = rank - 1
  perm[rank - 1] = rank - 2
  return perm
}

export function release(backend: KernelBackend, ...tensors: (TensorInfo | null)[]): void {
  for (const t of tensors) if (t) backend.disposeData(t.dataId)
}
