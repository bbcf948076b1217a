// The built preload (out/preload/index.js) as Electron's sandbox would load it: CommonJS, able to
// require nothing but `electron`, exposing exactly the contract (one function per method, each on
// its own fixed channel, plus `on` for contract events) and nothing raw.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { beforeAll, describe, expect, it } from 'vitest'
import { EVENT_CHANNEL, methodChannel } from '../src/shared/bridge'
import { EVENT_NAMES, METHOD_NAMES } from '../src/shared/contract'

const PRELOAD = join(__dirname, '..', 'out', 'preload', 'index.js')

interface LoadedPreload {
  exposed: Map<string, Record<string, unknown>>
  invocations: { channel: string; args: unknown[] }[]
  required: string[]
  pushEvent(message: unknown): void
}

function loadPreload(): LoadedPreload {
  const exposed = new Map<string, Record<string, unknown>>()
  const invocations: { channel: string; args: unknown[] }[] = []
  const required: string[] = []
  const ipcListeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>()
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invocations.push({ channel, args })
        return { ok: true, result: { echoed: args[0] } }
      },
      on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
        ipcListeners.set(channel, [...(ipcListeners.get(channel) ?? []), listener])
      }
    }
  }
  // The sandbox's `require` offers a few modules; a preload that needs anything but electron is broken there.
  const sandboxRequire = (name: string) => {
    required.push(name)
    if (name === 'electron') return electron
    throw new Error(`module not found in the preload sandbox: ${name}`)
  }
  const module = { exports: {} }
  runInNewContext(readFileSync(PRELOAD, 'utf8'), { require: sandboxRequire, module, exports: module.exports, console }, { filename: PRELOAD })
  return {
    exposed,
    invocations,
    required,
    pushEvent(message) {
      for (const listener of ipcListeners.get(EVENT_CHANNEL) ?? []) listener({ sender: 'ipc-event-object' }, message)
    }
  }
}

describe('preload bridge', () => {
  let preload: LoadedPreload
  beforeAll(() => {
    if (!existsSync(PRELOAD)) throw new Error(`${PRELOAD} is missing: run \`npm run build\` (electron-vite build) before this test`)
    preload = loadPreload()
  })

  it('is a CommonJS bundle that requires only electron (so the sandbox can stay on)', () => {
    const source = readFileSync(PRELOAD, 'utf8')
    expect(source).not.toMatch(/^\s*import\s/m)
    expect(source).not.toMatch(/\bexport\s/)
    expect(new Set(preload.required)).toEqual(new Set(['electron']))
  })

  it('exposes exactly one function per contract method plus `on`, frozen', () => {
    expect([...preload.exposed.keys()]).toEqual(['workbench'])
    const api = preload.exposed.get('workbench')!
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'on'].sort())
    for (const key of Object.keys(api)) expect(typeof api[key], key).toBe('function')
    expect(Object.isFrozen(api)).toBe(true)
    expect(api).not.toHaveProperty('ipcRenderer')
    expect(api).not.toHaveProperty('invoke')
  })

  it('sends each method on its own fixed channel with the request only', async () => {
    const api = preload.exposed.get('workbench')!
    for (const method of METHOD_NAMES) {
      const answer = await (api[method] as (request: unknown) => Promise<unknown>)({ probe: method })
      expect(answer).toEqual({ ok: true, result: { echoed: { probe: method } } })
      expect(preload.invocations.at(-1)).toEqual({ channel: methodChannel(method), args: [{ probe: method }] })
    }
    expect(new Set(preload.invocations.map((i) => i.channel)).size).toBe(METHOD_NAMES.length)
  })

  it('delivers contract events as bare payloads, refuses unknown events, and unsubscribes', () => {
    const on = preload.exposed.get('workbench')!.on as (event: string, listener: (...args: unknown[]) => void) => () => void
    const seen: unknown[][] = []
    const off = on('runs.changed', (...args) => seen.push(args))
    for (const event of EVENT_NAMES) expect(() => on(event, () => undefined)).not.toThrow()
    expect(() => on('some.internal.channel', () => undefined)).toThrow(/unknown event/)
    expect(() => on('runs.changed', 'not a function' as unknown as () => void)).toThrow(/function/)

    preload.pushEvent({ event: 'runs.changed', payload: { run_id: 'r1' } })
    preload.pushEvent({ event: 'datasets.changed', payload: { id: 'd1' } })
    preload.pushEvent({ event: 'not.an.event', payload: {} })
    preload.pushEvent(null)
    expect(seen).toEqual([[{ run_id: 'r1' }]])
    off()
    preload.pushEvent({ event: 'runs.changed', payload: { run_id: 'r2' } })
    expect(seen).toHaveLength(1)
  })
})
