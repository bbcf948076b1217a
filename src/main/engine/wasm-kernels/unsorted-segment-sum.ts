// UnsortedSegmentSum for the wasm backend, which has none in tfjs-backend-wasm 4.22: it is the
// gradient of Gather, so without it an Embedding layer cannot train on wasm (and the cpu
// backend's version builds one masked tensor per segment: O(segments × rows), about 0.3 s a step
// for a 50-word vocabulary and batches of 32 sentences of 16 ids).
//
// With x [s0 … s(k−1), inner…] and segmentIds [s0 … s(k−1)] (int32), the output is
// [numSegments, inner…] with out[s] = Σ over the positions p with segmentIds[p] = s of x[p]; ids
// outside 0 … numSegments − 1 are dropped, as TensorFlow does. One pass over x on the host.
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs'
import type { KernelArgs } from './kernel-types'

/** What this kernel needs of the wasm backend: copies of its inputs and an output on the heap. */
interface WasmHeapBackend {
  readSync(dataId: TensorInfo['dataId']): ArrayLike<number>
  makeOutput(shape: number[], dtype: TensorInfo['dtype']): TensorInfo
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array
}

export function unsortedSegmentSumKernel(): KernelConfig {
  return {
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
      const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo }
      const numSegments = Number(attrs?.numSegments)
      const wasm = backend as unknown as WasmHeapBackend
      const idRank = segmentIds.shape.length
      if (x.shape.slice(0, idRank).some((size, axis) => size !== segmentIds.shape[axis])) {
        throw new Error(`UnsortedSegmentSum: segmentIds of shape [${segmentIds.shape.join(', ')}] do not match the leading axes of x [${x.shape.join(', ')}]`)
      }
      const innerShape = x.shape.slice(idRank)
      const inner = innerShape.reduce((a, b) => a * b, 1)
      // readSync copies out of the heap, so the views stay valid when makeOutput grows it.
      const values = wasm.readSync(x.dataId)
      const ids = wasm.readSync(segmentIds.dataId)
      const out = wasm.makeOutput([numSegments, ...innerShape], x.dtype)
      const sums = wasm.typedArrayFromHeap(out)
      sums.fill(0)
      for (let position = 0; position < ids.length; position++) {
        const segment = ids[position]
        if (!(segment >= 0 && segment < numSegments)) continue
        const from = position * inner
        const to = segment * inner
        for (let j = 0; j < inner; j++) sums[to + j] += values[from + j]
      }
      return out
    }
  }
}
