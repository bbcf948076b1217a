// Which tfjs kernels training a layer needs beyond the ones every model uses (matmuls, element-wise
// ops), for the layer classes whose forward pass or gradient some backend lacks. The backend
// ladder (backend.ts selectBackend) checks them against the registered kernels of each backend it
// tries: 'auto' skips a backend without them (the run records why), a forced one is refused with
// a MissingKernelError naming the layer, the kernel and a backend that has it.
// Found by training each class on wasm (test/layer-families.test.ts): tfjs-backend-wasm 4.22 has
// no DepthwiseConv2dNativeBackpropFilter (DepthwiseConv2D, SeparableConv2D) and no
// UnsortedSegmentSum (the gradient of Embedding's gather; ours is registered, see
// wasm-kernels/unsorted-segment-sum.ts); the cpu backend has both.
import type { LayerSpec } from '../../shared/model-spec'

export interface KernelNeed {
  /** 1-based position among spec.layers. */
  layer: number
  class_name: string
  kernel: string
}

const DEPTHWISE = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
const CONVOLUTION = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']

/** Forward and gradient kernels per layer class (Conv1D runs as a 2-D convolution in tfjs). */
export const TRAINING_KERNELS: Readonly<Record<string, readonly string[]>> = {
  Conv1D: CONVOLUTION,
  Conv2D: CONVOLUTION,
  Conv2DTranspose: CONVOLUTION,
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv2D: [...DEPTHWISE, ...CONVOLUTION],
  Embedding: ['GatherV2', 'UnsortedSegmentSum']
}

/** Every kernel the spec's layers need for training, with the first layer that needs it. */
export function trainingKernelNeeds(layers: readonly LayerSpec[]): KernelNeed[] {
  const needs: KernelNeed[] = []
  const seen = new Set<string>()
  layers.forEach((layer, position) => {
    for (const kernel of TRAINING_KERNELS[layer.class_name] ?? []) {
      if (seen.has(kernel)) continue
      seen.add(kernel)
      needs.push({ layer: position + 1, class_name: layer.class_name, kernel })
    }
  })
  return needs
}

/** The first need that `backend` has no registered kernel for (null: it has them all). */
export function firstMissingKernel(tf: { getKernel: (name: string, backend: string) => unknown }, backend: string, needs: readonly KernelNeed[]): KernelNeed | null {
  return needs.find((need) => tf.getKernel(need.kernel, backend) === undefined) ?? null
}
