// A scriptable WorkbenchClient for store tests: answers per method, records calls, emits events.
import type { WorkbenchClient } from '../../../shared/contract'

export interface FakeClient extends WorkbenchClient {
  handlers: Record<string, (request: unknown) => unknown>
  calls: { method: string; request: unknown }[]
  emit(event: string, payload: unknown): void
}

export function createFakeClient(): FakeClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const fake: FakeClient = {
    handlers: {},
    calls: [],
    async call(method, request) {
      fake.calls.push({ method, request })
      const handler = fake.handlers[method]
      if (!handler) throw Object.assign(new Error(`no handler for ${method}`), { code: 'internal' })
      return (await handler(request)) as never
    },
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener as (payload: unknown) => void)
      return () => set.delete(listener as (payload: unknown) => void)
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload)
    }
  }
  return fake
}
