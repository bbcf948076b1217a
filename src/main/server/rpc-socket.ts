// The WebSocket side of the browser host: requests `{id, method, params}` answered with
// `{id, ok, result | error}`, contract events pushed as `{event, payload}` to every open socket.
// Requests are validated by the shared dispatcher, exactly as over Electron IPC.
import type { WebSocket, WebSocketServer } from 'ws'
import type { ContractError, EventName } from '../../shared/contract'
import type { Dispatch } from '../services/dispatcher'

/** Above this many bytes waiting to be sent, a socket skips progress events (charts reload the series). */
const PROGRESS_BACKLOG_BYTES = 4 * 1024 * 1024
/** Requests one socket may have in flight; more are refused rather than queued without bound. */
const MAX_IN_FLIGHT = 64

type RequestId = string | number

interface RpcRequest {
  id: RequestId
  method: string
  params: unknown
}

function parseRequest(text: string): RpcRequest | { id: RequestId | null; error: ContractError } {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return { id: null, error: { code: 'invalid_request', message: 'message is not JSON' } }
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { id: null, error: { code: 'invalid_request', message: 'message must be an object {id, method, params}' } }
  }
  const { id, method, params } = message as Record<string, unknown>
  const validId = (typeof id === 'string' && id.length > 0 && id.length <= 100) || (typeof id === 'number' && Number.isSafeInteger(id))
  if (!validId) return { id: null, error: { code: 'invalid_request', message: 'id must be a non-empty string (at most 100 characters) or an integer' } }
  if (typeof method !== 'string') return { id: id, error: { code: 'invalid_request', message: 'method must be a string' } }
  return { id: id, method, params: params ?? {} }
}

export function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState !== socket.OPEN) return
  socket.send(JSON.stringify(message))
}

/** Serves one authenticated socket until it closes. */
export function serveRpcSocket(socket: WebSocket, dispatch: Dispatch): void {
  let inFlight = 0
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      send(socket, { id: null, ok: false, error: { code: 'invalid_request', message: 'binary messages are not part of the protocol; send JSON text' } })
      return
    }
    const request = parseRequest(data.toString())
    if ('error' in request) {
      send(socket, { id: request.id, ok: false, error: request.error })
      return
    }
    if (inFlight >= MAX_IN_FLIGHT) {
      send(socket, { id: request.id, ok: false, error: { code: 'conflict', message: `more than ${MAX_IN_FLIGHT} requests in flight on one connection; wait for answers` } })
      return
    }
    inFlight++
    dispatch(request.method, request.params)
      .then((outcome) => send(socket, { id: request.id, ...outcome }))
      .catch((error: unknown) => send(socket, { id: request.id, ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } }))
      .finally(() => {
        inFlight--
      })
  })
}

/** Pushes an event to every open socket of the server. */
export function broadcastEvent(server: WebSocketServer, event: EventName, payload: unknown): void {
  const text = JSON.stringify({ event, payload })
  for (const socket of server.clients) {
    if (socket.readyState !== socket.OPEN) continue
    if (event === 'run.progress' && socket.bufferedAmount > PROGRESS_BACKLOG_BYTES) continue
    socket.send(text)
  }
}
