// Issue 8 §4 against the browser host: a folder's index.html that is a symlink out of the
// renderer folder is not served, and token guessing is throttled per address (growing delay,
// then 429) while the right token still gets in and resets the count.
import { request as httpRequest } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Handlers } from '../src/main/services/dispatcher'
import { startServer, type RunningServer } from '../src/main/server'
import { resolveStaticFile } from '../src/main/server/static-files'
import { TokenGuessLimiter } from '../src/main/server/rate-limit'

const TOKEN = 'hostile-token-0123456789abcdefghijkl'

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }))
    })
    req.on('error', reject)
    req.end()
  })
}

function upgrade(port: number, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { headers: { Host: `127.0.0.1:${port}` } })
    socket.once('open', () => {
      socket.close()
      resolve(101)
    })
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      res.resume()
    })
    socket.once('error', reject)
  })
}

describe('browser host against hostile files and guessers', () => {
  let root: string
  let rendererDir: string
  const servers: RunningServer[] = []
  const service = { handlers: {} as Handlers, onEvent: () => () => undefined }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mw-server-hostile-'))
    rendererDir = join(root, 'renderer')
    mkdirSync(join(rendererDir, 'sub'), { recursive: true })
    mkdirSync(join(rendererDir, 'fine'), { recursive: true })
    mkdirSync(join(root, 'outside'), { recursive: true })
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Model Workbench</title>')
    writeFileSync(join(root, 'outside', 'secret.html'), 'TOP SECRET')
    symlinkSync(join(root, 'outside', 'secret.html'), join(rendererDir, 'sub', 'index.html'))
    // A symlink that stays inside the renderer folder is still fine.
    symlinkSync(join(rendererDir, 'index.html'), join(rendererDir, 'fine', 'index.html'))
    // A folder linked from inside to outside is refused as before.
    symlinkSync(join(root, 'outside'), join(rendererDir, 'linked'))
  })
  afterAll(async () => {
    for (const server of servers) await server.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('a folder whose index.html links outside the renderer folder is not served', async () => {
    expect(await resolveStaticFile(rendererDir, '/sub/')).toBeNull()
    expect(await resolveStaticFile(rendererDir, '/sub/index.html')).toBeNull()
    expect(await resolveStaticFile(rendererDir, '/linked/')).toBeNull()
    expect((await resolveStaticFile(rendererDir, '/fine/'))?.path).toMatch(/renderer[\\/]index\.html$/)
    const server = await startServer({ service, rendererDir, token: TOKEN })
    servers.push(server)
    const cookie = `mw-token-${server.port}=${TOKEN}`
    const answer = await get(server.port, '/sub/', { Cookie: cookie })
    expect(answer.status).toBe(404)
    expect(answer.body).not.toContain('TOP SECRET')
    expect((await get(server.port, '/fine/', { Cookie: cookie })).status).toBe(200)
  })

  it('wrong tokens are throttled per address: delays after 5, then 429; the right token still works and resets', async () => {
    const server = await startServer({ service, rendererDir, token: TOKEN, guessLimits: { freeFailures: 5, baseDelayMs: 40, maxDelayMs: 160, maxWaiting: 3 } })
    servers.push(server)
    // The first five wrong tokens are answered at once.
    let started = performance.now()
    for (let i = 0; i < 5; i++) expect((await get(server.port, `/?token=wrong-${i}`)).status).toBe(401)
    expect(performance.now() - started).toBeLessThan(1000)
    // Then each further guess waits its turn: 40, 80, 160, 160 ms…
    started = performance.now()
    for (let i = 0; i < 4; i++) expect((await get(server.port, `/?token=wrong-more-${i}`)).status).toBe(401)
    expect(performance.now() - started).toBeGreaterThanOrEqual(40 + 80 + 160 - 20)
    // A burst from one address: at most 3 wait, the rest are refused at once with 429 and Retry-After.
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => get(server.port, `/?token=burst-${i}`)))
    const statuses = burst.map((answer) => answer.status)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(12 - 3 - 1)
    expect(statuses.every((s) => s === 429 || s === 401)).toBe(true)
    const limited = burst.find((answer) => answer.status === 429)!
    expect(limited.body).toContain('too many wrong tokens from this address')
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1)
    // WebSocket guesses count too.
    expect([401, 429]).toContain(await upgrade(server.port, 'ws-guess'))
    // The right token gets in (after its turn) and resets the address.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const right = await get(server.port, `/?token=${TOKEN}`)
    expect(right.status).toBe(302)
    started = performance.now()
    expect((await get(server.port, '/?token=after-reset')).status).toBe(401)
    expect(performance.now() - started).toBeLessThan(100)
    // Requests that present no token are not guesses: never delayed, never 429.
    for (let i = 0; i < 20; i++) expect((await get(server.port, '/')).status).toBe(401)
  })

  it('the limiter forgets quiet addresses and never remembers more than its cap', async () => {
    const limiter = new TokenGuessLimiter({ freeFailures: 1, baseDelayMs: 10, maxDelayMs: 10, forgetMs: 1000, maxAddresses: 3 })
    for (const address of ['a', 'b', 'c', 'd']) limiter.failed(address, 0)
    expect(limiter.failures('a')).toBe(0)
    expect(limiter.failures('d')).toBe(1)
    limiter.failed('d', 0)
    expect(await limiter.admit('d', 5000)).toEqual({ admitted: true })
    expect(limiter.failures('d')).toBe(0)
  })
})
