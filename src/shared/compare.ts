// Pure helpers behind the Compare and Train views: a diff of N runs' hyperparameters and
// architecture, and series transforms for charts (TensorBoard-style EMA smoothing, LTTB and
// min/max downsampling, best/last of a metric).
import { layerNames, MODEL_INPUT, normalizeSpec, resolvedInbound, topologicalOrder, type ModelSpec } from './model-spec'
import { trainingConfigSchema, type TrainingConfig } from './training'
import { bestOf, lastValue, metricDirection, type MetricDirection } from './metric-best'

export type DiffValue = string | number | boolean | null

export interface DiffRow {
  /** Dotted path, e.g. `optimizer.learning_rate` or `layers[1].units`. */
  key: string
  section: 'training' | 'architecture'
  /** One value per run, in the order the runs were given; null where a run has no such key. */
  values: DiffValue[]
  differs: boolean
}

export interface DiffInput {
  spec: ModelSpec
  config: TrainingConfig
}

/**
 * Flattens nested objects and arrays into dotted keys. Arrays of scalars stay one value
 * (`[28,28,1]` reads better than three rows); arrays of objects get `[i]` indices.
 */
export function flattenForDiff(value: unknown, prefix = '', into: Record<string, DiffValue> = {}): Record<string, DiffValue> {
  if (value === undefined) return into
  if (value === null || typeof value !== 'object') {
    into[prefix] = value as DiffValue
    return into
  }
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      into[prefix] = `[${value.map((item) => String(item)).join(', ')}]`
      return into
    }
    value.forEach((item, index) => flattenForDiff(item, `${prefix}[${index}]`, into))
    if (value.length === 0) into[prefix] = '[]'
    return into
  }
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0 && prefix) into[prefix] = '{}'
  for (const [key, item] of entries) flattenForDiff(item, prefix ? `${prefix}.${key}` : key, into)
  return into
}

/**
 * A run's config and spec with every default spelled out (the training config through its schema,
 * each layer through the model-spec registry), so that a value left out in one run and given as
 * its default in another (no `kernel_initializer` vs `glorot_uniform`) is no difference.
 */
export function withDefaults(run: DiffInput): DiffInput {
  const config = trainingConfigSchema.safeParse(run.config)
  let spec = run.spec
  try {
    spec = normalizeSpec(run.spec)
  } catch {
    // A spec the registry cannot read stays as recorded.
  }
  return { spec, config: config.success ? config.data : run.config }
}

/** The rows a person compares for one run: training config keys, then the architecture layer by layer (defaults resolved). */
export function flattenRun(input: DiffInput): { training: Record<string, DiffValue>; architecture: Record<string, DiffValue> } {
  const run = withDefaults(input)
  const training = flattenForDiff(run.config)
  const architecture: Record<string, DiffValue> = {
    input_shape: `[${run.spec.input_shape.join(', ')}]`,
    layer_count: run.spec.layers.length
  }
  run.spec.layers.forEach((layer, index) => {
    architecture[`layers[${index}].class_name`] = layer.class_name
    // The layer name is generated and differs between otherwise identical models: not a difference that matters.
    const { name: _name, ...config } = layer.config
    flattenForDiff(config, `layers[${index}]`, architecture)
  })
  return { training, architecture }
}

function sameValue(a: DiffValue, b: DiffValue): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b))
  return a === b
}

/**
 * Diffs N runs: one row per key that any run has, in a stable order (training first, then
 * architecture by layer index). Defaults are resolved first ({@link withDefaults}); a row differs
 * when its cells read differently, so a key that some runs lack and others hold as null ("—"
 * beside "—") is no difference.
 */
export function diffRuns(runs: readonly DiffInput[]): DiffRow[] {
  const flat = runs.map(flattenRun)
  const rows: DiffRow[] = []
  for (const section of ['training', 'architecture'] as const) {
    const keys: string[] = []
    const seen = new Set<string>()
    for (const run of flat) {
      for (const key of Object.keys(run[section])) {
        if (!seen.has(key)) {
          seen.add(key)
          keys.push(key)
        }
      }
    }
    if (section === 'architecture') keys.sort(compareArchitectureKeys)
    for (const key of keys) {
      const values = flat.map((run) => (key in run[section] ? run[section][key] : null))
      const differs = values.some((value) => !sameValue(value, values[0]) && formatDiffValue(value) !== formatDiffValue(values[0]))
      rows.push({ key, section, values, differs })
    }
  }
  return rows
}

