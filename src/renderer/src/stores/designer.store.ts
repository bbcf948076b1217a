// Designer state: the model spec being edited, its snapshot history (undo/redo), the selected
// layer, and the validation and shape inference derived from the spec on every edit. Also the
// hand-over to the Train view: loading a template gives its training settings to the training store (loadExample).
// The design is a draft kept across reloads (persisted.ts, key `designer.draft`): the spec
// without weights, its name, the saved model/version or template it came from and the data set
// chosen for it, and the canvas's node positions; replacing unsaved work (template, saved model,
// New) asks first (`confirm`).
// The model is a graph (layer `inbound` lists): every canvas action — connect, disconnect, add
// after, drop, paste, group delete — is one undoable edit made with the pure functions of
// lib/designer-graph.ts, which keep the layers in topological order and a plain chain free of
// `inbound`. Node positions live beside the spec (`positions`, by layer name), outside undo.
import { defineStore, type Pinia } from 'pinia'
import { effectScope, markRaw, toRaw } from 'vue'
import { z } from 'zod'
import type { SavedModel } from '../../../shared/contract'
import { createLayer, layerNames, modelSpecSchema, validateSpec, type LayerShape, type LayerSpec, type ModelSpec, type SpecError, type ValidationResult } from '../../../shared/model-spec'
import {
  MODEL_INPUT,
  addUnconnectedLayer,
  connectLayers,
  connectRefusal,
  copyLayers,
  designGraph,
  disconnectLayers,
  downstreamOf,
  insertLayerAfter,
  pasteLayerCopies,
  removeLayersByName,
  renameLayer,
  type ConnectRefusal,
  type DesignGraph,
  type GraphEdge
} from '../lib/designer-graph'
import { layoutGraph, type Point } from '../lib/graph-layout'
import { EXAMPLES } from '../../../shared/examples'
import { client } from '../api'
import { useDatasetsStore } from './datasets.store'
import { useTrainingStore } from './training.store'
import { loadState, persistOnChange, saveState } from './persisted'
import { inputShapeFits } from '../../../shared/dataset'

/** Snapshots kept for undo; older ones are dropped. */
export const HISTORY_LIMIT = 200
/** Edits of the same field closer together than this become one undo step (typing "512" is one edit). */
export const COALESCE_MS = 1000

export function emptySpec(name = 'model'): ModelSpec {
  return { format: 'model-workbench/spec', version: 1, name, input_shape: [784], layers: [] }
}

/** What the canvas shows for one layer: its shape row (null where inference stopped) and its errors. */
export interface LayerView {
  index: number
  name: string
  class_name: string
  shape: LayerShape | null
  errors: SpecError[]
}

/** Sizes the layout assumes for nodes the canvas has not measured (a layer card; the input node with its fields). */
export const NODE_SIZE = { width: 240, height: 78 }
export const INPUT_NODE_SIZE = { width: 300, height: 112 }
/** How far below its anchor a layer added after it is placed. */
export const NODE_STEP = 118
/** Where pasted layers land relative to the copied ones. */
export const PASTE_OFFSET = 40

/** Where a node placed directly below `anchor` (its top-left at `at`) goes: a step down; under the wider input node, centred. */
function placedBelow(anchor: string, at: Point): Point {
  return anchor === MODEL_INPUT
    ? { x: at.x + (INPUT_NODE_SIZE.width - NODE_SIZE.width) / 2, y: at.y + INPUT_NODE_SIZE.height + NODE_STEP - NODE_SIZE.height }
    : { x: at.x, y: at.y + NODE_STEP }
}

/** Node positions (top-left corners) of a spec laid out top to bottom; `sizes` are measured node sizes by id. */
export function designLayout(spec: ModelSpec, sizes: Record<string, { width: number; height: number }> = {}): Record<string, Point> {
  const graph = designGraph(spec)
  const nodes = [{ id: MODEL_INPUT, ...(sizes[MODEL_INPUT] ?? INPUT_NODE_SIZE) }, ...graph.nodes.map((n) => ({ id: n.name, ...(sizes[n.name] ?? NODE_SIZE) }))]
  return layoutGraph(nodes, graph.edges)
}

/** A plain deep copy (structuredClone refuses Pinia's reactive proxies). */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/**
 * A deep copy of a spec whose layer weights (an imported model's, possibly millions of numbers)
 * are shared, not copied: the Designer never changes weight values, only keeps or drops them, so
 * every undo snapshot can point at the same raw arrays, and Vue never wraps them in proxies.
 */
