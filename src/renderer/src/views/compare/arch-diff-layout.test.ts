import { describe, expect, it } from 'vitest'
import { architectureDiff } from '../../../../shared/compare'
import type { LayerSpec, ModelSpec } from '../../../../shared/model-spec'
import { layoutDiff, NODE_HEIGHT, NODE_WIDTH } from './arch-diff-layout'

const dense = (name: string, units: number, inbound?: string[]): LayerSpec => ({ class_name: 'Dense', config: { name, units }, ...(inbound ? { inbound } : {}) })
const spec = (layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'g', input_shape: [4], layers })

describe('layoutDiff', () => {
  const chain = spec([dense('d1', 8), dense('d2', 8), dense('out', 1)])
  const residual = spec([dense('d1', 8), dense('d2', 8), { class_name: 'Add', config: { name: 'skip' }, inbound: ['d1', 'd2'] }, dense('out', 1, ['skip'])])

  it('puts a column per depth and never two nodes on one spot', () => {
    const picture = layoutDiff(architectureDiff(chain, residual))
    const byName = new Map(picture.nodes.map((n) => [n.name, n]))
    expect(['input', 'd1', 'd2', 'skip', 'out'].map((name) => byName.get(name)!.x)).toEqual([...new Array(5).keys()].map((i) => byName.get('input')!.x + i * (byName.get('d1')!.x - byName.get('input')!.x)))
    const spots = picture.nodes.map((n) => `${n.x},${n.y}`)
    expect(new Set(spots).size).toBe(spots.length)
    for (const node of picture.nodes) {
      expect(node.x + NODE_WIDTH).toBeLessThanOrEqual(picture.width)
      expect(node.y + NODE_HEIGHT).toBeLessThanOrEqual(picture.height)
    }
  })

  it('draws the skip d1 → skip as an arc over d2 that stays inside the picture, and the removed d2 → out too', () => {
    const picture = layoutDiff(architectureDiff(chain, residual))
    const skip = picture.edges.find((e) => e.from === 'd1' && e.to === 'skip')!
    expect(skip.status).toBe('added')
    const d1 = picture.nodes.find((n) => n.name === 'd1')!
    // Starts on d1's top edge and rises above it, but not above the picture's top.
    expect(skip.path.startsWith(`M ${d1.x + NODE_WIDTH * 0.7} ${d1.y} C`)).toBe(true)
    const ys = skip.path.match(/-?\d+(\.\d+)?/g)!.map(Number).filter((_, i) => i % 2 === 1)
    expect(Math.min(...ys)).toBeLessThan(d1.y)
    expect(Math.min(...ys)).toBeGreaterThanOrEqual(0)
    expect(picture.edges.find((e) => e.from === 'd2' && e.to === 'out')!.status).toBe('removed')
    expect(picture.edges).toHaveLength(architectureDiff(chain, residual).edges.length)
  })

  it('stacks removed and added nodes of the same depth in one column', () => {
    const a = spec([dense('x', 2), dense('out', 1)])
    const b = spec([dense('y', 2), dense('out', 1, ['y'])])
    const picture = layoutDiff(architectureDiff(a, b))
    const x = picture.nodes.find((n) => n.name === 'x')!
    const y = picture.nodes.find((n) => n.name === 'y')!
    expect([x.status, y.status]).toEqual(['removed', 'added'])
    expect(x.x).toBe(y.x)
    expect(x.y).toBeGreaterThan(y.y)
  })
})