// ---- architecture as a graph: nodes (layers, by name) and edges (from → to) added, removed, changed

export type ArchStatus = 'same' | 'added' | 'removed' | 'changed'

export interface ArchFieldChange {
  /** `class_name`, a dotted config key (`units`, `kernel_initializer.class_name`), or `inbound` (same sources, another order). */
  field: string
  old: DiffValue
  new: DiffValue
}

export interface ArchNode {
  /** The layer name; MODEL_INPUT for the model input. */
  name: string
  /** The class in the newer spec (the older one's for a removed node). */
  class_name: string
  status: ArchStatus
  changes: ArchFieldChange[]
  /** Longest path from the input in the spec the node is drawn from (the newer one, else the older). */
  depth: number
}

export interface ArchEdge {
  from: string
  to: string
  status: Exclude<ArchStatus, 'changed'>
}

export interface ArchitectureDiff {
  /** Nodes of both specs: the input first, then the newer spec's in topological order, then the removed ones. */
  nodes: ArchNode[]
  edges: ArchEdge[]
  /** The model input's shape when it changed. */
  input_shape: { old: string; new: string } | null
  counts: { added: number; removed: number; changed: number; edges_added: number; edges_removed: number }
  /** Nothing differs. */
  same: boolean
}

interface GraphView {
  order: string[]
  classes: Map<string, string>
  configs: Map<string, Record<string, DiffValue>>
  inbound: Map<string, string[]>
  depth: Map<string, number>
}

/** A spec as named nodes with defaults resolved, inbound lists (MODEL_INPUT for the input) and depths. */
function graphView(spec: ModelSpec): GraphView {
  let resolved = spec
  try {
    resolved = normalizeSpec(spec)
  } catch {
    // A spec the registry cannot read is compared as recorded.
  }
  const names = layerNames(resolved.layers)
  const inbound = resolvedInbound(resolved.layers, names)
  const position = new Map(names.map((name, i) => [name, i]))
  const sources = inbound.map((list) => list.map((name) => position.get(name)).filter((p): p is number => p !== undefined))
  const { order } = topologicalOrder(sources)
  // Layers caught in a cycle (a spec that never validated) are still listed, after the others.
  const placed = new Set(order)
  const full = [...order, ...names.map((_, i) => i).filter((i) => !placed.has(i))]
  const view: GraphView = { order: [MODEL_INPUT], classes: new Map([[MODEL_INPUT, 'InputLayer']]), configs: new Map([[MODEL_INPUT, {}]]), inbound: new Map([[MODEL_INPUT, []]]), depth: new Map([[MODEL_INPUT, 0]]) }
  for (const i of full) {
    const layer = resolved.layers[i]
    // A leading InputLayer is the model input itself (its name maps to MODEL_INPUT in every inbound list).
    if (layer.class_name === 'InputLayer') continue
    const { name: _name, ...config } = layer.config
    view.order.push(names[i])
    view.classes.set(names[i], layer.class_name)
    view.configs.set(names[i], flattenForDiff(config))
    view.inbound.set(names[i], inbound[i])
    view.depth.set(names[i], 1 + Math.max(0, ...inbound[i].map((source) => view.depth.get(source) ?? 0)))
  }
  return view
}

