// The browser host seen from the network: real HTTP and WebSocket requests on loopback against
// a small fake workbench (these tests are about the transport and its defences, not the back end).
import { request as httpRequest } from 'node:http'
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { EventName } from '../src/shared/contract'
import type { Handlers } from '../src/main/services/dispatcher'
import { WorkbenchError } from '../src/main/services/dispatcher'
import { startServer, type RunningServer } from '../src/main/server'

interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a socket; resolves with the socket when the handshake succeeds, or the refusal status. */
function connect(port: number, headers: Record<string, string>, path = '/ws'): Promise<WebSocket | { refused: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { Host: `127.0.0.1:${port}`, ...headers } })
    socket.once('open', () => resolve(socket))
    socket.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 })
      res.resume()
    })
    socket.once('error', (error) => reject(error))
  })
}

async function connectOrFail(port: number, headers: Record<string, string>): Promise<WebSocket> {
  const result = await connect(port, headers)
  if ('refused' in result) throw new Error(`handshake refused with ${result.refused}`)
  return result
}

function nextMessage(socket: WebSocket, accept: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching message within 5 s')), 5000)
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>
      if (!accept(message)) return
      clearTimeout(timer)
      socket.off('message', onMessage)
      resolve(message)
    }
    socket.on('message', onMessage)
  })
}

async function rpc(socket: WebSocket, id: string, method: string, params: unknown): Promise<Record<string, unknown>> {
  const answer = nextMessage(socket, (m) => m.id === id)
  socket.send(JSON.stringify({ id, method, params }))
  return answer
}

const TOKEN = 'test-token-0123456789abcdefghijklmnop'

