// The gradient check's state and its calls (runs.gradientCheck): one check per subject — a run
// (`run:<id>`) or the Designer's untrained model on a data set (`model:<dataset>`) — with its
// answer, its progress (job.progress events of the check's own job id) and its error. Views
// (GradientCheckPanel in Evaluate and the Designer) read and act through this store only.
import { defineStore } from 'pinia'
import { reactive } from 'vue'
import { client } from '../api'
import type { GradientCheckAnswer } from '../../../shared/gradient-check'
import type { ModelSpec } from '../../../shared/model-spec'
import type { LossName } from '../../../shared/training'
import { describeError, type ShownError } from '../lib/errors'

export interface GradientCheckState {
  running: boolean
  /** Weights compared of the total, while running (null before the first event). */
  progress: { done: number; total: number } | null
  result: GradientCheckAnswer | null
  error: ShownError | null
}

/** The subject key of a run's check. */
export const runSubject = (runId: string): string => `run:${runId}`
/** The subject key of the Designer model's check on a data set. */
export const modelSubject = (datasetId: string): string => `model:${datasetId}`

let jobCounter = 0

export const useAnalysisStore = defineStore('analysis', () => {
  const checks = reactive<Record<string, GradientCheckState>>({})
  /** The Designer model (as JSON) each model subject's answer was for: a later edit makes it stale. */
  const checkedSpecs = reactive<Record<string, string>>({})

  function state(subject: string): GradientCheckState {
    checks[subject] ??= { running: false, progress: null, result: null, error: null }
    return checks[subject]
  }

  async function run(subject: string, request: { run_id: string } | { spec: ModelSpec; dataset_id: string; seed?: number; loss?: LossName }): Promise<GradientCheckAnswer | null> {
    const entry = state(subject)
    if (entry.running) return null
    const job = `gradcheck-ui:${++jobCounter}:${Date.now()}`
    entry.running = true
    entry.progress = null
    entry.error = null
    const stop = client.on('job.progress', (event) => {
      if (event.job === job) entry.progress = { done: event.done, total: event.total }
    })
    try {
      const result = await client.call('runs.gradientCheck', { ...request, job })
      entry.result = result
      if ('spec' in request) checkedSpecs[subject] = JSON.stringify(request.spec)
      return result
    } catch (caught) {
      entry.error = describeError(caught)
      return null
    } finally {
      stop()
      entry.running = false
    }
  }

  return {
    checks,
    checkedSpecs,
    state,
    /** Checks a run's chosen weights (its loss, its seed's batch). */
    checkRun: (runId: string) => run(runSubject(runId), { run_id: runId }),
    /** Checks an untrained model, built with `seed`, on a data set's training split with `loss` (default: the data set task's). */
    checkModel: (spec: ModelSpec, datasetId: string, seed?: number, loss?: LossName) => run(modelSubject(datasetId), { spec, dataset_id: datasetId, ...(seed !== undefined ? { seed } : {}), ...(loss ? { loss } : {}) }),
    clear(subject: string): void {
      delete checks[subject]
      delete checkedSpecs[subject]
    }
  }
})
