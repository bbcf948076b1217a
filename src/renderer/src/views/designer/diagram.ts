// The model diagram as a standalone SVG document, in the manner of Keras's
// `plot_model(show_shapes=True, show_layer_activations=True)`: one box per layer (name and class,
// and below them its main settings: units/filters/kernel, activation; input and output shapes on
// the right), an arrow per edge of the graph labelled with the shape it carries, laid out top to
// bottom with the canvas's layout (dagre, lib/graph-layout.ts), skips routed around the boxes.
// Pure string building, so the same picture can be tested here and rasterised to PNG in the page.
// The text is Keras's own words (a file, not the UI).
import { formatShape as formatBatchShape } from '../../../../shared/model-spec'
import { layoutGraphDetailed, type Point } from '../../lib/graph-layout'

/** One box of the diagram. Shapes exclude the batch axis; null when inference failed there. */
export interface DiagramNode {
  name: string
  class_name: string
  /** The layer's main settings in one line ("units: 32 · activation: relu"); see layerDetail. */
  detail?: string
  input_shape: number[] | null
  output_shape: number[] | null
  /** Whether the layer has a validation error (drawn with a red outline). */
  invalid?: boolean
  /** Names of the nodes feeding this one, in order; absent: the node before it (the first node: none). */
  inbound?: string[]
  /** One shape per inbound (a merge's inputs); absent: `input_shape` alone. */
  input_shapes?: Array<number[] | null>
}

export interface DiagramOptions {
  /** Draw the input/output shape table beside each box (Keras's show_shapes). */
  showShapes?: boolean
  /** Title drawn above the first box (the model name). */
  title?: string
}

export interface DiagramSvg {
  svg: string
  width: number
  height: number
}

const FONT_SIZE = 12
// A monospace font keeps text width predictable without measuring in a DOM.
const CHAR_WIDTH = FONT_SIZE * 0.62
const ROW_HEIGHT = 20
const BOX_HEIGHT = ROW_HEIGHT * 2
const GAP = 34
const MARGIN = 24
const PAD_X = 10
const TITLE_HEIGHT = 28

/** A shape as Keras prints it, batch axis first: (None, 28, 28, 1); '?' where unknown. */
export function formatShape(shape: readonly number[] | null): string {
  return shape === null ? '?' : formatBatchShape([null, ...shape])
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)
}

/** Width of text in the monospace font; East Asian wide characters (a Chinese model name) take two cells. */
function textWidth(text: string): number {
  let cells = 0
  for (const ch of text) cells += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1
  return Math.ceil(cells * CHAR_WIDTH)
}

/**
 * A layer's main settings as Keras names them, for its box: units and activation of Dense,
 * filters, kernel, strides and activation of Conv2D, the rate of Dropout, pool sizes, target shapes.
 * Settings left out of the config are shown with Keras's defaults where the box would be empty.
 */
export function layerDetail(className: string, config: Record<string, unknown>): string {
  const list = (v: unknown): string => (Array.isArray(v) ? v.join('×') : v === undefined || v === null ? '?' : String(v))
  const parts: string[] = []
  const activation = (): void => void parts.push(`activation: ${String(config.activation ?? 'linear')}`)
  switch (className) {
    case 'Dense':
      parts.push(`units: ${list(config.units)}`)
      activation()
      break
    case 'Conv2D':
      parts.push(`filters: ${list(config.filters)}`, `kernel: ${list(config.kernel_size)}`)
      if (config.strides !== undefined && list(config.strides) !== '1×1' && list(config.strides) !== '1') parts.push(`strides: ${list(config.strides)}`)
      if (config.padding === 'same') parts.push('padding: same')
      activation()
      break
    case 'Activation':
      activation()
      break
    case 'Dropout':
      parts.push(`rate: ${list(config.rate)}`)
      break
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      parts.push(`pool: ${list(config.pool_size ?? [2, 2])}`)
      break
    case 'Reshape':
      parts.push(`target: ${list(config.target_shape)}`)
      break
    case 'Conv1D':
    case 'SeparableConv2D':
    case 'Conv2DTranspose':
      parts.push(`filters: ${list(config.filters)}`, `kernel: ${list(config.kernel_size)}`)
      activation()
      break
    case 'DepthwiseConv2D':
      parts.push(`kernel: ${list(config.kernel_size)}`, `depth_multiplier: ${list(config.depth_multiplier ?? 1)}`)
      activation()
      break
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      parts.push(`pool: ${list(config.pool_size ?? 2)}`)
      break
    case 'UpSampling2D':
      parts.push(`size: ${list(config.size ?? [2, 2])}`)
      break
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      parts.push(`units: ${list(config.units)}`)
      if (config.return_sequences === true) parts.push('return_sequences')
      break
    case 'Bidirectional': {
      const inner = (config.layer ?? {}) as { class_name?: unknown; config?: Record<string, unknown> }
      parts.push(`${String(inner.class_name ?? '?')} units: ${list(inner.config?.units)}`, `merge: ${String(config.merge_mode ?? 'concat')}`)
      break
    }
    case 'Embedding':
      parts.push(`input_dim: ${list(config.input_dim)}`, `output_dim: ${list(config.output_dim)}`)
      break
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
      parts.push(`rate: ${list(config.rate)}`)
      break
    case 'GaussianNoise':
      parts.push(`stddev: ${list(config.stddev)}`)
      break
    case 'Concatenate':
      parts.push(`axis: ${list(config.axis ?? -1)}`)
      break
  }
  return parts.join(' · ')
}

