// The Keras-style `model.summary()` table of a spec, as the seeds print it: a chain as Keras prints a
// Sequential model; a graph as Keras 3 prints a Functional one that is not sequential-like (its
// `print_summary` in keras/src/utils/summary_utils.py): the input layer listed too, a fourth column
// "Connected to" naming each inbound layer as `name[node][tensor]` (always [0][0] here: one node per
// layer, one output each), "-" for the input, on 108 characters with columns at .30, .56, .74.
import type { ModelSpec } from './schema'
import { inferShapes, type LayerShape } from './validate'
import { isSequentialSpec, MODEL_INPUT, specGraph } from './graph'
import { layerNames } from './registry'

const WIDTH = 65
// Keras's column stops for Sequential models (positions .45, .85, 1 of 65 characters).
const STOPS = [29, 55, 65]
const GRAPH_WIDTH = 108
// Keras 3's stops for Functional models with branches (positions .30, .56, .74, 1 of 108).
const GRAPH_STOPS = [32, 60, 79, 108]

function row(fields: string[], stops: readonly number[] = STOPS): string {
  let line = ''
  fields.forEach((field, i) => {
    line += field
    // Keras cuts a long field flush against the next column; keep one space so the columns stay readable.
    if (line.length >= stops[i]) line = line.slice(0, stops[i] - 1)
    line += ' '.repeat(stops[i] - line.length)
  })
  return line.trimEnd()
}

function batchShape(shape: readonly number[]): string {
  return `(None, ${shape.join(', ')})`
}

/** Connections packed into lines that fit the column (as rich wraps the cell), one line at least. */
function wrapConnections(connections: readonly string[], width: number): string[] {
  if (connections.length === 0) return ['-']
  const lines: string[] = []
  let line = ''
  connections.forEach((connection, i) => {
    const piece = i < connections.length - 1 ? `${connection},` : connection
    if (line && line.length + 1 + piece.length > width) {
      lines.push(line)
      line = piece
    } else line = line ? `${line} ${piece}` : piece
  })
  lines.push(line)
  return lines
}

/** A Keras-like summary table: Layer (type), Output Shape, Param # (and Connected to for a graph), then the totals. Throws for an invalid spec. */
export function summaryText(spec: ModelSpec): string {
  const summary = inferShapes(spec)
  const graph = !isSequentialSpec(spec)
  const width = graph ? GRAPH_WIDTH : WIDTH
  const lines = [`Model: "${spec.name}"`, '_'.repeat(width)]
  if (graph) {
    lines.push(row(['Layer (type)', 'Output Shape', 'Param #', 'Connected to'], GRAPH_STOPS), '='.repeat(width))
    const byName = new Map(summary.layers.map((layer) => [layer.name, layer]))
    const names = layerNames(spec.layers)
    // The input as Keras lists it: a leading InputLayer under its own name, else the model input's name.
    const inputName = spec.layers[0]?.class_name === 'InputLayer' ? names[0] : MODEL_INPUT
    const shown = (name: string): string => (name === MODEL_INPUT ? inputName : name)
    const rows: Array<{ label: string; shape: readonly number[]; params: number; inbound: string[] }> = [
      { label: `${inputName} (InputLayer)`, shape: spec.input_shape, params: 0, inbound: [] },
      ...specGraph(spec).nodes.map((node) => {
        const layer = byName.get(node.name) as LayerShape
        return { label: `${layer.name} (${layer.class_name})`, shape: layer.output_shape, params: layer.params, inbound: node.inbound }
      })
    ]
    // The last column's width less the one space row() keeps at its end.
    const connectedWidth = GRAPH_STOPS[3] - GRAPH_STOPS[2] - 1
    rows.forEach((entry, i) => {
      const connected = wrapConnections(entry.inbound.map((name) => `${shown(name)}[0][0]`), connectedWidth)
      lines.push(row([entry.label, batchShape(entry.shape), entry.params.toLocaleString('en-US'), connected[0]], GRAPH_STOPS))
      for (const more of connected.slice(1)) lines.push(row(['', '', '', more], GRAPH_STOPS))
      lines.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width))
    })
  } else {
    lines.push(row(['Layer (type)', 'Output Shape', 'Param #']), '='.repeat(width))
    const rows = summary.layers.filter((layer) => layer.class_name !== 'InputLayer')
    rows.forEach((layer, i) => {
      lines.push(row([`${layer.name} (${layer.class_name})`, batchShape(layer.output_shape), String(layer.params)]))
      lines.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width))
    })
  }
  const count = (n: number): string => n.toLocaleString('en-US')
  lines.push(`Total params: ${count(summary.total_params)}`, `Trainable params: ${count(summary.trainable_params)}`, `Non-trainable params: ${count(summary.non_trainable_params)}`, '_'.repeat(width))
  return lines.join('\n') + '\n'
}
