// Turns the shared contract into something a host can serve: validates each request against
// its schema, runs the handler, and maps failures to ContractErrors a view can show.
import { z } from 'zod'
import { TypedError, type ErrorData } from '../../shared/errors'
import { StoreError } from '../store/errors'
import { methods, type ContractError, type EventName, type EventPayload, type MethodName, type Response } from '../../shared/contract'

/** What the back end implements: one async function per contract method, on validated input. */
export type Handlers = {
  [M in MethodName]: (request: z.output<(typeof methods)[M]['request']>) => Promise<Response<M>>
}

/** An error meant for the user: a contract code, and (for the views' own words) a reason key with details. */
export class WorkbenchError extends TypedError {
  constructor(code: ContractError['code'], message: string, data: ErrorData & { cause?: unknown } = {}) {
    super(code, message, data)
    this.name = 'WorkbenchError'
  }
}

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ContractError }

export type EventSink = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name)
}

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}

/** The contract code of an error the store or an importer raised on purpose (anything else is `internal`). */
function knownErrorCode(error: unknown): ContractError['code'] | null {
  if (error instanceof StoreError) {
    // busy: another process held the database past every retry — the request can be tried again.
    if (error.code === 'busy' || error.code === 'conflict') return 'conflict'
    if (error.code === 'not_found' || error.code === 'bad_input') return error.code
  }
  return null
}

export function createDispatcher(handlers: Handlers) {
  return async function dispatch(method: unknown, rawRequest: unknown): Promise<DispatchResult> {
    if (!isMethodName(method)) {
      return { ok: false, error: { code: 'invalid_request', message: `unknown method ${JSON.stringify(typeof method === 'string' ? method : `(${typeof method})`).slice(0, 80)}` } }
    }
    const parsed = methods[method].request.safeParse(rawRequest ?? {})
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_request', message: `${method}: ${describeZodError(parsed.error)}` } }
    }
    try {
      const handler = handlers[method] as (request: unknown) => Promise<unknown>
      const result = await handler(parsed.data)
      return { ok: true, result }
    } catch (error) {
      if (error instanceof TypedError) return { ok: false, error: error.toContractError() }
      const known = knownErrorCode(error)
      if (known) return { ok: false, error: { code: known, message: (error as Error).message, reason: `store.${(error as StoreError).code}` } }
      const message = error instanceof Error ? error.message : String(error)
      return { ok: false, error: { code: 'internal', message } }
    }
  }
}
export type Dispatch = ReturnType<typeof createDispatcher>
