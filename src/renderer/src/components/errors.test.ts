// Errors in the user's language: every reason the back end can raise (the registry, and every
// `reason: '…'` written in src/main and src/shared) has an English and a Chinese template, and
// the views render spec and contract errors from reason and details, never from English text.
import { afterEach, describe, expect, it } from 'vitest'
import { ERROR_REASONS } from '../../../shared/errors'
import { readSpec, SpecValidationError, specErrorsDetails, validateSpec, type LayerSpec, type ModelSpec } from '../../../shared/model-spec'
import { hasMessage, messageKeys, setLocale } from '../i18n'
import errorMessages from '../i18n/messages/errors'
import { describeError, specErrorText } from './errors'

const sources = {
  ...import.meta.glob<string>('../../../main/**/*.ts', { query: '?raw', import: 'default', eager: true }),
  ...import.meta.glob<string>('../../../shared/**/*.ts', { query: '?raw', import: 'default', eager: true })
}

/** Every `reason: '…'` (and `reason ?? '…'`) written in the back end and the shared code. */
function reasonsInSources(): Map<string, string> {
  const found = new Map<string, string>()
  for (const [file, text] of Object.entries(sources)) {
    if (file.endsWith('.test.ts')) continue
    for (const match of text.matchAll(/reason(?::|\s*\?\?)\s*'([a-z0-9_]+(?:\.[a-z0-9_]+)+)'/g)) found.set(match[1]!, file)
  }
  return found
}

afterEach(() => setLocale('en'))

const placeholders = (template: string): string[] => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)

describe('the reason registry and its templates', () => {
  it('has an English and a Chinese template for every registered reason, using only its details', () => {
    for (const [reason, entry] of Object.entries(ERROR_REASONS)) {
      const key = `errors.reason.${reason}`
      expect(hasMessage('en', key), `${key} (en)`).toBe(true)
      expect(hasMessage('zh-CN', key), `${key} (zh-CN)`).toBe(true)
      const allowed = new Set<string>([...entry.details, 'message'])
      for (const locale of ['en', 'zh-CN'] as const) {
        const template = (errorMessages[locale] as Record<string, string>)[key]
        if (template === undefined) continue
        for (const name of placeholders(template)) expect(allowed.has(name), `${key} (${locale}) uses {${name}}, not a detail of ${reason}`).toBe(true)
      }
    }
  })

  it('has both templates for every reason the back end writes (collected from src/main and src/shared)', () => {
    const reasons = reasonsInSources()
    expect(reasons.size).toBeGreaterThan(40)
    const missing = [...reasons].filter(([reason]) => !hasMessage('en', `errors.reason.${reason}`) || !hasMessage('zh-CN', `errors.reason.${reason}`))
    expect(missing.map(([reason, file]) => `${reason} (${file})`)).toEqual([])
  })

  it('keeps the errors message table complete in both languages', () => {
    const en = Object.keys(errorMessages.en).sort()
    expect(Object.keys(errorMessages['zh-CN']).sort()).toEqual(en)
    // Hints and rule words take the same values in both languages (a reason's templates may each use any of its details: checked above).
    for (const key of en.filter((k) => !k.startsWith('errors.reason.'))) {
      expect(placeholders(errorMessages['zh-CN'][key as keyof typeof errorMessages.en]).sort(), key).toEqual(placeholders(errorMessages.en[key as keyof typeof errorMessages.en]).sort())
    }
    expect(messageKeys('en')).toEqual(expect.arrayContaining(['errors.hint.internal', 'errors.reason.spec.field_invalid']))
  })
})

