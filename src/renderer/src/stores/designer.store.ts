// Designer state: the model spec being edited, its snapshot history (undo/redo), the selected
// layer, and the validation and shape inference derived from the spec on every edit. Also the
// hand-over to the Train view: a template's training config waits in `pendingConfig`.
import { defineStore } from 'pinia'
import { markRaw, toRaw } from 'vue'
import { createLayer, layerNames, validateSpec, type LayerShape, type ModelSpec, type SpecError, type ValidationResult } from '../../../shared/model-spec'
import { EXAMPLES } from '../../../shared/examples'
import type { TrainingConfig } from '../../../shared/training'
import { client } from '../api'
import { useDatasetsStore } from './datasets.store'

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

/** The spec without its weights, as text: what "unsaved changes" compares. */
function specKey(spec: ModelSpec): string {
  return JSON.stringify({ ...toRaw(spec), layers: toRaw(spec).layers.map((l) => ({ class_name: l.class_name, config: l.config })) })
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

export const useDesignerStore = defineStore('designer', {
  state: () => ({
    spec: emptySpec() as ModelSpec,
    /** 0-based index of the layer whose properties are shown, or null for the model itself. */
    selectedIndex: null as number | null,
    past: [] as ModelSpec[],
    future: [] as ModelSpec[],
    /** Which field the last edit touched and when, to merge keystrokes into one undo step. */
    lastEdit: null as { key: string; at: number } | null,
    /** The template last loaded (its id), for the toolbar. */
    exampleId: null as string | null,
    /** A template's training config for the Train view to adopt once (see takePendingConfig). */
    pendingConfig: null as TrainingConfig | null,
    /** The data set the pending config belongs to. */
    pendingDatasetId: null as string | null,
    /** The last save: model id and its version number. */
    saved: null as { id: string; name: string; version: number } | null,
    saving: false,
    saveError: null as string | null,
    /** The spec (without weights) as last opened, imported or saved, to tell whether there are unsaved changes. */
    cleanKey: specKey(emptySpec()),
    /** Layers whose imported weights the last edit removed because they no longer fit. */
    weightsDropped: [] as string[]
  }),
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
    hasUnsavedWork: (state): boolean => state.spec.layers.length > 0 && specKey(state.spec) !== state.cleanKey
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
      this.cleanKey = specKey(this.spec)
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
    },
    /** Loads a seed experiment: its model, its data set (selected in the Datasets store) and its training config for the Train view. */
    loadExample(exampleId: string): boolean {
      const example = EXAMPLES.find((e) => e.id === exampleId)
      if (!example) return false
      this.load(example.spec as ModelSpec)
      this.exampleId = example.id
      this.pendingConfig = clone(example.config) as TrainingConfig
      this.pendingDatasetId = example.dataset_id
      useDatasetsStore().select(example.dataset_id)
      return true
    },
    /** The Train view calls this once to adopt a template's config; later calls return null until another template is loaded. */
    takePendingConfig(): { config: TrainingConfig; datasetId: string | null } | null {
      if (!this.pendingConfig) return null
      const taken = { config: this.pendingConfig, datasetId: this.pendingDatasetId }
      this.pendingConfig = null
      this.pendingDatasetId = null
      return taken
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
    async saveModel(): Promise<void> {
      this.saving = true
      this.saveError = null
      try {
        const saved = await client.call('models.save', { name: this.spec.name.trim() || 'model', spec: cloneSpec(this.spec) })
        this.saved = { id: saved.id, name: saved.name, version: saved.version }
        this.cleanKey = specKey(this.spec)
      } catch (error) {
        this.saveError = error instanceof Error ? error.message : String(error)
      } finally {
        this.saving = false
      }
    }
  }
})
