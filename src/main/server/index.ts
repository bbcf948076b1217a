// The browser host: one HTTP server that serves the built renderer and a WebSocket RPC at /ws
// implementing the shared contract. Every route needs the token (exchanged once for an HttpOnly
// cookie); Host and Origin are checked against DNS rebinding and cross-site use.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { contentSecurityPolicy } from '../../shared/csp'
import { createDispatcher } from '../services/dispatcher'
import type { WorkbenchService } from '../services/workbench'
import {
  allowedHostHeaders,
  createToken,
  hostAllowed,
  originAllowed,
  presentedToken,
  tokenCookie,
  tokensMatch
} from './access'
import { TokenGuessLimiter, type GuessLimitOptions } from './rate-limit'
import { broadcastEvent, serveRpcSocket } from './rpc-socket'
import { openStaticFile, resolveStaticFile } from './static-files'

/** The part of the workbench the host serves (tests pass a small fake). */
export type ServedWorkbench = Pick<WorkbenchService, 'handlers' | 'onEvent'>

export interface StartServerOptions {
  service: ServedWorkbench
  /** The built renderer (out/renderer): index.html and assets/. */
  rendererDir: string
  /** Address to bind; 127.0.0.1 unless told otherwise. */
  host?: string
  /** 0 (the default) picks a free port. */
  port?: number
  /** A fixed token (otherwise 24 random bytes, base64url). */
  token?: string
  /** Largest WebSocket message accepted, in bytes. */
  maxMessageBytes?: number
  /** How wrong tokens are throttled per remote address (tests shorten the delays). */
  guessLimits?: Partial<GuessLimitOptions>
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string
  port: number
  token: string
  close(): Promise<void>
}

/** An upload chunk is at most 8 MiB of base64 (contract), plus the JSON around it. */
const DEFAULT_MAX_MESSAGE_BYTES = 9 * 1024 * 1024
const HEARTBEAT_MS = 30_000


function securityHeaders(hostHeader: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy([`ws://${hostHeader}`]),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store'
  }
}

