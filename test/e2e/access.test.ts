// The browser host refuses whoever lacks the token: plain HTTP, the WebSocket upgrade, and a
// browser page opened without the tokenized URL. Each refusal is paired with the same request
// carrying the token, so the test cannot pass merely because the server is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { openBrowser, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'

let served: ServedWorkbench
let token: string

beforeAll(async () => {
  requireBuiltRenderer()
  served = await serveWorkbench({ label: 'access' })
  token = new URL(served.url).searchParams.get('token') ?? ''
  expect(token, `the served URL ${served.url} carries no ?token=`).not.toBe('')
})
afterAll(async () => {
  await served?.close()
})

/** Resolves with the HTTP status of the upgrade answer, or 101 when the socket opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => {
      socket.close()
      resolveStatus(101)
    })
    socket.once('unexpected-response', (_request, response) => {
      resolveStatus(response.statusCode ?? 0)
      response.resume()
      socket.terminate()
    })
    socket.once('error', (error) => reject(error))
  })
}

describe('browser host access control', () => {
  it('refuses GET / without the token and serves it with the token', async () => {
    const refused = await fetch(served.bareUrl, { redirect: 'manual' })
    expect([401, 403]).toContain(refused.status)
    const body = await refused.text()
    expect(body).not.toContain('data-testid')

    const allowed = await fetch(served.url, { redirect: 'manual' })
    expect(allowed.status, `GET with the token answered ${allowed.status}`).toBeLessThan(400)
    // The token is traded for a cookie scoped to this port, which then suffices on its own.
    const cookie = allowed.headers.get('set-cookie')
    expect(cookie).toMatch(new RegExp(`mw-token-${served.port}=`))
    const withCookie = await fetch(served.bareUrl, { headers: { cookie: cookie!.split(';')[0] } })
    expect(withCookie.status).toBe(200)
    expect(await withCookie.text()).toMatch(/<div id="app"|<script/i)
  })

  it('refuses a wrong token as it refuses none', async () => {
    const wrong = new URL(served.url)
    wrong.searchParams.set('token', token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))
    const refused = await fetch(wrong, { redirect: 'manual' })
    expect([401, 403]).toContain(refused.status)
  })

  it('refuses the /ws upgrade without the token and accepts it with the token', async () => {
    const wsUrl = `ws://127.0.0.1:${served.port}/ws`
    expect([401, 403]).toContain(await upgradeStatus(wsUrl))
    expect([401, 403]).toContain(await upgradeStatus(wsUrl, { cookie: `mw-token-${served.port}=not-the-token` }))
    expect(await upgradeStatus(wsUrl, { authorization: `token ${token}` })).toBe(101)
  })

  describe('in a browser', () => {
    let session: BrowserSession
    beforeAll(async () => {
      session = await openBrowser()
    })
    afterAll(async () => {
      await session?.close()
    })

    it('shows no workbench to a page opened without the token, and the workbench with it', async () => {
      const { page } = session
      const refused = await page.goto(served.bareUrl)
      expect([401, 403]).toContain(refused?.status())
      await page.waitForTimeout(500)
      expect(await page.locator('[data-testid="nav-designer"]').count()).toBe(0)
      // The refusal tells the user what is missing.
      expect(await page.locator('body').innerText()).toMatch(/token/i)
      await session.screenshot('access-refused')

      const allowed = await page.goto(served.url)
      expect(allowed?.status()).toBeLessThan(400)
      await page.locator('[data-testid="nav-designer"]').waitFor({ timeout: 20_000 })
    })
  })
})