function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`
}

/**
 * What changed from one run's architecture to another's, as a graph: layers matched by name are
 * the same node; a node is changed when its class or a config value differs (defaults resolved, so
 * a value left out and its default given are the same), or when it takes the same inputs in another
 * order (which matters for Subtract and Concatenate). Edges are (from → to) pairs of layer names.
 */
export function architectureDiff(older: ModelSpec, newer: ModelSpec): ArchitectureDiff {
  const a = graphView(older)
  const b = graphView(newer)
  const nodes: ArchNode[] = []
  for (const name of b.order) {
    const depth = b.depth.get(name) ?? 0
    const className = b.classes.get(name)!
    if (!a.classes.has(name)) {
      nodes.push({ name, class_name: className, status: 'added', changes: [], depth })
      continue
    }
    const changes: ArchFieldChange[] = []
    const oldClass = a.classes.get(name)!
    if (oldClass !== className) changes.push({ field: 'class_name', old: oldClass, new: className })
    const oldConfig = a.configs.get(name)!
    const newConfig = b.configs.get(name)!
    const keys = [...new Set([...Object.keys(oldConfig), ...Object.keys(newConfig)])]
    for (const key of keys) {
      const before = key in oldConfig ? oldConfig[key] : null
      const after = key in newConfig ? newConfig[key] : null
      if (!sameValue(before, after) && formatDiffValue(before) !== formatDiffValue(after)) changes.push({ field: key, old: before, new: after })
    }
    const oldInbound = a.inbound.get(name)!
    const newInbound = b.inbound.get(name)!
    const sameSources = [...oldInbound].sort().join('\u0000') === [...newInbound].sort().join('\u0000')
    if (sameSources && oldInbound.join('\u0000') !== newInbound.join('\u0000')) changes.push({ field: 'inbound', old: oldInbound.join(', '), new: newInbound.join(', ') })
    nodes.push({ name, class_name: className, status: changes.length ? 'changed' : 'same', changes, depth })
  }
  for (const name of a.order) if (!b.classes.has(name)) nodes.push({ name, class_name: a.classes.get(name)!, status: 'removed', changes: [], depth: a.depth.get(name) ?? 0 })

  const edgesOf = (view: GraphView): Map<string, { from: string; to: string }> => {
    const edges = new Map<string, { from: string; to: string }>()
    for (const to of view.order) for (const from of view.inbound.get(to) ?? []) edges.set(edgeKey(from, to), { from, to })
    return edges
  }
  const oldEdges = edgesOf(a)
  const newEdges = edgesOf(b)
  const edges: ArchEdge[] = [
    ...[...newEdges].map(([key, edge]) => ({ ...edge, status: oldEdges.has(key) ? ('same' as const) : ('added' as const) })),
    ...[...oldEdges].filter(([key]) => !newEdges.has(key)).map(([, edge]) => ({ ...edge, status: 'removed' as const }))
  ]
  const oldShape = `[${older.input_shape.join(', ')}]`
  const newShape = `[${newer.input_shape.join(', ')}]`
  const counts = {
    added: nodes.filter((n) => n.status === 'added').length,
    removed: nodes.filter((n) => n.status === 'removed').length,
    changed: nodes.filter((n) => n.status === 'changed').length,
    edges_added: edges.filter((e) => e.status === 'added').length,
    edges_removed: edges.filter((e) => e.status === 'removed').length
  }
  const input_shape = oldShape === newShape ? null : { old: oldShape, new: newShape }
  return { nodes, edges, input_shape, counts, same: !input_shape && Object.values(counts).every((n) => n === 0) }
}

/** The diff as plain English lines (the command line's `runs compare`): one line per kind of change; none when nothing differs. */
export function architectureDiffLines(diff: ArchitectureDiff): string[] {
  const lines: string[] = []
  if (diff.input_shape) lines.push(`input shape: ${diff.input_shape.old} → ${diff.input_shape.new}`)
  const named = (status: ArchStatus): string => diff.nodes.filter((n) => n.status === status).map((n) => `${n.name} (${n.class_name})`).join(', ')
  if (diff.counts.added) lines.push(`added layers: ${named('added')}`)
  if (diff.counts.removed) lines.push(`removed layers: ${named('removed')}`)
  for (const node of diff.nodes.filter((n) => n.status === 'changed')) {
    lines.push(`changed ${node.name} (${node.class_name}): ${node.changes.map((c) => `${c.field === 'inbound' ? 'input order' : c.field} ${formatDiffValue(c.old)} → ${formatDiffValue(c.new)}`).join(', ')}`)
  }
  const edges = (status: 'added' | 'removed'): string => diff.edges.filter((e) => e.status === status).map((e) => `${e.from} → ${e.to}`).join(', ')
  if (diff.counts.edges_added) lines.push(`added connections: ${edges('added')}`)
  if (diff.counts.edges_removed) lines.push(`removed connections: ${edges('removed')}`)
  return lines
}

/**
 * A colour slot (palette index) per run id that stays with the run: runs keep the slot they had
 * in `previous`, and a new run takes the lowest slot no kept run holds (the view wraps slots
 * past its palette's length). Removing a run never recolours the others.
 */
export function assignRunColors(ids: readonly string[], previous: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  const taken = new Set<number>()
  for (const id of ids) {
    const slot = previous[id]
    if (slot !== undefined && Number.isInteger(slot) && slot >= 0 && !taken.has(slot)) {
      out[id] = slot
      taken.add(slot)
    }
  }
  for (const id of ids) {
    if (out[id] !== undefined) continue
    let slot = 0
    while (taken.has(slot)) slot++
    out[id] = slot
    taken.add(slot)
  }
  return out
}

function layerIndexOf(key: string): number {
  const match = /^layers\[(\d+)\]/.exec(key)
  return match ? Number(match[1]) : -1
}

function compareArchitectureKeys(a: string, b: string): number {
  const ia = layerIndexOf(a)
  const ib = layerIndexOf(b)
  if (ia !== ib) return ia - ib
  // class_name first inside a layer, so that a layer's rows start with what it is.
  const ca = a.endsWith('.class_name') ? 0 : 1
  const cb = b.endsWith('.class_name') ? 0 : 1
  if (ca !== cb) return ca - cb
  return 0
}

/** Formats a diff cell for a table. */
export function formatDiffValue(value: DiffValue): string {
  if (value === null) return '—'
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value)
    const abs = Math.abs(value)
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : String(Number(value.toPrecision(6)))
  }
  return String(value)
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the
 * first points are not dragged toward 0. `weight` in [0, 1); 0 returns the input. Non-finite
 * values pass through unchanged and do not poison the average.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new RangeError(`smoothing weight must be in [0, 1); got ${weight}`)
  const out = new Array<number>(values.length)
  let last = 0
  let count = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (!Number.isFinite(value)) {
      out[i] = value
      continue
    }
    last = last * weight + (1 - weight) * value
    count++
    const debias = weight === 0 ? 1 : 1 - Math.pow(weight, count)
    out[i] = last / debias
  }
  return out
}

export interface XYSeries {
  x: number[]
  y: number[]
}

/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the visual shape of a
 * line with `threshold` points; first and last are always kept. Returns the input when it fits.
 */
export function lttb(x: readonly number[], y: readonly number[], threshold: number): XYSeries {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`)
  const n = x.length
  if (threshold < 3 || n <= threshold) return { x: x.slice(), y: y.slice() }
  const outX: number[] = [x[0]]
  const outY: number[] = [y[0]]
  const bucketSize = (n - 2) / (threshold - 2)
  let a = 0
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const nextStart = Math.floor((bucket + 1) * bucketSize) + 1
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n)
    let avgX = 0
    let avgY = 0
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += x[i]
      avgY += y[i]
    }
    const nextCount = Math.max(nextEnd - nextStart, 1)
    avgX /= nextCount
    avgY /= nextCount
    const start = Math.floor(bucket * bucketSize) + 1
    const end = Math.floor((bucket + 1) * bucketSize) + 1
    let maxArea = -1
    let chosen = start
    for (let i = start; i < end; i++) {
      const area = Math.abs((x[a] - avgX) * (y[i] - y[a]) - (x[a] - x[i]) * (avgY - y[a]))
      if (area > maxArea) {
        maxArea = area
        chosen = i
      }
    }
    outX.push(x[chosen])
    outY.push(y[chosen])
    a = chosen
  }
  outX.push(x[n - 1])
  outY.push(y[n - 1])
  return { x: outX, y: outY }
}

