// Who may talk to the browser host: the token (query, cookie or Authorization header), the Host
// header (against DNS rebinding) and the Origin header (against cross-site requests and
// cross-site WebSockets). Modelled on the Jupyter server's checks. Pure functions over headers.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'

export function createToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Constant-time comparison that does not leak the token's length either (both sides are hashed to equal length first). */
export function tokensMatch(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false
  const a = Buffer.from(expected, 'utf8')
  const b = Buffer.from(given, 'utf8')
  // timingSafeEqual needs equal lengths; compare against a same-length copy and fold the length check in after.
  const padded = Buffer.alloc(a.length)
  b.copy(padded, 0, 0, Math.min(a.length, b.length))
  const sameBytes = timingSafeEqual(a, padded)
  return sameBytes && a.length === b.length
}

/** Cookies are shared between ports of one host, so the name carries the port (as Jupyter's does). */
export function cookieName(port: number): string {
  return `mw-token-${port}`
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (!header) return cookies
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (!cookies.has(name)) cookies.set(name, value)
  }
  return cookies
}

export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`
}

/** The token a request presents, from the Authorization header (`token X` / `Bearer X`) or the cookie. */
export function presentedToken(headers: { cookie?: string; authorization?: string }, port: number): string | undefined {
  const auth = headers.authorization
  if (auth) {
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(auth.trim())
    if (match) return match[1]
  }
  return parseCookies(headers.cookie).get(cookieName(port))
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]'
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare)
}

/** The `host:port` forms a browser may send in the Host header for a server bound to `bindHost`. */
export function allowedHostHeaders(bindHost: string, port: number): Set<string> | 'any' {
  // Bound to every interface the user reaches it by some name we cannot know; the token (which a
  // rebinding page never has) is then the protection, as with Jupyter's allow_remote_access.
  if (isWildcard(bindHost)) return 'any'
  const names = new Set(LOOPBACK_NAMES)
  const bare = bindHost.toLowerCase()
  names.add(isIP(bare) === 6 ? `[${bare}]` : bare)
  return new Set([...names].map((name) => `${name}:${port}`))
}

/** `host:port` in lower case, with http's default port made explicit (browsers omit `:80`). */
export function normalizeHostHeader(hostHeader: string): string {
  const lower = hostHeader.trim().toLowerCase()
  return /:\d+$/.test(lower) && !/^\[[^\]]*\]$/.test(lower) ? lower : `${lower}:80`
}

export function hostAllowed(hostHeader: string | undefined, allowed: Set<string> | 'any'): boolean {
  // Only host-name characters: the Host is echoed into the CSP's connect-src.
  if (!hostHeader || hostHeader.length > 300 || !/^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(hostHeader)) return false
  if (allowed === 'any') return true
  return allowed.has(normalizeHostHeader(hostHeader))
}

/**
 * An Origin is accepted when it is this very server as the browser addressed it: http, and the
 * same host:port as the (already checked) Host header. A missing Origin is a non-browser client,
 * which cannot be driven by a foreign page; it still needs the token.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true
  if (!hostHeader) return false
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return false
  }
  if (parsed.protocol !== 'http:') return false
  return `${parsed.hostname}:${parsed.port || '80'}`.toLowerCase() === normalizeHostHeader(hostHeader)
}
