// Hyperparameter sweeps as the back end knows them: the list, the sweep shown in Train (with its
// items: which runs are queued, running, done), and the Sweep mode form's draft (swept fields and
// their values text, grid or random, trials, seed, concurrency), kept across reloads. The back end
// holds the truth: 'sweeps.changed' refetches (coalesced).
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { z } from 'zod'
import { client } from '../api'
import type { ModelSpec } from '../../../shared/model-spec'
import { countSweepRuns, SWEEP_MODES, type SweepDetail, type SweepMode, type SweepSummary } from '../../../shared/sweep'
import type { TrainingConfig } from '../../../shared/training'
import { describeError, type ShownError } from '../lib/errors'
import { loadState, persistOnChange } from './persisted'

const CHANGE_COALESCE_MS = 250
const STATE_KEY = 'sweeps.form'

export interface SweepAxisDraft {
  field: string
  values: string
}

const draftSchema = z.object({
  enabled: z.boolean(),
  axes: z.array(z.object({ field: z.string(), values: z.string() })),
  mode: z.enum(SWEEP_MODES),
  trials: z.number().int(),
  seed: z.number().int(),
  concurrency: z.number().int(),
  shownId: z.string().nullable()
})

export const useSweepsStore = defineStore('sweeps', () => {
  const saved = loadState(STATE_KEY, draftSchema)
  const list = shallowRef<SweepSummary[]>([])
  const current = shallowRef<SweepDetail | null>(null)
  const shownId = ref<string | null>(saved?.shownId ?? null)
  const error = shallowRef<ShownError | null>(null)
  const creating = ref(false)
  /** The Sweep mode form. */
  const enabled = ref(saved?.enabled ?? false)
  const axes = ref<SweepAxisDraft[]>(saved?.axes ?? [{ field: 'optimizer.learning_rate', values: '1e-4..1e-1:log:4' }])
  const mode = ref<SweepMode>(saved?.mode ?? 'grid')
  const trials = ref(saved?.trials ?? 8)
  const seed = ref(saved?.seed ?? 0)
  const concurrency = ref(saved?.concurrency ?? 1)
  persistOnChange(STATE_KEY, () => ({ enabled: enabled.value, axes: axes.value, mode: mode.value, trials: trials.value, seed: seed.value, concurrency: concurrency.value, shownId: shownId.value }))

  let unsubscribe: (() => void) | null = null
  let timer: ReturnType<typeof setTimeout> | null = null

  const active = computed(() => list.value.filter((s) => s.status === 'active' || s.status === 'paused'))

  /** How many runs the form's sweep queues over `config`, or the typed error that refuses it. */
  function preview(config: TrainingConfig): { count: number; error: null } | { count: null; error: ShownError } {
    try {
      const filled = axes.value.filter((axis) => axis.field.trim() && axis.values.trim())
      return { count: countSweepRuns({ base_config: config, axes: filled, mode: mode.value, trials: trials.value, seed: seed.value }), error: null }
    } catch (caught) {
      return { count: null, error: describeError(caught) }
    }
  }

  async function refresh(): Promise<void> {
    try {
      list.value = await client.call('sweeps.list', {})
      if (shownId.value) await open(shownId.value)
      error.value = null
    } catch (caught) {
      error.value = describeError(caught)
    }
  }

  async function open(id: string): Promise<void> {
    try {
      current.value = await client.call('sweeps.get', { sweep_id: id })
      shownId.value = id
    } catch (caught) {
      if ((caught as { code?: string }).code === 'not_found') {
        current.value = null
        shownId.value = null
      } else error.value = describeError(caught)
    }
  }

  function scheduleRefresh(): void {
    if (timer) return
    timer = setTimeout(() => {
      timer = null
      void refresh()
    }, CHANGE_COALESCE_MS)
  }

  /** Refetches on 'sweeps.changed', and on 'runs.changed' of a run of the sweep shown (it started training, paused, ended). */
  function listen(): void {
    if (unsubscribe) return
    const offSweeps = client.on('sweeps.changed', scheduleRefresh)
    const offRuns = client.on('runs.changed', ({ run_id }) => {
      if (current.value?.items.some((item) => item.run_id === run_id)) scheduleRefresh()
    })
    unsubscribe = () => {
      offSweeps()
      offRuns()
    }
  }

  async function create(spec: ModelSpec, datasetId: string, config: TrainingConfig, name?: string): Promise<string | null> {
    creating.value = true
    error.value = null
    try {
      const filled = axes.value.filter((axis) => axis.field.trim() && axis.values.trim())
      const summary = await client.call('sweeps.create', {
        spec,
        dataset_id: datasetId,
        base_config: config,
        axes: filled,
        mode: mode.value,
        ...(mode.value === 'random' ? { trials: trials.value, seed: seed.value } : {}),
        concurrency: concurrency.value,
        ...(name ? { name } : {})
      })
      shownId.value = summary.id
      await refresh()
      return summary.id
    } catch (caught) {
      error.value = describeError(caught)
      return null
    } finally {
      creating.value = false
    }
  }

  async function control(action: 'pause' | 'resume' | 'cancel' | 'retry', id: string): Promise<void> {
    try {
      await client.call(`sweeps.${action}`, { sweep_id: id })
      await refresh()
    } catch (caught) {
      error.value = describeError(caught)
    }
  }

  function addAxis(field: string): void {
    axes.value = [...axes.value, { field, values: '' }]
  }
  function removeAxis(index: number): void {
    axes.value = axes.value.filter((_, i) => i !== index)
  }

  return {
    list, current, shownId, error, creating, enabled, axes, mode, trials, seed, concurrency, active,
    preview, refresh, open, listen, create, addAxis, removeAxis,
    pause: (id: string) => control('pause', id),
    resume: (id: string) => control('resume', id),
    cancel: (id: string) => control('cancel', id),
    /** Queues again the runs a crash interrupted (never done on its own). */
    retry: (id: string) => control('retry', id),
    dismissError: () => { error.value = null }
  }
})