export function cloneSpec(spec: ModelSpec): ModelSpec {
  const raw = toRaw(spec)
  const { layers, ...rest } = raw
  return {
    ...clone(rest),
    layers: layers.map((proxied) => {
      const { weights, ...layer } = toRaw(proxied)
      const copy = clone(layer) as ModelSpec['layers'][number]
      if (weights) copy.weights = markRaw(toRaw(weights).map((w) => markRaw(toRaw(w))))
      return copy
    })
  }
}

/** Layers with at most this many weight values count them as part of the design (hand-set weights); bigger ones (imported models) do not. */
const KEYED_WEIGHTS_MAX = 256

/** The spec as text, small layers' weights included but not big ones': what "unsaved changes" compares. */
function specKey(spec: ModelSpec): string {
  return JSON.stringify({
    ...toRaw(spec),
    layers: toRaw(spec).layers.map((l) => {
      const weights = toRaw(l).weights
      const small = weights && weights.reduce((n, w) => n + w.length, 0) <= KEYED_WEIGHTS_MAX
      return { class_name: l.class_name, config: l.config, ...(l.inbound ? { inbound: l.inbound } : {}), ...(small ? { weights } : {}) }
    })
  })
}

/** A plain copy of the spec without layer weights (what the draft keeps: weights can be millions of numbers). */
export function specWithoutWeights(spec: ModelSpec): ModelSpec {
  const raw = toRaw(spec)
  return clone({ ...raw, layers: raw.layers.map((l) => ({ class_name: toRaw(l).class_name, config: toRaw(l).config, ...(toRaw(l).inbound ? { inbound: toRaw(l).inbound } : {}) })) })
}

/** A Dense layer gets the Set weights table when its kernel holds at most this many values (seed 004 sets 1×3 and 3×1 by hand). */
export const HAND_SET_MAX_KERNEL = 64

/** The weight tensors a layer's Set weights table edits (name and shape, Keras order), or null when the layer is not a small Dense layer or its shapes are unknown. */
export function handSetShapes(layer: LayerShape | null | undefined): Array<{ name: string; shape: number[] }> | null {
  if (!layer || layer.class_name !== 'Dense') return null
  const kernel = layer.weights.find((w) => w.name === 'kernel')
  if (!kernel || kernel.shape.reduce((a, b) => a * b, 1) > HAND_SET_MAX_KERNEL) return null
  return layer.weights.map((w) => ({ name: w.name, shape: [...w.shape] }))
}

/** Which saved model version a design came from. */
export interface ModelRef {
  id: string
  name: string
  version: number
}

/** What would replace the design: asked about first when there is unsaved work. */
/** `spec`: a run's model opened from Runs. */
export type ReplaceAction = { kind: 'template'; id: string } | { kind: 'saved'; model: SavedModel } | { kind: 'spec'; spec: ModelSpec } | { kind: 'new' }

/** localStorage key (under persisted.ts's prefix) of the draft design. */
export const DRAFT_KEY = 'designer.draft'

const modelRefSchema = z.object({ id: z.string(), name: z.string(), version: z.number().int() })
export const draftSchema = z.object({
  spec: modelSpecSchema,
  /** The spec as last opened, loaded or saved (without weights): what "unsaved" compares with and what Discard returns to. */
  clean: modelSpecSchema.nullable(),
  exampleId: z.string().nullable(),
  origin: modelRefSchema.nullable(),
  datasetId: z.string().nullable(),
  /** Layers that carried imported weights, which the draft does not keep. */
  weightedLayers: z.number().int().nonnegative(),
  /** The canvas's node positions by layer name (MODEL_INPUT: the input node); drafts from before the graph canvas have none. */
  positions: z.record(z.string(), z.object({ x: z.number(), y: z.number() })).optional()
})
export type Draft = z.infer<typeof draftSchema>

/** The initial state's draft part: the stored draft when there is one. */
function restoredDraft(): { spec: ModelSpec; clean: ModelSpec; exampleId: string | null; origin: ModelRef | null; datasetId: string | null; restored: { weightsLost: number } | null; positions: Record<string, Point> } {
  const draft = loadState(DRAFT_KEY, draftSchema)
  if (!draft) return { spec: emptySpec(), clean: emptySpec(), exampleId: null, origin: null, datasetId: null, restored: null, positions: designLayout(emptySpec()) }
  const clean = draft.clean ?? emptySpec()
  const dirty = draft.spec.layers.length > 0 && specKey(draft.spec) !== specKey(clean)
  return {
    spec: draft.spec,
    clean,
    exampleId: draft.exampleId,
    origin: draft.origin,
    datasetId: draft.datasetId,
    restored: dirty || draft.weightedLayers > 0 ? { weightsLost: draft.weightedLayers } : null,
    positions: { ...designLayout(draft.spec), ...(draft.positions ?? {}) }
  }
}

