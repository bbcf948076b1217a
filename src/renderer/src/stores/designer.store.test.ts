import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { nextTick, toRaw } from 'vue'

const call = vi.fn()
vi.mock('../api', () => ({ client: { call: (...args: unknown[]) => call(...args), on: () => () => undefined } }))

const { useDesignerStore, HISTORY_LIMIT, DRAFT_KEY, cloneSpec, NODE_STEP, PASTE_OFFSET } = await import('./designer.store')
const { MODEL_INPUT } = await import('../lib/designer-graph')
const { useDatasetsStore } = await import('./datasets.store')
const { useTrainingStore } = await import('./training.store')
const { EXAMPLES } = await import('../../../shared/examples')

beforeEach(() => {
  setActivePinia(createPinia())
  call.mockReset()
})

function buildS5(): ReturnType<typeof useDesignerStore> {
  const designer = useDesignerStore()
  designer.setInputShape([784])
  for (const className of ['Dense', 'Activation', 'Dense', 'Activation']) designer.addLayer(className)
  designer.setLayerField(0, 'units', 32)
  designer.setLayerField(1, 'activation', 'relu')
  designer.setLayerField(2, 'units', 10)
  designer.setLayerField(3, 'activation', 'softmax')
  return designer
}

describe('designer store: editing', () => {
  it('starts empty, and is invalid until a layer is added', () => {
    const designer = useDesignerStore()
    expect(designer.spec.layers).toEqual([])
    expect(designer.validation.ok).toBe(false)
    expect(designer.modelErrors[0]?.message).toMatch(/no layers/)
    expect(designer.canUndo).toBe(false)
  })

  it('adds layers with Keras-like unique names, selects the new one, and infers shapes and parameters', () => {
    const designer = buildS5()
    expect(designer.layerViews.map((l) => l.name)).toEqual(['dense_1', 'activation_1', 'dense_2', 'activation_2'])
    expect(designer.selectedIndex).toBe(3)
    expect(designer.validation.ok).toBe(true)
    expect(designer.shapes.layers.map((l) => l.output_shape)).toEqual([[32], [32], [10], [10]])
    expect(designer.shapes.total_params).toBe(784 * 32 + 32 + 32 * 10 + 10)
    expect(designer.shapes.complete).toBe(true)
  })

  it('inserts at a position', () => {
    const designer = buildS5()
    designer.addLayer('Dropout', 1)
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout', 'Activation', 'Dense', 'Activation'])
    expect(designer.selectedIndex).toBe(1)
  })

  it('moves a layer and follows it with the selection; shapes follow the new order', () => {
    const designer = buildS5()
    designer.moveLayer(2, 0)
    expect(designer.spec.layers.map((l) => l.config.name)).toEqual(['dense_2', 'dense_1', 'activation_1', 'activation_2'])
    expect(designer.selectedIndex).toBe(0)
    expect(designer.shapes.layers.map((l) => l.output_shape)).toEqual([[10], [32], [32], [32]])
    expect(designer.shapes.total_params).toBe(784 * 10 + 10 + 10 * 32 + 32)
  })

  it('removes a layer and keeps the selection on a sensible neighbour', () => {
    const designer = buildS5()
    designer.select(1)
    designer.removeLayer(0)
    expect(designer.selectedIndex).toBe(0)
    expect(designer.spec.layers[0].class_name).toBe('Activation')
    designer.removeLayer(0)
    designer.removeLayer(0)
    designer.removeLayer(0)
    expect(designer.spec.layers).toEqual([])
    expect(designer.selectedIndex).toBeNull()
  })

  it('validates on every edit and puts the error on the layer and field at fault', () => {
    const designer = buildS5()
    designer.setLayerField(0, 'units', 0)
    expect(designer.validation.ok).toBe(false)
    const [first] = designer.layerViews
    expect(first.errors).toHaveLength(1)
    expect(first.errors[0].field).toBe('units')
    expect(first.errors[0].message).toMatch(/units/)
    // Layers after the fault have no shape; the valid prefix is empty here.
    expect(designer.layerViews.every((l) => l.shape === null)).toBe(true)
    expect(designer.shapes.complete).toBe(false)
    designer.setLayerField(0, 'units', 64)
    expect(designer.validation.ok).toBe(true)
    expect(designer.layerViews[0].shape?.output_shape).toEqual([64])
  })

  it('keeps the shapes of the layers before a fault', () => {
    const designer = buildS5()
    designer.setLayerField(2, 'units', -3)
    expect(designer.layerViews.map((l) => l.shape?.output_shape ?? null)).toEqual([[32], [32], null, null])
    expect(designer.shapes.total_params).toBe(784 * 32 + 32)
    expect(designer.layerViews[2].errors[0].field).toBe('units')
  })

  it('reports a flat layer on image input as a shape error and recovers with Flatten', () => {
    const designer = useDesignerStore()
    designer.setInputShape([28, 28, 1])
    designer.addLayer('Dense')
    expect(designer.validation.ok).toBe(true)
    expect(designer.shapes.layers[0].output_shape).toEqual([28, 28, 32])
    designer.addLayer('Flatten', 0)
    expect(designer.shapes.layers.map((l) => l.output_shape)).toEqual([[784], [32]])
  })
})

