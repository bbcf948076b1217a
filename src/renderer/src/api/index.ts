// The renderer's one way to the back end: a WorkbenchClient over the desktop bridge
// (`window.workbench`, from the preload) when there is one, otherwise over the browser host's
// WebSocket at /ws on the page's own origin (the auth cookie travels with the handshake).
import type { ContractError, EventName, EventPayload, MethodName, Request, Response, WorkbenchClient } from '../../../shared/contract'
import type { BridgeResult, WorkbenchBridge } from '../../../shared/bridge'
import { errorData, type ErrorDetails } from '../../../shared/errors'

declare global {
  interface Window {
    workbench?: WorkbenchBridge
  }
}

export type CallErrorCode = ContractError['code'] | 'timeout' | 'disconnected'

/** A failed call: `code` for programs, `message` for people. */
export class WorkbenchCallError extends Error {
  /** The back end's reason key and details (src/shared/errors.ts), when it sent them. */
  readonly reason?: string
  readonly details?: ErrorDetails
  constructor(
    readonly code: CallErrorCode,
    message: string,
    readonly method: string,
    data: { reason?: string; details?: ErrorDetails } = {}
  ) {
    super(message)
    this.name = 'WorkbenchCallError'
    if (data.reason !== undefined) this.reason = data.reason
    if (data.details !== undefined) this.details = data.details
  }
}

export type ConnectionState = 'connecting' | 'open' | 'closed'

/** Calls that read or write whole data sets or models may take minutes; the rest should answer quickly. */
const SLOW_METHODS = new Set<string>(['datasets.importCsv', 'datasets.importIdx', 'datasets.previewCsv', 'runs.evaluate', 'runs.predict', 'runs.export', 'runs.start', 'uploads.chunk', 'models.import', 'runs.gradientCheck'])
const CALL_TIMEOUT_MS = 60_000
const SLOW_CALL_TIMEOUT_MS = 10 * 60_000
const RECONNECT_FIRST_MS = 250
const RECONNECT_MAX_MS = 10_000

export function callTimeoutMs(method: string): number {
  return SLOW_METHODS.has(method) ? SLOW_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS
}

type AnyListener = (payload: unknown) => void

class EventListeners {
  private readonly byEvent = new Map<string, Set<AnyListener>>()

  add(event: string, listener: AnyListener): () => void {
    let set = this.byEvent.get(event)
    if (!set) this.byEvent.set(event, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  }

  emit(event: string, payload: unknown): void {
    for (const listener of this.byEvent.get(event) ?? []) {
      try {
        listener(payload)
      } catch (error) {
        console.error(`listener for ${event} failed`, error)
      }
    }
  }
}

/** The desktop client: the preload's functions return results as values so that error codes survive IPC. */
export function createBridgeClient(bridge: WorkbenchBridge): WorkbenchClient {
  return {
    async call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>> {
      const invoke = bridge[method] as (request: Request<M>) => Promise<BridgeResult<M>>
      if (typeof invoke !== 'function') throw new WorkbenchCallError('invalid_request', `the desktop bridge has no method ${method}`, method)
      const outcome = await invoke(request)
      if (outcome.ok) return outcome.result
      throw new WorkbenchCallError(outcome.error.code, outcome.error.message, method, errorData(outcome.error))
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return bridge.on(event, listener)
    }
  }
}

interface PendingCall {
  method: string
  text: string
  sent: boolean
  resolve(result: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout>
}

/** The browser client: one WebSocket, request ids, per-call timeouts, reconnect with backoff. */
export class SocketClient implements WorkbenchClient {
  private socket: WebSocket | null = null
  private nextId = 1
  private readonly pending = new Map<number, PendingCall>()
  private readonly listeners = new EventListeners()
  private readonly stateListeners = new Set<(state: ConnectionState) => void>()
  private reconnectDelay = RECONNECT_FIRST_MS
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private shutDown = false
  state: ConnectionState = 'closed'

  /** `url` may be a function so that nothing reads `window.location` before the first call. */
  constructor(private readonly url: string | (() => string)) {}

