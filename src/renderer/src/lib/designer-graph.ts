// The Designer's graph edits as pure functions over a model spec: connect, disconnect, insert a
// layer after another, drop one unconnected, remove layers (reconnecting chains), paste layers
// with fresh names, rename. Every edit first writes the graph out explicitly (each layer's
// `inbound` and name), changes it, then `canonicalizeSpec` puts the layers back in topological
// order and, when the result is a plain chain, removes every `inbound` again, so a Sequential
// design stays the spec it always was. Graph rules (src/shared/model-spec/graph.ts): absent
// `inbound` = the previous layer, [] = not connected, MODEL_INPUT = the model input.
import { layerNames, uniqueLayerName, LAYER_CLASSES, type LayerSpec, type ModelSpec } from '../../../shared/model-spec'
import { MODEL_INPUT, inputLayerName, isSequentialSpec, resolvedInbound, topologicalOrder } from '../../../shared/model-spec/graph'
import { MERGE_CLASSES } from '../../../shared/model-spec/registry'

export { MODEL_INPUT }

/** The graph version of the spec format (a chain keeps the version it has). */
const GRAPH_SPEC_VERSION = 2

export interface GraphEdge {
  /** A layer name, or MODEL_INPUT. */
  from: string
  to: string
}

export interface DesignGraph {
  /** The layers drawn as nodes (a leading InputLayer is the input node, not a layer node), in spec order. */
  nodes: Array<{ index: number; name: string; class_name: string; inbound: string[] }>
  edges: GraphEdge[]
  /** The output layer: the last listed layer that feeds no other; null without layers. */
  output: string | null
  sequential: boolean
}

export function isMergeClass(className: string): boolean {
  return MERGE_CLASSES.has(className)
}

/** The graph as drawn, for any spec (valid or not): unknown inbound names are kept as edges to nowhere and left out. */
export function designGraph(spec: Pick<ModelSpec, 'layers'>): DesignGraph {
  const names = layerNames(spec.layers)
  const inbound = resolvedInbound(spec.layers, names)
  const known = new Set([MODEL_INPUT, ...names])
  const nodes = spec.layers.flatMap((layer, index) => (layer.class_name === 'InputLayer' && index === 0 ? [] : [{ index, name: names[index], class_name: layer.class_name, inbound: inbound[index] }]))
  const edges = nodes.flatMap((node) => node.inbound.filter((from) => known.has(from)).map((from) => ({ from, to: node.name })))
  const used = new Set(edges.map((e) => e.from))
  const sinks = nodes.filter((node) => !used.has(node.name))
  return { nodes, edges, output: sinks.at(-1)?.name ?? nodes.at(-1)?.name ?? null, sequential: isSequentialSpec(spec) }
}

/** Layers whose name materializeGraph wrote (it was generated): a result that is a chain gets them back unnamed. */
const generatedNames = new WeakSet<object>()

/** Writes every layer's name and inbound list explicitly (the graph as it reads now), so layers can move without changing what feeds what. */
export function materializeGraph(spec: ModelSpec): void {
  const names = layerNames(spec.layers)
  const inbound = resolvedInbound(spec.layers, names)
  spec.layers.forEach((layer, i) => {
    if (typeof layer.config.name !== 'string' || !layer.config.name) {
      layer.config.name = names[i]
      generatedNames.add(layer)
    }
    if (layer.class_name === 'InputLayer' && i === 0) delete layer.inbound
    else layer.inbound = inbound[i]
  })
}

/**
 * Topological order (stable: the list order where the edges allow; a leading InputLayer stays
 * first), then: a plain chain drops every `inbound` (and keeps its version), a graph keeps them
 * all, explicit, and is a version-2 spec. A spec without any `inbound` is a chain already.
 */
export function canonicalizeSpec(spec: ModelSpec): void {
  if (!spec.layers.some((l) => l.inbound !== undefined)) return
  materializeGraph(spec)
  const names = layerNames(spec.layers)
  const position = new Map(names.map((name, i) => [name, i]))
  const sources = spec.layers.map((layer) => (layer.inbound ?? []).map((name) => position.get(name)).filter((p): p is number => p !== undefined))
  const { order } = topologicalOrder(sources)
  // Layers on a cycle (never made by these edits, but possible in an imported file) keep their places at the end.
  const placed = new Set(order)
  const full = [...order, ...spec.layers.map((_, i) => i).filter((i) => !placed.has(i))]
  const leading = spec.layers[0]?.class_name === 'InputLayer' ? [0] : []
  const before = spec.layers
  spec.layers = [...leading, ...full.filter((i) => !leading.includes(i))].map((i) => before[i])
  if (isSequentialSpec(spec)) {
    for (const layer of spec.layers) {
      delete layer.inbound
      if (generatedNames.has(layer)) delete layer.config.name
    }
  } else {
    spec.version = GRAPH_SPEC_VERSION
  }
}

