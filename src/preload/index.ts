// The desktop bridge: exposes exactly the contract to the sandboxed page as `window.workbench`:
// one function per method (each bound to that method's fixed IPC channel) and `on(event, cb)`
// for the contract's events. Nothing raw crosses: no ipcRenderer, no channel names from the page.
// Imports nothing at run time but `electron`, so it runs as a CommonJS preload with the sandbox on.
import { contextBridge, ipcRenderer } from 'electron'
import { BRIDGE_METHOD_NAMES, EVENT_CHANNEL, isBridgedEvent, methodChannel, type BridgeEventMessage } from '../shared/bridge'

const listeners = new Map<string, Set<(payload: unknown) => void>>()

// One IPC listener for all events; the page only ever sees the payload, never the IPC event.
ipcRenderer.on(EVENT_CHANNEL, (_event, message: BridgeEventMessage) => {
  if (!message || !isBridgedEvent(message.event)) return
  for (const listener of listeners.get(message.event) ?? []) {
    try {
      listener(message.payload)
    } catch (error) {
      console.error(`workbench: a listener for ${message.event} failed`, error)
    }
  }
})

function on(event: unknown, listener: unknown): () => void {
  if (!isBridgedEvent(event)) throw new Error(`workbench.on: unknown event ${JSON.stringify(String(event))}`)
  if (typeof listener !== 'function') throw new Error('workbench.on: the listener must be a function')
  let set = listeners.get(event)
  if (!set) listeners.set(event, (set = new Set()))
  const callback = listener as (payload: unknown) => void
  set.add(callback)
  return () => {
    set.delete(callback)
  }
}

const bridge: Record<string, unknown> = { on }
for (const method of BRIDGE_METHOD_NAMES) {
  const channel = methodChannel(method)
  bridge[method] = (request: unknown) => ipcRenderer.invoke(channel, request)
}

contextBridge.exposeInMainWorld('workbench', Object.freeze(bridge))