  call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>> {
    if (this.shutDown) return Promise.reject(new WorkbenchCallError('disconnected', `the workbench client is closed; cannot call ${method}`, method))
    const id = this.nextId++
    const text = JSON.stringify({ id, method, params: request ?? {} })
    return new Promise<Response<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new WorkbenchCallError('timeout', `${method} got no answer within ${Math.round(callTimeoutMs(method) / 1000)} s; the workbench server may be busy or gone`, method))
      }, callTimeoutMs(method))
      this.pending.set(id, { method, text, sent: false, resolve: resolve as (result: unknown) => void, reject, timer })
      this.flush()
    })
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.ensureSocket()
    return this.listeners.add(event, listener as AnyListener)
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => {
      this.stateListeners.delete(listener)
    }
  }

  /** Closes the connection for good (no reconnect); calls still waiting fail with `disconnected`. */
  close(): void {
    this.shutDown = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    const socket = this.socket
    this.socket = null
    socket?.close()
    this.setState('closed')
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer)
      this.pending.delete(id)
      call.reject(new WorkbenchCallError('disconnected', `the workbench client was closed before ${call.method} finished`, call.method))
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    for (const listener of this.stateListeners) listener(state)
  }

  private ensureSocket(): WebSocket | null {
    if (this.shutDown) return null
    if (this.socket || this.reconnectTimer) return this.socket
    const socket = new WebSocket(typeof this.url === 'function' ? this.url() : this.url)
    this.socket = socket
    this.setState('connecting')
    socket.addEventListener('open', () => {
      this.reconnectDelay = RECONNECT_FIRST_MS
      this.setState('open')
      this.flush()
    })
    socket.addEventListener('message', (event) => this.receive(event.data))
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return
      this.socket = null
      this.setState('closed')
      // Calls already sent may have been lost with the connection; calls not yet sent wait for the next one.
      for (const [id, call] of this.pending) {
        if (!call.sent) continue
        clearTimeout(call.timer)
        this.pending.delete(id)
        call.reject(new WorkbenchCallError('disconnected', `lost the connection to the workbench server during ${call.method}; try again`, call.method))
      }
      if (!this.shutDown) this.scheduleReconnect()
    })
    return socket
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelay
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (!this.shutDown) this.ensureSocket()
    }, delay)
  }

  private flush(): void {
    const socket = this.ensureSocket()
    if (!socket || socket.readyState !== WebSocket.OPEN) return
    for (const call of this.pending.values()) {
      if (call.sent) continue
      socket.send(call.text)
      call.sent = true
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return
    let message: { id?: unknown; ok?: unknown; result?: unknown; error?: ContractError; event?: unknown; payload?: unknown }
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (typeof message.event === 'string') {
      this.listeners.emit(message.event, message.payload)
      return
    }
    if (typeof message.id !== 'number') {
      if (message.error) console.error('workbench server refused a message:', message.error.message)
      return
    }
    const call = this.pending.get(message.id)
    if (!call) return
    this.pending.delete(message.id)
    clearTimeout(call.timer)
    if (message.ok === true) call.resolve(message.result)
    else call.reject(new WorkbenchCallError(message.error?.code ?? 'internal', message.error?.message ?? 'the server answered without a result', call.method, errorData(message.error)))
  }
}

function socketUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${window.location.host}/ws`
}

function createClient(): WorkbenchClient {
  if (typeof window !== 'undefined' && window.workbench) return createBridgeClient(window.workbench)
  return new SocketClient(socketUrl)
}

export const client: WorkbenchClient = createClient()

/** Which host the page runs under (the views rarely need to know; the About box does). */
export const hostKind: 'electron' | 'browser' = typeof window !== 'undefined' && window.workbench ? 'electron' : 'browser'

/** Connection changes of the browser client (the desktop bridge is always connected). */
export function onConnection(listener: (state: ConnectionState) => void): () => void {
  return client instanceof SocketClient ? client.onConnection(listener) : () => undefined
}

export const UPLOAD_CHUNK_BYTES = 1024 * 1024

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const step = 0x8000
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step))
  return btoa(binary)
}

export interface UploadSource {
  name: string
  size: number
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> }
}

/**
 * Sends a file to the back end in ~1 MB base64 chunks and returns the upload's `file` id for the
 * importers. `onProgress(sent, total)` is called after every chunk.
 */
export async function uploadFile(file: UploadSource, onProgress?: (sentBytes: number, totalBytes: number) => void, via: WorkbenchClient = client): Promise<string> {
  const name = (file.name || 'upload').slice(-255)
  const { file: fileId } = await via.call('uploads.begin', { name, size: file.size })
  let offset = 0
  onProgress?.(0, file.size)
  while (offset < file.size) {
    const end = Math.min(offset + UPLOAD_CHUNK_BYTES, file.size)
    const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer())
    await via.call('uploads.chunk', { file: fileId, offset, data_base64: toBase64(bytes) })
    offset = end
    onProgress?.(offset, file.size)
  }
  const finished = await via.call('uploads.finish', { file: fileId })
  return finished.file
}