function indexOfName(spec: ModelSpec, name: string): number {
  return layerNames(spec.layers).indexOf(name)
}

/** The names a layer's output reaches (itself excluded), following explicit inbound lists. */
function descendants(spec: ModelSpec, name: string): Set<string> {
  const graph = designGraph(spec)
  const out = new Map<string, string[]>()
  for (const e of graph.edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to])
  const seen = new Set<string>()
  const stack = [...(out.get(name) ?? [])]
  while (stack.length > 0) {
    const next = stack.pop()!
    if (seen.has(next)) continue
    seen.add(next)
    stack.push(...(out.get(next) ?? []))
  }
  return seen
}

/** The layers downstream of `name` (what its output reaches). */
export function downstreamOf(spec: ModelSpec, name: string): string[] {
  return [...descendants(spec, name)]
}

export type ConnectRefusal = 'self' | 'unknown' | 'cycle' | 'duplicate' | 'to_input'

/** Why an edge from → to cannot be drawn, or null when it can. */
export function connectRefusal(spec: ModelSpec, from: string, to: string): ConnectRefusal | null {
  const names = layerNames(spec.layers)
  const inputName = inputLayerName(spec.layers, names)
  const source = from === inputName ? MODEL_INPUT : from
  if (to === MODEL_INPUT || to === inputName) return 'to_input'
  if (source === to) return 'self'
  const target = names.indexOf(to)
  if (target < 0 || (source !== MODEL_INPUT && !names.includes(source))) return 'unknown'
  const inbound = resolvedInbound(spec.layers, names)[target]
  if (inbound.includes(source) && (isMergeClass(spec.layers[target].class_name) || inbound.length === 1)) return 'duplicate'
  if (source !== MODEL_INPUT && descendants(spec, to).has(source)) return 'cycle'
  return null
}

/** Draws from → to: a merge layer gains an input, any other layer's input is replaced. Returns false (and changes nothing) when refused. */
export function connectLayers(spec: ModelSpec, from: string, to: string): boolean {
  if (connectRefusal(spec, from, to) !== null) return false
  materializeGraph(spec)
  const source = from === inputLayerName(spec.layers, layerNames(spec.layers)) ? MODEL_INPUT : from
  const layer = spec.layers[indexOfName(spec, to)]
  layer.inbound = isMergeClass(layer.class_name) ? [...(layer.inbound ?? []), source] : [source]
  canonicalizeSpec(spec)
  return true
}

/** Removes the edge from → to (every occurrence). Returns whether there was one. */
export function disconnectLayers(spec: ModelSpec, from: string, to: string): boolean {
  const names = layerNames(spec.layers)
  const target = names.indexOf(to)
  const source = from === inputLayerName(spec.layers, names) ? MODEL_INPUT : from
  if (target < 0 || !resolvedInbound(spec.layers, names)[target].includes(source)) return false
  materializeGraph(spec)
  const layer = spec.layers[target]
  layer.inbound = (layer.inbound ?? []).filter((name) => name !== source)
  canonicalizeSpec(spec)
  return true
}

/**
 * Inserts `layer` after `anchor` (a layer name or MODEL_INPUT; null: after the output layer, or
 * the input when there are no layers): it takes the anchor's output, and what the anchor fed now
 * takes the new layer instead. Returns false when the anchor is unknown.
 */
export function insertLayerAfter(spec: ModelSpec, anchor: string | null, layer: LayerSpec): boolean {
  const names = layerNames(spec.layers)
  const inputName = inputLayerName(spec.layers, names)
  const from = anchor === null ? (designGraph(spec).output ?? MODEL_INPUT) : anchor === inputName ? MODEL_INPUT : anchor
  if (from !== MODEL_INPUT && !names.includes(from)) return false
  materializeGraph(spec)
  const newName = layer.config.name as string
  for (const other of spec.layers) if (other.inbound) other.inbound = other.inbound.map((name) => (name === from ? newName : name))
  const at = from === MODEL_INPUT ? (inputName ? 1 : 0) : names.indexOf(from) + 1
  spec.layers.splice(at, 0, { ...layer, inbound: [from] })
  canonicalizeSpec(spec)
  return true
}

