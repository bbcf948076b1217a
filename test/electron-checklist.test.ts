// Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), item
// by item, against the real main-process and preload modules with `electron` replaced by a
// recorder: the main module is imported, `ready` is fired, and what it asked Electron for (window
// options, protocol, session handlers, IPC handlers, navigation handlers) is checked and driven.
// The workbench behind it is real (a temporary data folder). Item 19 (fuses) is in
// test/packaging.test.ts; the built preload as the sandbox loads it is in preload-contract.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { BRIDGE_METHOD_NAMES, methodChannel } from '../src/shared/bridge'
import { contentSecurityPolicy } from '../src/shared/csp'

type Listener = (...args: unknown[]) => unknown

const rec = vi.hoisted(() => {
  class Emitter {
    listeners = new Map<string, Listener[]>()
    on(event: string, listener: Listener) {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
      return this
    }
    once(event: string, listener: Listener) {
      return this.on(event, listener)
    }
    emit(event: string, ...args: unknown[]) {
      for (const listener of this.listeners.get(event) ?? []) listener(...args)
    }
  }
  const state = {
    userData: '',
    ready: false,
    resolveReady: () => {},
    quitCalls: 0,
    exitCalls: [] as number[],
    windows: [] as FakeWindow[],
    contents: [] as FakeContents[],
    ipcHandlers: new Map<string, Listener>(),
    ipcOn: [] as string[],
    privilegedSchemes: [] as { scheme: string; privileges: Record<string, unknown> }[],
    privilegedBeforeReady: false,
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    headersListener: null as null | ((details: { responseHeaders: Record<string, string[]> }, callback: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
    permissionRequest: null as null | ((contents: unknown, permission: string, callback: (granted: boolean) => void, details?: unknown) => void),
    permissionCheck: null as null | ((contents: unknown, permission: string) => boolean),
    openedExternal: [] as string[],
    exposed: new Map<string, Record<string, unknown>>(),
    invoked: [] as { channel: string; args: unknown[] }[],
    rendererListeners: new Map<string, Listener[]>(),
    app: null as unknown as { quit(): void }
  }
  class FakeContents extends Emitter {
    windowOpenHandler: null | ((details: { url: string }) => { action: string }) = null
    sent: { channel: string; payload: unknown }[] = []
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.windowOpenHandler = handler
    }
    send(channel: string, payload: unknown) {
      this.sent.push({ channel, payload })
    }
    isLoading() {
      return false
    }
  }
  class FakeWindow extends Emitter {
    static getAllWindows = () => state.windows
    webContents = new FakeContents()
    loads: { kind: 'url' | 'file'; target: string }[] = []
    constructor(readonly options: Record<string, unknown>) {
      super()
      state.windows.push(this)
      state.contents.push(this.webContents)
      app.emit('web-contents-created', {}, this.webContents)
    }
    loadURL(url: string) {
      this.loads.push({ kind: 'url', target: url })
      return Promise.resolve()
    }
    loadFile(file: string) {
      this.loads.push({ kind: 'file', target: file })
      return Promise.resolve()
    }
    isDestroyed() {
      return false
    }
    isMinimized() {
      return false
    }
    show() {}
    focus() {}
    restore() {}
  }
  const app = Object.assign(new Emitter(), {
    isPackaged: false,
    getPath: (name: string) => (name === 'userData' ? state.userData : tmpdirPath()),
    setPath: () => undefined,
    getVersion: () => '0.0.0-test',
    requestSingleInstanceLock: () => true,
    whenReady: () =>
      new Promise<void>((resolve) => {
        state.resolveReady = () => {
          state.ready = true
          resolve()
        }
      }),
    quit: () => {
      state.quitCalls++
      const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) }
      app.emit('before-quit', event)
    },
    exit: (code: number) => void state.exitCalls.push(code)
  })
  function tmpdirPath() {
    return process.env.TMPDIR ?? '/tmp'
  }
  state.app = app
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    dialog: { showErrorBox: () => undefined, showMessageBox: async () => ({ response: 0 }) },
    ipcMain: {
      handle: (channel: string, handler: Listener) => void state.ipcHandlers.set(channel, handler),
      on: (channel: string) => void state.ipcOn.push(channel)
    },
    Menu: { buildFromTemplate: (template: unknown) => ({ template }), setApplicationMenu: () => undefined },
    protocol: {
      registerSchemesAsPrivileged: (schemes: { scheme: string; privileges: Record<string, unknown> }[]) => {
        state.privilegedSchemes.push(...schemes)
        state.privilegedBeforeReady = !state.ready
      },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void state.protocolHandlers.set(scheme, handler)
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (listener: typeof state.headersListener) => void (state.headersListener = listener) },
        setPermissionRequestHandler: (handler: typeof state.permissionRequest) => void (state.permissionRequest = handler),
        setPermissionCheckHandler: (handler: typeof state.permissionCheck) => void (state.permissionCheck = handler)
      }
    },
    shell: { openExternal: async (url: string) => void state.openedExternal.push(url) },
    utilityProcess: {
      fork: () => {
        throw new Error('no trainer is started in this test')
      }
    },
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => void state.exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        state.invoked.push({ channel, args })
        return { ok: true, result: null }
      },
      on: (channel: string, listener: Listener) => void state.rendererListeners.set(channel, [...(state.rendererListeners.get(channel) ?? []), listener])
    }
  }
  return { state, electron }
})

