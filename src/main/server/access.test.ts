import { describe, expect, it } from 'vitest'
import { allowedHostHeaders, createToken, hostAllowed, normalizeHostHeader, originAllowed, parseCookies, presentedToken, tokensMatch } from './access'

describe('tokens', () => {
  it('are 24 random bytes in base64url', () => {
    const a = createToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(createToken()).not.toBe(a)
  })

  it('match only exactly, whatever the length of the guess', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true)
    expect(tokensMatch('abc', 'abd')).toBe(false)
    expect(tokensMatch('abc', 'ab')).toBe(false)
    expect(tokensMatch('abc', 'abcd')).toBe(false)
    expect(tokensMatch('abc', 'abc\0')).toBe(false)
    expect(tokensMatch('abc', '')).toBe(false)
    expect(tokensMatch('abc', undefined)).toBe(false)
    expect(tokensMatch('abc', 'x'.repeat(5000))).toBe(false)
  })

  it('are read from the Authorization header or the port-named cookie', () => {
    expect(presentedToken({ authorization: 'token T1' }, 80)).toBe('T1')
    expect(presentedToken({ authorization: 'Bearer T2' }, 80)).toBe('T2')
    expect(presentedToken({ cookie: 'a=1; mw-token-8080=T3' }, 8080)).toBe('T3')
    expect(presentedToken({ cookie: 'mw-token-8081=T3' }, 8080)).toBeUndefined()
    expect(parseCookies('x=1; x=2; bad; y= 3 ').get('x')).toBe('1')
  })
})

describe('Host and Origin checks', () => {
  it('allow only loopback names and the bound address, with the port', () => {
    const allowed = allowedHostHeaders('127.0.0.1', 5000)
    expect(hostAllowed('127.0.0.1:5000', allowed)).toBe(true)
    expect(hostAllowed('LOCALHOST:5000', allowed)).toBe(true)
    expect(hostAllowed('[::1]:5000', allowed)).toBe(true)
    expect(hostAllowed('127.0.0.1:5001', allowed)).toBe(false)
    expect(hostAllowed('attacker.example:5000', allowed)).toBe(false)
    expect(hostAllowed(undefined, allowed)).toBe(false)
    expect(hostAllowed('192.168.1.4:5000', allowedHostHeaders('192.168.1.4', 5000))).toBe(true)
    expect(hostAllowed('anything.example:5000', allowedHostHeaders('0.0.0.0', 5000))).toBe(true)
    expect(hostAllowed("x.example:5000; script-src *", allowedHostHeaders('0.0.0.0', 5000))).toBe(false)
    expect(hostAllowed('x.example:5000/path', allowedHostHeaders('0.0.0.0', 5000))).toBe(false)
  })

  it('make the default port explicit', () => {
    expect(normalizeHostHeader('Example.org')).toBe('example.org:80')
    expect(normalizeHostHeader('[::1]')).toBe('[::1]:80')
    expect(normalizeHostHeader('[::1]:9')).toBe('[::1]:9')
  })

  it('accept only this server as the origin', () => {
    expect(originAllowed('http://127.0.0.1:5000', '127.0.0.1:5000')).toBe(true)
    expect(originAllowed(undefined, '127.0.0.1:5000')).toBe(true)
    expect(originAllowed('http://localhost:5000', '127.0.0.1:5000')).toBe(false)
    expect(originAllowed('https://127.0.0.1:5000', '127.0.0.1:5000')).toBe(false)
    expect(originAllowed('null', '127.0.0.1:5000')).toBe(false)
    expect(originAllowed('http://example.org', 'example.org')).toBe(true)
  })
})
