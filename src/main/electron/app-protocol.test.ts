// The app:// handler serves the renderer folder and nothing else: real paths are resolved, so
// neither dot segments, encoded separators nor symlinks reach a file outside it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { APP_SCHEME_PRIVILEGES, createRendererProtocolHandler, RENDERER_INDEX_URL } from './app-protocol'

const scratch = mkdtempSync(join(tmpdir(), 'mw-app-protocol-'))
const rendererDir = join(scratch, 'renderer')
mkdirSync(join(rendererDir, 'assets'), { recursive: true })
mkdirSync(join(rendererDir, 'sub'), { recursive: true })
mkdirSync(join(scratch, 'outside'))
writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>mw</title>')
writeFileSync(join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)')
writeFileSync(join(rendererDir, 'assets', 'app.css'), 'body{}')
writeFileSync(join(scratch, 'secret.txt'), 'secret')
writeFileSync(join(scratch, 'outside', 'index.html'), 'outside index')
symlinkSync(join(scratch, 'secret.txt'), join(rendererDir, 'assets', 'leak.js'))
symlinkSync(join(scratch, 'outside'), join(rendererDir, 'linked-dir'))
symlinkSync(join(scratch, 'outside', 'index.html'), join(rendererDir, 'sub', 'index.html'))
symlinkSync(join(rendererDir, 'assets', 'index-abc.js'), join(rendererDir, 'alias.js'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const handler = createRendererProtocolHandler({ root: rendererDir, policy: () => "default-src 'self'" })
const get = (url: string, method = 'GET') => handler(new Request(url, { method }))

describe('app:// protocol handler', () => {
  it('serves index.html and assets with their types, the CSP and nosniff', async () => {
    const index = await get(RENDERER_INDEX_URL)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(index.headers.get('content-security-policy')).toBe("default-src 'self'")
    expect(index.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await index.text()).toContain('<title>mw</title>')
    const script = await get('app://workbench/assets/index-abc.js?v=1#x')
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await script.text()).toBe('console.log(1)')
    expect((await get('app://workbench/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect(await (await get('app://workbench/')).text()).toContain('<title>mw</title>')
    // A link that stays inside the folder is fine.
    expect(await (await get('app://workbench/alias.js')).text()).toBe('console.log(1)')
    const head = await get(RENDERER_INDEX_URL, 'HEAD')
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('refuses everything outside the renderer folder, links included', async () => {
    for (const url of [
      'app://workbench/../secret.txt',
      'app://workbench/%2e%2e/secret.txt',
      'app://workbench/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://workbench/..%5csecret.txt',
      'app://workbench/assets/leak.js',
      'app://workbench/linked-dir/index.html',
      'app://workbench/linked-dir/',
      'app://workbench/sub/',
      'app://workbench/missing.js',
      'app://workbench/index.html%00.js',
      'app://other/index.html',
      'file:///etc/passwd'
    ]) {
      const response = await get(url)
      expect(response.status, url).toBeGreaterThanOrEqual(400)
      expect(await response.text(), url).not.toMatch(/secret|outside index/)
    }
    expect((await get('app://workbench/%E0%A4%A')).status).toBe(400)
    expect((await get(RENDERER_INDEX_URL, 'POST')).status).toBe(405)
  })

  it('says how to fix a missing build', async () => {
    const missing = createRendererProtocolHandler({ root: join(scratch, 'no-build'), policy: () => '' })
    const response = await missing(new Request(RENDERER_INDEX_URL))
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('electron-vite build')
  })

  it('asks for a standard, secure scheme and loosens nothing', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false, allowServiceWorkers: false, corsEnabled: false })
  })
})
