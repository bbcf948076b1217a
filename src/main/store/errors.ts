// Errors the run store throws: a code the service maps to a contract error, a message a person can read.

export type StoreErrorCode = 'not_found' | 'conflict' | 'bad_input' | 'incompatible'

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'StoreError'
  }
}

export function runNotFound(runId: string): StoreError {
  return new StoreError('not_found', `Run ${JSON.stringify(runId)} not found in the run store; it may have been deleted. Refresh the run list.`)
}
