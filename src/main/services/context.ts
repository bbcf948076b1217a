// What the service modules share: the data folder, the store, the data set library, the run
// folders, the event emitter and the trainer fork. openWorkbench builds one and hands it to each
// concern (uploads, datasets, runs, exports).
import type { EventName, EventPayload } from '../../shared/contract'
import type { DatasetLibrary } from '../data'
import type { ForkTrainer } from '../engine/supervisor'
import type { WorkbenchStore } from '../store'
import { StoreError } from '../store/errors'
import { WorkbenchError } from './dispatcher'
import type { RunFolders } from './run-folders'

export interface ServiceContext {
  dataDir: string
  host: 'electron' | 'browser'
  store: WorkbenchStore
  library: DatasetLibrary
  folders: RunFolders
  fork?: ForkTrainer
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void
}

/** Store lookups that find nothing become not_found errors for the caller, with the store's reason and details. */
export function notFound<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    if (error instanceof StoreError && error.code === 'not_found') {
      throw new WorkbenchError('not_found', error.message, { reason: error.reason ?? 'store.not_found', ...(error.details ? { details: error.details } : {}), cause: error })
    }
    throw error
  }
}
