import { describe, expect, it } from 'vitest'
import { layoutGraph, layoutGraphDetailed, routeEdge } from './graph-layout'

const box = (id: string) => ({ id, width: 200, height: 60 })

describe('layoutGraph', () => {
  it('lays a chain out top to bottom in one column', () => {
    const p = layoutGraph(['a', 'b', 'c'].map(box), [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])
    expect(p.a.x).toBe(p.b.x)
    expect(p.b.x).toBe(p.c.x)
    expect(p.a.y).toBeLessThan(p.b.y)
    expect(p.b.y - p.a.y).toBe(60 + 56)
  })

  it('puts branches side by side and routes a skip beside the layer it skips', () => {
    const edges = [{ from: 'a', to: 'b' }, { from: 'b', to: 'm' }, { from: 'a', to: 'm' }]
    const layout = layoutGraphDetailed(['a', 'b', 'm'].map(box), edges)
    const skip = layout.edges.find((e) => e.from === 'a' && e.to === 'm')!
    expect(skip.points.length).toBeGreaterThan(2)
    // The skip's middle point lies outside b's box.
    const b = layout.nodes.b
    const middle = skip.points[Math.floor(skip.points.length / 2)]
    expect(middle.x < b.x || middle.x > b.x + 200).toBe(true)
    expect(layout.width).toBeGreaterThan(200)
  })

  it('ignores edges to unknown nodes and self-loops', () => {
    const layout = layoutGraphDetailed([box('a')], [{ from: 'a', to: 'a' }, { from: 'ghost', to: 'a' }])
    expect(layout.edges).toEqual([])
    expect(layout.nodes.a).toEqual({ x: 0, y: 0 })
  })
})

describe('routeEdge', () => {
  it('draws an S-curve when nothing is in the way, labelled at its middle', () => {
    const route = routeEdge({ x: 100, y: 0 }, { x: 100, y: 200 }, [{ x: 300, y: 50, width: 100, height: 60 }])
    expect(route.detour).toBe(false)
    expect(route.path.startsWith('M100,0 C')).toBe(true)
    expect([route.labelX, route.labelY]).toEqual([100, 100])
  })

  it('bends around a node in its way, on the nearer side, clear of the nodes beside it', () => {
    const obstacles = [{ x: 40, y: 120, width: 200, height: 60 }, { x: 270, y: 110, width: 100, height: 80 }]
    const route = routeEdge({ x: 200, y: 0 }, { x: 200, y: 300 }, obstacles)
    expect(route.detour).toBe(true)
    // Right of the first box would run into the second one (270…370): the route goes left of the first.
    expect(route.labelX).toBeLessThan(40)
    const left = routeEdge({ x: 60, y: 0 }, { x: 60, y: 300 }, [{ x: 0, y: 120, width: 200, height: 60 }])
    expect(left.labelX).toBeLessThan(0)
  })
})
