// builtinName / builtinDescription: the current language's text for a built-in, the back end's
// name for anything else (a user's data set that reuses a built-in id keeps its own name).
import { afterEach, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../../../shared/examples'
import { locale } from './index'
import { builtinDescription, builtinName } from './builtins'

const CJK = /[\u4e00-\u9fff]/

afterEach(() => {
  locale.value = 'en'
})

describe('built-in names', () => {
  it('translate every seed template, and give the English back in English', () => {
    for (const example of EXAMPLES) {
      locale.value = 'en'
      expect(builtinName('example', example.id, example.title)).toBe(example.title)
      expect(builtinDescription('example', example.id, example.description)).toBe(example.description)
      locale.value = 'zh-CN'
      expect(builtinName('example', example.id, example.title), example.id).toMatch(CJK)
      expect(builtinDescription('example', example.id, example.description), example.id).toMatch(CJK)
    }
  })

  it('keep the name of a data set that only shares an id with a built-in', () => {
    locale.value = 'zh-CN'
    expect(builtinName('dataset', 'iris', 'Iris')).toBe('鸢尾花')
    expect(builtinName('dataset', 'iris', 'my iris export')).toBe('my iris export')
    expect(builtinName('dataset', 'wine', 'wine')).toBe('wine')
    expect(builtinDescription('dataset', 'mnist', 'something else')).toBe('something else')
  })
})
