// One preprocessing description per trained model, derived from its data set's descriptor: the
// raw columns in order with how each becomes model features, the one-hot vocabularies, the
// scaling constants, image scaling and the output's class names. The scaling also comes out as
// an InputScaling that exports bake in, and the app's own predict applies to raw rows.
import type { DatasetDescriptor } from '../../shared/dataset'
import { inferShapes, layerNames, specGraph, type ModelSpec } from '../../shared/model-spec'
import { inputScaling } from './from-tfjs'
import type { InputScaling, Preprocessing } from './types'

export interface ModelPreprocessing {
  preprocessing: Preprocessing
  /** model_input = (raw − offset) · scale over the flattened sample; null when the data set is used as stored. */
  scaling: InputScaling | null
}

/**
 * @param outputSize the model's last layer's units (1 for a sigmoid binary classifier or a single regression target)
 * @param loss the training loss, to tell probabilities from values
 */
export function modelPreprocessing(descriptor: DatasetDescriptor, input: { outputSize: number; classifier: boolean; threshold?: number }): ModelPreprocessing {
  const features = descriptor.feature_shape.reduce((a, b) => a * b, 1)
  const pre = descriptor.preprocessing
  let scaling: InputScaling | null = null
  if (pre.scaler) {
    scaling = inputScaling([...pre.scaler.offset], [...pre.scaler.scale])
  } else if (pre.scaling === 'divide255') {
    // Pixels are stored as 0–255 and divided on load: the model sees raw / 255.
    scaling = inputScaling(new Array<number>(features).fill(0), new Array<number>(features).fill(1 / 255))
  }
  const image = descriptor.image_shape
  const columns: Preprocessing['columns'] = []
  let at = 0
  for (const column of descriptor.columns) {
    if (column.role !== 'feature') continue
    if (column.type === 'categorical') {
      const categories = column.categories ?? []
      columns.push({ name: column.name, kind: 'categorical', categories, feature_indices: categories.map((_, i) => at + i) })
      at += categories.length
    } else {
      columns.push({ name: column.name, kind: 'numeric', feature_index: at, fill: pre.missing === 'fill' ? column.mean : null })
      at += 1
    }
  }
  const tabular = descriptor.source.kind === 'csv' || (columns.length > 0 && at === features)
  const featureNames = descriptor.feature_names ?? (tabular ? columns.flatMap((c) => (c.kind === 'numeric' ? [c.name] : c.categories.map((k) => `${c.name}=${k}`))) : [])
  const task = descriptor.task
  const preprocessing: Preprocessing = {
    format: 'model-workbench/preprocessing',
    version: 1,
    kind: image ? 'image' : tabular && columns.length > 0 && at === features ? 'table' : 'tensor',
    input_shape: [...descriptor.feature_shape],
    columns: tabular && at === features ? columns : [],
    feature_names: featureNames,
    missing: pre.missing ?? null,
    scaling: scaling ? { method: pre.scaling, offset: scaling.offset, scale: scaling.scale } : null,
    scaling_in_model: scaling !== null,
    image: image ? { height: image[0], width: image[1], channels: image[2] ?? 1, pixel_range: pre.scaling === 'divide255' ? [0, 255] : [0, 1] } : null,
    output: {
      task,
      kind: input.classifier ? 'probabilities' : 'values',
      size: input.outputSize,
      class_names: task === 'regression' ? [] : [...descriptor.classes],
      threshold: input.classifier && input.outputSize === 1 ? (input.threshold ?? 0.5) : null
    }
  }
  return { preprocessing, scaling }
}

/**
 * The preprocessing of a model trained on a data set: its output size and whether it answers probabilities come from the spec;
 * `threshold` is the run's saved decision threshold (a binary sigmoid classifier's `output.threshold`, 0.5 when absent).
 */
export function specPreprocessing(spec: ModelSpec, descriptor: DatasetDescriptor, threshold?: number | null): ModelPreprocessing {
  const outputSize = (inferShapes(spec).output_shape.at(-1) as number | null | undefined) ?? 1
  // The output layer's activation: the last listed layer of a chain, the one feeding nothing of a graph.
  const outputIndex = layerNames(spec.layers).indexOf(specGraph(spec).output)
  const activation = String(spec.layers[outputIndex]?.config.activation ?? 'linear')
  return modelPreprocessing(descriptor, { outputSize, classifier: descriptor.task !== 'regression' && (activation === 'softmax' || activation === 'sigmoid'), threshold: threshold ?? undefined })
}

/** Raw rows by column name (CSV or JSON records) → flattened raw model features, per the description. */
export function encodeRecords(pre: Preprocessing, records: Array<Record<string, unknown>>): { raw: Float32Array; errors: string[] } {
  const width = pre.input_shape.reduce((a, b) => a * b, 1)
  const raw = new Float32Array(records.length * width)
  const errors: string[] = []
  if (pre.kind !== 'table' || pre.columns.length === 0) {
    errors.push('this model takes tensors, not named columns: give rows as arrays of numbers')
    return { raw, errors }
  }
  records.forEach((record, r) => {
    const base = r * width
    for (const column of pre.columns) {
      const cell = record[column.name]
      const missing = cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')
      if (column.kind === 'numeric') {
        let value = missing ? column.fill : typeof cell === 'number' ? cell : Number(String(cell).trim())
        if (missing && value === null) {
          errors.push(`row ${r + 1}: column "${column.name}" is missing and the data set refuses missing values`)
          value = NaN
        } else if (!Number.isFinite(value)) {
          errors.push(`row ${r + 1}: column "${column.name}" is ${JSON.stringify(cell)}, not a number`)
        }
        raw[base + column.feature_index] = value ?? NaN
      } else {
        const text = missing ? null : String(cell).trim()
        const index = text === null ? -1 : column.categories.indexOf(text)
        if (text === null) errors.push(`row ${r + 1}: column "${column.name}" is missing (one of ${column.categories.map((c) => JSON.stringify(c)).join(', ')})`)
        else if (index < 0) errors.push(`row ${r + 1}: column "${column.name}" is ${JSON.stringify(text)}, not one of the categories seen in training (${column.categories.slice(0, 20).map((c) => JSON.stringify(c)).join(', ')})`)
        else raw[base + column.feature_indices[index]] = 1
      }
    }
  })
  return { raw, errors }
}
