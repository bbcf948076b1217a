// The run the Train view shows: its draft settings, the run it started, and the live series
// streamed from the trainer. Series are kept outside Vue's reactivity (plain arrays, appended)
// and announced by a `revision` counter, so a streaming run costs no re-render per event.
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import { client } from '../api'
import type { ProgressEvent, BackendInfo, MetricValues, RunStatus } from '../../../shared/run'
import type { ModelSpec } from '../../../shared/model-spec'
import type { TrainingConfig } from '../../../shared/training'
import { emaSmooth } from '../../../shared/compare'
import { defaultConfigForTask } from '../views/train/train-rules'
import { describeError, type ShownError } from '../components/errors'
import { t } from '../i18n'

export interface LiveSeries {
  x: number[]
  y: number[]
  /** EMA of y, kept incrementally (TensorBoard's debiased form). */
  smooth: number[]
  emaLast: number
  emaCount: number
}

export interface LiveData {
  /** Per-batch metrics by name (x = global step). */
  batch: Map<string, LiveSeries>
  /** Per-epoch metrics by name (x = epoch, 1-based), val_* included. */
  epoch: Map<string, LiveSeries>
}

export type TrainPhase = 'idle' | 'starting' | RunStatus

function emptyLive(): LiveData {
  return markRaw({ batch: new Map(), epoch: new Map() })
}

function appendPoint(series: Map<string, LiveSeries>, name: string, x: number, y: number, weight: number): void {
  let s = series.get(name)
  if (!s) series.set(name, (s = { x: [], y: [], smooth: [], emaLast: 0, emaCount: 0 }))
  s.x.push(x)
  s.y.push(y)
  if (Number.isFinite(y)) {
    s.emaLast = s.emaLast * weight + (1 - weight) * y
    s.emaCount++
    s.smooth.push(weight === 0 ? y : s.emaLast / (1 - Math.pow(weight, s.emaCount)))
  } else {
    s.smooth.push(y)
  }
}