describe('designer store: undo and redo', () => {
  it('undoes and redoes every kind of edit in order', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.addLayer('Dropout')
    designer.moveLayer(1, 0)
    designer.removeLayer(1)
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dropout'])
    designer.undo()
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dropout', 'Dense'])
    designer.undo()
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout'])
    designer.undo()
    designer.undo()
    expect(designer.spec.layers).toEqual([])
    expect(designer.canUndo).toBe(false)
    expect(designer.canRedo).toBe(true)
    designer.redo()
    designer.redo()
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout'])
    expect(designer.validation.ok).toBe(true)
  })

  it('a new edit after undo discards the redo branch', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.addLayer('Dense')
    designer.undo()
    designer.addLayer('Dropout')
    expect(designer.canRedo).toBe(false)
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout'])
  })

  it('merges quick edits of one field into one step, but not edits of different fields', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.setLayerField(0, 'units', 5)
    designer.setLayerField(0, 'units', 51)
    designer.setLayerField(0, 'units', 512)
    designer.setLayerField(0, 'activation', 'relu')
    designer.undo()
    expect(designer.spec.layers[0].config.units).toBe(512)
    expect(designer.spec.layers[0].config.activation).toBe('linear')
    designer.undo()
    expect(designer.spec.layers[0].config.units).toBe(32)
  })

  it('does not merge edits of the same field that are far apart in time', () => {
    vi.useFakeTimers()
    try {
      const designer = useDesignerStore()
      designer.addLayer('Dense')
      designer.setLayerField(0, 'units', 10)
      vi.advanceTimersByTime(5000)
      designer.setLayerField(0, 'units', 20)
      designer.undo()
      expect(designer.spec.layers[0].config.units).toBe(10)
    } finally {
      vi.useRealTimers()
    }
  })

  it('undo restores the shapes and validation of the earlier spec, and clamps the selection', () => {
    const designer = buildS5()
    designer.setLayerField(0, 'units', 0)
    expect(designer.validation.ok).toBe(false)
    designer.undo()
    expect(designer.validation.ok).toBe(true)
    expect(designer.shapes.total_params).toBe(25450)
    designer.select(3)
    designer.undo() // activation_2's softmax
    designer.undo() // dense_2's units
    designer.undo() // activation_1's relu
    designer.undo() // dense_1's units
    designer.undo() // the last Activation
    expect(designer.spec.layers).toHaveLength(3)
    expect(designer.selectedIndex).toBe(2)
  })

  it('keeps a bounded history', () => {
    const designer = useDesignerStore()
    for (let i = 0; i < HISTORY_LIMIT + 20; i++) designer.addLayer('Dropout')
    expect(designer.past.length).toBe(HISTORY_LIMIT)
    // The oldest snapshots went first: undoing everything leaves the first 20 layers.
    while (designer.canUndo) designer.undo()
    expect(designer.spec.layers).toHaveLength(20)
  })

  it('edits never alias the snapshots: undoing after a field change restores the old value', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    const before = designer.spec
    designer.setLayerField(0, 'units', 7)
    expect(before.layers[0].config.units).toBe(32)
  })
})

describe('designer store: templates, saving', () => {
  it('loads every seed example as a valid model and hands its config and data set to the Train view once', () => {
    expect(EXAMPLES.length).toBeGreaterThan(0)
    for (const example of EXAMPLES) {
      setActivePinia(createPinia())
      const designer = useDesignerStore()
      expect(designer.loadExample(example.id)).toBe(true)
      expect(designer.validation.errors, example.id).toEqual([])
      expect(designer.exampleId).toBe(example.id)
      expect(useDatasetsStore().selectedId).toBe(example.dataset_id)
      const training = useTrainingStore()
      expect(training.modelKey).toBe(example.spec.name)
      expect(training.config).toEqual(example.config)
      expect(training.datasetId).toBe(example.dataset_id)
      designer.undo()
      expect(designer.spec.layers).toEqual([])
    }
  })

  it('refuses an unknown example', () => {
    const designer = useDesignerStore()
    expect(designer.loadExample('nope')).toBe(false)
    expect(designer.canUndo).toBe(false)
  })

  it('saves through models.save and shows the version; an edit clears the saved mark', async () => {
    const designer = buildS5()
    designer.setModelName('mnist-s5')
    call.mockResolvedValueOnce({ id: 'm1', name: 'mnist-s5', version: 3, spec: designer.spec, created_at: '' })
    await designer.saveModel()
    expect(call).toHaveBeenCalledWith('models.save', { name: 'mnist-s5', spec: expect.objectContaining({ name: 'mnist-s5', layers: expect.any(Array) }) })
    expect(designer.saved).toEqual({ id: 'm1', name: 'mnist-s5', version: 3 })
    designer.setLayerField(0, 'units', 33)
    expect(designer.saved).toBeNull()
  })

  it('keeps a readable error when saving fails', async () => {
    const designer = buildS5()
    call.mockRejectedValueOnce(new Error('the database is locked'))
    await designer.saveModel()
    expect(designer.saveError).toBe('the database is locked')
    expect(designer.saving).toBe(false)
  })
})

