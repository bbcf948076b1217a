// The picture of an architecture diff (shared/compare.ts architectureDiff): one merged graph drawn
// left to right, a column per depth (longest path from the input), nodes stacked in a column in the
// diff's order. An edge between neighbouring columns is a plain S-curve; a skip that jumps columns
// inside one row arcs over the nodes it passes (as residual blocks are drawn); any other is an
// S-curve. Pure, so the geometry is tested without a browser.
import type { ArchEdge, ArchitectureDiff, ArchNode, ArchStatus } from '../../../../shared/compare'

export const NODE_WIDTH = 124
export const NODE_HEIGHT = 40
const COLUMN_GAP = 44
const ROW_GAP = 22
const MARGIN = 12
/** How high a skip arc rises over the row it jumps along, per column jumped (and at least). */
const ARC_PER_COLUMN = 15
const ARC_MIN = 26

export interface PlacedNode extends ArchNode {
  x: number
  y: number
}

export interface PlacedEdge extends ArchEdge {
  /** An SVG path (`d`). */
  path: string
  /** The path's midpoint, where a hover title or arrow could sit. */
  mid: { x: number; y: number }
}

export interface DiffPicture {
  width: number
  height: number
  nodes: PlacedNode[]
  edges: PlacedEdge[]
}

function skipLift(span: number): number {
  return Math.max(ARC_MIN, ARC_PER_COLUMN * span)
}

/** Places every node of the diff and routes every edge. */
export function layoutDiff(diff: Pick<ArchitectureDiff, 'nodes' | 'edges'>): DiffPicture {
  const rowsInColumn = new Map<number, number>()
  const slot = new Map<string, { column: number; row: number }>()
  for (const node of diff.nodes) {
    const row = rowsInColumn.get(node.depth) ?? 0
    rowsInColumn.set(node.depth, row + 1)
    slot.set(node.name, { column: node.depth, row })
  }
  // Room above the first row for the highest arc that runs along it.
  let top = MARGIN
  for (const edge of diff.edges) {
    const from = slot.get(edge.from)
    const to = slot.get(edge.to)
    if (from && to && from.row === to.row && Math.abs(to.column - from.column) > 1 && from.row === 0) top = Math.max(top, MARGIN + skipLift(Math.abs(to.column - from.column)))
  }
  const xOf = (column: number): number => MARGIN + column * (NODE_WIDTH + COLUMN_GAP)
  const yOf = (row: number): number => top + row * (NODE_HEIGHT + ROW_GAP)
  const nodes = diff.nodes.map((node) => {
    const at = slot.get(node.name)!
    return { ...node, x: xOf(at.column), y: yOf(at.row) }
  })
  const placed = new Map(nodes.map((node) => [node.name, node]))
  const edges: PlacedEdge[] = []
  for (const edge of diff.edges) {
    const from = placed.get(edge.from)
    const to = placed.get(edge.to)
    if (!from || !to) continue
    const a = slot.get(edge.from)!
    const b = slot.get(edge.to)!
    const span = b.column - a.column
    if (span > 1 && a.row === b.row) {
      // Over the top: from the source's top edge up, along, and down into the target's top edge.
      const x1 = from.x + NODE_WIDTH * 0.7
      const x2 = to.x + NODE_WIDTH * 0.3
      const y = from.y
      const lift = skipLift(span)
      edges.push({ ...edge, path: `M ${x1} ${y} C ${x1} ${y - lift}, ${x2} ${y - lift}, ${x2} ${y}`, mid: { x: (x1 + x2) / 2, y: y - lift * 0.75 } })
      continue
    }
    const x1 = from.x + NODE_WIDTH
    const y1 = from.y + NODE_HEIGHT / 2
    const x2 = to.x
    const y2 = to.y + NODE_HEIGHT / 2
    const bend = Math.max(24, Math.abs(x2 - x1) / 2)
    edges.push({ ...edge, path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`, mid: { x: (x1 + x2) / 2, y: (y1 + y2) / 2 } })
  }
  const columns = Math.max(1, ...[...slot.values()].map((s) => s.column + 1))
  const rows = Math.max(1, ...rowsInColumn.values())
  return { width: MARGIN * 2 + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP, height: top + rows * NODE_HEIGHT + (rows - 1) * ROW_GAP + MARGIN, nodes, edges }
}

/** Removed and unchanged things drawn first, so the added and changed ones lie on top. */
export function paintOrder(status: ArchStatus): number {
  return status === 'same' ? 0 : status === 'removed' ? 1 : 2
}