function refuse(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' })
  response.end(`${message}\n`)
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`)
  }
  socket.destroy()
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const bindHost = options.host ?? '127.0.0.1'
  const token = options.token ?? createToken()
  const dispatch = createDispatcher(options.service.handlers)
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES })
  let port = options.port ?? 0
  let allowedHosts: ReturnType<typeof allowedHostHeaders> = new Set()

  const limiter = new TokenGuessLimiter(options.guessLimits)
  const tooManyGuesses = (retryAfterS: number) => `Refused: too many wrong tokens from this address; wait ${retryAfterS} s and open the URL that \`serve\` printed.`

  /**
   * Checks a presented token through the guess limiter: 'none' when nothing was presented (not a
   * guess), else whether it matched, or the seconds to wait when this address guessed too often.
   */
  async function checkToken(request: IncomingMessage, presented: string | undefined | null): Promise<'none' | 'ok' | 'wrong' | { retryAfterS: number }> {
    if (presented === undefined || presented === null) return 'none'
    const address = request.socket.remoteAddress ?? 'unknown'
    const admission = await limiter.admit(address)
    if (!admission.admitted) return { retryAfterS: admission.retryAfterS }
    if (tokensMatch(token, presented)) {
      limiter.succeeded(address)
      return 'ok'
    }
    limiter.failed(address)
    return 'wrong'
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const hostHeader = request.headers.host
    if (!hostAllowed(hostHeader, allowedHosts) || !hostHeader) {
      refuse(response, 403, 'Refused: unexpected Host header. Open the workbench with the URL that `serve` printed.')
      return
    }
    const headers = securityHeaders(hostHeader)
    const method = request.method ?? 'GET'
    const isRead = method === 'GET' || method === 'HEAD'
    if (!isRead && !originAllowed(request.headers.origin, hostHeader)) {
      refuse(response, 403, 'Refused: cross-origin request.', headers)
      return
    }
    const url = new URL(request.url ?? '/', 'http://workbench.invalid')
    const queryToken = url.searchParams.get('token')
    if (queryToken !== null) {
      const verdict = isRead ? await checkToken(request, queryToken) : 'wrong'
      if (typeof verdict === 'object') {
        refuse(response, 429, tooManyGuesses(verdict.retryAfterS), { ...headers, 'Retry-After': String(verdict.retryAfterS) })
        return
      }
      if (verdict !== 'ok') {
        refuse(response, 401, 'Refused: wrong token. Open the workbench with the URL that `serve` printed.', headers)
        return
      }
      // Trade the token for a cookie and drop it from the address bar (and from history).
      url.searchParams.delete('token')
      response.writeHead(302, { ...headers, 'Set-Cookie': tokenCookie(port, token), Location: url.pathname + url.search })
      response.end()
      return
    }
    const verdict = await checkToken(request, presentedToken(request.headers, port))
    if (typeof verdict === 'object') {
      refuse(response, 429, tooManyGuesses(verdict.retryAfterS), { ...headers, 'Retry-After': String(verdict.retryAfterS) })
      return
    }
    if (verdict !== 'ok') {
      refuse(response, 401, 'Refused: this workbench needs its token. Open the URL that `serve` printed (it ends in ?token=…).', headers)
      return
    }
    if (!isRead) {
      refuse(response, 405, `Refused: ${method} is not served here; the workbench API is the WebSocket at /ws.`, { ...headers, Allow: 'GET, HEAD' })
      return
    }
    const file = await resolveStaticFile(options.rendererDir, url.pathname)
    if (!file && url.pathname === '/favicon.ico') {
      // Browsers ask for it unprompted; the page declares its own icon if it has one.
      response.writeHead(204, headers)
      response.end()
      return
    }
    if (!file) {
      refuse(response, 404, `Not found: ${url.pathname}`, headers)
      return
    }
    response.writeHead(200, { ...headers, 'Content-Type': file.mime, 'Content-Length': String(file.size) })
    if (method === 'HEAD') {
      response.end()
      return
    }
    const stream = openStaticFile(file)
    stream.on('error', () => response.destroy())
    stream.pipe(response)
  }

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy())
    const hostHeader = request.headers.host
    if (!hostAllowed(hostHeader, allowedHosts)) return refuseUpgrade(socket, 403, 'Forbidden')
    // A browser always sends Origin on a WebSocket handshake; a foreign page's Origin is refused.
    if (!originAllowed(request.headers.origin, hostHeader)) return refuseUpgrade(socket, 403, 'Forbidden')
    const url = new URL(request.url ?? '/', 'http://workbench.invalid')
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found')
    const queryToken = url.searchParams.get('token')
    const verdict = await checkToken(request, queryToken !== null ? queryToken : presentedToken(request.headers, port))
    if (typeof verdict === 'object') return refuseUpgrade(socket, 429, 'Too Many Requests')
    if (verdict !== 'ok') return refuseUpgrade(socket, 401, 'Unauthorized')
    if (socket.destroyed) return
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request))
  }

  const alive = new WeakSet<object>()
  sockets.on('connection', (ws) => {
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
    ws.on('error', () => ws.terminate())
    serveRpcSocket(ws, dispatch)
  })
  // Drop sockets whose peer vanished without a close frame (sleeping laptops, dropped networks).
  const heartbeat = setInterval(() => {
    for (const ws of sockets.clients) {
      if (!alive.has(ws)) {
        ws.terminate()
        continue
      }
      alive.delete(ws)
      ws.ping()
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()

  const unsubscribe = options.service.onEvent((event, payload) => broadcastEvent(sockets, event, payload))

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      if (!response.headersSent) refuse(response, 500, `Internal error: ${error instanceof Error ? error.message : String(error)}`)
      else response.destroy()
    })
  })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(request, socket, head).catch(() => socket.destroy())
  })
  server.headersTimeout = 20_000
  server.requestTimeout = 60_000

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen)
    server.listen(port, bindHost, () => {
      server.off('error', rejectListen)
      resolveListen()
    })
  }).catch((error: unknown) => {
    clearInterval(heartbeat)
    unsubscribe()
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${bindHost} is already in use; pass another --port (or 0 for any free port)`)
    if (code === 'EADDRNOTAVAIL') throw new Error(`cannot bind ${bindHost}: no such local address; pass --host 127.0.0.1`)
    throw error
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the server did not report a TCP port')
  port = address.port
  allowedHosts = allowedHostHeaders(bindHost, port)

  const urlHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost.includes(':') ? `[${bindHost}]` : bindHost
  let closed: Promise<void> | null = null
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close() {
      closed ??= new Promise<void>((resolveClose) => {
        clearInterval(heartbeat)
        unsubscribe()
        for (const ws of sockets.clients) ws.close(1001, 'server closing')
        sockets.close()
        server.close(() => resolveClose())
        server.closeAllConnections()
        // Sockets that ignore the close frame are cut after a moment.
        setTimeout(() => {
          for (const ws of sockets.clients) ws.terminate()
        }, 1000).unref()
      })
      return closed
    }
  }
}
