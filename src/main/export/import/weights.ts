// Weights read from a file, checked against the shapes the spec gives each layer and laid out the
// way the spec's `weights` field holds them (one flat row-major array per tensor, Keras order).
import { inferShapes, type ModelSpec } from '../../../shared/model-spec'
import { WorkbenchError } from '../../services/dispatcher'

export interface ReadTensor {
  shape: number[]
  data: Float32Array
}

/** `perLayer[i]`: the tensors found for spec layer i, in Keras order. Throws naming the layer and tensor that do not fit. */
export function assignWeights(spec: ModelSpec, perLayer: ReadTensor[][], what: string): number[][][] {
  const shapes = inferShapes(spec)
  return shapes.layers.map((layer, i) => {
    const found = perLayer[i] ?? []
    const where = `${what}: layer ${i + 1} (${layer.class_name} "${layer.name}")`
    if (found.length !== layer.weights.length) {
      const expected = layer.weights.map((w) => `${w.name} ${w.shape.join('x')}`).join(', ') || 'none'
      throw new WorkbenchError('bad_input', `${where} has ${found.length} weight tensors in the file but its config needs ${layer.weights.length} (${expected}); the file's weights do not belong to its architecture`, { reason: 'model_file.weights_mismatch', details: { file: what, layer: i + 1, problem: 'count' } })
    }
    return layer.weights.map((w, t) => {
      const tensor = found[t]
      const size = w.shape.reduce((a, b) => a * b, 1)
      const same = tensor.shape.length === w.shape.length && tensor.shape.every((d, k) => d === w.shape[k])
      if (!same || tensor.data.length !== size) {
        throw new WorkbenchError('bad_input', `${where}: ${w.name} has shape (${tensor.shape.join(', ')}) in the file but the layer needs (${w.shape.join(', ')})`, { reason: 'model_file.weights_mismatch', details: { file: what, layer: i + 1, problem: 'shape' } })
      }
      for (const value of tensor.data) {
        if (!Number.isFinite(value)) throw new WorkbenchError('bad_input', `${where}: ${w.name} holds a NaN or infinite value; the weights are damaged`, { reason: 'model_file.weights_mismatch', details: { file: what, layer: i + 1, problem: 'NaN' } })
      }
      return Array.from(tensor.data)
    })
  })
}
