// The renderer's own origin, app://workbench, instead of file:// (Electron security checklist:
// "avoid usage of the file:// protocol and prefer usage of custom protocols"). The handler serves
// files of the built renderer folder only: it resolves the real path of what is asked (symlinks
// included) and refuses anything that lands outside the folder. No `electron` import: index.ts
// registers the scheme and the handler, and tests call the handler directly.
import { readFile, realpath, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { mimeType } from '../server/static-files'

export const APP_SCHEME = 'app'
export const APP_HOST = 'workbench'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
export const RENDERER_INDEX_URL = `${APP_ORIGIN}/index.html`

/**
 * protocol.registerSchemesAsPrivileged: `standard` (a real origin, so 'self' in the CSP and
 * relative URLs work) and `secure` (a secure context like https); nothing that loosens a rule
 * (no bypassCSP, no service workers, no CORS fetches from other origins).
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
  bypassCSP: false,
  allowServiceWorkers: false,
  corsEnabled: false,
  stream: false
} as const


export interface RendererProtocolOptions {
  /** The built renderer folder (out/renderer). */
  root: string
  /** The Content-Security-Policy sent with every response. */
  policy: () => string
}

function isInside(folder: string, candidate: string): boolean {
  const rel = relative(folder, candidate)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } })
}

/** The real path of a file inside root, or null (missing, a folder without index.html, or outside root once links are followed). */
async function resolveInside(rootReal: string, pathname: string): Promise<string | null> {
  let candidate = resolve(rootReal, '.' + pathname)
  if (!isInside(rootReal, candidate)) return null
  for (let depth = 0; depth < 2; depth++) {
    let real: string
    try {
      real = await realpath(candidate)
    } catch {
      return null
    }
    if (!isInside(rootReal, real)) return null
    const info = await stat(real)
    if (info.isFile()) return real
    if (!info.isDirectory()) return null
    candidate = join(real, 'index.html')
  }
  return null
}

/** A protocol.handle handler for app://workbench/… serving the renderer folder. */
export function createRendererProtocolHandler(options: RendererProtocolOptions): (request: Request) => Promise<Response> {
  let rootReal: Promise<string | null> | null = null
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'only GET and HEAD')
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return refuse(400, 'bad URL')
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404, 'not found')
    let pathname: string
    try {
      pathname = decodeURIComponent(url.pathname)
    } catch {
      return refuse(400, 'bad path encoding')
    }
    if (pathname.includes('\0') || pathname.includes('\\')) return refuse(400, 'bad path')
    rootReal ??= realpath(options.root).catch(() => null)
    const base = await rootReal
    if (!base) return refuse(404, `the renderer folder ${options.root} is missing (run npx electron-vite build)`)
    const file = await resolveInside(base, pathname === '/' ? '/index.html' : pathname)
    if (!file) return refuse(404, 'not found')
    const body = request.method === 'HEAD' ? null : await readFile(file)
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': mimeType(file),
        'Content-Security-Policy': options.policy(),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache'
      }
    })
  }
}