vi.mock('electron', () => ({ ...rec.electron, default: rec.electron }))

const { state } = rec
const RENDERER = 'app://workbench/index.html'

beforeAll(async () => {
  delete process.env.ELECTRON_RENDERER_URL
  delete process.env.MODEL_WORKBENCH_SMOKE
  state.userData = mkdtempSync(join(tmpdir(), 'mw-checklist-'))
  await import('../src/main/electron/index')
  state.resolveReady()
  const deadline = Date.now() + 60_000
  while (state.windows.length === 0) {
    if (Date.now() > deadline || state.exitCalls.length) throw new Error(`the main process did not open its window (exit calls: ${state.exitCalls.join(', ')})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await import('../src/preload/index')
})

afterAll(async () => {
  // Quitting closes the workbench (the before-quit handler), then quits for real.
  state.app.quit()
  const deadline = Date.now() + 20_000
  while (state.quitCalls < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  rmSync(state.userData, { recursive: true, force: true })
})

const window = () => state.windows[0]
const prefs = () => window().options.webPreferences as Record<string, unknown>
const navigationEvent = () => {
  const event = { prevented: false, preventDefault: () => (event.prevented = true) }
  return event
}

describe('Electron security checklist', () => {
  it('1, 18. loads its own content from the app:// custom protocol, never file:// or the network', () => {
    expect(window().loads).toEqual([{ kind: 'url', target: RENDERER }])
    expect(state.privilegedSchemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }])
    expect(state.privilegedSchemes[0].privileges).not.toMatchObject({ bypassCSP: true })
    expect(state.privilegedBeforeReady, 'schemes must be registered before ready').toBe(true)
    expect([...state.protocolHandlers.keys()]).toEqual(['app'])
  })

  it('18. the protocol handler serves the renderer folder only', async () => {
    const handler = state.protocolHandlers.get('app')!
    for (const url of ['app://workbench/../../package.json', 'app://workbench/%2e%2e/%2e%2e/package.json', 'app://other/index.html']) {
      const response = await handler(new Request(url))
      expect(response.status, url).toBeGreaterThanOrEqual(400)
      expect(await response.text(), url).not.toContain('"name": "model-workbench"')
    }
    // Under vitest __dirname is src/main/electron, so the folder it serves is src/main/renderer (absent); built, out/renderer.
    const index = await handler(new Request(RENDERER))
    expect(await index.text()).toContain(join('src', 'main', 'renderer'))
  })

  it('2, 3, 4, 6, 8, 9, 10. no Node in the page, context isolation, sandbox, web security, no insecure content, no experimental or Blink features', () => {
    const p = prefs()
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false })
    expect(p.nodeIntegrationInSubFrames).not.toBe(true)
    expect(p.experimentalFeatures).not.toBe(true)
    expect(p.enableBlinkFeatures).toBeUndefined()
    // The sandbox loads a CommonJS preload only.
    expect(String(p.preload)).toMatch(/[/\\]preload[/\\]index\.js$/)
  })

  it('5. permission requests are denied, except writing to the clipboard', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'midi', 'pointerLock', 'fullscreen', 'clipboard-read', 'display-capture']) {
      let granted: boolean | null = null
      state.permissionRequest!({}, permission, (answer) => (granted = answer))
      expect(granted, permission).toBe(false)
      expect(state.permissionCheck!({}, permission), permission).toBe(false)
    }
    let granted: boolean | null = null
    state.permissionRequest!({}, 'clipboard-sanitized-write', (answer) => (granted = answer))
    expect(granted).toBe(true)
  })

  it("7. every response carries the shared CSP: scripts only from 'self', no inline script, no eval, no plugins", () => {
    let headers: Record<string, string[]> = {}
    state.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (result) => (headers = result.responseHeaders))
    const [policy] = headers['Content-Security-Policy']
    expect(policy).toBe(contentSecurityPolicy([]))
    expect(policy).toContain("script-src 'self'")
    expect(policy).toContain("object-src 'none'")
    expect(policy).toContain("default-src 'self'")
    expect(policy).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/)
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff'])
  })

  it('11, 12. <webview> is off and attaching one is refused', () => {
    expect(prefs().webviewTag).toBe(false)
    const event = navigationEvent()
    window().webContents.emit('will-attach-webview', event, {}, {})
    expect(event.prevented).toBe(true)
  })

  it('13. navigation and redirects leave only for our renderer', () => {
    for (const name of ['will-navigate', 'will-redirect']) {
      for (const [url, allowed] of [
        [`${RENDERER}#/runs`, true],
        ['https://evil.example/', false],
        ['file:///etc/passwd', false],
        ['app://workbench/other.html', false],
        ['app://evil/index.html', false],
        ['javascript:alert(1)', false]
      ] as const) {
        const event = navigationEvent()
        window().webContents.emit(name, event, url)
        expect(event.prevented, `${name} ${url}`).toBe(!allowed)
      }
    }
  })

  it('14, 15. new windows are denied; only documentation links open, in the system browser', () => {
    const handler = window().webContents.windowOpenHandler!
    state.openedExternal.length = 0
    for (const url of ['https://keras.io/api/layers/', 'https://evil.example/', 'file:///etc/passwd', 'http://keras.io/', RENDERER]) expect(handler({ url }), url).toEqual({ action: 'deny' })
    expect(state.openedExternal).toEqual(['https://keras.io/api/layers/'])
  })

  it('16. a current Electron', () => {
    const installed = JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }
    const wanted = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.electron
    expect(Number(installed.version.split('.')[0])).toBeGreaterThanOrEqual(45)
    expect(wanted.replace(/^[\^~]/, '').split('.')[0]).toBe(installed.version.split('.')[0])
  })

  it('17. IPC: one handler per contract method, and only our own top frame showing our renderer is answered', async () => {
    expect([...state.ipcHandlers.keys()].sort()).toEqual(BRIDGE_METHOD_NAMES.map(methodChannel).sort())
    expect(state.ipcOn).toEqual([])
    const handler = state.ipcHandlers.get(methodChannel('app.info'))!
    const ours = window().webContents
    const frame = (url: string, parent: unknown = null) => ({ url, parent })
    const refused = [
      { sender: ours, senderFrame: frame('https://evil.example/') },
      { sender: ours, senderFrame: frame('file:///tmp/index.html') },
      { sender: ours, senderFrame: frame(RENDERER, { url: RENDERER }) },
      { sender: ours, senderFrame: null },
      { sender: {}, senderFrame: frame(RENDERER) }
    ]
    for (const event of refused) expect(await handler(event, {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    const answer = (await handler({ sender: ours, senderFrame: frame(`${RENDERER}#/designer`) }, {})) as { ok: boolean; result: { host: string; data_dir: string } }
    expect(answer).toMatchObject({ ok: true, result: { host: 'electron', data_dir: state.userData } })
    // The dispatcher validates what a trusted page sends.
    expect(await state.ipcHandlers.get(methodChannel('runs.get'))!({ sender: ours, senderFrame: frame(RENDERER) }, { run_id: 42 })).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  })

  it('20. the preload exposes the contract and nothing of Electron', async () => {
    expect([...state.exposed.keys()]).toEqual(['workbench'])
    const bridge = state.exposed.get('workbench')!
    expect(Object.isFrozen(bridge)).toBe(true)
    expect(Object.keys(bridge).sort()).toEqual(['on', ...BRIDGE_METHOD_NAMES].sort())
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function')
    state.invoked.length = 0
    await (bridge['runs.list'] as (request: unknown) => Promise<unknown>)({})
    expect(state.invoked).toEqual([{ channel: methodChannel('runs.list'), args: [{}] }])
    expect(() => (bridge.on as (event: unknown, listener: unknown) => void)('ipc:raw', () => undefined)).toThrow(/unknown event/)
    // Nothing in the surface hands out ipcRenderer, a channel name or an IPC event.
    for (const value of Object.values(bridge)) expect(String(value)).not.toMatch(/ipcRenderer\.(send|sendSync|on|postMessage)\(/)
  })
})
