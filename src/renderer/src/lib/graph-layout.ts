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
