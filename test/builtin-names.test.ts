// The renderer's translations of built-in data sets and seed templates (messages/builtins.ts)
// are written for the back end's English: each English entry must equal it (else the renderer
// shows the English, see i18n/builtins.ts), and each has a Chinese entry.
import { describe, expect, it } from 'vitest'
import { builtinDefinitions } from '../src/main/data/builtins'
import { EXAMPLES } from '../src/shared/examples'
import messages from '../src/renderer/src/i18n/messages/builtins'

const CJK = /[\u4e00-\u9fff]/
const en: Record<string, string> = messages.en
const zh: Record<string, string> = messages['zh-CN']

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
