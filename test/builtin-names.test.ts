// The renderer's translations of built-in data sets and seed templates (messages/builtins.ts)
// are written for the back end's English: each English entry must equal it (else the renderer
// shows the English, see i18n/builtins.ts), and each has a Chinese entry.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { builtinDefinitions } from '../src/main/data/builtins'
import { EXAMPLES } from '../src/shared/examples'

const CJK = /[\u4e00-\u9fff]/
// Loaded by path: the renderer's files are outside this (Node) project's type check.
const messagesFile = pathToFileURL(join(__dirname, '..', 'src', 'renderer', 'src', 'i18n', 'messages', 'builtins.ts')).href
const messages = ((await import(messagesFile)) as { default: Record<'en' | 'zh-CN', Record<string, string>> }).default
const en = messages.en
const zh = messages['zh-CN']

describe('built-in names in the renderer', () => {
  it('have the back end English and a Chinese text for every built-in data set and template', () => {
    const items = [
      ...builtinDefinitions().map((d) => ({ key: `builtin.dataset.${d.id}`, name: d.name, nameField: 'name', description: d.description })),
      ...EXAMPLES.map((e) => ({ key: `builtin.example.${e.id}`, name: e.title, nameField: 'title', description: e.description }))
    ]
    expect(items.length).toBe(builtinDefinitions().length + EXAMPLES.length)
    for (const item of items) {
      expect(en[`${item.key}.${item.nameField}`], item.key).toBe(item.name)
      expect(en[`${item.key}.description`], item.key).toBe(item.description)
      expect(zh[`${item.key}.description`], item.key).toMatch(CJK)
      // "y = 2x" reads the same in both languages.
      if (item.name !== 'y = 2x') expect(zh[`${item.key}.${item.nameField}`], item.key).toMatch(CJK)
    }
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort())
    expect(Object.keys(en)).toHaveLength(items.length * 2)
  })
})