export const useTrainingStore = defineStore('training', () => {
  const config = ref<TrainingConfig>(defaultConfigForTask('multiclass'))
  const datasetId = ref<string | null>(null)
  const runName = ref('')
  const runId = ref<string | null>(null)
  const phase = ref<TrainPhase>('idle')
  const backend = shallowRef<BackendInfo | null>(null)
  const totalSteps = ref(0)
  const stepsPerEpoch = ref(0)
  const epochs = ref<number | null>(null)
  const step = ref(0)
  const epoch = ref(0)
  const progress = ref(0)
  const samplesPerS = ref<number | null>(null)
  const etaS = ref<number | null>(null)
  const lastEpochMetrics = shallowRef<MetricValues>({})
  const finalMetrics = shallowRef<MetricValues>({})
  const bestEpoch = ref<number | null>(null)
  const statusMessage = ref<string | null>(null)
  /** Stop was clicked and the run has not ended yet (the trainer finishes its step, evaluates and saves). */
  const stopping = ref(false)
  const error = shallowRef<ShownError | null>(null)
  const smoothing = ref(0.6)
  const revision = ref(0)
  let live = emptyLive()
  // Events that arrive before runs.start has answered with the run id.
  let early: ProgressEvent[] = []
  let unsubscribe: (() => void) | null = null

  function liveData(): LiveData {
    return live
  }

  function isActive(): boolean {
    return phase.value === 'starting' || phase.value === 'queued' || phase.value === 'running' || phase.value === 'paused'
  }

  function apply(event: ProgressEvent): void {
    switch (event.type) {
      case 'started':
        backend.value = event.backend
        totalSteps.value = event.total_steps
        stepsPerEpoch.value = event.steps_per_epoch
        epochs.value = event.epochs
        phase.value = 'running'
        break
      case 'batch':
        step.value = event.step
        epoch.value = event.epoch
        progress.value = event.progress
        samplesPerS.value = event.samples_per_s
        etaS.value = event.eta_s
        for (const [name, value] of Object.entries(event.metrics)) appendPoint(live.batch, name, event.step, value, smoothing.value)
        revision.value++
        break
      case 'epoch':
        epoch.value = event.epoch
        lastEpochMetrics.value = event.metrics
        for (const [name, value] of Object.entries(event.metrics)) appendPoint(live.epoch, name, event.epoch, value, 0)
        revision.value++
        break
      case 'status':
        phase.value = event.status
        statusMessage.value = event.message ?? null
        break
      case 'ended':
        phase.value = event.status
        stopping.value = false
        finalMetrics.value = event.final_metrics
        bestEpoch.value = event.best_epoch
        if (event.status === 'finished') progress.value = 1
        etaS.value = null
        if (event.status === 'diverged') error.value = { message: event.error ?? t('train.diverged', { step: event.diverged_at_step ?? '?' }), hint: t('train.divergedHint') }
        else if (event.error) error.value = describeError({ message: event.error }, t('train.failedHint'))
        revision.value++
        break
    }
  }

  function onProgress(event: ProgressEvent): void {
    if (runId.value === null) {
      if (phase.value === 'starting') early.push(event)
      return
    }
    if (event.run_id === runId.value) apply(event)
  }

  function listen(): void {
    if (!unsubscribe) unsubscribe = client.on('run.progress', onProgress)
  }

  function resetLive(): void {
    live = emptyLive()
    backend.value = null
    totalSteps.value = 0
    stepsPerEpoch.value = 0
    epochs.value = null
    step.value = 0
    epoch.value = 0
    progress.value = 0
    samplesPerS.value = null
    etaS.value = null
    lastEpochMetrics.value = {}
    finalMetrics.value = {}
    bestEpoch.value = null
    statusMessage.value = null
    stopping.value = false
    error.value = null
    revision.value++
  }

  /** Starts a run of `spec` on `dataset` with `settings`; resolves with the run id, or null when the back end refused. */
  async function start(spec: ModelSpec, dataset: string, settings: TrainingConfig, name?: string): Promise<string | null> {
    if (isActive()) return null
    listen()
    resetLive()
    runId.value = null
    early = []
    phase.value = 'starting'
    try {
      const result = await client.call('runs.start', { spec, config: settings, dataset_id: dataset, name: name?.trim() || undefined })
      runId.value = result.run_id
      if (phase.value === 'starting') phase.value = 'queued'
      const buffered = early.filter((e) => e.run_id === result.run_id)
      early = []
      for (const event of buffered) apply(event)
      return result.run_id
    } catch (caught) {
      phase.value = 'idle'
      error.value = describeError(caught)
      return null
    }
  }

  async function control(method: 'runs.pause' | 'runs.resume' | 'runs.stop'): Promise<void> {
    if (!runId.value) return
    const id = runId.value
    // Stopping shows at once, until the run's end arrives (a second Stop stops it by force).
    const wasStopping = stopping.value
    if (method === 'runs.stop' && isActive()) stopping.value = true
    try {
      await client.call(method, { run_id: id })
      if (runId.value !== id || !isActive()) return
      if (method === 'runs.pause') phase.value = 'paused'
      if (method === 'runs.resume') phase.value = 'running'
    } catch (caught) {
      if (method === 'runs.stop' && runId.value === id) stopping.value = wasStopping
      error.value = describeError(caught)
    }
  }

  const pause = () => control('runs.pause')
  const resume = () => control('runs.resume')
  const stop = () => control('runs.stop')

  /** Recomputes the smoothed curves for a new smoothing weight. */
  function setSmoothing(weight: number): void {
    smoothing.value = weight
    for (const s of live.batch.values()) {
      s.smooth = emaSmooth(s.y, weight)
      s.emaCount = 0
      s.emaLast = 0
      for (const y of s.y) {
        if (!Number.isFinite(y)) continue
        s.emaLast = s.emaLast * weight + (1 - weight) * y
        s.emaCount++
      }
    }
    revision.value++
  }

  function dismissError(): void {
    error.value = null
  }

  function dispose(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  return {
    config, datasetId, runName, runId, phase, backend, totalSteps, stepsPerEpoch, epochs, step, epoch, progress, samplesPerS, etaS,
    lastEpochMetrics, finalMetrics, bestEpoch, statusMessage, stopping, error, smoothing, revision,
    liveData, isActive, start, pause, resume, stop, setSmoothing, dismissError, listen, dispose, apply
  }
})