/**
 * Min/max buckets: each of `buckets` equal index ranges keeps its minimum and maximum (in x
 * order), so spikes such as a diverging loss survive downsampling. At most 2 × buckets points.
 */
export function minMaxDownsample(x: readonly number[], y: readonly number[], buckets: number): XYSeries {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`)
  const n = x.length
  if (buckets < 1 || n <= buckets * 2) return { x: x.slice(), y: y.slice() }
  const outX: number[] = []
  const outY: number[] = []
  const size = n / buckets
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor(bucket * size)
    const end = Math.min(Math.floor((bucket + 1) * size), n)
    let minI = start
    let maxI = start
    for (let i = start + 1; i < end; i++) {
      if (y[i] < y[minI]) minI = i
      if (y[i] > y[maxI]) maxI = i
    }
    const first = Math.min(minI, maxI)
    const second = Math.max(minI, maxI)
    outX.push(x[first])
    outY.push(y[first])
    if (second !== first) {
      outX.push(x[second])
      outY.push(y[second])
    }
  }
  return { x: outX, y: outY }
}

/** Whether a higher or a lower value of a metric is better: the one definition in metric-best.ts. */
export function metricGoal(name: string): MetricDirection {
  return metricDirection(name)
}

/** The last finite value of a series and the best one (min or max over the series, by the metric's direction) with its index. */
export function lastAndBest(name: string, values: readonly number[]): { last: number | null; best: number | null; bestIndex: number | null } {
  const best = bestOf(name, values)
  return { last: lastValue(values), best: best?.value ?? null, bestIndex: best?.index ?? null }
}
