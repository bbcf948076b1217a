// Weights and activations over time (runs.distributions) and the learning-rate finder
// (runs.findLearningRate): the views read and act through this store only. Distributions follow
// a training run live: an epoch event of a watched run refetches them (at most every 2 s, and
// once more when the run ends). The finder's progress comes from job.progress events of its own job.
import { defineStore } from 'pinia'
import { markRaw, reactive } from 'vue'
import { client } from '../api'
import type { Request } from '../../../shared/contract'
import type { Distributions } from '../../../shared/distributions'
import type { LrFinderAnswer } from '../../../shared/lr-finder'
import { describeError, type ShownError } from '../lib/errors'

export interface DistributionsState {
  loading: boolean
  data: Distributions | null
  error: ShownError | null
}

export interface LrFinderState {
  running: boolean
  progress: { done: number; total: number } | null
  result: LrFinderAnswer | null
  error: ShownError | null
}

/** The least time between two live refetches of a run's distributions (ms). */
export const LIVE_REFETCH_MS = 2000
/** An epoch event precedes the trainer's append of that epoch's record by a few ms: wait at least this long (ms). */
const AFTER_EPOCH_MS = 300

let jobCounter = 0

export const useInsightsStore = defineStore('insights', () => {
  const distributions = reactive<Record<string, DistributionsState>>({})
  const finder = reactive<LrFinderState>({ running: false, progress: null, result: null, error: null })
  const watched = new Set<string>()
  const lastFetch = new Map<string, number>()
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  let unsubscribe: (() => void) | null = null

  function stateOf(runId: string): DistributionsState {
    distributions[runId] ??= { loading: false, data: null, error: null }
    return distributions[runId]
  }

  async function loadDistributions(runId: string): Promise<Distributions | null> {
    const entry = stateOf(runId)
    entry.loading = true
    lastFetch.set(runId, Date.now())
    try {
      // The records are read, never edited: kept out of Vue's deep reactivity.
      const data = markRaw(await client.call('runs.distributions', { run_id: runId }))
      entry.data = data
      entry.error = null
      return data
    } catch (caught) {
      entry.error = describeError(caught)
      return null
    } finally {
      entry.loading = false
    }
  }

  function refetchSoon(runId: string, now = false): void {
    if (timers.has(runId)) return
    const wait = now ? 0 : Math.max(AFTER_EPOCH_MS, LIVE_REFETCH_MS - (Date.now() - (lastFetch.get(runId) ?? 0)))
    timers.set(runId, setTimeout(() => {
      timers.delete(runId)
      void loadDistributions(runId)
    }, wait))
  }

  /** Loads a run's distributions and keeps them current while it trains; the returned function stops watching. */
  function watchDistributions(runId: string): () => void {
    watched.add(runId)
    unsubscribe ??= client.on('run.progress', (event) => {
      if (!watched.has(event.run_id)) return
      if (event.type === 'epoch') refetchSoon(event.run_id)
      else if (event.type === 'ended') {
        clearTimeout(timers.get(event.run_id))
        timers.delete(event.run_id)
        refetchSoon(event.run_id, true)
      }
    })
    void loadDistributions(runId)
    return () => {
      watched.delete(runId)
      clearTimeout(timers.get(runId))
      timers.delete(runId)
      if (watched.size === 0 && unsubscribe) {
        unsubscribe()
        unsubscribe = null
      }
    }
  }

  async function findLearningRate(request: Omit<Request<'runs.findLearningRate'>, 'job'>): Promise<LrFinderAnswer | null> {
    if (finder.running) return null
    const job = `lr-finder-ui:${++jobCounter}:${Date.now()}`
    finder.running = true
    finder.progress = null
    finder.error = null
    finder.result = null
    const stop = client.on('job.progress', (event) => {
      if (event.job === job) finder.progress = { done: event.done, total: event.total }
    })
    try {
      const result = markRaw(await client.call('runs.findLearningRate', { ...request, job }))
      finder.result = result
      return result
    } catch (caught) {
      finder.error = describeError(caught)
      return null
    } finally {
      stop()
      finder.running = false
    }
  }

  function resetFinder(): void {
    if (finder.running) return
    finder.progress = null
    finder.result = null
    finder.error = null
  }

  return { distributions, finder, stateOf, loadDistributions, watchDistributions, findLearningRate, resetFinder }
})