/** What models.import answers for an iris model: Dense(4→3) with weights, softmax. */
function importedIris(): import('../../../shared/model-spec').ModelSpec {
  const kernel = Array.from({ length: 12 }, (_, i) => (i - 6) / 10)
  return {
    format: 'model-workbench/spec',
    version: 1,
    name: 'iris-import',
    input_shape: [4],
    layers: [
      { class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'linear' }, weights: [kernel, [0.1, -0.2, 0.3]] },
      { class_name: 'Activation', config: { name: 'activation', activation: 'softmax' } }
    ]
  }
}

describe('designer store: imported models', () => {
  it('opens an imported spec with its weights, undoably, and counts the layers that carry weights', () => {
    const designer = buildS5()
    const before = JSON.stringify(designer.spec)
    designer.importSpec(importedIris())
    expect(designer.spec.name).toBe('iris-import')
    expect(designer.spec.layers[0]!.weights).toEqual(importedIris().layers[0]!.weights)
    expect(designer.weightedLayers).toBe(1)
    expect(designer.validation.ok).toBe(true)
    expect(designer.hasUnsavedWork).toBe(false)
    designer.undo()
    expect(JSON.stringify(designer.spec)).toBe(before)
    expect(designer.weightedLayers).toBe(0)
    designer.redo()
    expect(designer.spec.layers[0]!.weights![1]).toEqual([0.1, -0.2, 0.3])
  })

  it('shares the weight arrays between undo snapshots instead of copying them', () => {
    const designer = useDesignerStore()
    designer.importSpec(importedIris())
    designer.setLayerField(1, 'activation', 'sigmoid')
    const snapshot = designer.past.at(-1)!
    expect(snapshot.layers[1]!.config.activation).toBe('softmax')
    expect(toRaw(snapshot.layers[0]!.weights![0])).toBe(toRaw(designer.spec.layers[0]!.weights![0]))
  })

  it('drops the weights of a layer whose shape an edit changed, keeps the others, and says which', () => {
    const designer = useDesignerStore()
    const spec = importedIris()
    spec.layers.splice(1, 0, { class_name: 'Dense', config: { name: 'dense_1', units: 2 }, weights: [[1, 2, 3, 4, 5, 6], [0, 0]] })
    designer.importSpec(spec)
    expect(designer.weightedLayers).toBe(2)
    designer.setLayerField(1, 'units', 5)
    expect(designer.weightsDropped).toEqual(['dense_1'])
    expect(designer.spec.layers[1]!.weights).toBeUndefined()
    expect(designer.spec.layers[0]!.weights).toHaveLength(2)
    // A wider input no longer fits the first kernel either.
    designer.setInputShape([5])
    expect(designer.weightsDropped).toEqual(['dense'])
    expect(designer.weightedLayers).toBe(0)
    designer.undo()
    designer.undo()
    expect(designer.weightedLayers).toBe(2)
  })

  it('knows unsaved work: an edit after opening is unsaved, a save makes it saved again', async () => {
    const designer = useDesignerStore()
    expect(designer.hasUnsavedWork).toBe(false)
    designer.addLayer('Dense')
    expect(designer.hasUnsavedWork).toBe(true)
    designer.importSpec(importedIris())
    expect(designer.hasUnsavedWork).toBe(false)
    designer.setLayerField(0, 'units', 4)
    expect(designer.hasUnsavedWork).toBe(true)
    call.mockResolvedValueOnce({ id: 'm2', name: 'iris-import', version: 1, spec: designer.spec, created_at: '' })
    await designer.saveModel()
    expect(designer.hasUnsavedWork).toBe(false)
    const sent = call.mock.calls[0]![1] as { spec: import('../../../shared/model-spec').ModelSpec }
    expect(JSON.parse(JSON.stringify(sent.spec)).layers[0].weights).toBeUndefined()
  })
})

/** A localStorage for the draft tests (the store tests run under Node, which has none). */
function memoryStorage(): Storage & { data: Map<string, string> } {
  const data = new Map<string, string>()
  return {
    data,
    get length() {
      return data.size
    },
    clear: () => data.clear(),
    getItem: (key: string) => data.get(key) ?? null,
    key: (i: number) => [...data.keys()][i] ?? null,
    removeItem: (key: string) => void data.delete(key),
    setItem: (key: string, value: string) => void data.set(key, String(value))
  }
}