describe('rendering in the user language', () => {
  const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: inputShape, layers })
  const invalid: unknown[] = [
    model([784], [dense(8), { class_name: 'Dropout', config: { rate: 0.1 } }, dense(0)]),
    model([4], [{ class_name: 'Dense', config: {} }]),
    model([4], [{ class_name: 'Dense', config: { units: 2, activation: 'swish2', unitz: 1 } }]),
    model([4], [{ class_name: 'Densely', config: {} }]),
    model([4], [{ class_name: 'Dropout', config: { rate: 1.5 } }]),
    model([4], [{ class_name: 'Dense', config: { units: 2, use_bias: 'yes', trainable: 1, dtype: 'float16' } }]),
    model([4], [{ class_name: 'Dense', config: { units: 2, name: 'a' } }, { class_name: 'Dense', config: { units: 2, name: 'a' } }]),
    model([4], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }]),
    model([4], [{ class_name: 'Flatten', config: {} }]),
    model([2, 2, 1], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }]),
    model([6], [{ class_name: 'Reshape', config: { target_shape: [4] } }]),
    model([6], [{ class_name: 'Reshape', config: { target_shape: [-1, -1] } }]),
    model([4, 3], [{ class_name: 'BatchNormalization', config: { axis: 1 } }]),
    model([4], [{ class_name: 'BatchNormalization', config: { axis: 3 } }]),
    model([8, 8, 1], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3, strides: 2, dilation_rate: 2 } }]),
    model([4], [dense(2), { class_name: 'InputLayer', config: { input_shape: [2] } }]),
    model([4], [{ class_name: 'Dense', config: { units: 2 }, weights: [[1, 2]] }]),
    model([4], [{ class_name: 'Dense', config: { units: 2, kernel_initializer: 'nope' } }]),
    model([4], []),
    { ...model([4], [dense(1)]), format: 'keras' },
    { ...model([4], [dense(1)]), input_shape: [0] },
    'not a spec'
  ]
  /** readSpec's own refusals (before validateSpec): a file's words. */
  const unreadable: unknown[] = ['{"format": ', 42, { format: 'keras' }, { format: 'model-workbench/spec', version: 'one' }, { format: 'model-workbench/spec', version: 99 }]
  function dense(units: number): LayerSpec {
    return { class_name: 'Dense', config: { units } }
  }

  it('renders every spec error in English exactly as the back end words it, and in Chinese without leftovers', () => {
    let count = 0
    const errors = [...invalid.flatMap((raw) => validateSpec(raw).errors), ...unreadable.flatMap((raw) => {
      const read = readSpec(raw)
      return read.ok ? [] : read.errors
    })]
    {
      for (const error of errors) {
        count++
        expect(error.reason, error.message).toBeDefined()
        setLocale('en')
        expect(specErrorText(error)).toBe(error.message)
        setLocale('zh-CN')
        const zh = specErrorText(error)
        expect(zh, error.message).not.toMatch(/\{\w+\}/)
        expect(zh, error.message).toMatch(/[\u4e00-\u9fff]/)
      }
    }
    expect(count).toBeGreaterThan(20)
    setLocale('en')
  })

  it('says what a field expects in Chinese from the rule, not the English words', () => {
    const [error] = validateSpec(model([784], [dense(0)])).errors
    setLocale('zh-CN')
    expect(specErrorText(error!)).toBe('第 1 层（Dense）：units 必须是正整数，实际为 0')
    setLocale('en')
    expect(specErrorText(error!)).toBe('layer 1 (Dense): units must be a positive integer, got 0')
  })

  it('describeError renders from reason and details, and falls back to the message and the code hint', () => {
    setLocale('zh-CN')
    const shown = describeError({ code: 'conflict', message: 'run r is still training; stop it before deleting it', reason: 'run.still_training', details: { run_id: 'r' } })
    expect(shown.message).toBe('运行 r 仍在训练；请先停止再删除。')
    expect(shown.hint).toBe('对象正忙或已被修改：请等待当前操作结束后重试。')
    const errors = validateSpec(model([784], [dense(0)])).errors
    const invalidSpec = { code: 'bad_input', message: new SpecValidationError(errors).message, reason: 'spec.invalid', details: specErrorsDetails(errors) }
    expect(describeError(invalidSpec).message).toBe('模型无效：第 1 层（Dense）：units 必须是正整数，实际为 0')
    const fileErrors = validateSpec(model([4], [{ class_name: 'Densely', config: {} }])).errors
    const fromFile = { code: 'bad_input', message: 'model.json cannot be imported: …', reason: 'model_file.invalid_spec', details: { file: 'model.json', ...specErrorsDetails(fileErrors) } }
    expect(describeError(fromFile).message).toMatch(/^model\.json 中的模型无法导入（1 处问题），第一处：第 1 层（Densely）：未知的层类型 "Densely"/)
    setLocale('en')
    expect(describeError({ code: 'internal', message: 'disk on fire' })).toMatchObject({ message: 'disk on fire', hint: expect.stringContaining('The back end failed') })
    expect(describeError({ code: 'bad_input', message: 'no template for this', reason: 'no.such_reason' }).message).toBe('no template for this')
  })
})
