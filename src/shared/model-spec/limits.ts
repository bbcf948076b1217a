// How big a model the workbench agrees to train, checked from the spec alone (shape inference
// knows every weight and activation shape) before a trainer is started, so a hostile or mistyped
// spec (10 000 layers, Dense(1e9)) is refused at once with its numbers instead of exhausting
// memory minutes later. The figures are generous for a desktop tool: a VGG-16 (138 M) is out,
// every model of the seeds (at most a few million parameters) is far inside.
import type { ShapeSummary } from './validate'

/** Layers in one spec. Checked by validateSpec itself, before any per-layer work. */
export const MAX_LAYERS = 2_000
/** Weights (trainable or not) of the whole model. */
export const MAX_PARAMS = 50_000_000
/** Bytes the weights need while training: values, gradients and up to two optimizer slots (Adam). */
export const BYTES_PER_PARAM_TRAINING = 4 * 4
/** Bytes of float32 layer outputs for one batch, forward and backward (×2), input included. */
export const MAX_ACTIVATION_BYTES = 4 * 1024 ** 3
/** Values one sample may have at any layer (input or output): past this even batch size 1 is hopeless. */
export const MAX_VALUES_PER_SAMPLE = 100_000_000

/** 12345678 → "12 345 678" (thin grouping that reads the same in every locale). */
export function groupDigits(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

/** 5368709120 → "5.0 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'more than any machine has'
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`
}

const ALIASING_LAYERS = new Set(['InputLayer', 'Flatten', 'Reshape'])

function product(shape: readonly number[]): number {
  let result = 1
  for (const d of shape) result *= d
  return result
}

export interface SpecEstimate {
  layers: number
  params: number
  /** The layer with the most parameters (1-based index among spec.layers), for the message. */
  largestLayer: { index: number; name: string; class_name: string; params: number } | null
  /** float32 values of one sample across the input and every layer output (reshapes share their input's). */
  valuesPerSample: number
  /** The largest single activation of one sample (input or a layer output). */
  widestValues: number
  /** Bytes of the weights while training (values, gradients, optimizer slots). */
  weightBytes: number
  /** Bytes of one batch's activations, forward and backward. */
  activationBytes: number
}

/** Parameters and memory of training `summary` with batches of `batchSize`. Pure arithmetic. */
export function estimateSpec(summary: ShapeSummary, batchSize: number): SpecEstimate {
  let valuesPerSample = product(summary.input_shape)
  let widestValues = valuesPerSample
  let largestLayer: SpecEstimate['largestLayer'] = null
  for (const layer of summary.layers) {
    const values = product(layer.output_shape)
    // Reshapes alias their input's memory in tfjs; every other layer writes a new tensor.
    if (!ALIASING_LAYERS.has(layer.class_name)) valuesPerSample += values
    if (values > widestValues) widestValues = values
    if (!largestLayer || layer.params > largestLayer.params) largestLayer = { index: layer.index, name: layer.name, class_name: layer.class_name, params: layer.params }
  }
  return {
    layers: summary.layers.length,
    params: summary.total_params,
    largestLayer,
    valuesPerSample,
    widestValues,
    weightBytes: summary.total_params * BYTES_PER_PARAM_TRAINING,
    activationBytes: valuesPerSample * 4 * 2 * Math.max(1, batchSize)
  }
}

/**
 * Why training this (already validated) model is refused, with its numbers and what to change;
 * null when it is within the limits.
 */
export function checkSpecLimits(summary: ShapeSummary | null | undefined, batchSize: number): string | null {
  if (!summary) return null
  const estimate = estimateSpec(summary, batchSize)
  if (estimate.layers > MAX_LAYERS) return `the model has ${groupDigits(estimate.layers)} layers, more than the ${groupDigits(MAX_LAYERS)} the workbench trains; use fewer layers`
  if (estimate.params > MAX_PARAMS) {
    const largest = estimate.largestLayer
    const where = largest ? ` (layer ${largest.index} (${largest.class_name}) "${largest.name}" alone has ${groupDigits(largest.params)})` : ''
    return `the model has ${groupDigits(estimate.params)} parameters${where}, more than the limit of ${groupDigits(MAX_PARAMS)} (training would need about ${formatBytes(estimate.weightBytes)} for the weights alone); use fewer units or filters, or pool before a Dense layer`
  }
  if (estimate.widestValues > MAX_VALUES_PER_SAMPLE) {
    return `one sample has ${groupDigits(estimate.widestValues)} values at its widest layer, more than the limit of ${groupDigits(MAX_VALUES_PER_SAMPLE)}; use smaller layers`
  }
  if (estimate.activationBytes > MAX_ACTIVATION_BYTES) {
    const perSample = estimate.activationBytes / Math.max(1, batchSize)
    const fits = Math.floor(MAX_ACTIVATION_BYTES / perSample)
    return `one batch of ${groupDigits(batchSize)} samples needs about ${formatBytes(estimate.activationBytes)} for the layers' outputs and their gradients, more than the limit of ${formatBytes(MAX_ACTIVATION_BYTES)}; ${fits >= 1 ? `use a batch size of at most ${groupDigits(fits)}` : 'use smaller layers'}`
  }
  return null
}
