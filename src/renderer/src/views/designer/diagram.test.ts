import { describe, expect, it } from 'vitest'
import { diagramNodesFromLayers, formatShape, layerDetail, renderDiagramSvg } from './diagram'

/** Checks that every opened element is closed in order (no DOM parser under Node). */
function assertBalancedXml(svg: string): void {
  const stack: string[] = []
  for (const match of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = match
    if (selfClosing) continue
    if (closing) expect(stack.pop()).toBe(name)
    else stack.push(name)
  }
  expect(stack).toEqual([])
}

const mlp = diagramNodesFromLayers([784], [
  { name: 'dense', class_name: 'Dense', output_shape: [512] },
  { name: 'dropout', class_name: 'Dropout', output_shape: [512] },
  { name: 'dense_1', class_name: 'Dense', output_shape: [10] }
])

describe('formatShape', () => {
  it('prints shapes as Keras does, batch axis first', () => {
    expect(formatShape([784])).toBe('(None, 784)')
    expect(formatShape([28, 28, 1])).toBe('(None, 28, 28, 1)')
    expect(formatShape(null)).toBe('?')
  })
})

describe('diagramNodesFromLayers', () => {
  it('prefixes an InputLayer and chains each input shape to the previous output', () => {
    expect(mlp.map((n) => n.class_name)).toEqual(['InputLayer', 'Dense', 'Dropout', 'Dense'])
    expect(mlp[1].input_shape).toEqual([784])
    expect(mlp[3].input_shape).toEqual([512])
    expect(mlp[3].output_shape).toEqual([10])
  })

  it('keeps an unknown shape unknown downstream', () => {
    const nodes = diagramNodesFromLayers([4], [
      { name: 'a', class_name: 'Dense', output_shape: null, invalid: true },
      { name: 'b', class_name: 'Dense', output_shape: null }
    ])
    expect(nodes[2].input_shape).toBeNull()
  })
})

