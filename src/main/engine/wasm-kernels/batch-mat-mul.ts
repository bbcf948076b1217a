// BatchMatMul (and _FusedMatMul) with transposed operands, on XNNPACK.
//
// tfjs-backend-wasm 4.22 sends a matmul to XNNPACK only when neither operand is transposed and
// both have a batch of one (batch_mat_mul_impl.cc); anything else runs a scalar, single-threaded
// loop at 1–2 GFLOP/s against 19–29 for XNNPACK. A Dense layer's backward pass is exactly that
// case (dW = Xᵀ·dY, dX = dY·Wᵀ). This override transposes the operand first with the wasm
// Transpose kernel (a memory-bound copy) and then calls the stock kernel untransposed; batched
// products (batch > 1) go to the stock kernel as they are.
// Results equal the stock kernel's up to float summation order.
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'
import { release, swapLastTwo, transposeWith, wasmKernel, type KernelArgs, type KernelBackend, type Tf } from './kernel-types'

/** The product of the batch (leading) dimensions of a matmul operand. */
const batchOf = (t: TensorInfo): number => t.shape.slice(0, -2).reduce((n, d) => n * d, 1)

/**
 * A kernel config that wraps `stock` (the stock wasm BatchMatMul or _FusedMatMul): untransposed
 * calls go straight through; transposed ones transpose first. `setupFunc` and `disposeFunc`
 * stay the stock ones, so registering before or after the backend initialises both work.
 */
export function untransposedMatMul(tf: Tf, stock: KernelConfig): KernelConfig {
  const transpose = wasmKernel(tf, 'Transpose')
  return {
    kernelName: stock.kernelName,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args: KernelArgs) => {
      const attrs = (args.attrs ?? {}) as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean }
      if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args)
      const backend = args.backend as KernelBackend
      const a = args.inputs.a as TensorInfo
      const b = args.inputs.b as TensorInfo
      // XNNPACK also needs a batch of one on both sides; batched products stay on the stock loop,
      // which reads transposed operands in place (a copy first would only add work).
      if (batchOf(a) > 1 || batchOf(b) > 1) return stock.kernelFunc(args)
      const aT = attrs.transposeA ? transposeWith(transpose, a, swapLastTwo(a.shape.length), backend) : null
      const bT = attrs.transposeB ? transposeWith(transpose, b, swapLastTwo(b.shape.length), backend) : null
      try {
        return stock.kernelFunc({ ...args, inputs: { ...args.inputs, a: aT ?? a, b: bT ?? b }, attrs: { ...attrs, transposeA: false, transposeB: false } })
      } finally {
        release(backend, aT, bT)
      }
    }
  }
}
