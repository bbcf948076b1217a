// Training: the settings of each model (kept per model across reloads), the runs the back end
// trains now (runs.active, kept current by run.progress events) and the one run the Train view
// watches, with its live series. The back end holds the truth: on load (or reload, or in a second
// tab) the store asks it for the active runs and attaches to one, filling the charts from the
// stored series and then from live events. Series are kept outside Vue's reactivity (plain
// arrays, appended) and announced by a `revision` counter, so a streaming run costs no re-render
// per event.
import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef, watch } from 'vue'
import { z } from 'zod'
import { client } from '../api'
import type { ActiveRun, ProgressEvent, BackendInfo, MetricValues, RunSeries, RunStatus } from '../../../shared/run'
import type { ModelSpec } from '../../../shared/model-spec'
import { trainingConfigSchema, type TrainingConfig } from '../../../shared/training'
import { EXAMPLES } from '../../../shared/examples'
import { emaSmooth } from '../../../shared/compare'
import { defaultConfigForTask, type BackendAvailability } from '../lib/train-rules'
import { describeError, type ShownError } from '../lib/errors'
import { loadState, saveState } from './persisted'
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
  /** Per-batch metrics by name (x = global step): `loss` is each step's own loss. */
  batch: Map<string, LiveSeries>
  /** Per-epoch metrics by name (x = epoch, 1-based), val_* included. */
  epoch: Map<string, LiveSeries>
}

export type TrainPhase = 'idle' | 'starting' | RunStatus

/** The settings of one model: what the Train form shows for it. */
export interface ModelSettings {
  config: TrainingConfig
  datasetId: string | null
  runName: string
}

const SETTINGS_KEY = 'train.settings'
/** Models whose settings are kept; the least recently used beyond this are dropped. */
export const SETTINGS_LIMIT = 50
const settingsSchema = z.object({
  /** Model key → settings, most recently used last. */
  models: z.array(z.object({ key: z.string(), config: trainingConfigSchema, dataset_id: z.string().nullable(), run_name: z.string() })),
  current: z.string().nullable()
})

/** A plain copy of a config (it may be a reactive proxy, which structuredClone refuses). */
function copyConfig(config: TrainingConfig): TrainingConfig {
  return JSON.parse(JSON.stringify(config)) as TrainingConfig
}

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

function lastX(series: Map<string, LiveSeries>, name: string): number {
  const s = series.get(name)
  return s && s.x.length ? s.x[s.x.length - 1]! : -Infinity
}

function isActiveStatus(phase: TrainPhase): boolean {
  return phase === 'starting' || phase === 'queued' || phase === 'running' || phase === 'paused'
}

