// What a model import gives: the architecture as a spec, the weights per spec layer (when the file
// carries them), the input scaling a leading Rescaling/Normalization held, and what was dropped.
import type { ModelSpec } from '../../../shared/model-spec'
import type { InputScaling, Preprocessing } from '../types'

export type ModelImportSource = 'keras' | 'h5' | 'tfjs' | 'keras_json' | 'spec'

export interface ModelImport {
  /** What the file was: a Keras 3 .keras archive, a legacy Keras .h5, a TF.js model (model.json + weights, or our .tfjs.tar), Keras JSON (model.to_json(), no weights) or our spec JSON. */
  source: ModelImportSource
  /** The architecture in canonical form, without weights (see specWithWeights). */
  spec: ModelSpec
  /** Per spec layer, one flat row-major array per weight tensor in Keras order (the spec's `weights` field); null when the file has none. */
  weights: number[][][] | null
  /** What was dropped or reinterpreted on the way (fields the workbench does not use, the scaling layer). */
  notices: string[]
  /** The input scaling a leading Rescaling or Normalization layer applied: model_input = (raw − offset) · scale. */
  scaling: InputScaling | null
  /** preprocessing.json found beside the file (our own exports write one). */
  preprocessing?: Preprocessing
  /** keras_version the file names, when it names one. */
  keras_version: string | null
}

/** The imported spec with its weights as explicit initial weights (what buildModel and training take). */
export function specWithWeights(imported: Pick<ModelImport, 'spec' | 'weights'>): ModelSpec {
  const weights = imported.weights
  if (!weights) return imported.spec
  return { ...imported.spec, layers: imported.spec.layers.map((layer, i) => (weights[i] && weights[i].length ? { ...layer, weights: weights[i] } : { ...layer })) }
}
