// The Evaluate view's state and its calls to the back end: which run and split are shown (kept
// across reloads with the threshold chosen per run), evaluations cached per run and split, the
// decision threshold saved with the run, samples of the split by position, and predictions for
// the sample lists and the playground. Views read and act through this store only.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import { z } from 'zod'
import { client } from '../api'
import type { Evaluation, Request, Response } from '../../../shared/contract'
import type { SplitName } from '../../../shared/dataset'
import { describeError, type ShownError } from '../lib/errors'
import { loadState, persistOnChange } from './persisted'

const STATE_KEY = 'evaluate'
const stateSchema = z.object({
  runId: z.string().nullable(),
  split: z.enum(['train', 'validation', 'test']),
  thresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** Whether an evaluation of that run and split was on screen: a reload evaluates it again. */
  shown: z.boolean().default(false)
})

/** Samples per datasets.samples call (the contract's cap). */
const SAMPLE_PAGE = 256
/** How long the slider rests before its value is saved with the run. */
const SAVE_DELAY_MS = 400

export interface SplitSample {
  index: number
  features: number[]
  label: number
}

export const useEvaluationStore = defineStore('evaluation', () => {
  const saved = loadState(STATE_KEY, stateSchema)
  const runId = ref<string | null>(saved?.runId ?? null)
  const split = ref<SplitName>(saved?.split ?? 'test')
  /** The threshold shown per run (the slider); saved with the run too, after it rests. */
  const thresholds = ref<Record<string, number>>(saved?.thresholds ?? {})
  const shown = ref(saved?.shown ?? false)
  const evaluations = shallowRef(new Map<string, Evaluation>())
  const evaluating = ref(false)
  const error = shallowRef<ShownError | null>(null)
  const saveError = shallowRef<ShownError | null>(null)
  let ticket = 0
  const saveTimers = new Map<string, ReturnType<typeof setTimeout>>()

  persistOnChange(STATE_KEY, () => ({ runId: runId.value, split: split.value, thresholds: thresholds.value, shown: shown.value }))

  const key = (id: string, name: SplitName): string => `${id}:${name}`
  const current = computed(() => (runId.value ? (evaluations.value.get(key(runId.value, split.value)) ?? null) : null))

  /** The threshold for a run: the one chosen here, else the run's saved one, else 0.5. */
  function thresholdOf(id: string): number {
    const chosen = thresholds.value[id]
    if (chosen !== undefined) return chosen
    for (const [k, evaluation] of evaluations.value) if (k.startsWith(`${id}:`) && typeof evaluation.decision_threshold === 'number') return evaluation.decision_threshold
    return 0.5
  }

  function select(id: string | null, name?: SplitName): void {
    if (id !== runId.value || (name && name !== split.value)) {
      ticket++
      evaluating.value = false
      error.value = null
      shown.value = false
    }
    runId.value = id
    if (name) split.value = name
  }

  async function evaluate(id: string, name: SplitName): Promise<Evaluation | null> {
    const mine = ++ticket
    evaluating.value = true
    error.value = null
    try {
      const result = await client.call('runs.evaluate', { run_id: id, split: name, scores: true })
      if (mine !== ticket) return null
      evaluations.value.set(key(id, name), result)
      triggerRef(evaluations)
      if (id === runId.value && name === split.value) shown.value = true
      return result
    } catch (caught) {
      if (mine === ticket) error.value = describeError(caught)
      throw caught
    } finally {
      if (mine === ticket) evaluating.value = false
    }
  }

  /** Moves the threshold of a run; the value is saved with the run once the slider rests. */
  function setThreshold(id: string, value: number): void {
    thresholds.value = { ...thresholds.value, [id]: value }
    const pending = saveTimers.get(id)
    if (pending) clearTimeout(pending)
    saveTimers.set(
      id,
      setTimeout(() => {
        saveTimers.delete(id)
        void saveThreshold(id, value)
      }, SAVE_DELAY_MS)
    )
  }

  async function saveThreshold(id: string, value: number | null): Promise<void> {
    try {
      await client.call('runs.setThreshold', { run_id: id, threshold: value })
      saveError.value = null
      for (const [k, evaluation] of evaluations.value) if (k.startsWith(`${id}:`)) evaluations.value.set(k, { ...evaluation, decision_threshold: value })
      triggerRef(evaluations)
    } catch (caught) {
      saveError.value = describeError(caught)
    }
  }

  /** Back to 0.5, the default, for this run (saved at once). */
  async function resetThreshold(id: string): Promise<void> {
    const pending = saveTimers.get(id)
    if (pending) clearTimeout(pending)
    saveTimers.delete(id)
    const rest = { ...thresholds.value }
    delete rest[id]
    thresholds.value = rest
    await saveThreshold(id, null)
  }

  /** A contiguous page of the split. */
  async function samplePage(datasetId: string, name: SplitName, offset: number, count: number): Promise<SplitSample[]> {
    const out: SplitSample[] = []
    for (let at = offset; at < offset + count; at += SAMPLE_PAGE) {
      const page = await client.call('datasets.samples', { id: datasetId, split: name, offset: at, count: Math.min(SAMPLE_PAGE, offset + count - at) })
      page.features.forEach((features, i) => out.push({ index: at + i, features, label: page.labels[i] ?? 0 }))
    }
    return out
  }

  /** The samples at these positions of the split (runs of neighbours fetched together), in the order asked. */
  async function samplesAt(datasetId: string, name: SplitName, indices: readonly number[]): Promise<SplitSample[]> {
    const sorted = [...new Set(indices)].sort((a, b) => a - b)
    const runs: { start: number; count: number }[] = []
    for (const index of sorted) {
      const last = runs[runs.length - 1]
      if (last && index === last.start + last.count && last.count < SAMPLE_PAGE) last.count++
      else runs.push({ start: index, count: 1 })
    }
    const pages = await Promise.all(runs.map((r) => samplePage(datasetId, name, r.start, r.count)))
    const byIndex = new Map(pages.flat().map((sample) => [sample.index, sample]))
    return indices.map((index) => byIndex.get(index)).filter((sample): sample is SplitSample => sample !== undefined)
  }

  function predict(request: Request<'runs.predict'>): Promise<Response<'runs.predict'>> {
    return client.call('runs.predict', request)
  }

  /** A run's export in one format (the file comes back in the answer). */
  function exportRun(request: Request<'runs.export'>): Promise<Response<'runs.export'>> {
    return client.call('runs.export', request)
  }

  /** A run's trained layer weights. */
  function weights(id: string): Promise<Response<'runs.weights'>> {
    return client.call('runs.weights', { run_id: id })
  }

  /** Forgets the cached evaluations of a run (it was re-trained or deleted). */
  function forget(id: string): void {
    for (const k of [...evaluations.value.keys()]) if (k.startsWith(`${id}:`)) evaluations.value.delete(k)
    triggerRef(evaluations)
  }

  return { runId, split, thresholds, shown, evaluations, evaluating, error, saveError, current, thresholdOf, select, evaluate, setThreshold, saveThreshold, resetThreshold, samplePage, samplesAt, predict, exportRun, weights, forget, cached: (id: string, name: SplitName) => evaluations.value.get(key(id, name)) ?? null }
})
