// The model as a graph: which layer feeds which. A layer's `inbound` names the layers whose outputs
// it takes; without it a layer takes the previous one, so a plain list is a Sequential chain. Pure
// functions shared by the validator (which reports what does not hold together), the builder, the
// exporters and the designer's canvas.
import type { LayerSpec, ModelSpec } from './schema'
import { layerNames } from './registry'

/** The name by which layers refer to the model's input (besides a leading InputLayer's own name). */
export const MODEL_INPUT = 'input'

export interface GraphNode {
  /** 0-based position in spec.layers. */
  index: number
  name: string
  class_name: string
  /** Names of the layers feeding this one, in order; MODEL_INPUT for the model input. */
  inbound: string[]
}

export interface SpecGraph {
  /** Always MODEL_INPUT: a leading InputLayer's name is mapped to it in every inbound list. */
  input: string
  /** The name of the output layer. */
  output: string
  /** Every layer takes exactly the one before it. */
  sequential: boolean
  /** The layers in topological order (stable: list order where the edges allow), InputLayer left out. */
  nodes: GraphNode[]
}

/** The name a leading InputLayer gives the model input, if the spec has one. */
export function inputLayerName(layers: readonly LayerSpec[], names: readonly string[] = layerNames(layers)): string | null {
  return layers[0]?.class_name === 'InputLayer' ? names[0] : null
}

/**
 * Each layer's inbound names as written or implied (absent: the previous layer; the first layer
 * after the input: MODEL_INPUT), with a leading InputLayer's name mapped to MODEL_INPUT. An
 * InputLayer itself has none.
 */
export function resolvedInbound(layers: readonly LayerSpec[], names: readonly string[] = layerNames(layers)): string[][] {
  const inputName = inputLayerName(layers, names)
  const toInput = (name: string): string => (name === inputName ? MODEL_INPUT : name)
  return layers.map((layer, i) => {
    if (layer.class_name === 'InputLayer') return []
    if (layer.inbound !== undefined) return layer.inbound.map(toInput)
    if (i === 0) return [MODEL_INPUT]
    return [toInput(names[i - 1])]
  })
}

/** True when every layer takes exactly the one listed before it (the first: the model input): a Keras Sequential model. */
export function isSequentialSpec(spec: Pick<ModelSpec, 'layers'>): boolean {
  const names = layerNames(spec.layers)
  const inbound = resolvedInbound(spec.layers, names)
  const inputName = inputLayerName(spec.layers, names)
  return spec.layers.every((layer, i) => {
    if (layer.class_name === 'InputLayer') return i === 0
    const previous = i === 0 || names[i - 1] === inputName ? MODEL_INPUT : names[i - 1]
    return inbound[i].length === 1 && inbound[i][0] === previous
  })
}

export interface TopologicalOrder {
  /** Positions in topological order (stable), for every layer not caught in a cycle. */
  order: number[]
  /** Positions of the layers on one cycle, in edge order (empty when there is none). */
  cycle: number[]
}

/**
 * Kahn's algorithm over positions, always taking the lowest ready position so that a list already in
 * order keeps its order. `inbound[i]` holds positions (unknown names already dropped).
 */
export function topologicalOrder(inbound: readonly (readonly number[])[]): TopologicalOrder {
  const count = inbound.length
  const remaining = inbound.map((sources) => new Set(sources).size)
  const consumers: number[][] = Array.from({ length: count }, () => [])
  inbound.forEach((sources, i) => new Set(sources).forEach((source) => consumers[source].push(i)))
  const ready: number[] = []
  for (let i = 0; i < count; i++) if (remaining[i] === 0) ready.push(i)
  const order: number[] = []
  while (ready.length > 0) {
    // The lowest ready position next (graphs are small: a linear scan beats a heap here).
    let best = 0
    for (let k = 1; k < ready.length; k++) if (ready[k] < ready[best]) best = k
    const next = ready.splice(best, 1)[0]
    order.push(next)
    for (const consumer of consumers[next]) if (--remaining[consumer] === 0) ready.push(consumer)
  }
  if (order.length === count) return { order, cycle: [] }
  // Walk back along inbound edges among the unplaced positions until one repeats: that loop is a cycle.
  const placed = new Set(order)
  let at = inbound.findIndex((_, i) => !placed.has(i))
  const seen = new Map<number, number>()
  const path: number[] = []
  while (!seen.has(at)) {
    seen.set(at, path.length)
    path.push(at)
    at = inbound[at].find((source) => !placed.has(source))!
  }
  // path runs against the edges (consumer → source); the cycle in edge order is its loop reversed.
  const loop = path.slice(seen.get(at)).reverse()
  // Start it at its first listed layer, so that the same graph always names the same cycle.
  const start = loop.indexOf(Math.min(...loop))
  return { order, cycle: [...loop.slice(start), ...loop.slice(0, start)] }
}

/**
 * The graph of a VALID spec (validateSpec ok): nodes in topological order with their inbound names,
 * the output layer, and whether it is a plain chain.
 */
export function specGraph(spec: Pick<ModelSpec, 'layers'>): SpecGraph {
  const names = layerNames(spec.layers)
  const inbound = resolvedInbound(spec.layers, names)
  const position = new Map(names.map((name, i) => [name, i]))
  const sources = inbound.map((list) => list.filter((name) => name !== MODEL_INPUT).map((name) => position.get(name)).filter((p): p is number => p !== undefined))
  const { order } = topologicalOrder(sources)
  const nodes = order.filter((i) => spec.layers[i].class_name !== 'InputLayer').map((i) => ({ index: i, name: names[i], class_name: spec.layers[i].class_name, inbound: inbound[i] }))
  const used = new Set(nodes.flatMap((node) => node.inbound))
  const sinks = nodes.filter((node) => !used.has(node.name))
  const output = sinks.length > 0 ? sinks.reduce((a, b) => (b.index > a.index ? b : a)).name : (nodes.at(-1)?.name ?? MODEL_INPUT)
  return { input: MODEL_INPUT, output, sequential: isSequentialSpec(spec), nodes }
}
