// The Keras-style `model.summary()` table of a spec, as the seeds print it.
import type { ModelSpec } from './schema'
import { inferShapes } from './validate'

const WIDTH = 65
// Keras's column stops for Sequential models (positions .45, .85, 1 of 65 characters).
const STOPS = [29, 55, 65]

function row(fields: string[]): string {
  let line = ''
  fields.forEach((field, i) => {
    line += field
    // Keras cuts a long field flush against the next column; keep one space so the columns stay readable.
    if (line.length >= STOPS[i]) line = line.slice(0, STOPS[i] - 1)
    line += ' '.repeat(STOPS[i] - line.length)
  })
  return line.trimEnd()
}

function batchShape(shape: readonly number[]): string {
  return `(None, ${shape.join(', ')})`
}

/** A Keras-like summary table: Layer (type), Output Shape, Param #, then the totals. Throws for an invalid spec. */
export function summaryText(spec: ModelSpec): string {
  const summary = inferShapes(spec)
  const rows = summary.layers.filter((layer) => layer.class_name !== 'InputLayer')
  const lines = [`Model: "${spec.name}"`, '_'.repeat(WIDTH), row(['Layer (type)', 'Output Shape', 'Param #']), '='.repeat(WIDTH)]
  rows.forEach((layer, i) => {
    lines.push(row([`${layer.name} (${layer.class_name})`, batchShape(layer.output_shape), String(layer.params)]))
    lines.push(i === rows.length - 1 ? '='.repeat(WIDTH) : '_'.repeat(WIDTH))
  })
  const count = (n: number): string => n.toLocaleString('en-US')
  lines.push(`Total params: ${count(summary.total_params)}`, `Trainable params: ${count(summary.trainable_params)}`, `Non-trainable params: ${count(summary.non_trainable_params)}`, '_'.repeat(WIDTH))
  return lines.join('\n') + '\n'
}