export const useTrainingStore = defineStore('training', () => {
  const config = ref<TrainingConfig>(defaultConfigForTask('multiclass'))
  const datasetId = ref<string | null>(null)
  const runName = ref('')
  /** Whose settings the form shows (the designer's model name), or null before one is chosen. */
  const modelKey = ref<string | null>(null)
  const runId = ref<string | null>(null)
  const phase = ref<TrainPhase>('idle')
  /** runs.active has not answered yet: the view says so instead of "Ready". */
  const attaching = ref(false)
  /** The runs the back end trains now (any tab, any view started them). */
  const activeRuns = shallowRef<ActiveRun[]>([])
  /** Which backends can run here (app.info), for the backend choice. */
  const backends = shallowRef<BackendAvailability[] | null>(null)
  const watchedName = ref<string | null>(null)
  const backend = shallowRef<BackendInfo | null>(null)
  const totalSteps = ref(0)
  const stepsPerEpoch = ref(0)
  const epochs = ref<number | null>(null)
  const step = ref(0)
  const epoch = ref(0)
  /** The last epoch whose metrics arrived (the epochs trained, once the run has ended). */
  const epochsDone = ref(0)
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
  // Events that arrive before runs.start has answered with the run id, or while an attach reads the stored series.
  let early: ProgressEvent[] = []
  let buffering = false
  let unsubscribe: (() => void) | null = null

  // ---- settings per model
  const stored = loadState(SETTINGS_KEY, settingsSchema)
  const settings = new Map<string, ModelSettings>((stored?.models ?? []).map((m) => [m.key, { config: m.config, datasetId: m.dataset_id, runName: m.run_name }]))
  if (stored?.current && settings.has(stored.current)) {
    const current = settings.get(stored.current)!
    modelKey.value = stored.current
    config.value = current.config
    datasetId.value = current.datasetId
    runName.value = current.runName
  }

  function persistSettings(): void {
    if (modelKey.value !== null) {
      settings.delete(modelKey.value)
      settings.set(modelKey.value, { config: config.value, datasetId: datasetId.value, runName: runName.value })
    }
    while (settings.size > SETTINGS_LIMIT) settings.delete(settings.keys().next().value!)
    saveState(SETTINGS_KEY, { models: [...settings].map(([key, s]) => ({ key, config: s.config, dataset_id: s.datasetId, run_name: s.runName })), current: modelKey.value })
  }

  let saveTimer: ReturnType<typeof setTimeout> | undefined
  watch(
    [config, datasetId, runName],
    () => {
      if (saveTimer === undefined) saveTimer = setTimeout(() => {
        saveTimer = undefined
        persistSettings()
      }, 300)
    },
    { deep: true }
  )

  /** The settings kept for a model, if any. */
  function settingsOf(key: string): ModelSettings | undefined {
    return settings.get(key)
  }

  /**
   * Shows the settings of model `key`: its own last settings when it has some, else `defaults()`
   * (the example's, or the data set task's). The current model's settings are kept first.
   */
  function useModel(key: string, defaults: () => ModelSettings): void {
    if (key === modelKey.value) return
    persistSettings()
    const next = settings.get(key) ?? defaults()
    modelKey.value = key
    config.value = copyConfig(next.config)
    datasetId.value = next.datasetId
    runName.value = next.runName
    persistSettings()
  }

  /** Sets the settings of model `key` (an example's, a run's to re-run) and shows them. */
  function loadConfig(key: string, next: { config: TrainingConfig; datasetId: string | null; runName?: string }): void {
    persistSettings()
    modelKey.value = key
    config.value = copyConfig(next.config)
    datasetId.value = next.datasetId
    runName.value = next.runName ?? ''
    persistSettings()
  }

  /** A seed experiment's training settings and data set, for its model (the Designer loads its spec). */
  function loadExample(exampleId: string): boolean {
    const example = EXAMPLES.find((e) => e.id === exampleId)
    if (!example) return false
    loadConfig(example.spec.name, { config: trainingConfigSchema.parse(example.config), datasetId: example.dataset_id })
    return true
  }

  // ---- the watched run
  function liveData(): LiveData {
    return live
  }

  function isActive(): boolean {
    return isActiveStatus(phase.value)
  }

  function appendBatch(event: Extract<ProgressEvent, { type: 'batch' }>, after: number): void {
    const losses = event.step_losses
    if (losses) {
      const first = event.step - losses.length + 1
      losses.forEach((value, i) => {
        if (first + i > after) appendPoint(live.batch, 'loss', first + i, value, smoothing.value)
      })
    }
    if (event.step <= after) return
    for (const [name, value] of Object.entries(event.metrics)) {
      if (losses && name === 'loss') continue
      appendPoint(live.batch, name, event.step, value, smoothing.value)
    }
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
      case 'batch': {
        const after = Math.max(lastX(live.batch, 'loss'), lastX(live.batch, 'lr'))
        step.value = Math.max(step.value, event.step)
        epoch.value = event.epoch
        progress.value = event.progress
        samplesPerS.value = event.samples_per_s
        etaS.value = event.eta_s
        appendBatch(event, after)
        revision.value++
        break
      }
      case 'epoch':
        epoch.value = event.epoch
        epochsDone.value = Math.max(epochsDone.value, event.epoch)
        step.value = Math.max(step.value, event.step)
        lastEpochMetrics.value = event.metrics
        if (event.epoch > lastX(live.epoch, 'loss')) for (const [name, value] of Object.entries(event.metrics)) appendPoint(live.epoch, name, event.epoch, value, 0)
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

  /** Keeps the active-run list current from an event of any run. */
  function track(event: ProgressEvent): void {
    const index = activeRuns.value.findIndex((r) => r.run_id === event.run_id)
    if (event.type === 'ended') {
      if (index >= 0) activeRuns.value = activeRuns.value.filter((r) => r.run_id !== event.run_id)
      return
    }
    if (index < 0) {
      // A run started elsewhere (another tab, the Runs view's re-run): ask the back end for it.
      if (event.type === 'started' || event.type === 'status') void refreshActive()
      return
    }
    const run = { ...activeRuns.value[index]! }
    if (event.type === 'started') Object.assign(run, { status: 'running', backend: event.backend, total_steps: event.total_steps, steps_per_epoch: event.steps_per_epoch, epochs: event.epochs })
    else if (event.type === 'status') run.status = event.status
    else if (event.type === 'batch') Object.assign(run, { step: event.step, epoch: event.epoch, progress: event.progress, samples_per_s: event.samples_per_s, eta_s: event.eta_s })
    else if (event.type === 'epoch') Object.assign(run, { epoch: event.epoch, last_epoch_metrics: event.metrics })
    else return
    // Batch events change only the numbers; the list is replaced at most for status changes and every epoch.
    const next = [...activeRuns.value]
    next[index] = run
    activeRuns.value = next
  }

  function onProgress(event: ProgressEvent): void {
    if (event.type !== 'batch') track(event)
    else {
      const run = activeRuns.value.find((r) => r.run_id === event.run_id)
      if (run) Object.assign(run, { step: event.step, epoch: event.epoch, progress: event.progress, samples_per_s: event.samples_per_s, eta_s: event.eta_s })
    }
    if (runId.value === null) {
      if (phase.value === 'starting') early.push(event)
      return
    }
    if (event.run_id !== runId.value) return
    if (buffering) early.push(event)
    else apply(event)
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
    epochsDone.value = 0
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

  /** Fills the live series from the stored ones (batch/<name> per step, the rest per epoch). */
  function fillFromSeries(series: RunSeries): void {
    for (const [name, s] of Object.entries(series)) {
      if (name.startsWith('batch/')) {
        for (let i = 0; i < s.step.length; i++) appendPoint(live.batch, name.slice(6), s.step[i]!, s.value[i]!, smoothing.value)
      } else {
        for (let i = 0; i < s.epoch.length; i++) appendPoint(live.epoch, name, s.epoch[i]!, s.value[i]!, 0)
      }
    }
    epochsDone.value = Math.max(epochsDone.value, lastX(live.epoch, 'loss'), 0)
  }

  /**
   * Watches active run `id`: its progress from runs.active, its stored series, then its live
   * events (those that arrive while the series is read are applied after it, without repeats).
   */
  async function attach(id: string): Promise<boolean> {
    listen()
    const info = activeRuns.value.find((r) => r.run_id === id)
    if (!info) return false
    resetLive()
    runId.value = id
    watchedName.value = info.name
    phase.value = info.status
    stopping.value = info.stopping
    backend.value = info.backend
    totalSteps.value = info.total_steps ?? 0
    stepsPerEpoch.value = info.steps_per_epoch ?? 0
    epochs.value = info.epochs
    step.value = info.step
    epoch.value = info.epoch
    progress.value = info.progress
    samplesPerS.value = info.samples_per_s
    etaS.value = info.eta_s
    lastEpochMetrics.value = info.last_epoch_metrics
    early = []
    buffering = true
    try {
      const series = await client.call('runs.series', { run_id: id, max_points: 5000 })
      if (runId.value !== id) return false
      fillFromSeries(series)
    } catch (caught) {
      if (runId.value === id) error.value = describeError(caught)
    } finally {
      if (runId.value === id) {
        buffering = false
        const buffered = early
        early = []
        for (const event of buffered) apply(event)
        revision.value++
      }
    }
    return true
  }

  /**
   * Asks the back end which runs it trains now; when this store watches no live run, attaches to
   * one (the most recently started), so a reload or a second tab shows the run that goes on.
   */
  async function refreshActive(): Promise<void> {
    listen()
    attaching.value = true
    try {
      const list = await client.call('runs.active', {})
      activeRuns.value = list
      // Only a store that has watched nothing yet attaches by itself; after a run ended here its charts stay until the user picks another.
      if (phase.value === 'idle' && runId.value === null && list.length > 0) await attach(list[list.length - 1]!.run_id)
    } catch (caught) {
      error.value = describeError(caught)
    } finally {
      attaching.value = false
    }
  }

  /** Starts a run of `spec` on `dataset` with `settings`; resolves with the run id, or null when the back end refused. */
  async function start(spec: ModelSpec, dataset: string, settingsToUse: TrainingConfig, name?: string): Promise<string | null> {
    if (isActive()) return null
    listen()
    resetLive()
    runId.value = null
    watchedName.value = name?.trim() || null
    early = []
    buffering = false
    phase.value = 'starting'
    try {
      const result = await client.call('runs.start', { spec, config: settingsToUse, dataset_id: dataset, name: name?.trim() || undefined })
      runId.value = result.run_id
      if (phase.value === 'starting') phase.value = 'queued'
      const buffered = early.filter((e) => e.run_id === result.run_id)
      early = []
      for (const event of buffered) apply(event)
      void refreshList()
      return result.run_id
    } catch (caught) {
      phase.value = 'idle'
      error.value = describeError(caught)
      return null
    }
  }

  async function refreshList(): Promise<void> {
    try {
      activeRuns.value = await client.call('runs.active', {})
      const own = activeRuns.value.find((r) => r.run_id === runId.value)
      if (own) watchedName.value = own.name
    } catch {
      // The list is refreshed again by the next started or status event.
    }
  }

  /** Pause, resume or stop any active run (the watched one by default): for Train and Runs alike. */
  async function control(method: 'runs.pause' | 'runs.resume' | 'runs.stop', id: string | null = runId.value): Promise<boolean> {
    if (!id) return false
    const watched = id === runId.value
    // Stopping shows at once, until the run's end arrives (a second Stop stops it by force).
    const wasStopping = stopping.value
    if (watched && method === 'runs.stop' && isActive()) stopping.value = true
    const listed = activeRuns.value.find((r) => r.run_id === id)
    try {
      await client.call(method, { run_id: id })
      if (listed && method === 'runs.stop') activeRuns.value = activeRuns.value.map((r) => (r.run_id === id ? { ...r, stopping: true } : r))
      if (!watched || runId.value !== id || !isActive()) return true
      if (method === 'runs.pause') phase.value = 'paused'
      if (method === 'runs.resume') phase.value = 'running'
      return true
    } catch (caught) {
      if (watched && method === 'runs.stop' && runId.value === id) stopping.value = wasStopping
      error.value = describeError(caught)
      return false
    }
  }

  const pause = () => control('runs.pause')
  const resume = () => control('runs.resume')
  const stop = () => control('runs.stop')
  const pauseRun = (id: string) => control('runs.pause', id)
  const resumeRun = (id: string) => control('runs.resume', id)
  const stopRun = (id: string) => control('runs.stop', id)

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
    config, datasetId, runName, modelKey, runId, phase, attaching, activeRuns, backends, watchedName, backend, totalSteps, stepsPerEpoch, epochs, step, epoch, epochsDone, progress, samplesPerS, etaS,
    lastEpochMetrics, finalMetrics, bestEpoch, statusMessage, stopping, error, smoothing, revision,
    liveData, isActive, start, attach, refreshActive, pause, resume, stop, pauseRun, resumeRun, stopRun, setSmoothing, dismissError, listen, dispose, apply,
    useModel, loadConfig, loadExample, settingsOf, persistSettings
  }
})