/**
 * Layers whose weights no longer fit their inferred weight shapes (units, kernel size or the
 * input changed): their weights are removed, so the layer trains from its initializer. Returns
 * the names of the layers that lost theirs. Layers whose shapes cannot be inferred keep them.
 */
export function dropStaleWeights(spec: ModelSpec): string[] {
  if (!spec.layers.some((l) => l.weights)) return []
  // Shapes of the layers as designed, without the weights (weights that do not fit are an error that stops inference).
  const unweighted = { ...toRaw(spec), layers: toRaw(spec).layers.map((layer) => ({ class_name: layer.class_name, config: layer.config, ...(layer.inbound ? { inbound: layer.inbound } : {}) })) }
  const inferred = new Map(validateSpec(unweighted).layers.map((l) => [l.index, l]))
  const names = layerNames(spec.layers)
  const dropped: string[] = []
  spec.layers.forEach((layer, i) => {
    const shape = inferred.get(i + 1)
    if (!layer.weights || !shape) return
    const expected = shape.weights.map((w) => w.shape.reduce((a, b) => a * b, 1))
    const fits = layer.weights.length === expected.length && layer.weights.every((w, k) => w.length === expected[k])
    if (fits) return
    delete layer.weights
    dropped.push(names[i] ?? layer.class_name)
  })
  return dropped
}

