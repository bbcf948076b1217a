// What every exporter gets and gives. One module per format lives in ./formats and is listed in
// ./registry.ts; the export job (./job.ts) builds an ExportModel from a run's saved weights and its
// data set's preprocessing, asks the format to write into a fresh folder, then asks it to verify
// what it wrote against the app's own predictions on held-out rows.
import type { LayerSpec, ModelSpec } from '../../shared/model-spec'
import type { TrainingConfig } from '../../shared/training'

/** One weight tensor, row-major float32, in Keras's order and layout (Dense kernel is (in, out); Conv2D kernel is (kh, kw, in, out), NHWC data). */
export interface ExportTensor {
  /** Keras's variable name: kernel, bias, gamma, beta, moving_mean, moving_variance, depthwise_kernel, … */
  name: string
  shape: number[]
  data: Float32Array
}

export interface ExportLayer {
  /** Position in spec.layers (0-based); ExportModel.layers are in topological order, which for a graph need not be this one. */
  index: number
  class_name: string
  /** The layer's name as the app's model has it (unique within the model). */
  name: string
  /** The layer's full Keras config (defaults filled in, snake_case, `name` included). */
  config: Record<string, unknown>
  spec: LayerSpec
  /** Names of the ExportLayers feeding this one, in order; MODEL_INPUT ('input') for the model input. */
  inbound: string[]
  /** Shapes without the batch axis, as inferShapes gives them (input_shape: the first input's). */
  input_shape: number[]
  /** Every input's shape, in inbound order (two or more for a merge layer). */
  input_shapes: number[][]
  output_shape: number[]
  weights: ExportTensor[]
}

/**
 * The per-feature affine step from raw inputs to what the network was trained on:
 * model_input = (raw - offset) * scale, element-wise over the flattened sample
 * (length = product of input_shape). Exports bake it in as their first op where the format can
 * hold it, so that an exported model takes RAW numeric inputs (0–255 pixels, file values).
 * `uniform` is set when every feature has the same offset and scale (images: offset 0, scale 1/255).
 */
export interface InputScaling {
  offset: number[]
  scale: number[]
  uniform: { offset: number; scale: number } | null
}

/** preprocessing.json: what turns a raw record into the exported model's input, and its output into labels. */
export interface Preprocessing {
  format: 'model-workbench/preprocessing'
  version: 1
  /** 'table' rows of named columns, or 'image' pixel arrays. */
  kind: 'table' | 'image' | 'tensor'
  input_shape: number[]
  /** For tables: the raw columns in file order with how each becomes model features. */
  columns: Array<
    | { name: string; kind: 'numeric'; feature_index: number; fill: number | null }
    | { name: string; kind: 'categorical'; categories: string[]; feature_indices: number[] }
  >
  /** Name of every model input feature after encoding (one-hot columns become `column=category`). */
  feature_names: string[]
  missing: 'drop' | 'fill' | 'refuse' | null
  /** The numeric scaling that exports bake in (see InputScaling); null when the model takes its inputs as they are. */
  scaling: { method: 'none' | 'minmax' | 'standard' | 'divide255'; offset: number[]; scale: number[] } | null
  /** Whether the exported model file already applies `scaling` (true for every format that can hold it). */
  scaling_in_model: boolean
  image: { height: number; width: number; channels: number; pixel_range: [number, number] } | null
  output: {
    task: 'binary' | 'multiclass' | 'regression'
    /** 'probabilities' (softmax or sigmoid outputs), 'values' for regression. */
    kind: 'probabilities' | 'values'
    size: number
    /** Class names in output order (binary: [negative, positive]); empty for regression. */
    class_names: string[]
    /** Threshold for a single sigmoid output. */
    threshold: number | null
  }
}

export interface ExportModel {
  spec: ModelSpec
  /** The spec's layers with their trained weights, in topological order, the output last (an InputLayer, if the spec has one, is not listed). */
  layers: ExportLayer[]
  input_shape: number[]
  output_shape: number[]
  scaling: InputScaling | null
  preprocessing: Preprocessing
  /** What the file holds, for README/metadata: run id and name, which weights and their epoch. */
  meta: ExportMeta
  /** For the formats that reproduce the run (Keras script, PyTorch job): how it was trained and on what. Absent for model-only formats. */
  training?: ExportTraining
}

/** One split as the network saw it: inputs already scaled (model_input), labels as stored (class index, or values). */
export interface ExportSplit {
  count: number
  /** count × features, row-major. */
  x: Float32Array
  /** count × target_size (class index per row for classification). */
  y: Float32Array
}

export interface ExportTraining {
  config: TrainingConfig
  seed: number
  task: 'binary' | 'multiclass' | 'regression'
  num_classes: number
  target_size: number
  /** The run's own splits; validation is the rows the run validated on (absent when it did not validate on held-out rows). */
  data: { train: ExportSplit; validation?: ExportSplit; test?: ExportSplit }
  /** The weights the run started from, when known (same layout as ExportModel.layers[i].weights). */
  initial_weights?: Array<{ index: number; weights: ExportTensor[] }>
}

export interface ExportMeta {
  run_id: string
  run_name: string
  model_name: string
  dataset_name: string
  dataset_fingerprint: string
  weights: 'best' | 'last'
  /** 1-based epoch whose weights the file holds, null when unknown. */
  epoch: number | null
  test_metrics: Record<string, number>
  app_version: string
  created_at: string
}

/** Held-out rows for verification: RAW inputs (flattened, what a user would feed the export) and the app's outputs for them. */
export interface ExportSample {
  rows: number
  features: number
  outputs: number
  /** rows × features, row-major. */
  raw: Float32Array
  /** rows × outputs, row-major: the app's (tfjs) predictions. */
  expected: Float32Array
}

export interface Verification {
  /** The independent reader that reloaded the export ('onnxruntime-node 1.30.0', 'torch 1.13.1 (python3)', …), or null when none could run. */
  verified_by: string | null
  /** max |export − app| over every output of every row; null when not verified. */
  max_abs_diff: number | null
  rows: number
  /** Why it was not verified ("python3 with torch not found"), or a remark. */
  note: string | null
}

export interface Exporter {
  /** The contract's format id. */
  id: string
  label: string
  /** What the folder holds, one short phrase each (shown in the Export panel). */
  holds: string[]
  /** Layer class names the format can write; anything else is refused with its name. */
  supports(layer: ExportLayer): boolean
  /** Why the format cannot write this layer, naming the layer and what to do; for formats that refuse on more than the class (Keras: hard_sigmoid, bilinear resizing). */
  refusal?(layer: ExportLayer): string | null
  /** Writes the export into `dir` (empty, created by the caller); returns the file names written (relative). */
  write(model: ExportModel, dir: string): Promise<string[]>
  /** Reloads what `write` put in `dir` with an independent reader and compares with sample.expected. Absent for formats without a model (metrics, spec). */
  verify?(model: ExportModel, dir: string, sample: ExportSample): Promise<Verification>
}

/** A layer the format cannot hold, or a model it cannot express: refused, never written wrong. */
export class ExportRefusal extends Error {
  constructor(
    readonly format: string,
    readonly layer: { index: number; class_name: string; name: string } | null,
    message: string
  ) {
    super(message)
    this.name = 'ExportRefusal'
  }
}

/** max |a − b| over two equally long arrays (Infinity when a value is not finite or lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let max = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (!Number.isFinite(d)) return Infinity
    if (d > max) max = d
  }
  return max
}

/** Predictions within this of the app's count as the same answers (float32 through different kernels); relative to the largest |output| when that exceeds 1 (regression values). */
export const PARITY_TOLERANCE = 1e-4
