// The layers of a built tfjs model as the spec lists them, whatever its kind: a Sequential model's
// `layers` are the spec's, a functional one's start with an InputLayer the spec may not have (and
// follow tfjs's own topological order). Code that walks a model's layers, or needs the output of
// one of them, goes through here instead of assuming a chain.
import type { LayersModel, SymbolicTensor, Tensor } from '@tensorflow/tfjs'
import type { Tf } from './backend'

export type ModelLayer = LayersModel['layers'][number]

/** The model's layers without its input layers (a spec InputLayer included: it computes nothing). */
export function computingLayers(model: LayersModel): ModelLayer[] {
  return model.layers.filter((layer) => layer.getClassName() !== 'InputLayer')
}

/**
 * A model that shares `model`'s layers and weights and answers, for an input batch, the model's
 * output followed by the outputs of `layers` (each layer's own, in the order given), the chain's
 * or the graph's alike. Nothing to dispose: it owns no weights.
 */
export function layerOutputsModel(tf: Tf, model: LayersModel, layers: readonly ModelLayer[]): { model: LayersModel; apply: (x: Tensor, training: boolean) => { output: Tensor; layers: Tensor[] } } {
  const output = model.outputs[0]
  const extra: SymbolicTensor[] = []
  const slot = layers.map((layer) => {
    const tensor = layer.output as SymbolicTensor
    if (tensor === output) return 0
    const known = extra.indexOf(tensor)
    if (known >= 0) return known + 1
    extra.push(tensor)
    return extra.length
  })
  const probe = extra.length === 0 ? model : tf.model({ inputs: model.inputs, outputs: [output, ...extra] })
  return {
    model: probe,
    apply: (x, training) => {
      const raw = probe.apply(x, { training }) as Tensor | Tensor[]
      const all = Array.isArray(raw) ? raw : [raw]
      return { output: all[0], layers: slot.map((k) => all[k]) }
    }
  }
}
