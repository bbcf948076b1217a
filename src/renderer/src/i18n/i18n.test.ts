import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import shell from './messages/shell'
import train from './messages/train'
import runs from './messages/runs'
import compare from './messages/compare'

function fakeStorage(): Storage {
  const map = new Map<string, string>()
  return {
    get length() { return map.size },
    clear: () => map.clear(),
    getItem: (k: string) => map.get(k) ?? null,
    key: (i: number) => [...map.keys()][i] ?? null,
    removeItem: (k: string) => void map.delete(k),
    setItem: (k: string, v: string) => void map.set(k, v)
  }
}

describe('message tables', () => {
  it.each([['shell', shell], ['train', train], ['runs', runs], ['compare', compare]])('%s has the same keys and placeholders in English and Chinese', (_name, table) => {
    const en = table.en as Record<string, string>
    const zh = table['zh-CN'] as Record<string, string>
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort())
    for (const key of Object.keys(en)) {
      const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort()
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]))
      expect(zh[key].trim(), key).not.toBe('')
    }
  })
})

describe('t and setLocale', () => {
  beforeEach(() => {
    vi.resetModules()
    vi.stubGlobal('localStorage', fakeStorage())
  })
  afterEach(() => vi.unstubAllGlobals())

  it('fills placeholders and switches language at once, remembering the choice', async () => {
    const i18n = await import('./index')
    i18n.setLocale('en')
    expect(i18n.t('train.stepOf', { step: 3, total: 10 })).toBe('step 3 / 10')
    i18n.setLocale('zh-CN')
    expect(i18n.t('train.stepOf', { step: 3, total: 10 })).toBe('第 3 / 10 步')
    expect(localStorage.getItem('model-workbench.locale')).toBe('zh-CN')
    vi.resetModules()
    const again = await import('./index')
    expect(again.locale.value).toBe('zh-CN')
  })

  it('falls back to the key for a missing message and leaves unknown placeholders visible', async () => {
    const i18n = await import('./index')
    expect(i18n.t('no.such.key')).toBe('no.such.key')
    i18n.setLocale('en')
    expect(i18n.t('train.stepOf', { step: 1 })).toBe('step 1 / {total}')
  })
})
