// Conv2DBackpropFilter for the wasm backend, which has none in tfjs-backend-wasm 4.22 (so a
// convolutional model could not train on wasm at all).
//
// The filter gradient is itself a convolution, computed here by the stock wasm Conv2D kernel
// (XNNPACK). With x [N, H, W, Ci], dy [N, Ho, Wo, Co], stride s, dilation d and top/left
// padding p:
//
//   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh·d − p, ow·s + kw·d − p, ci] · dy[n, oh, ow, co]
//
// Read x' = x transposed to [Ci, H, W, N] as a batch of Ci images with N channels and
// dy' = dy transposed to [Ho, Wo, N, Co] as an Ho × Wo filter: dW' = conv(x', dy') with stride d,
// dilation s and the same top/left padding has shape [Ci, Fh, Fw, Co] (bottom/right padding is
// chosen so that exactly the rows the gradient reads exist; any extra output row or column is
// sliced off), and dW = dW' transposed to [Fh, Fw, Ci, Co]. NCHW inputs only change the
// transposes. Same, valid and explicit padding, strides, dilations and dimRoundingMode all go
// through tfjs's own computeConv2DInfo, so the geometry is the one the forward op used.
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs'
import { release, runSingle, transposeWith, wasmKernel, type KernelArgs, type KernelBackend, type Tf } from './kernel-types'

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]]
interface BackpropFilterAttrs {
  strides: [number, number] | number
  pad: Pad
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  filterShape: [number, number, number, number]
  /** Not in tfjs's attrs today (its conv2d gradient requires dilation 1); honoured when given. */
  dilations?: [number, number] | number
}

export function conv2dBackpropFilterKernel(tf: Tf): KernelConfig {
  const transpose = wasmKernel(tf, 'Transpose')
  const conv2d = wasmKernel(tf, 'Conv2D')
  const slice = wasmKernel(tf, 'Slice')
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs): TensorInfo => {
      const backend = args.backend as KernelBackend
      const x = args.inputs.x as TensorInfo
      const dy = args.inputs.dy as TensorInfo
      const attrs = args.attrs as unknown as BackpropFilterAttrs
      if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`Conv2DBackpropFilter on wasm supports float32 only (got ${x.dtype}, ${dy.dtype})`)
      const channelsLast = attrs.dataFormat !== 'NCHW'
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad,
        attrs.dimRoundingMode, false, channelsLast ? 'channelsLast' : 'channelsFirst'
      )
      const expected = info.outShape
      if (dy.shape.length !== 4 || dy.shape.some((size, i) => size !== expected[i])) {
        throw new Error(`Conv2DBackpropFilter: dy has shape [${dy.shape.join(', ')}] where the convolution gives [${expected.join(', ')}]`)
      }
      const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow, inHeight, inWidth, inChannels, outChannels } = info
      const top = info.padInfo.top
      const left = info.padInfo.left
      // Rows (columns) of the padded input the gradient reads: (F − 1)·d + (O − 1)·s + 1.
      const bottom = Math.max(0, (fh - 1) * dh + (oh - 1) * sh + 1 - top - inHeight)
      const right = Math.max(0, (fw - 1) * dw + (ow - 1) * sw + 1 - left - inWidth)
      let xT: TensorInfo | null = null
      let dyT: TensorInfo | null = null
      let conv: TensorInfo | null = null
      let cropped: TensorInfo | null = null
      try {
        xT = transposeWith(transpose, x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0], backend)
        dyT = transposeWith(transpose, dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1], backend)
        const convAttrs: NamedAttrMap = { strides: [dh, dw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC', dilations: [sh, sw] }
        conv = runSingle(conv2d, { x: xT, filter: dyT }, backend, convAttrs)
        const [, gotH, gotW] = conv.shape
        if (gotH < fh || gotW < fw) throw new Error(`Conv2DBackpropFilter: internal convolution gave ${gotH}×${gotW} for a ${fh}×${fw} filter`)
        if (gotH !== fh || gotW !== fw) cropped = runSingle(slice, { x: conv }, backend, { begin: [0, 0, 0, 0], size: [inChannels, fh, fw, outChannels] })
        return transposeWith(transpose, cropped ?? conv, [1, 2, 0, 3], backend)
      } finally {
        release(backend, xT, dyT, conv, cropped)
      }
    }
  }
}
