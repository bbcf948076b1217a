// Designer state: the model spec being edited, its snapshot history (undo/redo), the selected
// layer, and the validation and shape inference derived from the spec on every edit. Also the
// hand-over to the Train view: loading a template gives its training settings to the training store (loadExample).
// The design is a draft kept across reloads (persisted.ts, key `designer.draft`): the spec
// without weights, its name, the saved model/version or template it came from and the data set
// chosen for it; replacing unsaved work (template, saved model, New) asks first (`confirm`).
import { defineStore, type Pinia } from 'pinia'
import { effectScope, markRaw, toRaw } from 'vue'
import { z } from 'zod'
import type { SavedModel } from '../../../shared/contract'
import { createLayer, layerNames, modelSpecSchema, validateSpec, type LayerShape, type ModelSpec, type SpecError, type ValidationResult } from '../../../shared/model-spec'
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
      return { class_name: l.class_name, config: l.config, ...(small ? { weights } : {}) }
    })
  })
}

/** A plain copy of the spec without layer weights (what the draft keeps: weights can be millions of numbers). */
export function specWithoutWeights(spec: ModelSpec): ModelSpec {
  const raw = toRaw(spec)
  return clone({ ...raw, layers: raw.layers.map((l) => ({ class_name: toRaw(l).class_name, config: toRaw(l).config })) })
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
  weightedLayers: z.number().int().nonnegative()
})
export type Draft = z.infer<typeof draftSchema>

/** The initial state's draft part: the stored draft when there is one. */
function restoredDraft(): { spec: ModelSpec; clean: ModelSpec; exampleId: string | null; origin: ModelRef | null; datasetId: string | null; restored: { weightsLost: number } | null } {
  const draft = loadState(DRAFT_KEY, draftSchema)
  if (!draft) return { spec: emptySpec(), clean: emptySpec(), exampleId: null, origin: null, datasetId: null, restored: null }
  const clean = draft.clean ?? emptySpec()
  const dirty = draft.spec.layers.length > 0 && specKey(draft.spec) !== specKey(clean)
  return {
    spec: draft.spec,
    clean,
    exampleId: draft.exampleId,
    origin: draft.origin,
    datasetId: draft.datasetId,
    restored: dirty || draft.weightedLayers > 0 ? { weightsLost: draft.weightedLayers } : null
  }
}

/**
 * Layers whose weights no longer fit their inferred weight shapes (units, kernel size or the
 * input changed): their weights are removed, so the layer trains from its initializer. Returns
 * the names of the layers that lost theirs. Layers whose shapes cannot be inferred keep them.
 */
export function dropStaleWeights(spec: ModelSpec): string[] {
  if (!spec.layers.some((l) => l.weights)) return []
  const inferred = new Map(validateSpec(spec).layers.map((l) => [l.index, l]))
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
      weightedLayers: state.spec.layers.filter((l) => l.weights).length
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
      const next = cloneSpec(this.spec)
      change(next)
      this.weightsDropped = dropStaleWeights(next)
      this.spec = next
      this.saved = null
    },
    /** Inserts a new layer of `className` with its defaults at `index` (default: the end) and selects it. */
    addLayer(className: string, index?: number): void {
      const at = Math.max(0, Math.min(index ?? this.spec.layers.length, this.spec.layers.length))
      const layer = createLayer(className, layerNames(this.spec.layers))
      this.edit((spec) => spec.layers.splice(at, 0, layer))
      this.selectedIndex = at
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
    removeLayer(index: number): void {
      if (index < 0 || index >= this.spec.layers.length) return
      this.edit((spec) => spec.layers.splice(index, 1))
      if (this.selectedIndex === null) return
      if (this.selectedIndex === index) this.selectedIndex = this.spec.layers.length > 0 ? Math.min(index, this.spec.layers.length - 1) : null
      else if (this.selectedIndex > index) this.selectedIndex--
    },
    duplicateLayer(index: number): void {
      const original = this.spec.layers[index]
      if (!original) return
      const copy = createLayer(original.class_name, layerNames(this.spec.layers))
      copy.config = { ...clone(original.config), name: copy.config.name }
      this.edit((spec) => spec.layers.splice(index + 1, 0, copy))
      this.selectedIndex = index + 1
    },
    /** Sets one config field; `undefined` removes it (the default then applies). Invalid values are kept so that validation can point at them. */
    setLayerField(index: number, key: string, value: unknown): void {
      if (!this.spec.layers[index]) return
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
    },
    /** Replaces the model (an opened or imported spec); undoable like any edit. */
    load(spec: ModelSpec): void {
      const copy = cloneSpec(spec)
      this.edit((s) => Object.assign(s, copy))
      this.selectedIndex = null
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
    },
    redo(): void {
      const next = this.future.pop()
      if (!next) return
      this.past.push(cloneSpec(this.spec))
      this.spec = next
      this.lastEdit = null
      this.clampSelection()
    },
    clampSelection(): void {
      if (this.selectedIndex !== null && this.selectedIndex >= this.spec.layers.length) this.selectedIndex = this.spec.layers.length > 0 ? this.spec.layers.length - 1 : null
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
