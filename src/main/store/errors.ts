// Errors the run store throws: a code the dispatcher maps to a contract error, a message a person
// can read, and (where the store knows more) a reason key with details for the views' own words.
import type { ErrorDetails } from '../../shared/errors'

/** `busy`: another process kept the database locked past the busy timeout and the bounded retries. */
export type StoreErrorCode = 'not_found' | 'conflict' | 'bad_input' | 'incompatible' | 'busy'

export class StoreError extends Error {
  /** A reason from ERROR_REASONS (src/shared/errors.ts); without one the dispatcher sends `store.<code>`. */
  readonly reason?: string
  readonly details?: ErrorDetails
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; reason?: string; details?: ErrorDetails }
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreError'
    if (options?.reason !== undefined) this.reason = options.reason
    if (options?.details !== undefined) this.details = options.details
  }
}

export function runNotFound(runId: string): StoreError {
  return new StoreError('not_found', `Run ${JSON.stringify(runId)} not found in the run store; it may have been deleted. Refresh the run list.`, { reason: 'run.not_found', details: { run_id: runId } })
}
