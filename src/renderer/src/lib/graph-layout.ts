// Automatic layout of a model graph, top to bottom, with dagre (the layered "Sugiyama" layout):
// the Designer's canvas uses it for templates, imports and "Tidy layout", and the diagram export
// draws with it, so the picture matches the canvas's arrangement.
import dagre from '@dagrejs/dagre'

export interface LayoutNode {
  id: string
  width: number
  height: number
}

export interface LayoutEdge {
  from: string
  to: string
}

export interface Point {
  x: number
  y: number
}

export interface LayoutOptions {
  /** Horizontal gap between nodes of one rank. */
  nodeGap?: number
  /** Vertical gap between ranks. */
  rankGap?: number
}

export interface GraphLayout {
  /** Top-left corner of every node. */
  nodes: Record<string, Point>
  /** Each drawable edge's route from the source's border to the target's (dagre bends long edges around the nodes between). */
  edges: Array<{ from: string; to: string; points: Point[] }>
  width: number
  height: number
}

/** Lays the nodes out top to bottom; edges naming unknown nodes (or a node itself) are ignored. */
export function layoutGraphDetailed(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: LayoutOptions = {}): GraphLayout {
  const graph = new dagre.graphlib.Graph({ multigraph: true })
  graph.setGraph({ rankdir: 'TB', nodesep: options.nodeGap ?? 48, ranksep: options.rankGap ?? 56, marginx: 0, marginy: 0 })
  graph.setDefaultEdgeLabel(() => ({}))
  for (const node of nodes) graph.setNode(node.id, { width: node.width, height: node.height })
  const ids = new Set(nodes.map((n) => n.id))
  const drawn = edges.filter((edge) => ids.has(edge.from) && ids.has(edge.to) && edge.from !== edge.to)
  drawn.forEach((edge, i) => graph.setEdge(edge.from, edge.to, {}, `e${i}`))
  dagre.layout(graph)
  const placed: Record<string, Point> = {}
  for (const node of nodes) {
    const at = graph.node(node.id)
    // dagre gives centres; round so that positions stored in the draft stay short.
    placed[node.id] = { x: Math.round(at.x - node.width / 2), y: Math.round(at.y - node.height / 2) }
  }
  const routes = drawn.map((edge, i) => ({ from: edge.from, to: edge.to, points: (graph.edge(edge.from, edge.to, `e${i}`).points ?? []).map((p) => ({ x: p.x, y: p.y })) }))
  const size = graph.graph()
  return { nodes: placed, edges: routes, width: size.width ?? 0, height: size.height ?? 0 }
}

/** Top-left corner of every node, laid out top to bottom. */
export function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: LayoutOptions = {}): Record<string, Point> {
  return layoutGraphDetailed(nodes, edges, options).nodes
}

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface EdgeRoute {
  /** SVG path data. */
  path: string
  labelX: number
  labelY: number
  /** Whether the edge bends around a node in its way (a skip past the layers between). */
  detour: boolean
  /** Which side a detour passes on (1 right, -1 left; 0 without one): its label goes on the outside. */
  side: 1 | -1 | 0
}

/** Room kept between a detour and the nodes it passes, and the radius of its bends. */
const DETOUR_GAP = 28
const BEND = 36

function cubicPoint(p0: Point, p1: Point, p2: Point, p3: Point, t: number): Point {
  const u = 1 - t
  return {
    x: u * u * u * p0.x + 3 * u * u * t * p1.x + 3 * u * t * t * p2.x + t * t * t * p3.x,
    y: u * u * u * p0.y + 3 * u * u * t * p1.y + 3 * u * t * t * p2.y + t * t * t * p3.y
  }
}

function inside(point: Point, rect: Rect, margin: number): boolean {
  return point.x > rect.x - margin && point.x < rect.x + rect.width + margin && point.y > rect.y - margin && point.y < rect.y + rect.height + margin
}

/**
 * The path of an edge from a node's bottom port (`source`) down to another's top port (`target`):
 * an S-curve, or, when that curve would cross one of `obstacles` (the other nodes' boxes), a
 * detour beside them on the nearer side, so that a skip connection stays visible past the layers
 * it skips.
 */
export function routeEdge(source: Point, target: Point, obstacles: readonly Rect[]): EdgeRoute {
  const f = (n: number): string => String(Math.round(n * 10) / 10)
  const dy = Math.max(30, Math.abs(target.y - source.y) / 2)
  const c1 = { x: source.x, y: source.y + dy }
  const c2 = { x: target.x, y: target.y - dy }
  const samples = Array.from({ length: 15 }, (_, i) => cubicPoint(source, c1, c2, target, (i + 1) / 16))
  const hit = obstacles.filter((rect) => samples.some((p) => inside(p, rect, 6)))
  const straight: EdgeRoute = { path: `M${f(source.x)},${f(source.y)} C${f(c1.x)},${f(c1.y)} ${f(c2.x)},${f(c2.y)} ${f(target.x)},${f(target.y)}`, labelX: (source.x + target.x) / 2, labelY: (source.y + target.y) / 2, detour: false, side: 0 }
  if (hit.length === 0 || target.y - source.y < BEND * 3) return straight
  // The vertical run must clear every node beside it too, not only the ones the curve hit.
  const band = obstacles.filter((rect) => rect.y + rect.height > source.y + BEND && rect.y < target.y - BEND)
  const clear = (start: number, step: 1 | -1): number => {
    let x = start
    for (let moved = true, guard = 0; moved && guard < band.length + 1; guard++) {
      moved = false
      for (const rect of band) {
        if (x > rect.x - DETOUR_GAP / 2 && x < rect.x + rect.width + DETOUR_GAP / 2) {
          x = step > 0 ? rect.x + rect.width + DETOUR_GAP : rect.x - DETOUR_GAP
          moved = true
        }
      }
    }
    return x
  }
  const right = clear(Math.max(...hit.map((r) => r.x + r.width)) + DETOUR_GAP, 1)
  const left = clear(Math.min(...hit.map((r) => r.x)) - DETOUR_GAP, -1)
  const middle = (source.x + target.x) / 2
  const x = Math.abs(right - middle) <= Math.abs(middle - left) ? right : left
  const bend = Math.min(BEND, (target.y - source.y) / 4)
  const path = [
    `M${f(source.x)},${f(source.y)}`,
    `C${f(source.x)},${f(source.y + bend)} ${f(x)},${f(source.y + bend)} ${f(x)},${f(source.y + 2 * bend)}`,
    `L${f(x)},${f(target.y - 2 * bend)}`,
    `C${f(x)},${f(target.y - bend)} ${f(target.x)},${f(target.y - bend)} ${f(target.x)},${f(target.y)}`
  ].join(' ')
  return { path, labelX: x, labelY: (source.y + target.y) / 2, detour: true, side: x === right ? 1 : -1 }
}