describe('browser host security', () => {
  let root: string
  let rendererDir: string
  let server: RunningServer
  let port: number
  let cookie: string
  const listeners = new Set<(event: EventName, payload: unknown) => void>()
  const emit = (event: EventName, payload: unknown) => listeners.forEach((listener) => listener(event, payload))

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mw-server-'))
    rendererDir = join(root, 'renderer')
    mkdirSync(join(rendererDir, 'assets'), { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Model Workbench</title><script type="module" src="./assets/app.js"></script>')
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("workbench")')
    writeFileSync(join(rendererDir, 'assets', 'style.css'), 'body{}')
    writeFileSync(join(root, 'secret.txt'), 'TOP SECRET')
    symlinkSync(join(root, 'secret.txt'), join(rendererDir, 'assets', 'link.txt'))

    const handlers = {
      'runs.get': async ({ run_id }: { run_id: string }) => {
        if (run_id === 'missing') throw new WorkbenchError('not_found', `no run ${run_id}`)
        return { run_id }
      },
      'runs.list': async () => []
    } as unknown as Handlers
    server = await startServer({
      service: {
        handlers,
        onEvent(listener) {
          listeners.add(listener)
          return () => listeners.delete(listener)
        }
      },
      rendererDir,
      token: TOKEN
    })
    port = server.port
    cookie = `mw-token-${port}=${TOKEN}`
  })

  afterAll(async () => {
    await server?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('binds loopback and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${TOKEN}`)
    expect(listeners.size).toBe(1)
  })

  it('generates a fresh random token when none is given', async () => {
    const other = await startServer({ service: { handlers: {} as Handlers, onEvent: () => () => undefined }, rendererDir })
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
      expect(other.token).not.toBe(TOKEN)
      expect((await get(other.port, '/', { Host: `127.0.0.1:${other.port}` })).status).toBe(401)
    } finally {
      await other.close()
    }
  })

  it('refuses HTTP requests without the token', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/nope']) {
      const answer = await get(port, path)
      expect(answer.status, path).toBe(401)
      expect(answer.body).not.toContain('Model Workbench</title>')
    }
  })

  it('refuses a wrong token in the query, the cookie and the Authorization header', async () => {
    expect((await get(port, '/?token=wrong')).status).toBe(401)
    expect((await get(port, `/?token=${TOKEN}x`)).status).toBe(401)
    expect((await get(port, `/?token=${TOKEN.slice(0, -1)}`)).status).toBe(401)
    expect((await get(port, '/', { Cookie: `mw-token-${port}=wrong` })).status).toBe(401)
    // A cookie of another port's server does not open this one.
    expect((await get(port, '/', { Cookie: `mw-token-${port + 1}=${TOKEN}` })).status).toBe(401)
    expect((await get(port, '/', { Authorization: 'token wrong' })).status).toBe(401)
  })

  it('trades the token for an HttpOnly SameSite=Strict cookie and a clean URL, then serves the page', async () => {
    const exchange = await get(port, `/?token=${TOKEN}`)
    expect(exchange.status).toBe(302)
    expect(exchange.headers.location).toBe('/')
    const setCookie = String(exchange.headers['set-cookie'])
    expect(setCookie).toContain(`mw-token-${port}=${TOKEN}`)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/')

    const page = await get(port, '/', { Cookie: setCookie.split(';')[0] })
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('<title>Model Workbench</title>')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`)
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
  })

  it('keeps other query parameters when it strips the token', async () => {
    const exchange = await get(port, `/index.html?view=runs&token=${TOKEN}`)
    expect(exchange.status).toBe(302)
    expect(exchange.headers.location).toBe('/index.html?view=runs')
  })

  it('serves assets with their MIME types and 404s what does not exist', async () => {
    const js = await get(port, '/assets/app.js', { Cookie: cookie })
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect((await get(port, '/assets/style.css', { Cookie: cookie })).headers['content-type']).toBe('text/css; charset=utf-8')
    expect((await get(port, '/assets/missing.js', { Cookie: cookie })).status).toBe(404)
    expect((await get(port, '/', { Authorization: `token ${TOKEN}` })).status).toBe(200)
  })

  it('refuses path traversal in every spelling, and symlinks that leave the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%2e%2e%2fsecret.txt', '/assets/link.txt', '/%00index.html', '/%E0%A4%A']) {
      const answer = await get(port, path, { Cookie: cookie })
      expect(answer.status, path).toBe(404)
      expect(answer.body, path).not.toContain('TOP SECRET')
    }
  })

  it('refuses a Host header that is not this server (DNS rebinding)', async () => {
    for (const host of ['evil.example:' + port, `127.0.0.1:${port + 1}`, 'evil.example', `localhost.evil.example:${port}`]) {
      const answer = await get(port, '/', { Cookie: cookie, Host: host })
      expect(answer.status, host).toBe(403)
      expect(answer.body).not.toContain('<title>')
    }
    expect((await get(port, '/', { Cookie: cookie, Host: `localhost:${port}` })).status).toBe(200)
    const ws = await connect(port, { Cookie: cookie, Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` })
    expect(ws).toEqual({ refused: 403 })
  })

  it('refuses non-GET requests from another origin, and non-GET requests altogether', async () => {
    expect((await get(port, '/', { Cookie: cookie, Origin: 'http://evil.example' }, 'POST')).status).toBe(403)
    expect((await get(port, '/', { Cookie: cookie, Origin: `http://127.0.0.1:${port}` }, 'POST')).status).toBe(405)
    expect((await get(port, '/', { Origin: `http://127.0.0.1:${port}` }, 'DELETE')).status).toBe(401)
  })

  it('refuses WebSocket handshakes without the token, with a wrong token, or from another origin', async () => {
    expect(await connect(port, {})).toEqual({ refused: 401 })
    expect(await connect(port, { Origin: `http://127.0.0.1:${port}` })).toEqual({ refused: 401 })
    expect(await connect(port, { Cookie: `mw-token-${port}=wrong`, Origin: `http://127.0.0.1:${port}` })).toEqual({ refused: 401 })
    expect(await connect(port, { Cookie: cookie, Origin: 'http://evil.example' })).toEqual({ refused: 403 })
    expect(await connect(port, { Cookie: cookie, Origin: `https://127.0.0.1:${port}` })).toEqual({ refused: 403 })
    expect(await connect(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port + 1}` })).toEqual({ refused: 403 })
    expect(await connect(port, { Cookie: cookie, Origin: 'null' })).toEqual({ refused: 403 })
  })

  it('answers RPC calls on an authenticated socket, validating them against the contract', async () => {
    const socket = await connectOrFail(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}` })
    try {
      expect(await rpc(socket, 'a', 'runs.get', { run_id: 'r1' })).toEqual({ id: 'a', ok: true, result: { run_id: 'r1' } })
      const bad = await rpc(socket, 'b', 'runs.get', { run_id: '../../etc' })
      expect(bad.ok).toBe(false)
      expect((bad.error as { code: string }).code).toBe('invalid_request')
      expect((bad.error as { message: string }).message).toContain('run_id')
      const missingField = await rpc(socket, 'c', 'runs.get', {})
      expect((missingField.error as { code: string }).code).toBe('invalid_request')
      const unknown = await rpc(socket, 'd', 'fs.readFile', { path: '/etc/passwd' })
      expect(unknown.ok).toBe(false)
      expect((unknown.error as { code: string; message: string }).message).toContain('unknown method')
      const notFound = await rpc(socket, 'e', 'runs.get', { run_id: 'missing' })
      expect(notFound.error).toEqual({ code: 'not_found', message: 'no run missing' })

      const garbage = nextMessage(socket, (m) => m.id === null)
      socket.send('{not json')
      expect(((await garbage).error as { code: string }).code).toBe('invalid_request')
    } finally {
      socket.close()
    }
  })

  it('accepts a non-browser client that presents the token in an Authorization header', async () => {
    const socket = await connectOrFail(port, { Authorization: `token ${TOKEN}` })
    try {
      expect((await rpc(socket, 1 as unknown as string, 'runs.list', {})).result).toEqual([])
    } finally {
      socket.close()
    }
  })

  it('pushes events to every connected socket and stops after the socket closes', async () => {
    const first = await connectOrFail(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}` })
    const second = await connectOrFail(port, { Cookie: cookie, Origin: `http://localhost:${port}`, Host: `localhost:${port}` })
    try {
      const gotFirst = nextMessage(first, (m) => m.event === 'runs.changed')
      const gotSecond = nextMessage(second, (m) => m.event === 'runs.changed')
      emit('runs.changed', { run_id: 'r7' })
      expect(await gotFirst).toEqual({ event: 'runs.changed', payload: { run_id: 'r7' } })
      expect(await gotSecond).toEqual({ event: 'runs.changed', payload: { run_id: 'r7' } })
    } finally {
      first.close()
      second.close()
    }
  })

  it('closes a socket that sends a message over the size limit', async () => {
    const small = await startServer({
      service: { handlers: {} as Handlers, onEvent: () => () => undefined },
      rendererDir,
      token: TOKEN,
      maxMessageBytes: 1024
    })
    try {
      const socket = await connectOrFail(small.port, { Cookie: `mw-token-${small.port}=${TOKEN}`, Host: `127.0.0.1:${small.port}` })
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
      socket.on('error', () => undefined)
      socket.send(JSON.stringify({ id: 'big', method: 'runs.list', params: { pad: 'x'.repeat(4096) } }))
      expect(await closed).toBe(1009)
    } finally {
      await small.close()
    }
  })
})
