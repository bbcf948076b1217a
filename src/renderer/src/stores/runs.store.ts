// Every run the back end knows (summaries, normalised by id), the Runs view's selection, and
// cached details and series for the Compare view. The back end holds the truth: this store
// refetches on 'runs.changed' (coalesced) rather than patching its own guesses.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import { client } from '../api'
import type { RunDetail, RunSeries, RunSummary } from '../../../shared/run'
import { describeError, type ShownError } from '../lib/errors'

const CHANGE_COALESCE_MS = 250

export const useRunsStore = defineStore('runs', () => {
  // shallowRef: thousands of summaries need no deep reactivity; the whole map is replaced or triggered.
  const byId = shallowRef<Map<string, RunSummary>>(new Map())
  const loading = ref(false)
  const loaded = ref(false)
  const error = shallowRef<ShownError | null>(null)
  const selectedIds = ref<string[]>([])
  const details = new Map<string, RunDetail>()
  const series = new Map<string, RunSeries>()
  let unsubscribe: (() => void) | null = null
  let changed = new Set<string>()
  let changeTimer: ReturnType<typeof setTimeout> | null = null

  const list = computed(() => [...byId.value.values()])
  const datasets = computed(() => {
    const names = new Map<string, string>()
    for (const run of byId.value.values()) names.set(run.dataset_id, run.dataset_name)
    return [...names].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name))
  })

  function get(id: string): RunSummary | undefined {
    return byId.value.get(id)
  }

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      const runs = await client.call('runs.list', {})
      byId.value = new Map(runs.map((run) => [run.id, run]))
      selectedIds.value = selectedIds.value.filter((id) => byId.value.has(id))
      loaded.value = true
      error.value = null
    } catch (caught) {
      error.value = describeError(caught)
    } finally {
      loading.value = false
    }
  }

  function upsert(run: RunSummary): void {
    byId.value.set(run.id, run)
    triggerRef(byId)
  }

  async function refetchChanged(): Promise<void> {
    const ids = [...changed]
    changed = new Set()
    changeTimer = null
    for (const id of ids) {
      details.delete(id)
      series.delete(id)
      try {
        const detail = await client.call('runs.get', { run_id: id })
        details.set(id, detail)
        upsert(detail)
      } catch (caught) {
        const code = (caught as { code?: string }).code
        if (code === 'not_found') {
          byId.value.delete(id)
          triggerRef(byId)
        }
      }
    }
  }

  /** Subscribes to 'runs.changed'; safe to call more than once. */
  function listen(): void {
    if (unsubscribe) return
    unsubscribe = client.on('runs.changed', ({ run_id }) => {
      changed.add(run_id)
      if (!changeTimer) changeTimer = setTimeout(() => void refetchChanged(), CHANGE_COALESCE_MS)
    })
  }

  async function update(id: string, patch: { name?: string; tags?: string[]; notes?: string }): Promise<boolean> {
    try {
      const run = await client.call('runs.update', { run_id: id, ...patch })
      upsert(run)
      const detail = details.get(id)
      if (detail) details.set(id, { ...detail, ...run })
      return true
    } catch (caught) {
      error.value = describeError(caught)
      return false
    }
  }

  async function remove(id: string): Promise<boolean> {
    try {
      await client.call('runs.delete', { run_id: id })
      byId.value.delete(id)
      triggerRef(byId)
      details.delete(id)
      series.delete(id)
      selectedIds.value = selectedIds.value.filter((s) => s !== id)
      return true
    } catch (caught) {
      error.value = describeError(caught)
      return false
    }
  }

  async function detail(id: string): Promise<RunDetail> {
    const cached = details.get(id)
    if (cached) return cached
    const fetched = await client.call('runs.get', { run_id: id })
    details.set(id, fetched)
    return fetched
  }

  async function seriesOf(id: string, maxPoints = 10_000): Promise<RunSeries> {
    const run = byId.value.get(id)
    const cacheable = run ? !['queued', 'running', 'paused'].includes(run.status) : false
    const cached = series.get(id)
    if (cached && cacheable) return cached
    const fetched = await client.call('runs.series', { run_id: id, max_points: maxPoints })
    if (cacheable) series.set(id, fetched)
    return fetched
  }

  function toggleSelected(id: string, on?: boolean): void {
    const has = selectedIds.value.includes(id)
    const want = on ?? !has
    if (want && !has) selectedIds.value = [...selectedIds.value, id]
    if (!want && has) selectedIds.value = selectedIds.value.filter((s) => s !== id)
  }

  function clearSelection(): void {
    selectedIds.value = []
  }

  function dismissError(): void {
    error.value = null
  }

  function dispose(): void {
    unsubscribe?.()
    unsubscribe = null
    if (changeTimer) clearTimeout(changeTimer)
    changeTimer = null
  }

  return { byId, list, datasets, loading, loaded, error, selectedIds, get, refresh, listen, update, remove, detail, seriesOf, toggleSelected, clearSelection, dismissError, dispose, upsert }
})
