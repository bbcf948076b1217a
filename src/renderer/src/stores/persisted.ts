// The views' working state kept across reloads and restarts (a draft design, the last training
// settings per model, the Compare selection, the evaluation shown): JSON in localStorage under
// `model-workbench.state.<key>`, read back through a schema so a stale or hand-edited entry is
// dropped instead of breaking a view.
import { watch, type Ref, type WatchStopHandle } from 'vue'
import type { z } from 'zod'

const PREFIX = 'model-workbench.state.'

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

/** The stored value of `key` when it parses with `schema`; undefined when absent or unreadable. */
export function loadState<T>(key: string, schema: z.ZodType<T>): T | undefined {
  const text = storage()?.getItem(PREFIX + key)
  if (text == null) return undefined
  try {
    const parsed = schema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Stores `value` (undefined removes the entry). A full or unavailable storage is not an error: the state is only a convenience. */
export function saveState(key: string, value: unknown): void {
  const store = storage()
  if (!store) return
  try {
    if (value === undefined) store.removeItem(PREFIX + key)
    else store.setItem(PREFIX + key, JSON.stringify(value))
  } catch {
    // Quota exceeded or storage disabled: keep working without persistence.
  }
}

/** Saves `source` under `key` whenever it changes (deeply), at most every `delayMs`. Returns the stop handle. */
export function persistOnChange(key: string, source: Ref<unknown> | (() => unknown), delayMs = 300): WatchStopHandle {
  let timer: ReturnType<typeof setTimeout> | undefined
  let latest: unknown
  const flush = (): void => {
    timer = undefined
    saveState(key, latest)
  }
  return watch(
    source,
    (value) => {
      latest = value
      if (timer === undefined) timer = setTimeout(flush, delayMs)
    },
    { deep: true }
  )
}
