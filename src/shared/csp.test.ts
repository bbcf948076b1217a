import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy } from './csp'

describe('contentSecurityPolicy', () => {
  it('allows scripts only from the app and connections only to the given sources', () => {
    const policy = contentSecurityPolicy(['ws://127.0.0.1:8080'])
    const directives = Object.fromEntries(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]))
    expect(directives['script-src']).toBe("'self'")
    expect(directives['connect-src']).toBe("'self' ws://127.0.0.1:8080")
    expect(directives['object-src']).toBe("'none'")
    expect(directives['frame-ancestors']).toBe("'none'")
    expect(policy).not.toMatch(/unsafe-eval/)
  })
})
