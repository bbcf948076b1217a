// Contract calls from the command line: the same validation as the views' requests, with
// contract errors turned into CLI errors.
import type { MethodName, Request, Response } from '../../shared/contract'
import { createDispatcher } from '../services/dispatcher'
import type { WorkbenchService } from '../services/workbench'
import { CliError } from './output'

/** Calls a contract method with validation, turning contract errors into CLI errors. */
export function caller(service: WorkbenchService) {
  const dispatch = createDispatcher(service.handlers)
  return async function call<M extends MethodName>(method: M, request: Request<M>): Promise<Response<M>> {
    const result = await dispatch(method, request)
    if (!result.ok) {
      const { code, message, reason, details } = result.error
      throw new CliError(message, code === 'invalid_request' ? 2 : 1, { code, ...(reason ? { reason } : {}), ...(details ? { details } : {}) })
    }
    return result.result as Response<M>
  }
}