describe('designer store: the draft across reloads', () => {
  let storage: ReturnType<typeof memoryStorage>
  beforeEach(() => {
    storage = memoryStorage()
    vi.stubGlobal('localStorage', storage)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  /** A fresh Pinia: what a reloaded page starts with. */
  function reload(): ReturnType<typeof useDesignerStore> {
    setActivePinia(createPinia())
    return useDesignerStore()
  }

  it('autosaves the design shortly after each change and restores it, its name and origin, on reload', async () => {
    vi.useFakeTimers()
    const designer = useDesignerStore()
    designer.openSaved({ id: 'm7', name: 'mnist-s5', version: 2, spec: EXAMPLES.find((e) => e.id === 'S5')!.spec, created_at: '' })
    designer.setLayerField(0, 'units', 64)
    designer.setModelName('wider')
    await nextTick()
    expect(storage.data.has(`model-workbench.state.${DRAFT_KEY}`)).toBe(false)
    vi.advanceTimersByTime(400)
    expect(storage.data.has(`model-workbench.state.${DRAFT_KEY}`)).toBe(true)

    const restored = reload()
    expect(restored.spec.name).toBe('wider')
    expect(restored.spec.layers[0]!.config.units).toBe(64)
    expect(restored.origin).toEqual({ id: 'm7', name: 'mnist-s5', version: 2 })
    expect(restored.hasUnsavedWork).toBe(true)
    expect(restored.draftRestored).toEqual({ weightsLost: 0 })
    expect(restored.validation.ok).toBe(true)
  })

  it('Discard goes back to the version the draft came from, undoably', () => {
    const designer = useDesignerStore()
    designer.loadExample('S5')
    designer.setLayerField(0, 'units', 64)
    designer.flushDraft()
    const restored = reload()
    expect(restored.draftRestored).not.toBeNull()
    expect(restored.exampleId).toBe('S5')
    expect(restored.datasetId).toBe('mnist')
    restored.discardDraft()
    expect(restored.spec.layers[0]!.config.units).toBe(32)
    expect(restored.hasUnsavedWork).toBe(false)
    expect(restored.draftRestored).toBeNull()
    expect(restored.exampleId).toBe('S5')
    restored.undo()
    expect(restored.spec.layers[0]!.config.units).toBe(64)
  })

  it('keeps no weights in the draft, and says how many layers lost theirs', () => {
    const designer = useDesignerStore()
    designer.importSpec(importedIris())
    designer.flushDraft()
    expect(storage.data.get(`model-workbench.state.${DRAFT_KEY}`)).not.toContain('weights')
    const restored = reload()
    expect(restored.spec.layers).toHaveLength(2)
    expect(restored.weightedLayers).toBe(0)
    expect(restored.draftRestored).toEqual({ weightsLost: 1 })
  })

  it('opens a clean draft without the "restored" note, and ignores an unreadable one', () => {
    useDesignerStore().loadExample('S4')
    useDesignerStore().flushDraft()
    const clean = reload()
    expect(clean.spec.name).toBe('mnist-512')
    expect(clean.draftRestored).toBeNull()
    storage.setItem(`model-workbench.state.${DRAFT_KEY}`, JSON.stringify({ spec: { layers: 'no' } }))
    const broken = reload()
    expect(broken.spec.layers).toEqual([])
    expect(broken.draftRestored).toBeNull()
  })
})

describe('designer store: replacing unsaved work', () => {
  it('runs a template at once on a clean design, and asks first on a dirty one', async () => {
    const designer = useDesignerStore()
    expect(designer.requestReplace({ kind: 'template', id: 'S4' })).toBe(true)
    expect(designer.exampleId).toBe('S4')
    designer.setLayerField(0, 'units', 100)
    expect(designer.requestReplace({ kind: 'template', id: 'S5' })).toBe(false)
    expect(designer.confirm).toEqual({ kind: 'template', id: 'S5' })
    expect(designer.spec.layers[0]!.config.units).toBe(100)

    await designer.answerConfirm('cancel')
    expect(designer.confirm).toBeNull()
    expect(designer.spec.layers[0]!.config.units).toBe(100)

    designer.requestReplace({ kind: 'new' })
    await designer.answerConfirm('discard')
    expect(designer.spec.layers).toEqual([])
    expect(designer.confirm).toBeNull()
  })

  it('Save saves first and then replaces; a failed save keeps the question and the work', async () => {
    const designer = useDesignerStore()
    designer.loadExample('S4')
    designer.setLayerField(0, 'units', 100)
    designer.requestReplace({ kind: 'template', id: 'S5' })
    call.mockRejectedValueOnce(new Error('the database is locked'))
    await designer.answerConfirm('save')
    expect(designer.confirm).toEqual({ kind: 'template', id: 'S5' })
    expect(designer.spec.layers[0]!.config.units).toBe(100)
    call.mockResolvedValueOnce({ id: 'm1', name: 'mnist-512', version: 1, spec: designer.spec, created_at: '' })
    await designer.answerConfirm('save')
    expect(call).toHaveBeenLastCalledWith('models.save', expect.objectContaining({ name: 'mnist-512' }))
    expect(designer.confirm).toBeNull()
    expect(designer.exampleId).toBe('S5')
  })

  it("a run's model opened from Runs asks first on a dirty design, and replaces it once discarded", async () => {
    const designer = useDesignerStore()
    designer.loadExample('S4')
    designer.setLayerField(0, 'units', 100)
    const runSpec = { ...cloneSpec(designer.spec), name: 'from-run', layers: designer.spec.layers.slice(0, 1) }
    expect(designer.requestReplace({ kind: 'spec', spec: runSpec })).toBe(false)
    expect(designer.spec.layers[0]!.config.units).toBe(100)
    await designer.answerConfirm('discard')
    expect(designer.spec.name).toBe('from-run')
    expect(designer.spec.layers).toHaveLength(1)
  })

  it('a save the back end finds unchanged shows the kept version and makes the design clean', async () => {
    const designer = buildS5()
    call.mockResolvedValueOnce({ id: 'm1', name: 'model', version: 1, spec: designer.spec, created_at: '', unchanged: true })
    await designer.saveModel()
    expect(designer.saved).toEqual({ id: 'm1', name: 'model', version: 1, unchanged: true })
    expect(designer.origin).toEqual({ id: 'm1', name: 'model', version: 1 })
    expect(designer.hasUnsavedWork).toBe(false)
  })
})

describe('designer store: the data set', () => {
  it('sets the input shape from the chosen data set unless the shape already holds as many values', () => {
    const designer = useDesignerStore()
    designer.loadExample('S5')
    designer.chooseDataset('iris', [4])
    expect(designer.spec.input_shape).toEqual([4])
    expect(designer.datasetId).toBe('iris')
    expect(useDatasetsStore().selectedId).toBe('iris')
    designer.setInputShape([28, 28, 1])
    designer.chooseDataset('mnist', [784])
    expect(designer.spec.input_shape).toEqual([28, 28, 1])
    designer.undo()
    designer.undo()
    expect(designer.spec.input_shape).toEqual([784])
  })
})

describe('designer store: hand-set weights (Set weights)', () => {
  it('offers the table for small Dense layers only, edits values from zeros, and stores them with the spec', async () => {
    const { handSetShapes, HAND_SET_MAX_KERNEL } = await import('./designer.store')
    const designer = useDesignerStore()
    designer.loadExample('S7')
    const shapes = designer.shapes.layers
    expect(handSetShapes(shapes[0])).toEqual([{ name: 'kernel', shape: [1, 3] }, { name: 'bias', shape: [3] }])
    expect(handSetShapes(shapes[1])).toEqual([{ name: 'kernel', shape: [3, 1] }, { name: 'bias', shape: [1] }])
    // S5's 784×32 kernel is far above the limit.
    designer.loadExample('S5')
    expect(handSetShapes(designer.shapes.layers[0])).toBeNull()
    expect(HAND_SET_MAX_KERNEL).toBe(64)

    designer.loadExample('S7')
    designer.setLayerWeight(0, 0, 1, 1)
    expect(designer.spec.layers[0]!.weights).toEqual([[0, 1, 0], [0, 0, 0]])
    designer.setLayerWeight(0, 1, 2, -0.5)
    expect(designer.spec.layers[0]!.weights).toEqual([[0, 1, 0], [0, 0, -0.5]])
    // Out of range or not a number: ignored.
    designer.setLayerWeight(0, 0, 3, 9)
    designer.setLayerWeight(0, 0, 0, Number.NaN)
    expect(designer.spec.layers[0]!.weights).toEqual([[0, 1, 0], [0, 0, -0.5]])
    expect(designer.weightedLayers).toBe(1)
    expect(designer.validation.ok).toBe(true)
  })

  it('sets whole tensors (seed 004\'s [[1, 1, 1]]-style weights), undoably, and "reset to initializer" removes them', () => {
    const designer = useDesignerStore()
    designer.loadExample('S7')
    designer.setLayerWeights(0, [[1, 1, 1], [0, 0, 0]])
    designer.setLayerWeights(1, [[1, 1, 1], [0]])
    expect(designer.spec.layers.map((l) => l.weights)).toEqual([[[1, 1, 1], [0, 0, 0]], [[1, 1, 1], [0]]])
    // A tensor of the wrong size is refused.
    designer.setLayerWeights(1, [[1, 1], [0]])
    expect(designer.spec.layers[1]!.weights).toEqual([[1, 1, 1], [0]])
    // Hand-set weights are work: replacing the model now would ask first.
    expect(designer.hasUnsavedWork).toBe(true)
    designer.setLayerWeights(0, null)
    expect(designer.spec.layers[0]!.weights).toBeUndefined()
    designer.undo()
    expect(designer.spec.layers[0]!.weights).toEqual([[1, 1, 1], [0, 0, 0]])
    // Four units instead of three: neither layer's weights fit any more (dense_2's kernel is now 4×1);
    // both are dropped and named.
    designer.setLayerField(0, 'units', 4)
    expect(designer.spec.layers.map((l) => l.weights)).toEqual([undefined, undefined])
    expect(designer.weightsDropped).toEqual(['dense_1', 'dense_2'])
  })
})

describe('designer store: the graph canvas', () => {
  /** input → dense_1 → dense_2 → add_1(dense_2, dense_1): a residual block, built as on the canvas. */
  function residual(): ReturnType<typeof useDesignerStore> {
    const designer = useDesignerStore()
    designer.setInputShape([30])
    designer.addLayer('Dense')
    designer.addLayer('Dense')
    designer.addLayerAt('Add', { x: 300, y: 400 })
    expect(designer.connect('dense_2', 'add_1')).toBe(true)
    expect(designer.connect('dense_1', 'add_1')).toBe(true)
    return designer
  }
  const names = (d: ReturnType<typeof useDesignerStore>): string[] => d.spec.layers.map((l) => l.config.name as string)
  const inbound = (d: ReturnType<typeof useDesignerStore>): Array<string[] | undefined> => d.spec.layers.map((l) => l.inbound)

  it('a dropped layer arrives unconnected (inbound []), placed where it was dropped; the model then writes every inbound', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.addLayerAt('Dense', { x: 120.4, y: 300.6 })
    expect(inbound(designer)).toEqual([[MODEL_INPUT], []])
    expect(designer.spec.version).toBe(2)
    expect(designer.positions.dense_2).toEqual({ x: 120, y: 301 })
    expect(designer.selectedNames).toEqual(['dense_2'])
    expect(designer.layerViews[1].errors.map((e) => e.reason)).toContain('spec.unconnected')
  })

  it('connect: a merge gains inputs, the result validates with shapes, and each connect is one undo step', () => {
    const designer = residual()
    expect(names(designer)).toEqual(['dense_1', 'dense_2', 'add_1'])
    expect(inbound(designer)).toEqual([[MODEL_INPUT], ['dense_1'], ['dense_2', 'dense_1']])
    expect(designer.validation.ok).toBe(true)
    expect(designer.graph.output).toBe('add_1')
    expect(designer.graph.edges).toHaveLength(4)
    expect(designer.layerViews[2].shape?.output_shape).toEqual([32])
    designer.undo()
    // dense_1 → dense_2 → add_1 alone is a plain chain, written without inbound.
    expect(inbound(designer)).toEqual([undefined, undefined, undefined])
    designer.undo()
    expect(inbound(designer)[2]).toEqual([])
    designer.redo()
    designer.redo()
    expect(inbound(designer)[2]).toEqual(['dense_2', 'dense_1'])
  })

  it('a shape clash at the merge is an error on the Add node, and fixing the units clears it', () => {
    const designer = residual()
    designer.setLayerField(1, 'units', 16)
    const errors = designer.layerViews[2].errors
    expect(errors.map((e) => e.reason)).toContain('spec.merge_shapes')
    expect(errors.map((e) => e.message).join(' ')).toMatch(/\(None, 16\).*\(None, 32\)/)
    designer.setLayerField(1, 'units', 32)
    expect(designer.validation.ok).toBe(true)
  })

  it('refuses self-loops, cycles, duplicates, edges into the input and unknown layers, without an undo step', () => {
    const designer = residual()
    const history = designer.past.length
    expect(designer.connectRefusal('dense_1', 'dense_1')).toBe('self')
    expect(designer.connectRefusal('add_1', 'dense_1')).toBe('cycle')
    expect(designer.connectRefusal('dense_2', 'add_1')).toBe('duplicate')
    expect(designer.connectRefusal('dense_1', MODEL_INPUT)).toBe('to_input')
    expect(designer.connectRefusal('nowhere', 'dense_1')).toBe('unknown')
    expect(designer.connect('add_1', 'dense_1')).toBe(false)
    expect(designer.past.length).toBe(history)
    expect(designer.disconnect('add_1', 'dense_1')).toBe(false)
    expect(designer.past.length).toBe(history)
  })

  it('an edge into an occupied (non-merge) port replaces its input; a later layer feeding an earlier one reorders the list', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.addLayer('Dense')
    designer.addLayerAt('Dropout', { x: 0, y: 0 })
    expect(designer.connect('dropout_1', 'dense_1')).toBe(true)
    // dense_1 now takes dropout_1 (not the input), so dropout_1 is listed first.
    expect(names(designer)).toEqual(['dropout_1', 'dense_1', 'dense_2'])
    expect(inbound(designer)).toEqual([[], ['dropout_1'], ['dense_1']])
    // Connected to the input, the model is a plain chain again: no inbound anywhere.
    expect(designer.connect(MODEL_INPUT, 'dropout_1')).toBe(true)
    expect(inbound(designer)).toEqual([undefined, undefined, undefined])
    expect(designer.validation.ok).toBe(true)
  })

  it('disconnect leaves the layer unconnected, or a merge with one input fewer; undo brings the edge back', () => {
    const designer = residual()
    expect(designer.disconnect('dense_1', 'add_1')).toBe(true)
    // dense_1 → dense_2 → add_1 is a chain again: the spec is written as a Sequential one.
    expect(inbound(designer)).toEqual([undefined, undefined, undefined])
    designer.undo()
    expect(inbound(designer)[2]).toEqual(['dense_2', 'dense_1'])
    expect(designer.disconnect(MODEL_INPUT, 'dense_1')).toBe(true)
    expect(inbound(designer)[0]).toEqual([])
  })

  it('addLayerAfter connects the new layer to the selected one and to what it fed, below it, moving what lies downstream', () => {
    const designer = residual()
    designer.tidyLayout()
    const before = { ...designer.positions }
    const added = designer.addLayerAfter('dense_1', 'Dropout')
    expect(added).toBe('dropout_1')
    expect(names(designer)).toEqual(['dense_1', 'dropout_1', 'dense_2', 'add_1'])
    // Both consumers of dense_1 (dense_2 and the skip into add_1) now take the dropout.
    expect(inbound(designer)).toEqual([[MODEL_INPUT], ['dense_1'], ['dropout_1'], ['dense_2', 'dropout_1']])
    expect(designer.positions.dropout_1).toEqual({ x: before.dense_1.x, y: before.dense_1.y + NODE_STEP })
    expect(designer.positions.dense_2.y).toBe(before.dense_2.y + NODE_STEP)
    expect(designer.positions.add_1.y).toBe(before.add_1.y + NODE_STEP)
    expect(designer.selectedNames).toEqual(['dropout_1'])
    expect(designer.selectedIndex).toBe(1)
    designer.undo()
    expect(names(designer)).toEqual(['dense_1', 'dense_2', 'add_1'])
    // Without a name: after the output layer (what the palette does with nothing selected).
    designer.select(null)
    designer.addLayerAfter(null, 'Dense')
    expect(inbound(designer).at(-1)).toEqual(['add_1'])
    expect(designer.graph.output).toBe('dense_3')
  })

  it('keeps a Sequential design byte for byte: insert and remove in a chain write no inbound', () => {
    const designer = buildS5()
    const before = JSON.stringify(designer.spec)
    designer.addLayerAfter('dense_1', 'Dropout')
    expect(designer.spec.layers.map((l) => l.class_name)).toEqual(['Dense', 'Dropout', 'Activation', 'Dense', 'Activation'])
    expect(JSON.stringify(designer.spec)).not.toContain('inbound')
    designer.removeLayers(['dropout_1'])
    expect(JSON.stringify(designer.spec)).toBe(before)
    designer.addLayerAt('Dense', { x: 0, y: 0 })
    designer.removeLayers(['dense_3'])
    expect(JSON.stringify(designer.spec)).toBe(before.replace('"version":1', '"version":2'))
  })

  it('removeLayers: a removed chain layer hands its input to its consumers; a group goes in one undo step', () => {
    const designer = residual()
    designer.addLayerAfter('add_1', 'Dense')
    designer.removeLayers(['add_1'])
    // add_1 had two inputs: its consumer is left unconnected.
    expect(inbound(designer)).toEqual([[MODEL_INPUT], ['dense_1'], []])
    designer.undo()
    designer.removeLayers(['dense_2'])
    // dense_2 had one input (dense_1): add_1 takes dense_1 instead (once), and the rest is a chain again.
    expect(names(designer)).toEqual(['dense_1', 'add_1', 'dense_3'])
    expect(inbound(designer)).toEqual([undefined, undefined, undefined])
    designer.undo()
    const history = designer.past.length
    designer.removeLayers(['dense_1', 'dense_2'], [{ from: 'add_1', to: 'dense_3' }])
    expect(designer.past.length).toBe(history + 1)
    expect(names(designer)).toEqual(['add_1', 'dense_3'])
    expect(inbound(designer)).toEqual([[MODEL_INPUT], []])
    designer.undo()
    expect(names(designer)).toEqual(['dense_1', 'dense_2', 'add_1', 'dense_3'])
    expect(designer.validation.ok).toBe(true)
  })

  it('copy and paste: fresh unique names, internal edges kept, outside inputs dropped, offset positions, one undo step', () => {
    const designer = residual()
    designer.tidyLayout()
    expect(designer.copyLayers(['dense_1', 'dense_2'])).toBe(2)
    const pasted = designer.pasteLayers()
    expect(pasted).toEqual(['dense_3', 'dense_4'])
    const layers = designer.spec.layers
    expect(layers.find((l) => l.config.name === 'dense_3')?.inbound).toEqual([])
    expect(layers.find((l) => l.config.name === 'dense_4')?.inbound).toEqual(['dense_3'])
    expect(designer.positions.dense_3).toEqual({ x: designer.positions.dense_1.x + PASTE_OFFSET, y: designer.positions.dense_1.y + PASTE_OFFSET })
    expect(designer.selectedNames).toEqual(['dense_3', 'dense_4'])
    // The originals are untouched; a second paste lands a further step away.
    expect(inbound(designer).slice(0, 3)).toEqual([[MODEL_INPUT], ['dense_1'], ['dense_2', 'dense_1']])
    designer.pasteLayers()
    expect(designer.positions.dense_5).toEqual({ x: designer.positions.dense_1.x + 2 * PASTE_OFFSET, y: designer.positions.dense_1.y + 2 * PASTE_OFFSET })
    designer.undo()
    designer.undo()
    expect(names(designer)).toEqual(['dense_1', 'dense_2', 'add_1'])
    // Pasting given layers (not the clipboard) works the same.
    expect(designer.pasteLayers([{ class_name: 'Dense', config: { name: 'add_1', units: 3 } }])).toEqual(['dense_3'])
  })

  it('renaming a layer renames it in the inbound lists, the positions and the selection', () => {
    const designer = residual()
    designer.select(0)
    const at = designer.positions.dense_1
    designer.setLayerField(0, 'name', 'trunk')
    expect(inbound(designer)).toEqual([[MODEL_INPUT], ['trunk'], ['dense_2', 'trunk']])
    expect(designer.positions.trunk).toEqual(at)
    expect(designer.selectedNames).toEqual(['trunk'])
    expect(designer.validation.ok).toBe(true)
    designer.undo()
    expect(inbound(designer)[2]).toEqual(['dense_2', 'dense_1'])
  })

  it('moveNode and tidyLayout change positions only (no undo step); the layout runs top to bottom', () => {
    const designer = residual()
    const history = designer.past.length
    designer.moveNode('dense_2', { x: 500.2, y: 20.7 })
    expect(designer.positions.dense_2).toEqual({ x: 500, y: 21 })
    const version = designer.layoutVersion
    designer.tidyLayout()
    expect(designer.layoutVersion).toBe(version + 1)
    expect(designer.past.length).toBe(history)
    const p = designer.positions
    expect(p[MODEL_INPUT].y).toBeLessThan(p.dense_1.y)
    expect(p.dense_1.y).toBeLessThan(p.dense_2.y)
    expect(p.dense_2.y).toBeLessThan(p.add_1.y)
    // The skip runs beside dense_2, so dense_2 stands aside from the dense_1 → add_1 column.
    expect(p.dense_2.x).not.toBe(p.add_1.x)
  })

  it('templates and imports are laid out on load; undo gives restored layers a position', () => {
    const designer = useDesignerStore()
    designer.loadExample('S5')
    const ids = [MODEL_INPUT, ...designer.layerViews.map((l) => l.name)]
    expect(ids.every((id) => designer.positions[id])).toBe(true)
    expect(JSON.stringify(designer.spec)).not.toContain('inbound')
    designer.removeLayers(['dense_1'])
    delete designer.positions.dense_1
    designer.undo()
    expect(designer.positions.dense_1).toBeDefined()
  })

  it('multi-selection: setSelection keeps known names, shows the primary one in the properties', () => {
    const designer = residual()
    designer.setSelection(['dense_1', 'add_1', 'ghost'], 'dense_1')
    expect(designer.selectedNames).toEqual(['dense_1', 'add_1'])
    expect(designer.selectedIndex).toBe(0)
    designer.setSelection(['dense_2', 'add_1'])
    expect(designer.selectedIndex).toBe(2)
    designer.setSelection([])
    expect(designer.selectedIndex).toBeNull()
  })
})

describe('designer store: positions in the draft', () => {
  beforeEach(() => vi.stubGlobal('localStorage', memoryStorage()))
  afterEach(() => vi.unstubAllGlobals())

  it('keeps the graph and the node positions across a reload', () => {
    const designer = useDesignerStore()
    designer.addLayer('Dense')
    designer.addLayerAt('Dense', { x: 40, y: 500 })
    designer.moveNode('dense_1', { x: -80, y: 160 })
    designer.flushDraft()
    setActivePinia(createPinia())
    const restored = useDesignerStore()
    expect(restored.spec.layers.map((l) => l.inbound)).toEqual([[MODEL_INPUT], []])
    expect(restored.positions.dense_1).toEqual({ x: -80, y: 160 })
    expect(restored.positions.dense_2).toEqual({ x: 40, y: 500 })
    expect(restored.positions[MODEL_INPUT]).toBeDefined()
  })
})
