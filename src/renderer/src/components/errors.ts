// Turns anything thrown by a contract call into what the error banner shows: what went wrong
// and what to do next.
import { t } from '../i18n'

export interface ShownError {
  message: string
  hint: string
}

const CODES = ['invalid_request', 'not_found', 'conflict', 'bad_input', 'internal', 'unauthorized'] as const

export function describeError(error: unknown, hint?: string): ShownError {
  const record = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown }
  const message = typeof record.message === 'string' && record.message ? record.message : typeof error === 'string' ? error : t('errors.unknown')
  const code = CODES.find((c) => c === record.code)
  return { message, hint: hint ?? (code ? t(`errors.hint.${code}`) : t('errors.hint.generic')) }
}
