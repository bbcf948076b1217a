// Errors the run store throws: a code the service maps to a contract error, a message a person can read.

/** `busy`: another process kept the database locked past the busy timeout and the bounded retries. */
export type StoreErrorCode = 'not_found' | 'conflict' | 'bad_input' | 'incompatible' | 'busy'

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'StoreError'
  }
}

export function runNotFound(runId: string): StoreError {
  return new StoreError('not_found', `Run ${JSON.stringify(runId)} not found in the run store; it may have been deleted. Refresh the run list.`)
}
