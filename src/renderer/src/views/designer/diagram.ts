// The model diagram as a standalone SVG document, in the manner of Keras's
// `plot_model(show_shapes=True, show_layer_activations=True)`: one box per layer (name and class,
// and below them its main settings: units/filters/kernel, activation; input and output shapes on
// the right), arrows from top to bottom. Pure string building, so the same picture can be tested
// here and rasterised to PNG in the page. The text is Keras's own words (a file, not the UI).

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
  if (shape === null) return '?'
  return `(${['None', ...shape.map(String)].join(', ')})`
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
  }
  return parts.join(' · ')
}

/** Builds the diagram. The first node is usually the InputLayer (see `diagramNodesFromLayers`). */
export function renderDiagramSvg(nodes: readonly DiagramNode[], options: DiagramOptions = {}): DiagramSvg {
  const showShapes = options.showShapes ?? true
  const labels = nodes.map((n) => `${n.name}: ${n.class_name}`)
  const details = nodes.map((n) => n.detail ?? '')
  const inputs = nodes.map((n) => formatShape(n.input_shape))
  const outputs = nodes.map((n) => formatShape(n.output_shape))
  const labelWidth = Math.max(120, ...labels.map(textWidth), ...details.map(textWidth)) + PAD_X * 2
  const keyWidth = textWidth('output:') + PAD_X * 2
  const shapeWidth = Math.max(60, ...inputs.map(textWidth), ...outputs.map(textWidth)) + PAD_X * 2
  const boxWidth = labelWidth + (showShapes ? keyWidth + shapeWidth : 0)
  const titleHeight = options.title ? TITLE_HEIGHT : 0
  const width = Math.max(boxWidth, options.title ? textWidth(options.title) : 0) + MARGIN * 2
  const height = MARGIN * 2 + titleHeight + nodes.length * BOX_HEIGHT + Math.max(0, nodes.length - 1) * GAP
  const left = (width - boxWidth) / 2
  const parts: string[] = []

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Menlo, Consolas, 'DejaVu Sans Mono', monospace" font-size="${FONT_SIZE}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`
  )
  if (options.title) {
    parts.push(`<text x="${width / 2}" y="${MARGIN + FONT_SIZE}" text-anchor="middle" font-weight="bold" fill="#111">${escapeXml(options.title)}</text>`)
  }
  nodes.forEach((node, i) => {
    const top = MARGIN + titleHeight + i * (BOX_HEIGHT + GAP)
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
    if (i < nodes.length - 1) {
      const x = width / 2
      parts.push(`<line class="edge" x1="${x}" y1="${top + BOX_HEIGHT}" x2="${x}" y2="${top + BOX_HEIGHT + GAP - 2}" stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>`)
    }
  })
  parts.push('</svg>')
  return { svg: parts.join(''), width, height }
}

/**
 * Turns layers with inferred output shapes into diagram nodes, prefixed with the InputLayer
 * box as Keras draws it. Each layer's input shape is the previous output shape.
 */
export function diagramNodesFromLayers(
  inputShape: readonly number[],
  layers: readonly { name: string; class_name: string; detail?: string; output_shape: number[] | null; invalid?: boolean }[]
): DiagramNode[] {
  const nodes: DiagramNode[] = [{ name: 'input', class_name: 'InputLayer', input_shape: [...inputShape], output_shape: [...inputShape] }]
  let previous: number[] | null = [...inputShape]
  for (const layer of layers) {
    nodes.push({ name: layer.name, class_name: layer.class_name, detail: layer.detail, input_shape: previous, output_shape: layer.output_shape, invalid: layer.invalid })
    previous = layer.output_shape
  }
  return nodes
}
