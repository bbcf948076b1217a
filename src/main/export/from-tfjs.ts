// Turns a built tfjs model (the app's own, loaded from a run folder) into the format-neutral
// ExportModel that every exporter writes from, and computes the app's reference predictions on
// raw rows. Runs where tfjs runs (the export job's child process, tests).
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../engine/backend'
import { inferShapes, layerNames, specGraph, type ModelSpec } from '../../shared/model-spec'
import { fullConfig } from '../../shared/model-spec/registry'
import type { ExportLayer, ExportMeta, ExportModel, ExportSample, InputScaling, Preprocessing } from './types'

/** Keras's variable name from a tfjs weight name ('dense_Dense1/kernel' → 'kernel'). */
export function variableName(tfName: string): string {
  const last = tfName.split('/').pop() ?? tfName
  return last.replace(/_\d+$/, '')
}

/**
 * The spec's layers with their trained weights, in topological order (a chain: spec order), each
 * with the layers feeding it; the tfjs layers are found by name (the builder names each after its
 * spec layer). A spec InputLayer is left out: its name is MODEL_INPUT in the inbound lists.
 */
export function exportLayersFromTfjs(model: LayersModel, spec: ModelSpec): ExportLayer[] {
  const shapes = inferShapes(spec)
  const names = layerNames(spec.layers)
  const shapeAt = new Map(shapes.layers.map((shape) => [shape.index - 1, shape]))
  return specGraph(spec).nodes.map(({ index, inbound }) => {
    const layerSpec = spec.layers[index]
    let tfLayer: ReturnType<LayersModel['getLayer']>
    try {
      tfLayer = model.getLayer(names[index])
    } catch {
      throw new Error(`the saved model has no layer "${names[index]}" (layer ${index + 1}, ${layerSpec.class_name})`)
    }
    const shape = shapeAt.get(index)!
    const values = tfLayer.getWeights()
    const weights = tfLayer.weights.map((variable, w) => ({
      name: variableName(variable.originalName ?? variable.name),
      shape: [...values[w].shape],
      data: Float32Array.from(values[w].dataSync() as Float32Array)
    }))
    return {
      index,
      class_name: layerSpec.class_name,
      name: names[index],
      config: fullConfig(layerSpec, names[index]),
      spec: layerSpec,
      inbound: [...inbound],
      input_shape: shape.input_shape.filter((d): d is number => d !== null),
      input_shapes: shape.input_shapes.map((s) => s.filter((d): d is number => d !== null)),
      output_shape: shape.output_shape.filter((d): d is number => d !== null),
      weights
    }
  })
}

export function buildExportModel(input: { model: LayersModel; spec: ModelSpec; scaling: InputScaling | null; preprocessing: Preprocessing; meta: ExportMeta }): ExportModel {
  const shapes = inferShapes(input.spec)
  return {
    spec: input.spec,
    layers: exportLayersFromTfjs(input.model, input.spec),
    input_shape: [...input.spec.input_shape],
    output_shape: shapes.output_shape.filter((d): d is number => d !== null),
    scaling: input.scaling,
    preprocessing: input.preprocessing,
    meta: input.meta
  }
}

/** Applies the scaling the app trained with: model_input = (raw − offset) · scale. */
export function applyScaling(raw: Float32Array, features: number, scaling: InputScaling | null): Float32Array {
  if (!scaling) return raw
  const out = new Float32Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const f = i % features
    out[i] = (raw[i] - scaling.offset[f]) * scaling.scale[f]
  }
  return out
}

/** The app's predictions for raw rows: the reference every export must match. */
export function referenceSample(tf: Tf, model: LayersModel, spec: ModelSpec, raw: Float32Array, scaling: InputScaling | null): ExportSample {
  const features = spec.input_shape.reduce((a, b) => a * b, 1)
  const rows = raw.length / features
  const scaled = applyScaling(raw, features, scaling)
  const expected = tf.tidy(() => {
    const x = tf.tensor(scaled, [rows, ...spec.input_shape])
    const y = model.predict(x) as import('@tensorflow/tfjs').Tensor
    return y.reshape([rows, -1]).dataSync() as Float32Array
  })
  return { rows, features, outputs: expected.length / rows, raw, expected: Float32Array.from(expected) }
}

/** An InputScaling from per-feature offset and scale, marking it uniform when every feature shares them. */
export function inputScaling(offset: number[], scale: number[]): InputScaling {
  const uniform = offset.every((o) => o === offset[0]) && scale.every((s) => s === scale[0]) ? { offset: offset[0] ?? 0, scale: scale[0] ?? 1 } : null
  return { offset, scale, uniform }
}
