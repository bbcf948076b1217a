// Turns the shared contract into something a host can serve: validates each request against
// its schema, runs the handler, and maps failures to ContractErrors a view can show.
import { z } from 'zod'
import { detailValue, TypedError, type ErrorData, type ErrorDetails } from '../../shared/errors'
import { SpecValidationError } from '../../shared/model-spec/schema'
import { specErrorsDetails } from '../../shared/model-spec/validate'
import { BackendUnavailableError, MissingKernelError } from '../engine/backend'
import { MetricPlanError } from '../engine/metric-plan'
import { ExportRefusal } from '../export/types'
import { StoreError, type StoreErrorCode } from '../store/errors'
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

/** The English text of a zod failure: the first few issues, each with its path. */
function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}

/** What the first zod issue expected and got, for a view's own words (`request.invalid`). */
function zodDetails(error: z.ZodError, method?: string): ErrorDetails {
  const issue = error.issues[0]
  const details: ErrorDetails = { path: issue ? issue.path.map(String).join('.') : '', problem: issue?.message ?? 'invalid', issues: error.issues.length }
  if (method) details.method = method
  if (!issue) return details
  const record = issue as unknown as Record<string, unknown>
  if (typeof record.expected === 'string') details.expected = record.expected
  else if (Array.isArray(record.values)) details.expected = record.values.map(String).join(', ')
  if (record.input !== undefined) details.got = detailValue(record.input)
  return details
}

function isZodError(error: unknown): error is z.ZodError {
  return error instanceof z.ZodError || (error instanceof Error && error.name === 'ZodError' && Array.isArray((error as { issues?: unknown }).issues))
}

const STORE_CODES: Record<StoreErrorCode, ContractError['code']> = {
  not_found: 'not_found',
  bad_input: 'bad_input',
  // busy: another process held the database past every retry — the request can be tried again.
  busy: 'conflict',
  conflict: 'conflict',
  // The database file is from a newer workbench or unusable: the user moves it aside.
  incompatible: 'conflict'
}

/**
 * The contract error of anything a handler threw. Every error family the workbench raises on
 * purpose keeps its code and gets a reason; only a failure nobody foresaw is `internal`.
 */
export function toContractError(error: unknown, method?: string): ContractError {
  if (error instanceof TypedError) return error.toContractError()
  if (error instanceof StoreError) {
    return { code: STORE_CODES[error.code], message: error.message, reason: error.reason ?? `store.${error.code}`, ...(error.details ? { details: error.details } : {}) }
  }
  if (error instanceof SpecValidationError) {
    return { code: 'bad_input', message: error.message, reason: 'spec.invalid', details: specErrorsDetails(error.errors) }
  }
  if (error instanceof MetricPlanError) return { code: 'bad_input', message: error.message, reason: 'run.bad_config', details: { problem: error.message } }
  if (error instanceof MissingKernelError) {
    return { code: 'conflict', message: error.message, reason: 'backend.missing_kernel', details: { layer: error.need.layer, class_name: error.need.class_name, kernel: error.need.kernel, backend: error.backend, alternative: error.alternative ?? '' } }
  }
  if (error instanceof BackendUnavailableError) return { code: 'conflict', message: error.message, reason: 'run.backend_unavailable', details: { backend: error.backend, problem: error.reason } }
  if (error instanceof ExportRefusal) {
    return { code: 'bad_input', message: error.message, reason: 'export.refused', details: { format: error.format, problem: error.message, ...(error.layer ? { layer: error.layer.index, class_name: error.layer.class_name } : {}) } }
  }
  if (isZodError(error)) return { code: 'invalid_request', message: `${method ? `${method}: ` : ''}${describeZodError(error)}`, reason: 'request.invalid', details: zodDetails(error, method) }
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'internal', message }
}

export function createDispatcher(handlers: Handlers) {
  return async function dispatch(method: unknown, rawRequest: unknown): Promise<DispatchResult> {
    if (!isMethodName(method)) {
      const name = JSON.stringify(typeof method === 'string' ? method : `(${typeof method})`).slice(0, 80)
      return { ok: false, error: { code: 'invalid_request', message: `unknown method ${name}`, reason: 'request.unknown_method', details: { method: name } } }
    }
    const parsed = methods[method].request.safeParse(rawRequest ?? {})
    if (!parsed.success) return { ok: false, error: toContractError(parsed.error, method) }
    try {
      const handler = handlers[method] as (request: unknown) => Promise<unknown>
      const result = await handler(parsed.data)
      return { ok: true, result }
    } catch (error) {
      return { ok: false, error: toContractError(error, method) }
    }
  }
}
export type Dispatch = ReturnType<typeof createDispatcher>
