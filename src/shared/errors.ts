// Errors as data. Every failure that crosses the contract carries a `code` (what a program
// tests: retry, refresh, fix the input), a `message` in English (logs, the CLI), and — when the
// failure is one the workbench knows — a `reason` key with `details`, from which a view renders
// the message in the user's language and picks its hint. Views never read the English text.
import { z } from 'zod'

export const ERROR_CODES = ['invalid_request', 'not_found', 'conflict', 'bad_input', 'internal', 'unauthorized'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** One detail value: what a message template interpolates (file, line, column, layer index, field, expected, got…). */
export type ErrorDetail = string | number | boolean | null
export type ErrorDetails = Record<string, ErrorDetail>

export const errorDetailsSchema = z.record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))

/**
 * `reason`: a stable dotted key naming the failure (`csv.bad_number`, `spec.field_invalid`,
 * `run.not_found`…); the renderer's messages have one template per key, filled from `details`.
 */
export interface ContractError {
  code: ErrorCode
  message: string
  reason?: string
  details?: ErrorDetails
}

export interface ErrorData {
  reason?: string
  details?: ErrorDetails
}

/** The one base of errors meant for the user, in every process: a contract code plus reason and details. */
export class TypedError extends Error {
  readonly reason?: string
  readonly details?: ErrorDetails
  constructor(
    readonly code: ErrorCode,
    message: string,
    data: ErrorData & { cause?: unknown } = {}
  ) {
    super(message, data.cause === undefined ? undefined : { cause: data.cause })
    this.name = 'TypedError'
    if (data.reason !== undefined) this.reason = data.reason
    if (data.details !== undefined) this.details = data.details
  }

  toContractError(): ContractError {
    return {
      code: this.code,
      message: this.message,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.details !== undefined ? { details: this.details } : {})
    }
  }
}

/** Reads reason and details off anything thrown or received (a TypedError, a ContractError, a call error). */
export function errorData(error: unknown): { code?: string; reason?: string; details?: ErrorDetails } {
  if (typeof error !== 'object' || error === null) return {}
  const record = error as { code?: unknown; reason?: unknown; details?: unknown }
  const details = errorDetailsSchema.safeParse(record.details)
  return {
    ...(typeof record.code === 'string' ? { code: record.code } : {}),
    ...(typeof record.reason === 'string' ? { reason: record.reason } : {}),
    ...(details.success ? { details: details.data } : {})
  }
}
