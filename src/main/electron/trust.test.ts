import { describe, expect, it } from 'vitest'
import { RENDERER_INDEX_URL } from './app-protocol'
import { isAllowedExternalUrl, rendererUrlCheck } from './trust'

describe('rendererUrlCheck', () => {
  const packaged = rendererUrlCheck({ rendererIndexUrl: RENDERER_INDEX_URL })

  it('accepts only our index.html on the app:// origin, with any hash or query', () => {
    expect(RENDERER_INDEX_URL).toBe('app://workbench/index.html')
    expect(packaged('app://workbench/index.html')).toBe(true)
    expect(packaged('app://workbench/index.html#/runs')).toBe(true)
    expect(packaged('app://workbench/index.html?x=1')).toBe(true)
    expect(packaged('app://workbench/sub/../index.html')).toBe(true) // the URL parser folds the dots away
    expect(packaged('app://workbench/other.html')).toBe(false)
    expect(packaged('app://workbench/')).toBe(false)
    expect(packaged('app://evil/index.html')).toBe(false)
    expect(packaged('app://workbench.evil/index.html')).toBe(false)
    expect(packaged('file:///opt/mw/out/renderer/index.html')).toBe(false)
    expect(packaged('https://workbench/index.html')).toBe(false)
    expect(packaged('not a url')).toBe(false)
  })

  it('in development accepts the dev server origin only', () => {
    const dev = rendererUrlCheck({ rendererIndexUrl: RENDERER_INDEX_URL, devServerUrl: 'http://localhost:5173/' })
    expect(dev('http://localhost:5173/src/main.ts')).toBe(true)
    expect(dev('http://localhost:5174/')).toBe(false)
    expect(dev('app://workbench/index.html')).toBe(false)
  })
})

describe('isAllowedExternalUrl', () => {
  it('opens only https documentation links', () => {
    expect(isAllowedExternalUrl('https://keras.io/api/layers/')).toBe(true)
    expect(isAllowedExternalUrl('https://js.tensorflow.org/api/latest/')).toBe(true)
    expect(isAllowedExternalUrl('http://keras.io/')).toBe(false)
    expect(isAllowedExternalUrl('https://keras.io.evil.example/')).toBe(false)
    expect(isAllowedExternalUrl('https://user:pw@keras.io/')).toBe(false)
    expect(isAllowedExternalUrl('https://keras.io:8443/')).toBe(false)
    expect(isAllowedExternalUrl('file:///etc/passwd')).toBe(false)
    expect(isAllowedExternalUrl('javascript:alert(1)')).toBe(false)
    expect(isAllowedExternalUrl('smb://keras.io/share')).toBe(false)
  })
})