/** Adds `layer` unconnected (`inbound: []`), as a node dropped on the canvas; it is listed last. */
export function addUnconnectedLayer(spec: ModelSpec, layer: LayerSpec): void {
  materializeGraph(spec)
  spec.layers.push({ ...layer, inbound: [] })
  canonicalizeSpec(spec)
}

/**
 * Removes the named layers. A removed layer with exactly one input hands that input to the layers
 * it fed (a chain closes over the gap); one with several inputs (a merge) leaves its consumers
 * without it. Returns the names actually removed.
 */
export function removeLayersByName(spec: ModelSpec, names: readonly string[]): string[] {
  const present = layerNames(spec.layers)
  const doomed = names.filter((name, i) => present.includes(name) && names.indexOf(name) === i)
  if (doomed.length === 0) return []
  materializeGraph(spec)
  for (const name of doomed) {
    const at = indexOfName(spec, name)
    const removed = spec.layers[at]
    const feeds = removed.inbound ?? []
    spec.layers.splice(at, 1)
    for (const other of spec.layers) {
      if (!other.inbound?.includes(name)) continue
      const replaced = other.inbound.flatMap((source) => (source === name ? (feeds.length === 1 ? [feeds[0]] : []) : [source]))
      // A non-merge layer keeps one input; a merge keeps each distinct input once.
      other.inbound = isMergeClass(other.class_name) ? replaced.filter((s, k) => replaced.indexOf(s) === k) : replaced.slice(0, 1)
    }
  }
  canonicalizeSpec(spec)
  return doomed
}

/** Renames a layer and every reference to it in other layers' inbound lists. */
export function renameLayer(spec: ModelSpec, index: number, name: string | undefined): void {
  const layer = spec.layers[index]
  if (!layer) return
  const graph = !isSequentialSpec(spec)
  const before = layerNames(spec.layers)
  if (name === undefined) delete layer.config.name
  else layer.config.name = name
  if (!graph) return
  const after = layerNames(spec.layers)
  // Generated names may shift when one is removed: every layer whose name changed is renamed in the references.
  const renamed = new Map(before.flatMap((old, i): Array<[string, string]> => (old !== after[i] ? [[old, after[i]]] : [])))
  for (const other of spec.layers) if (other.inbound) other.inbound = other.inbound.map((source) => renamed.get(source) ?? source)
  spec.layers.forEach((l, i) => (l.config.name = after[i]))
}

/** Copies of the named layers (spec order) with their inbound lists written out, for the clipboard. */
export function copyLayers(spec: ModelSpec, names: readonly string[]): LayerSpec[] {
  const all = layerNames(spec.layers)
  const inbound = resolvedInbound(spec.layers, all)
  const wanted = new Set(names)
  return spec.layers.flatMap((layer, i) => {
    if (!wanted.has(all[i]) || (layer.class_name === 'InputLayer' && i === 0)) return []
    const copy = JSON.parse(JSON.stringify({ class_name: layer.class_name, config: { ...layer.config, name: all[i] } })) as LayerSpec
    return [{ ...copy, inbound: [...inbound[i]] }]
  })
}

/**
 * Adds copied layers under fresh unique names. Edges between the copied layers are kept (renamed);
 * inputs from outside the copy are dropped, so those layers arrive unconnected. Returns the old →
 * new name map, in paste order.
 */
export function pasteLayerCopies(spec: ModelSpec, layers: readonly LayerSpec[]): Map<string, string> {
  const taken = new Set(layerNames(spec.layers))
  taken.add(MODEL_INPUT)
  const renamed = new Map<string, string>()
  const copies = layers.map((layer, i) => {
    const old = typeof layer.config.name === 'string' ? layer.config.name : `${layer.class_name}_${i}`
    const base = LAYER_CLASSES[layer.class_name]?.name_base ?? layer.class_name.toLowerCase()
    const fresh = uniqueLayerName(base, taken)
    taken.add(fresh)
    renamed.set(old, fresh)
    return { layer, fresh }
  })
  if (copies.length === 0) return renamed
  materializeGraph(spec)
  for (const { layer, fresh } of copies) {
    const copy = JSON.parse(JSON.stringify({ class_name: layer.class_name, config: layer.config })) as LayerSpec
    copy.config.name = fresh
    const inbound = (layer.inbound ?? []).flatMap((source) => (renamed.has(source) ? [renamed.get(source)!] : []))
    spec.layers.push({ ...copy, inbound })
  }
  canonicalizeSpec(spec)
  return renamed
}
