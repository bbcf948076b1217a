// The back end behind the contract: data sets, models, runs and their trainers, wired to the
// run store. Both hosts and the command line drive the workbench through this one service;
// the main side is the single writer of the database. Each concern lives in its own module
// (uploads, datasets-service, runs-service, exports-service) over one ServiceContext.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventName, EventPayload } from '../../shared/contract'
import { EXAMPLES } from '../../shared/examples'
import { DatasetLibrary } from '../data'
import { probeBackends } from '../engine/backend'
import type { ForkTrainer } from '../engine/supervisor'
import { WorkbenchStore, type StoreOptions } from '../store'
import type { ServiceContext } from './context'
import { createDatasets } from './datasets-service'
import { secureDataFolder } from './data-folder'
import type { Handlers } from './dispatcher'
import { createExports } from './exports-service'
import { createGradientCheck } from './gradient-check-service'
import { createImports, type Imports } from './imports-service'
import { createInsights } from './insights-service'
import { RunFolders } from './run-folders'
import { createRuns, type RunsOptions } from './runs-service'
import { createSweeps, type SweepsOptions } from './sweeps-service'
import { createUploads } from './uploads'
import { packageVersion } from './versions'
import { requireValidSpec } from './spec-checks'

export { progressToMetricPoints } from './runs-service'

export interface WorkbenchService {
  handlers: Handlers
  onEvent(listener: EventListener): () => void
  close(): Promise<void>
  readonly dataDir: string
  readonly store: WorkbenchStore
  readonly datasets: DatasetLibrary
  /** Waits for a run's trainer to end (resolves at once for a run that is not active). */
  waitForRun(runId: string): Promise<void>
  /** A PyTorch job folder that ran elsewhere, brought back as a run (CLI `runs import`; not in the contract: the path is chosen by the local user). */
  importTorchJobFolder: Imports['importTorchJobFolder']
}

type EventListener = (event: EventName, payload: unknown) => void

export interface OpenWorkbenchOptions {
  dataDir: string
  host: 'electron' | 'browser'
  fork?: ForkTrainer
  /** Busy timeout, retry budget and heartbeat staleness of the run database (defaults: 5 s, 5 s, 30 s). */
  store?: StoreOptions
  /** Heartbeat interval of this process's runs (default 5 s). */
  runs?: RunsOptions
  /** How often the sweep scheduler looks at the queue (default 2 s). */
  sweeps?: SweepsOptions
}

export async function openWorkbench(options: OpenWorkbenchOptions): Promise<WorkbenchService> {
  const dataDir = options.dataDir
  const folders = new RunFolders(dataDir)
  await secureDataFolder(dataDir)
  await mkdir(folders.root, { recursive: true })
  await mkdir(join(dataDir, 'uploads'), { recursive: true })
  const store = WorkbenchStore.open(join(dataDir, 'workbench.db'), options.store)
  // Runs whose owner died (this folder may be shared with other live processes: their runs stay).
  store.recoverInterrupted()
  const library = new DatasetLibrary(dataDir)
  // A process that died mid-import leaves a temp folder behind; those of live processes stay.
  await library.removeStaleTempDirs()
  const listeners = new Set<EventListener>()

  function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of listeners) {
      try {
        listener(event, payload)
      } catch {
        // A failing listener (a closed socket) must not stop the others or the run.
      }
    }
  }

  const ctx: ServiceContext = { dataDir, host: options.host, store, library, folders, fork: options.fork, emit }
  const uploads = createUploads(ctx)
  const datasets = createDatasets(ctx, uploads)
  const runs = createRuns(ctx, datasets, options.runs)
  const exports = createExports(ctx)
  const imports = createImports(ctx, uploads, datasets)
  const insights = createInsights(ctx, datasets)
  const sweeps = createSweeps(ctx, datasets, runs, options.sweeps)
  const gradientCheck = createGradientCheck(ctx, datasets)

  const handlers: Handlers = {
    'app.info': async () => ({
      version: packageVersion(),
      host: options.host,
      data_dir: dataDir,
      backends: await probeBackends()
    }),
    ...datasets.handlers,
    ...uploads.handlers,
    'examples.list': async () => EXAMPLES,
    'models.list': async () => store.listModels(),
    'models.save': async ({ name, spec }) => {
      requireValidSpec(spec)
      return store.saveModel(name, spec)
    },
    ...runs.handlers,
    ...exports.handlers,
    ...imports.handlers,
    ...insights.handlers,
    ...sweeps.handlers,
    ...gradientCheck.handlers
  }
  // Queued runs of unfinished sweeps start again (never a run twice: see sweeps-service.ts).
  sweeps.start()

  return {
    handlers,
    dataDir,
    store,
    datasets: library,
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    waitForRun: (runId) => runs.waitFor(runId),
    importTorchJobFolder: (folder) => imports.importTorchJobFolder(folder),
    async close() {
      sweeps.close()
      await runs.stopAll()
      await uploads.close()
      store.close()
    }
  }
}
