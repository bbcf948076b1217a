// Turns anything thrown by a contract call into what the error banner shows: what went wrong
// and what to do next, in the user's language. Plain functions (no component), so stores and
// views both use them; src/renderer/src/components/errors.ts re-exports them. Decided from the
// error's code, reason and details (src/shared/errors.ts), never from its English text: a reason
// with a template (`errors.reason.<reason>`) is rendered from its details, anything else shows
// the back end's message.
import { hasMessage, locale, t } from '../i18n'
import { ERROR_CODES, errorData, type ErrorDetails } from '../../../shared/errors'
import type { SpecError } from '../../../shared/model-spec'

export interface ShownError {
  message: string
  hint: string
  /** The contract code and reason, for views that pick an action from them. */
  code?: string
  reason?: string
}

/** Codes the client adds on its own (no back end answered). */
const CLIENT_CODES = ['timeout', 'disconnected'] as const

function englishMessage(error: unknown): string {
  const record = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown }
  if (typeof record.message === 'string' && record.message) return record.message
  return typeof error === 'string' ? error : ''
}

type Params = Record<string, string | number>

function params(details: ErrorDetails | undefined, message: string): Params {
  const out: Params = { message }
  for (const [key, value] of Object.entries(details ?? {})) if (value !== null) out[key] = typeof value === 'boolean' ? String(value) : value
  return out
}

/** "a positive integer", "0 到 1 之间的数"…: what a spec field expects, in the current locale, from its rule. */
export function expectedText(details: ErrorDetails): string | null {
  const kind = details.kind
  if (kind === 'int' || kind === 'float') {
    const what = t(`errors.expected.${kind}`)
    const { min, max } = details
    if (min !== undefined && max !== undefined) return t(details.exclusive_max ? 'errors.expected.range_exclusive' : 'errors.expected.range', { what, min: String(min), max: String(max) })
    if (min === 1 && kind === 'int') return t('errors.expected.positive', { what })
    if (min !== undefined) return t('errors.expected.at_least', { what, min: String(min) })
    if (max !== undefined) return t(details.exclusive_max ? 'errors.expected.below' : 'errors.expected.at_most', { what, max: String(max) })
    return t('errors.expected.any', { what })
  }
  if (kind === 'bool') return t('errors.expected.bool')
  if (kind === 'enum') return t('errors.expected.enum', { options: String(details.options ?? '') })
  if (kind === 'int_list') {
    if (details.length !== undefined) return t('errors.expected.int_list_length', { length: String(details.length) })
    return t(details.minus_one ? 'errors.expected.int_list_minus_one' : 'errors.expected.int_list')
  }
  return null
}

/**
 * The words of a reason in the current locale, filled from its details; null when the reason has
 * no template (the caller then shows the back end's message). English keeps the back end's exact
 * words for what a field expects; other locales build them from the rule in the details.
 */
export function reasonText(reason: string | undefined, details: ErrorDetails | undefined, message: string): string | null {
  if (!reason) return null
  const key = `errors.reason.${reason}`
  if (!hasMessage('en', key)) return null
  const values = params(details, message)
  if (details && locale.value !== 'en') {
    const expected = expectedText(details)
    if (expected !== null) values.expected = expected
  }
  // spec.invalid (and a model file's invalid spec) carries its first error's reason and details: render that one in the user's words.
  if (typeof details?.first_reason === 'string' && details.first_reason !== reason) {
    const first = reasonText(details.first_reason, details, String(details.first ?? ''))
    if (first !== null) values.first = first
  }
  return t(key, values)
}

/** A spec error (the Designer's, validateSpec's) in the current locale; its English message when it has no reason. */
export function specErrorText(error: Pick<SpecError, 'message' | 'reason' | 'details'>): string {
  return reasonText(error.reason, error.details, error.message) ?? error.message
}

export function describeError(error: unknown, hint?: string): ShownError {
  const { code, reason, details } = errorData(error)
  const english = englishMessage(error)
  const message = reasonText(reason, details, english) ?? (english || t('errors.unknown'))
  const known = [...ERROR_CODES, ...CLIENT_CODES].find((c) => c === code)
  return {
    message,
    hint: hint ?? (known ? t(`errors.hint.${known}`) : t('errors.hint.generic')),
    ...(code !== undefined ? { code } : {}),
    ...(reason !== undefined ? { reason } : {})
  }
}