/** Shapes of a merge's inputs as Keras prints them: [(None, 32), (None, 32)]. */
function formatInputShapes(node: DiagramNode): string {
  if (!node.input_shapes || node.input_shapes.length < 2) return formatShape(node.input_shape)
  return `[${node.input_shapes.map((shape) => formatShape(shape)).join(', ')}]`
}

/** An SVG path through dagre's route points: straight from the first to the second, then smooth curves through the midpoints. */
function routePath(points: readonly Point[]): string {
  const f = (n: number): string => String(Math.round(n * 10) / 10)
  if (points.length <= 2) return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(p.x)},${f(p.y)}`).join(' ')
  let d = `M${f(points[0].x)},${f(points[0].y)}`
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 }
    d += ` Q${f(points[i].x)},${f(points[i].y)} ${i === points.length - 2 ? `${f(points[i + 1].x)},${f(points[i + 1].y)}` : `${f(mid.x)},${f(mid.y)}`}`
  }
  return d
}

/** Builds the diagram. The first node is usually the InputLayer (see `diagramNodesFromLayers`). */
export function renderDiagramSvg(nodes: readonly DiagramNode[], options: DiagramOptions = {}): DiagramSvg {
  const showShapes = options.showShapes ?? true
  const labels = nodes.map((n) => `${n.name}: ${n.class_name}`)
  const details = nodes.map((n) => n.detail ?? '')
  const inputs = nodes.map((n) => formatInputShapes(n))
  const outputs = nodes.map((n) => formatShape(n.output_shape))
  const labelWidth = Math.max(120, ...labels.map(textWidth), ...details.map(textWidth)) + PAD_X * 2
  const keyWidth = textWidth('output:') + PAD_X * 2
  const shapeWidth = Math.max(60, ...inputs.map(textWidth), ...outputs.map(textWidth)) + PAD_X * 2
  const boxWidth = labelWidth + (showShapes ? keyWidth + shapeWidth : 0)
  const titleHeight = options.title ? TITLE_HEIGHT : 0

  // The graph: each node's inbound names (absent: the node before it), edges drawn in the layout.
  const edges = nodes.flatMap((node, i) => (node.inbound ?? (i === 0 ? [] : [nodes[i - 1].name])).map((from) => ({ from, to: node.name })))
  const layout = layoutGraphDetailed(nodes.map((n) => ({ id: n.name, width: boxWidth, height: BOX_HEIGHT })), edges, { nodeGap: GAP, rankGap: GAP })
  const graphWidth = Math.max(boxWidth, layout.width)
  const width = Math.max(graphWidth, options.title ? textWidth(options.title) : 0) + MARGIN * 2
  const height = MARGIN * 2 + titleHeight + (nodes.length === 0 ? 0 : layout.height)
  const offsetX = MARGIN + (width - MARGIN * 2 - graphWidth) / 2
  const offsetY = MARGIN + titleHeight
  const outputByName = new Map(nodes.map((n, i) => [n.name, outputs[i]]))
  const parts: string[] = []

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Menlo, Consolas, 'DejaVu Sans Mono', monospace" font-size="${FONT_SIZE}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`
  )
  if (options.title) {
    parts.push(`<text x="${width / 2}" y="${MARGIN + FONT_SIZE}" text-anchor="middle" font-weight="bold" fill="#111">${escapeXml(options.title)}</text>`)
  }
  for (const edge of layout.edges) {
    const points = edge.points.map((p) => ({ x: p.x + offsetX, y: p.y + offsetY }))
    if (points.length < 2) continue
    parts.push(`<path class="edge" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}" d="${routePath(points)}" fill="none" stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>`)
    // The shape the edge carries, beside its middle (Keras prints it in the boxes; the canvas on the edges).
    const middle = points[Math.floor((points.length - 1) / 2)]
    const next = points[Math.floor((points.length - 1) / 2) + 1] ?? middle
    const at = { x: (middle.x + next.x) / 2, y: (middle.y + next.y) / 2 }
    parts.push(`<text class="edge-shape" x="${Math.round(at.x + 6)}" y="${Math.round(at.y + 4)}" font-size="${FONT_SIZE - 2}" fill="#666">${escapeXml(outputByName.get(edge.from) ?? '?')}</text>`)
  }
  nodes.forEach((node, i) => {
    const placed = layout.nodes[node.name] ?? { x: 0, y: 0 }
    const left = placed.x + offsetX
    const top = placed.y + offsetY
    const stroke = node.invalid ? '#c62828' : '#333'
    const middle = top + BOX_HEIGHT / 2
    parts.push(`<g class="layer" data-index="${i}">`)
    parts.push(`<rect x="${left}" y="${top}" width="${boxWidth}" height="${BOX_HEIGHT}" fill="${node.invalid ? '#fdecea' : '#f4f6fa'}" stroke="${stroke}" stroke-width="${node.invalid ? 2 : 1}"/>`)
    if (details[i]) {
      // Two rows: "name: Class" above, the settings below (the shape table has the same two rows).
      parts.push(
        `<text x="${left + labelWidth / 2}" y="${top + ROW_HEIGHT / 2 + FONT_SIZE / 3}" text-anchor="middle" fill="#111">${escapeXml(labels[i])}</text>`,
        `<text class="layer-detail" x="${left + labelWidth / 2}" y="${middle + ROW_HEIGHT / 2 + FONT_SIZE / 3}" text-anchor="middle" fill="#444">${escapeXml(details[i])}</text>`
      )
    } else {
      parts.push(`<text x="${left + labelWidth / 2}" y="${middle + FONT_SIZE / 3}" text-anchor="middle" fill="#111">${escapeXml(labels[i])}</text>`)
    }
    if (showShapes) {
      const keyX = left + labelWidth
      const shapeX = keyX + keyWidth
      parts.push(
        `<line x1="${keyX}" y1="${top}" x2="${keyX}" y2="${top + BOX_HEIGHT}" stroke="${stroke}"/>`,
        `<line x1="${shapeX}" y1="${top}" x2="${shapeX}" y2="${top + BOX_HEIGHT}" stroke="${stroke}"/>`,
        `<line x1="${keyX}" y1="${middle}" x2="${left + boxWidth}" y2="${middle}" stroke="${stroke}"/>`,
        `<text x="${keyX + PAD_X}" y="${top + ROW_HEIGHT / 2 + FONT_SIZE / 3}" fill="#444">input:</text>`,
        `<text x="${keyX + PAD_X}" y="${middle + ROW_HEIGHT / 2 + FONT_SIZE / 3}" fill="#444">output:</text>`,
        `<text class="input-shape" x="${shapeX + PAD_X}" y="${top + ROW_HEIGHT / 2 + FONT_SIZE / 3}" fill="#111">${escapeXml(inputs[i])}</text>`,
        `<text class="output-shape" x="${shapeX + PAD_X}" y="${middle + ROW_HEIGHT / 2 + FONT_SIZE / 3}" fill="#111">${escapeXml(outputs[i])}</text>`
      )
    }
    parts.push('</g>')
  })
  parts.push('</svg>')
  return { svg: parts.join(''), width, height }
}