const useDesignerStoreDefinition = defineStore('designer', {
  state: () => {
    const draft = restoredDraft()
    return {
    spec: draft.spec as ModelSpec,
    /** 0-based index of the layer whose properties are shown, or null for the model itself. */
    selectedIndex: null as number | null,
    /** The layers selected on the canvas (shift-click, box); the one whose properties show is `selectedIndex`. */
    selectedNames: [] as string[],
    /** The canvas's node positions (top-left, canvas units) by layer name; MODEL_INPUT is the input node. Not part of undo. */
    positions: draft.positions as Record<string, Point>,
    /** Layers copied with Ctrl+C (inbound written out, names as they were), and where they stood. */
    clipboard: null as { layers: LayerSpec[]; positions: Record<string, Point> } | null,
    /** The palette's chosen layer class: what "A" adds after the selected layer. */
    paletteChoice: null as string | null,
    /** Counts whole-graph layouts (template, import, Tidy): the canvas then re-measures and fits the view. */
    layoutVersion: 0,
    past: [] as ModelSpec[],
    future: [] as ModelSpec[],
    /** Which field the last edit touched and when, to merge keystrokes into one undo step. */
    lastEdit: null as { key: string; at: number } | null,
    /** The template last loaded (its id), for the toolbar. */
    exampleId: draft.exampleId as string | null,
    /** The saved model version the design was opened from or last saved as (kept through edits, unlike `saved`). */
    origin: draft.origin as ModelRef | null,
    /** The data set chosen for the design (its input shape follows it); defaults to the template's. */
    datasetId: draft.datasetId as string | null,
    /** Set when the page opened on a restored draft with unsaved work; the toolbar offers Discard. */
    draftRestored: draft.restored as { weightsLost: number } | null,
    /** The spec as last opened or saved, without weights (Discard returns to it). */
    cleanSpec: draft.clean as ModelSpec,
    /** A replacement waiting for the user's answer (Save / Discard / Cancel) because the design has unsaved work. */
    confirm: null as ReplaceAction | null,
    /** The last save: model id and its version number; `unchanged` when the save found nothing new (no version made). */
    saved: null as { id: string; name: string; version: number; unchanged?: boolean } | null,
    saving: false,
    saveError: null as string | null,
    /** The spec (without weights) as last opened, imported or saved, to tell whether there are unsaved changes. */
    cleanKey: specKey(draft.clean),
    /** Layers whose imported weights the last edit removed because they no longer fit. */
    weightsDropped: [] as string[]
    }
  },
  getters: {
    modelName: (state): string => state.spec.name,
    /** validateSpec over the current spec: errors plus every shape that could be inferred. */
    validation: (state): ValidationResult => validateSpec(state.spec),
    /** Shape inference: per-layer output shapes and parameters, and the totals (over the inferable prefix when invalid). */
    shapes(): { layers: LayerShape[]; total_params: number; trainable_params: number; output_shape: number[] | null; complete: boolean } {
      const v = this.validation
      if (v.summary) return { layers: v.summary.layers, total_params: v.summary.total_params, trainable_params: v.summary.trainable_params, output_shape: v.summary.output_shape, complete: true }
      return {
        layers: v.layers,
        total_params: v.layers.reduce((n, l) => n + l.params, 0),
        trainable_params: v.layers.reduce((n, l) => n + l.trainable_params, 0),
        output_shape: null,
        complete: false
      }
    },
    /** One entry per layer, 0-based, joining names, shapes and errors for the canvas. */
    layerViews(): LayerView[] {
      const names = layerNames(this.spec.layers)
      const byIndex = new Map(this.validation.layers.map((l) => [l.index, l]))
      return this.spec.layers.map((layer, i) => ({
        index: i,
        name: names[i] ?? '',
        class_name: layer.class_name,
        shape: byIndex.get(i + 1) ?? null,
        errors: this.validation.errors.filter((e) => e.layer === i + 1)
      }))
    },
    /** The model as drawn: nodes (spec order), edges (MODEL_INPUT for the input), the output layer. */
    graph(): DesignGraph {
      return designGraph(this.spec)
    },
    /** Errors about the model as a whole (input shape, no layers). */
    modelErrors(): SpecError[] {
      return this.validation.errors.filter((e) => e.layer === null)
    },
    selectedLayer: (state) => (state.selectedIndex === null ? null : (state.spec.layers[state.selectedIndex] ?? null)),
    canUndo: (state): boolean => state.past.length > 0,
    canRedo: (state): boolean => state.future.length > 0,
    /** How many layers carry weights (from an imported file); training starts from them (fine-tuning). */
    weightedLayers: (state): number => state.spec.layers.filter((l) => l.weights).length,
    /** Whether replacing the model would lose work: layers that differ from what was last opened or saved. */
    hasUnsavedWork: (state): boolean => state.spec.layers.length > 0 && specKey(state.spec) !== state.cleanKey,
    /** What the draft stores: the design without weights and where it came from. */
    draft: (state): Draft => ({
      spec: specWithoutWeights(state.spec),
      clean: state.cleanSpec.layers.length > 0 || state.cleanSpec.name !== 'model' ? specWithoutWeights(state.cleanSpec) : null,
      exampleId: state.exampleId,
      origin: state.origin,
      datasetId: state.datasetId,
      weightedLayers: state.spec.layers.filter((l) => l.weights).length,
      positions: Object.fromEntries([MODEL_INPUT, ...layerNames(state.spec.layers)].flatMap((name) => (state.positions[name] ? [[name, { ...state.positions[name] }]] : [])))
    })
  },
  actions: {
    /**
     * Applies one edit to the spec, recording the state before it for undo. Edits with the same
     * `coalesceKey` in quick succession share one snapshot.
     */
    edit(change: (spec: ModelSpec) => void, coalesceKey?: string): void {
      const now = Date.now()
      const merge = coalesceKey !== undefined && this.lastEdit?.key === coalesceKey && now - this.lastEdit.at < COALESCE_MS && this.past.length > 0
      if (!merge) {
        this.past.push(cloneSpec(this.spec))
        if (this.past.length > HISTORY_LIMIT) this.past.splice(0, this.past.length - HISTORY_LIMIT)
      }
      this.future = []
      this.lastEdit = coalesceKey === undefined ? null : { key: coalesceKey, at: now }
      const selected = this.selectedIndex === null ? null : (layerNames(this.spec.layers)[this.selectedIndex] ?? null)
      const count = this.spec.layers.length
      const next = cloneSpec(this.spec)
      change(next)
      this.weightsDropped = dropStaleWeights(next)
      this.spec = next
      this.saved = null
      // Graph edits reorder layers: the selection follows the layer by name (a rename keeps its index).
      const names = layerNames(next.layers)
      if (selected !== null && names.includes(selected)) this.selectedIndex = names.indexOf(selected)
      else if (selected !== null && next.layers.length !== count) this.selectedIndex = null
      this.selectedNames = this.selectedNames.filter((name) => names.includes(name))
      this.ensurePositions()
    },
    /** Whether the design is a graph rather than a plain chain (then list positions mean nothing and edits go through the graph). */
    isGraph(): boolean {
      return !this.graph.sequential
    },
    /** The name of the layer at a 0-based index. */
    nameAt(index: number): string | null {
      return layerNames(this.spec.layers)[index] ?? null
    },
    /** Selects layers by name (the canvas's selection); the properties show `primary`, else the last of them. */
    setSelection(names: string[], primary?: string): void {
      const all = layerNames(this.spec.layers)
      const kept = names.filter((name, i) => all.includes(name) && names.indexOf(name) === i)
      this.selectedNames = kept
      const shown = primary !== undefined && kept.includes(primary) ? primary : kept.at(-1)
      this.selectedIndex = shown === undefined ? null : all.indexOf(shown)
    },
    /** Why from → to cannot be connected (null: it can). */
    connectRefusal(from: string, to: string): ConnectRefusal | null {
      return connectRefusal(this.spec, from, to)
    },
    /** Draws an edge from a layer's (or the input's) output to a layer's input: a merge layer gains an input, any other has its input replaced. One undo step. */
    connect(from: string, to: string): boolean {
      if (connectRefusal(this.spec, from, to) !== null) return false
      this.edit((spec) => void connectLayers(spec, from, to))
      return true
    },
    /** Removes the edge from → to; the layer is then unconnected (or a merge has one input fewer). */
    disconnect(from: string, to: string): boolean {
      if (!this.graph.edges.some((e) => e.from === from && e.to === to)) return false
      this.edit((spec) => void disconnectLayers(spec, from, to))
      return true
    },
    /**
     * Adds a new layer of `className` after `name` (a layer or MODEL_INPUT; null: after the output
     * layer): it takes that layer's output and feeds what it fed. Placed below it (what lies
     * downstream moves down to make room) and selected. Returns the new layer's name.
     */
    addLayerAfter(name: string | null, className: string, config?: Record<string, unknown>): string | null {
      const anchor = name ?? this.graph.output ?? MODEL_INPUT
      if (anchor !== MODEL_INPUT && !layerNames(this.spec.layers).includes(anchor)) return null
      const layer = createLayer(className, [MODEL_INPUT, ...layerNames(this.spec.layers)])
      if (config) layer.config = { ...clone(config), name: layer.config.name }
      const newName = layer.config.name as string
      const fed = this.graph.edges.some((e) => e.from === anchor)
      const base = this.positions[anchor]
      this.edit((spec) => void insertLayerAfter(spec, anchor, layer))
      if (base) {
        if (fed) for (const below of downstreamOf(this.spec, newName)) if (this.positions[below]) this.positions[below] = { x: this.positions[below].x, y: this.positions[below].y + NODE_STEP }
        this.positions[newName] = placedBelow(anchor, base)
      }
      this.setSelection([newName])
      return newName
    },
    /** A layer dropped on the canvas at `position`: unconnected (`inbound: []`) until an edge is drawn to it. Selected. */
    addLayerAt(className: string, position: Point): string {
      const layer = createLayer(className, [MODEL_INPUT, ...layerNames(this.spec.layers)])
      const newName = layer.config.name as string
      this.positions[newName] = { x: Math.round(position.x), y: Math.round(position.y) }
      this.edit((spec) => addUnconnectedLayer(spec, layer))
      this.setSelection([newName])
      return newName
    },
    /**
     * Removes layers by name, and optionally edges, in one undo step. A removed layer with one
     * input hands it to the layers it fed (a chain closes up); a merge's consumers lose that input.
     */
    removeLayers(names: string[], edges: GraphEdge[] = []): void {
      const present = layerNames(this.spec.layers)
      const doomed = names.filter((name) => present.includes(name))
      const cut = edges.filter((e) => !doomed.includes(e.to) && !doomed.includes(e.from) && this.graph.edges.some((g) => g.from === e.from && g.to === e.to))
      if (doomed.length === 0 && cut.length === 0) return
      const selectedGoes = this.selectedIndex !== null && doomed.includes(present[this.selectedIndex])
      this.edit((spec) => {
        for (const e of cut) disconnectLayers(spec, e.from, e.to)
        removeLayersByName(spec, doomed)
      })
      if (selectedGoes) this.selectedIndex = null
    },
    /** Puts copies of the named layers (their edges among themselves kept) on the designer's clipboard. */
    copyLayers(names: string[]): number {
      const layers = copyLayers(this.spec, names)
      if (layers.length === 0) return 0
      const positions = Object.fromEntries(layers.flatMap((l) => {
        const at = this.positions[l.config.name as string]
        return at ? [[l.config.name as string, { ...at }]] : []
      }))
      this.clipboard = { layers, positions }
      return layers.length
    },
    /**
     * Adds copies of `layers` (default: the clipboard) under fresh unique names, their internal
     * edges kept and outside inputs dropped; placed offset from where the originals stood and
     * selected. One undo step. Returns the new names.
     */
    pasteLayers(layers?: LayerSpec[], positions?: Record<string, Point>): string[] {
      const source = layers ?? this.clipboard?.layers ?? []
      const at = positions ?? (layers ? {} : (this.clipboard?.positions ?? {}))
      if (source.length === 0) return []
      let renamed = new Map<string, string>()
      this.edit((spec) => (renamed = pasteLayerCopies(spec, source)))
      for (const [old, fresh] of renamed) if (at[old]) this.positions[fresh] = { x: at[old].x + PASTE_OFFSET, y: at[old].y + PASTE_OFFSET }
      // Copies pasted again land a further step away.
      if (!layers && this.clipboard) this.clipboard = { ...this.clipboard, positions: Object.fromEntries(Object.entries(this.clipboard.positions).map(([k, p]) => [k, { x: p.x + PASTE_OFFSET, y: p.y + PASTE_OFFSET }])) }
      this.ensurePositions()
      const names = [...renamed.values()]
      this.setSelection(names)
      return names
    },
    /** Where the user dragged a node (canvas units). Not an undo step. */
    moveNode(name: string, position: Point): void {
      this.positions[name] = { x: Math.round(position.x), y: Math.round(position.y) }
    },
    /** Lays the whole graph out again, top to bottom (dagre); `sizes`: the nodes' measured sizes. `announce`: the canvas re-fits the view. */
    tidyLayout(sizes?: Record<string, { width: number; height: number }>, announce = true): void {
      this.positions = { ...this.positions, ...designLayout(this.spec, sizes) }
      if (announce) this.layoutVersion++
    },
    /** Gives every node without a position one: where a fresh layout puts it, relative to a placed node that feeds it. */
    ensurePositions(): void {
      const graph = this.graph
      const ids = [MODEL_INPUT, ...graph.nodes.map((n) => n.name)]
      const missing = ids.filter((id) => !this.positions[id])
      if (missing.length === 0) return
      const next = { ...this.positions }
      // A node fed by a placed one goes below it; only the others need a layout (dagre, relative to a placed feeder where there is one).
      let fresh: Record<string, Point> | null = null
      for (const id of missing) {
        const anchor = graph.edges.find((e) => e.to === id && next[e.from])?.from
        if (anchor && !graph.edges.some((e) => e.from === anchor && e.to !== id && missing.includes(e.to))) {
          next[id] = placedBelow(anchor, next[anchor])
          continue
        }
        fresh ??= designLayout(this.spec)
        next[id] = anchor ? { x: next[anchor].x + fresh[id].x - fresh[anchor].x, y: next[anchor].y + fresh[id].y - fresh[anchor].y } : fresh[id]
      }
      this.positions = next
    },
    /** Chooses the palette class that "A" adds. */
    choosePalette(className: string | null): void {
      this.paletteChoice = className
    },
    /** Inserts a new layer of `className` with its defaults at `index` (default: the end) and selects it. */
    addLayer(className: string, index?: number): void {
      const at = Math.max(0, Math.min(index ?? this.spec.layers.length, this.spec.layers.length))
      if (this.isGraph()) {
        // In a graph a list position means "after the layer listed before it".
        this.addLayerAfter(at === 0 ? MODEL_INPUT : this.nameAt(at - 1), className)
        return
      }
      const layer = createLayer(className, [MODEL_INPUT, ...layerNames(this.spec.layers)])
      this.edit((spec) => spec.layers.splice(at, 0, layer))
      this.selectedIndex = at
      this.selectedNames = [layer.config.name as string]
    },
    /** Moves the layer at `from` so that it ends up at position `to` (both 0-based). */
    moveLayer(from: number, to: number): void {
      const count = this.spec.layers.length
      if (from < 0 || from >= count) return
      const target = Math.max(0, Math.min(to, count - 1))
      if (target === from) return
      this.edit((spec) => {
        const [layer] = spec.layers.splice(from, 1)
        spec.layers.splice(target, 0, layer)
      })
      this.selectedIndex = target
    },
    /** Removes one layer (its input passes to what it fed); the selection moves to a neighbour when it was on it. */
    removeLayer(index: number): void {
      const name = this.nameAt(index)
      if (name === null) return
      const wasSelected = this.selectedIndex === index
      this.removeLayers([name])
      if (wasSelected && this.spec.layers.length > 0) this.select(Math.min(index, this.spec.layers.length - 1))
    },
    /** A copy of the layer's settings under a new name, inserted after it (it takes the original's output). */
    duplicateLayer(index: number): void {
      const original = this.spec.layers[index]
      const name = this.nameAt(index)
      if (!original || name === null) return
      this.addLayerAfter(name, original.class_name, original.config)
    },
    /** Sets one config field; `undefined` removes it (the default then applies). Invalid values are kept so that validation can point at them. */
    setLayerField(index: number, key: string, value: unknown): void {
      if (!this.spec.layers[index]) return
      if (key === 'name') {
        const before = layerNames(this.spec.layers)
        this.edit((spec) => renameLayer(spec, index, value === undefined ? undefined : String(value)), `layer:${index}:${key}`)
        // Positions and the canvas selection follow renamed layers.
        const after = layerNames(this.spec.layers)
        before.forEach((old, i) => {
          if (old === after[i] || !this.positions[old]) return
          this.positions[after[i]] = this.positions[old]
          this.selectedNames = this.selectedNames.map((n) => (n === old ? after[i] : n))
        })
        if (this.selectedIndex === index && !this.selectedNames.includes(after[index])) this.selectedNames = [after[index]]
        return
      }
      this.edit((spec) => {
        const config = spec.layers[index].config
        if (value === undefined) delete config[key]
        else config[key] = value
      }, `layer:${index}:${key}`)
    },
    /**
     * Hand-set initial weights of a small Dense layer (LayerSpec.weights: kernel then bias, flat,
     * row-major): `null` removes them, so the layer starts from its initializer again. Stored with
     * the spec, so a run started from it begins with exactly these values.
     */
    setLayerWeights(index: number, weights: number[][] | null): void {
      const layer = this.spec.layers[index]
      if (!layer) return
      if (weights === null) {
        if (!layer.weights) return
        this.edit((spec) => delete spec.layers[index].weights)
        return
      }
      const shapes = handSetShapes(this.validation.layers.find((l) => l.index === index + 1))
      if (!shapes || shapes.length !== weights.length || shapes.some((w, k) => w.shape.reduce((a, b) => a * b, 1) !== weights[k].length)) return
      this.edit((spec) => (spec.layers[index].weights = weights.map((w) => [...w])))
    },
    /** One value of a layer's hand-set weights (`tensor` 0 = kernel, 1 = bias; `position` row-major); starts from zeros when the layer has none yet. */
    setLayerWeight(index: number, tensor: number, position: number, value: number): void {
      const layer = this.spec.layers[index]
      const shapes = handSetShapes(this.validation.layers.find((l) => l.index === index + 1))
      if (!layer || !shapes || !Number.isFinite(value)) return
      const size = shapes[tensor] ? shapes[tensor].shape.reduce((a, b) => a * b, 1) : 0
      if (position < 0 || position >= size) return
      const current = layer.weights && layer.weights.length === shapes.length ? layer.weights.map((w) => [...toRaw(w)]) : shapes.map((w) => new Array<number>(w.shape.reduce((a, b) => a * b, 1)).fill(0))
      current[tensor][position] = value
      this.edit((spec) => (spec.layers[index].weights = current), `weights:${index}:${tensor}:${position}`)
    },
    setInputShape(shape: number[]): void {
      if (JSON.stringify(shape) === JSON.stringify(this.spec.input_shape)) return
      this.edit((spec) => (spec.input_shape = [...shape]), 'input_shape')
    },
    setModelName(name: string): void {
      if (name === this.spec.name) return
      this.edit((spec) => (spec.name = name), 'name')
    },
    select(index: number | null): void {
      this.selectedIndex = index !== null && index >= 0 && index < this.spec.layers.length ? index : null
      this.selectedNames = this.selectedIndex === null ? [] : [layerNames(this.spec.layers)[this.selectedIndex]]
    },
    /** Replaces the model (an opened or imported spec); undoable like any edit. */
    load(spec: ModelSpec): void {
      const copy = cloneSpec(spec)
      this.edit((s) => Object.assign(s, copy))
      this.selectedIndex = null
      this.selectedNames = []
      this.tidyLayout()
      this.exampleId = null
      this.origin = null
      this.draftRestored = null
      this.markClean()
    },
    /** The current spec becomes the one "unsaved changes" compare with. */
    markClean(): void {
      this.cleanKey = specKey(this.spec)
      this.cleanSpec = specWithoutWeights(this.spec)
    },
    /** Opens a saved model version (from the Open menu). */
    openSaved(model: SavedModel): void {
      this.load(model.spec)
      this.origin = { id: model.id, name: model.name, version: model.version }
      this.saved = { id: model.id, name: model.name, version: model.version }
    },
    /**
     * Replaces the design by a template, a saved model or an empty one, unless that would lose
     * unsaved work: then the action waits in `confirm` for answerConfirm. Returns whether it ran.
     */
    requestReplace(action: ReplaceAction): boolean {
      if (this.hasUnsavedWork) {
        this.confirm = action
        return false
      }
      this.runReplace(action)
      return true
    },
    runReplace(action: ReplaceAction): void {
      if (action.kind === 'template') this.loadExample(action.id)
      else if (action.kind === 'saved') this.openSaved(action.model)
      else if (action.kind === 'spec') this.load(action.spec)
      else this.newModel()
    },
    /** The user's answer to `confirm`: save first (the replacement waits if saving fails), discard the work, or keep it. */
    async answerConfirm(answer: 'save' | 'discard' | 'cancel'): Promise<void> {
      const action = this.confirm
      if (!action) return
      if (answer === 'cancel') {
        this.confirm = null
        return
      }
      if (answer === 'save') {
        await this.saveModel()
        if (this.saveError) return
      }
      this.confirm = null
      this.runReplace(action)
    },
    /** Discards a restored draft's unsaved changes: back to what it was opened or saved as (undoable). */
    discardDraft(): void {
      const { exampleId, origin, datasetId } = this
      this.load(this.cleanSpec)
      this.exampleId = exampleId
      this.origin = origin
      this.datasetId = datasetId
      this.draftRestored = null
    },
    /**
     * Chooses the data set the design is for: the input shape follows its samples' shape, unless
     * the current shape already holds as many values (a [28, 28, 1] model on 784-value MNIST rows).
     */
    chooseDataset(id: string | null, featureShape?: readonly number[]): void {
      this.datasetId = id
      if (id !== null) useDatasetsStore().select(id)
      if (!featureShape || featureShape.length === 0) return
      if (!inputShapeFits(this.spec.input_shape, featureShape)) this.setInputShape([...featureShape])
    },
    /** Stores the draft now (the autosave waits a moment after each change; a closing page cannot). */
    flushDraft(): void {
      saveState(DRAFT_KEY, this.draft)
    },
    /**
     * Opens a model read from a file (models.import): its layers keep their weights, so training
     * it continues from them (fine-tuning). Undoable like any other load.
     */
    importSpec(spec: ModelSpec): void {
      this.load(spec)
      this.saved = null
    },
    newModel(): void {
      this.load(emptySpec())
      this.datasetId = null
    },
    /** Loads a seed experiment: its model, its data set (selected in the Datasets store) and its training config for the Train view. */
    loadExample(exampleId: string): boolean {
      const example = EXAMPLES.find((e) => e.id === exampleId)
      if (!example) return false
      this.load(example.spec as ModelSpec)
      this.exampleId = example.id
      this.datasetId = example.dataset_id
      useTrainingStore().loadExample(example.id)
      useDatasetsStore().select(example.dataset_id)
      return true
    },
    undo(): void {
      const previous = this.past.pop()
      if (!previous) return
      this.future.push(cloneSpec(this.spec))
      this.spec = previous
      this.lastEdit = null
      this.clampSelection()
      this.ensurePositions()
    },
    redo(): void {
      const next = this.future.pop()
      if (!next) return
      this.past.push(cloneSpec(this.spec))
      this.spec = next
      this.lastEdit = null
      this.clampSelection()
      this.ensurePositions()
    },
    clampSelection(): void {
      if (this.selectedIndex !== null && this.selectedIndex >= this.spec.layers.length) this.selectedIndex = this.spec.layers.length > 0 ? this.spec.layers.length - 1 : null
      const names = layerNames(this.spec.layers)
      this.selectedNames = this.selectedNames.filter((name) => names.includes(name))
    },
    /** Saves the spec as the next version of the model named like it; the back end numbers versions. */
    /** The saved models, newest first (the Open menu). */
    async listSavedModels(): Promise<SavedModel[]> {
      return (await client.call('models.list', {})).sort((a, b) => b.created_at.localeCompare(a.created_at))
    },
    /** Reads an uploaded model file (and, with a data set, records it as a run to evaluate); the design becomes its spec. */
    async importModelFile(file: string, datasetId: string | null) {
      const imported = await client.call('models.import', { file, ...(datasetId ? { dataset_id: datasetId } : {}) })
      this.importSpec(imported.spec)
      return imported
    },
    async saveModel(): Promise<void> {
      this.saving = true
      this.saveError = null
      try {
        const saved = await client.call('models.save', { name: this.spec.name.trim() || 'model', spec: cloneSpec(this.spec) })
        this.saved = { id: saved.id, name: saved.name, version: saved.version, ...(saved.unchanged ? { unchanged: true } : {}) }
        this.origin = { id: saved.id, name: saved.name, version: saved.version }
        this.draftRestored = null
        this.markClean()
      } catch (error) {
        this.saveError = error instanceof Error ? error.message : String(error)
      } finally {
        this.saving = false
      }
    }
  }
})

type DesignerStoreDefinition = typeof useDesignerStoreDefinition
const autosaved = new WeakSet<object>()

/**
 * The designer store; its first use per Pinia starts the draft autosave (on every change, after
 * a short pause, and when the page is hidden or closed). The watcher lives in its own detached
 * scope, so it outlives the component that first asked for the store.
 */
export const useDesignerStore = Object.assign((pinia?: Pinia | null) => {
  const store = useDesignerStoreDefinition(pinia)
  if (!autosaved.has(store)) {
    autosaved.add(store)
    effectScope(true).run(() => persistOnChange(DRAFT_KEY, () => store.draft))
    if (typeof window !== 'undefined') window.addEventListener('pagehide', () => store.flushDraft())
  }
  return store
}, { $id: useDesignerStoreDefinition.$id }) as DesignerStoreDefinition