describe('renderDiagramSvg', () => {
  it('draws one box per layer with its name, class and both shapes, and an arrow between neighbours', () => {
    const { svg, width, height } = renderDiagramSvg(mlp, { title: 'mnist mlp' })
    assertBalancedXml(svg)
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.match(/<g class="layer"/g)).toHaveLength(4)
    expect(svg.match(/class="edge"/g)).toHaveLength(3)
    expect(svg.match(/class="edge-shape"/g)).toHaveLength(3)
    expect(svg).toContain('dense_1: Dense')
    expect(svg).toContain('>(None, 512)</text>')
    expect(svg.match(/class="output-shape"[^>]*>\(None, 10\)</g)).toHaveLength(1)
    expect(svg).toContain('mnist mlp')
    expect(svg).toContain(`width="${width}" height="${height}"`)
  })

  it('omits the shape table without showShapes, making boxes narrower', () => {
    const withShapes = renderDiagramSvg(mlp)
    const without = renderDiagramSvg(mlp, { showShapes: false })
    expect(without.svg).not.toContain('output:')
    expect(without.width).toBeLessThan(withShapes.width)
    expect(without.height).toBe(withShapes.height)
  })

  it('escapes layer names so the document stays valid XML', () => {
    const { svg } = renderDiagramSvg(diagramNodesFromLayers([2], [{ name: 'a<b>&"c"', class_name: 'Dense', output_shape: [1] }]), { title: "x & y's" })
    assertBalancedXml(svg)
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;: Dense')
    expect(svg).toContain('x &amp; y&apos;s')
  })

  it('outlines layers with errors in red and grows to fit long shapes', () => {
    const nodes = diagramNodesFromLayers([100000, 100000, 3], [{ name: 'bad', class_name: 'Dense', output_shape: null, invalid: true }])
    const { svg, width } = renderDiagramSvg(nodes)
    expect(svg).toContain('stroke="#c62828"')
    expect(width).toBeGreaterThan('(None, 100000, 100000, 3)'.length * 7)
  })

  it("shows each layer's units, filters, kernel and activation under its name, as Keras words", () => {
    const nodes = diagramNodesFromLayers([28, 28, 1], [
      { name: 'conv', class_name: 'Conv2D', detail: layerDetail('Conv2D', { filters: 8, kernel_size: [3, 3], activation: 'relu' }), output_shape: [26, 26, 8] },
      { name: 'flat', class_name: 'Flatten', detail: layerDetail('Flatten', {}), output_shape: [5408] },
      { name: 'out', class_name: 'Dense', detail: layerDetail('Dense', { units: 10, activation: 'softmax' }), output_shape: [10] },
      { name: 'lin', class_name: 'Dense', detail: layerDetail('Dense', { units: 3 }), output_shape: [3] }
    ])
    const { svg } = renderDiagramSvg(nodes)
    assertBalancedXml(svg)
    const details = [...svg.matchAll(/class="layer-detail"[^>]*>([^<]*)</g)].map((m) => m[1])
    expect(details).toEqual(['filters: 8 · kernel: 3×3 · activation: relu', 'units: 10 · activation: softmax', 'units: 3 · activation: linear'])
    expect(svg).toContain('flat: Flatten')
    expect(svg.match(/class="output-shape"[^>]*>\(None, 26, 26, 8\)</g)).toHaveLength(1)
    expect(layerDetail('Dropout', { rate: 0.2 })).toBe('rate: 0.2')
    expect(layerDetail('MaxPooling2D', {})).toBe('pool: 2×2')
    expect(layerDetail('LSTM', { units: 16, return_sequences: true })).toBe('units: 16 · return_sequences')
    expect(layerDetail('Conv1D', { filters: 8, kernel_size: [5], activation: 'relu' })).toBe('filters: 8 · kernel: 5 · activation: relu')
    expect(layerDetail('Embedding', { input_dim: 100, output_dim: 8 })).toBe('input_dim: 100 · output_dim: 8')
    expect(layerDetail('Bidirectional', { layer: { class_name: 'GRU', config: { units: 4 } }, merge_mode: 'sum' })).toBe('GRU units: 4 · merge: sum')
  })

  it('draws a graph: one arrow per edge (the skip too), a merge with both input shapes, shapes on the edges', () => {
    const nodes = diagramNodesFromLayers([30], [
      { name: 'd1', class_name: 'Dense', detail: layerDetail('Dense', { units: 32, activation: 'relu' }), output_shape: [32], inbound: ['input'] },
      { name: 'd2', class_name: 'Dense', detail: layerDetail('Dense', { units: 32, activation: 'relu' }), output_shape: [32], inbound: ['d1'] },
      { name: 'add', class_name: 'Add', output_shape: [32], inbound: ['d2', 'd1'] },
      { name: 'out', class_name: 'Dense', detail: layerDetail('Dense', { units: 1, activation: 'sigmoid' }), output_shape: [1], inbound: ['add'] }
    ])
    expect(nodes[3].input_shapes).toEqual([[32], [32]])
    const { svg, width } = renderDiagramSvg(nodes, { title: 'resmlp' })
    assertBalancedXml(svg)
    const edges = [...svg.matchAll(/class="edge" data-from="([^"]+)" data-to="([^"]+)"/g)].map((m) => `${m[1]}>${m[2]}`)
    expect(edges.sort()).toEqual(['add>out', 'd1>add', 'd1>d2', 'd2>add', 'input>d1'])
    expect(svg).toContain('>[(None, 32), (None, 32)]</text>')
    const edgeShapes = [...svg.matchAll(/class="edge-shape"[^>]*>([^<]*)</g)].map((m) => m[1])
    expect(edgeShapes.sort()).toEqual(['(None, 30)', '(None, 32)', '(None, 32)', '(None, 32)', '(None, 32)'])
    // The skip runs beside d2, so the picture is wider than one box.
    const single = renderDiagramSvg(diagramNodesFromLayers([30], [{ name: 'd1', class_name: 'Dense', output_shape: [32] }]))
    expect(width).toBeGreaterThan(single.width)
  })

  it('makes room for wide (Chinese) characters in names', () => {
    const ascii = renderDiagramSvg(diagramNodesFromLayers([2], [{ name: 'abcdefghijklmnopqrstuvwx', class_name: 'Dense', output_shape: [1] }]))
    const wide = renderDiagramSvg(diagramNodesFromLayers([2], [{ name: '全连接层全连接层全连接层全连接层全连接层全连接层', class_name: 'Dense', output_shape: [1] }]))
    expect(wide.width).toBeGreaterThan(ascii.width)
  })
})