/** The diagram's name of the model input (MODEL_INPUT in inbound lists). */
export const DIAGRAM_INPUT = 'input'

/**
 * Turns layers with inferred output shapes into diagram nodes, prefixed with the InputLayer box
 * as Keras draws it. A layer with `inbound` (names of layers, or DIAGRAM_INPUT) takes the output
 * shapes of those; without it, the previous layer's (a chain).
 */
export function diagramNodesFromLayers(
  inputShape: readonly number[],
  layers: readonly { name: string; class_name: string; detail?: string; output_shape: number[] | null; invalid?: boolean; inbound?: string[] }[]
): DiagramNode[] {
  const nodes: DiagramNode[] = [{ name: DIAGRAM_INPUT, class_name: 'InputLayer', input_shape: [...inputShape], output_shape: [...inputShape] }]
  const outputs = new Map<string, number[] | null>([[DIAGRAM_INPUT, [...inputShape]]])
  for (const layer of layers) {
    const inbound = layer.inbound ?? [nodes[nodes.length - 1].name]
    const shapes = inbound.map((name) => outputs.get(name) ?? null)
    nodes.push({
      name: layer.name,
      class_name: layer.class_name,
      detail: layer.detail,
      input_shape: shapes[0] ?? null,
      output_shape: layer.output_shape,
      invalid: layer.invalid,
      inbound: [...inbound],
      ...(shapes.length > 1 ? { input_shapes: shapes } : {})
    })
    outputs.set(layer.name, layer.output_shape)
  }
  return nodes
}
