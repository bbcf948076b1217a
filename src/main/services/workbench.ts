// The back end behind the contract: data sets, models, runs and their trainers, wired to the
// run store. Both hosts and the command line drive the workbench through this one service;
// the main side is the single writer of the database.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { EventName, EventPayload, Example } from '../../shared/contract'
import type { DatasetDescriptor } from '../../shared/dataset'
import { EXAMPLES } from '../../shared/examples'
import type { MetricPoint, ProgressEvent } from '../../shared/run'
import { validateSpec, type ModelSpec } from '../../shared/spec'
import type { TrainingConfig } from '../../shared/training'
import { DatasetLibrary } from '../data'
import { probeBackends } from '../engine/backend'
import { evaluateRun, predictRun, readRunWeights, startTraining, type ForkTrainer, type TrainingHandle } from '../engine/supervisor'
import { END_STATUSES, WorkbenchStore, type EndStatus, type MetricWriter } from '../store'
import { exportRun, weightsFolder } from './exports'
import { WorkbenchError, type Handlers } from './dispatcher'
import { packageVersion } from './versions'

export interface WorkbenchService {
  handlers: Handlers
  onEvent(listener: EventListener): () => void
  close(): Promise<void>
  readonly dataDir: string
  readonly store: WorkbenchStore
  readonly datasets: DatasetLibrary
  /** Waits for a run's trainer to end (resolves at once for a run that is not active). */
  waitForRun(runId: string): Promise<void>
}

type EventListener = (event: EventName, payload: unknown) => void

export interface OpenWorkbenchOptions {
  dataDir: string
  host: 'electron' | 'browser'
  fork?: ForkTrainer
}

interface ActiveRun {
  handle: TrainingHandle
  writer: MetricWriter
  ended: Promise<void>
}

/**
 * Metric names in the store: per-batch values are kept under `batch/<name>` (step-indexed),
 * per-epoch values under their Keras names (loss, acc, val_loss, lr, …) at the step the epoch
 * ended, so that charts can show both without guessing.
 */
export function progressToMetricPoints(event: ProgressEvent, now: number): MetricPoint[] {
  if (event.type === 'batch') {
    return Object.entries(event.metrics).map(([name, value]) => ({ step: event.step, epoch: event.epoch, name: `batch/${name}`, value, time: now }))
  }
  if (event.type === 'epoch') {
    return Object.entries(event.metrics).map(([name, value]) => ({ step: event.step, epoch: event.epoch, name, value, time: now }))
  }
  return []
}

const UPLOAD_ID = /^upload-[a-f0-9]{16}$/

export async function openWorkbench(options: OpenWorkbenchOptions): Promise<WorkbenchService> {
  const dataDir = options.dataDir
  await mkdir(join(dataDir, 'runs'), { recursive: true })
  await mkdir(join(dataDir, 'uploads'), { recursive: true })
  const store = WorkbenchStore.open(join(dataDir, 'workbench.db'))
  store.recoverInterrupted()
  const library = new DatasetLibrary(dataDir)
  // A crash in the middle of an import leaves a temp folder behind; nothing refers to it.
  await library.removeStaleTempDirs()
  const listeners = new Set<EventListener>()
  const active = new Map<string, ActiveRun>()
  const uploads = new Map<string, { path: string; size: number; expected: number; name: string }>()

  function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of listeners) {
      try {
        listener(event, payload)
      } catch {
        // A failing listener (a closed socket) must not stop the others or the run.
      }
    }
  }

  async function dataset(id: string): Promise<DatasetDescriptor> {
    const builtin = library.builtins().find((b) => b.id === id)
    try {
      const descriptor = builtin
        ? await library.ensureBuiltin(id, (done, total) => emit('job.progress', { job: `dataset:${id}`, label: `Preparing ${builtin.name}`, done, total }))
        : await library.get(id)
      store.registerDataset(descriptor)
      return descriptor
    } catch (error) {
      if (error instanceof Error && /not found|ENOENT/i.test(error.message)) throw new WorkbenchError('not_found', `data set "${id}" not found; import it first or pick one from the Data sets view`)
      throw error
    }
  }

  let builtinsReady: Promise<void> | null = null
  function ensureBuiltins(): Promise<void> {
    builtinsReady ??= (async () => {
      for (const builtin of library.builtins()) await dataset(builtin.id)
    })().catch((error) => {
      builtinsReady = null
      throw error
    })
    return builtinsReady
  }

  function uploadPath(file: string): string {
    const upload = uploads.get(file)
    if (!UPLOAD_ID.test(file) || !upload) throw new WorkbenchError('not_found', `upload "${file}" not found; upload the file again`)
    if (upload.size !== upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is incomplete (${upload.size} of ${upload.expected} bytes)`)
    return upload.path
  }

  /** The run's folder, refusing a run whose trainer has not saved a model yet. */
  function trainedRunDir(runId: string, name: string): string {
    const runDir = join(dataDir, 'runs', runId)
    if (!weightsFolder(runDir)) throw new WorkbenchError('conflict', `run "${name}" has no saved weights yet: weights are saved after the first epoch (or when a run ends); train it longer or re-run it`)
    return runDir
  }

  /** An imported file is not needed again: the data set holds its tensors. */
  async function discardUploads(files: (string | undefined)[]): Promise<void> {
    for (const file of files) {
      const upload = file ? uploads.get(file) : undefined
      if (!upload) continue
      uploads.delete(file!)
      await rm(join(upload.path, '..'), { recursive: true, force: true })
    }
  }

  function activeRun(runId: string): ActiveRun {
    const run = active.get(runId)
    if (!run) throw new WorkbenchError('conflict', `run ${runId} is not running`)
    return run
  }

  function launch(runId: string, spec: ModelSpec, config: TrainingConfig, datasetId: string): void {
    const runDir = join(dataDir, 'runs', runId)
    const handle = startTraining({ runId, runDir, dataDir, datasetId, spec, config }, { fork: options.fork })
    const writer = store.metricWriter(runId)
    handle.onEvent((event) => {
      const points = progressToMetricPoints(event, Date.now())
      if (points.length) writer.append(points)
      if (event.type === 'started') {
        store.markRunning(runId, { backend_info: event.backend, versions: { ...event.versions, 'model-workbench': packageVersion() } })
        emit('runs.changed', { run_id: runId })
      } else if (event.type === 'status') {
        store.setStatus(runId, event.status)
        emit('runs.changed', { run_id: runId })
      }
      if (event.type !== 'ended') emit('run.progress', event)
    })
    const ended = handle.done.then(
      (end) => {
        writer.flush()
        writer.close()
        const status = (END_STATUSES as readonly string[]).includes(end.status) ? (end.status as EndStatus) : 'failed'
        store.finishRun(runId, { ...end, status, error: status === end.status ? end.error : `trainer ended in state ${end.status}` })
        active.delete(runId)
        emit('run.progress', end)
        emit('runs.changed', { run_id: runId })
      },
      (error: unknown) => {
        writer.close()
        const message = error instanceof Error ? error.message : String(error)
        store.finishRun(runId, { status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: message, diverged_at_step: null })
        active.delete(runId)
        emit('runs.changed', { run_id: runId })
      }
    )
    active.set(runId, { handle, writer, ended })
  }

  async function startRun(request: { name?: string; spec: ModelSpec; config: TrainingConfig; dataset_id: string }): Promise<{ run_id: string }> {
    const checked = validateSpec(request.spec)
    if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`)
    const descriptor = await dataset(request.dataset_id)
    const wanted = descriptor.feature_shape.join('x')
    const got = request.spec.input_shape.join('x')
    if (wanted !== got && descriptor.feature_shape.reduce((a, b) => a * b, 1) !== request.spec.input_shape.reduce((a, b) => a * b, 1)) {
      throw new WorkbenchError('bad_input', `the model expects inputs of shape (${request.spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')}); set the model's input shape to match`)
    }
    const run = store.createRun({
      name: request.name?.trim() || `${request.spec.name} on ${descriptor.name}`,
      model_name: request.spec.name,
      dataset: descriptor,
      spec: request.spec,
      config: request.config
    })
    launch(run.id, request.spec, request.config, descriptor.id)
    emit('runs.changed', { run_id: run.id })
    return { run_id: run.id }
  }

  const handlers: Handlers = {
    'app.info': async () => ({
      version: packageVersion(),
      host: options.host,
      data_dir: dataDir,
      backends: await probeBackends()
    }),

    'datasets.list': async () => {
      await ensureBuiltins()
      return library.list()
    },
    'datasets.get': async ({ id }) => dataset(id),
    'datasets.samples': async ({ id, split, offset, count }) => {
      await dataset(id)
      return library.samples(id, split, offset, count)
    },
    'datasets.previewCsv': async ({ file, delimiter }) => library.previewCsv(uploadPath(file), { delimiter }),
    'datasets.importCsv': async ({ file, ...rest }) => {
      const upload = uploads.get(file)
      const descriptor = await library.importCsv({ ...rest, name: rest.name ?? upload?.name.replace(/\.[^.]+$/, ''), path: uploadPath(file) }, (done, total) =>
        emit('job.progress', { job: `import:${file}`, label: `Importing ${upload?.name ?? file}`, done, total })
      )
      store.registerDataset(descriptor)
      await discardUploads([file])
      emit('datasets.changed', { id: descriptor.id })
      return descriptor
    },
    'datasets.importIdx': async (request) => {
      const descriptor = await library.importIdx(
        {
          ...request,
          train_images: uploadPath(request.train_images),
          train_labels: uploadPath(request.train_labels),
          test_images: request.test_images ? uploadPath(request.test_images) : undefined,
          test_labels: request.test_labels ? uploadPath(request.test_labels) : undefined
        },
        (done, total) => emit('job.progress', { job: `import:${request.train_images}`, label: 'Importing IDX files', done, total })
      )
      store.registerDataset(descriptor)
      await discardUploads([request.train_images, request.train_labels, request.test_images, request.test_labels])
      emit('datasets.changed', { id: descriptor.id })
      return descriptor
    },
    'datasets.delete': async ({ id }) => {
      if (library.builtins().some((b) => b.id === id)) throw new WorkbenchError('conflict', `"${id}" is a built-in data set and cannot be deleted`)
      await library.delete(id)
      store.deleteDataset(id)
      emit('datasets.changed', { id })
      return { ok: true as const }
    },

    'uploads.begin': async ({ name, size }) => {
      const file = `upload-${randomBytes(8).toString('hex')}`
      const dir = join(dataDir, 'uploads', file)
      await mkdir(dir, { recursive: true })
      // Keep the user's file name (for messages) but never let it pick the path.
      const safeName = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 120) || 'upload'
      const path = join(dir, safeName)
      await (await open(path, 'w')).close()
      uploads.set(file, { path, size: 0, expected: size, name })
      return { file }
    },
    'uploads.chunk': async ({ file, offset, data_base64 }) => {
      const upload = uploads.get(file)
      if (!upload) throw new WorkbenchError('not_found', `upload "${file}" not found; start the upload again`)
      if (offset !== upload.size) throw new WorkbenchError('conflict', `upload "${upload.name}": chunk at byte ${offset} but ${upload.size} bytes received so far`)
      const bytes = Buffer.from(data_base64, 'base64')
      if (upload.size + bytes.length > upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is larger than the announced ${upload.expected} bytes`)
      const handle = await open(upload.path, 'a')
      try {
        await handle.write(bytes)
      } finally {
        await handle.close()
      }
      upload.size += bytes.length
      return { received: upload.size }
    },
    'uploads.finish': async ({ file }) => {
      uploadPath(file)
      const upload = uploads.get(file)!
      return { file, size: (await stat(upload.path)).size }
    },

    'examples.list': async () => EXAMPLES as Example[],
    'models.list': async () => store.listModels(),
    'models.save': async ({ name, spec }) => {
      const checked = validateSpec(spec)
      if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`)
      return store.saveModel(name, spec)
    },

    'runs.start': startRun,
    'runs.stop': async ({ run_id }) => {
      activeRun(run_id).handle.stop()
      return { ok: true as const }
    },
    'runs.pause': async ({ run_id }) => {
      activeRun(run_id).handle.pause()
      return { ok: true as const }
    },
    'runs.resume': async ({ run_id }) => {
      activeRun(run_id).handle.resume()
      return { ok: true as const }
    },
    'runs.list': async () => store.listRuns(),
    'runs.get': async ({ run_id }) => notFound(() => store.getRun(run_id)),
    'runs.series': async ({ run_id, max_points }) => {
      active.get(run_id)?.writer.flush()
      return notFound(() => store.series(run_id, max_points))
    },
    'runs.update': async ({ run_id, ...patch }) => {
      const updated = notFound(() => store.updateRun(run_id, patch))
      emit('runs.changed', { run_id })
      return updated
    },
    'runs.delete': async ({ run_id }) => {
      if (active.has(run_id)) throw new WorkbenchError('conflict', `run ${run_id} is still training; stop it before deleting it`)
      notFound(() => store.deleteRun(run_id))
      await rm(join(dataDir, 'runs', run_id), { recursive: true, force: true })
      emit('runs.changed', { run_id })
      return { ok: true as const }
    },
    'runs.evaluate': async ({ run_id, split }) => {
      const run = notFound(() => store.getRun(run_id))
      return evaluateRun({ runDir: trainedRunDir(run_id, run.name), dataDir, datasetId: run.dataset_id, spec: run.spec, config: run.config, split }, { fork: options.fork })
    },
    'runs.predict': async ({ run_id, inputs }) => {
      const run = notFound(() => store.getRun(run_id))
      return predictRun({ runDir: trainedRunDir(run_id, run.name), spec: run.spec, config: run.config, inputs }, { fork: options.fork })
    },
    'runs.weights': async ({ run_id }) => {
      const run = notFound(() => store.getRunSummary(run_id))
      return readRunWeights({ runDir: trainedRunDir(run_id, run.name) }, { fork: options.fork })
    },
    'runs.export': async ({ run_id, format }) => {
      const run = notFound(() => store.getRun(run_id))
      const file = await exportRun({ run, runDir: join(dataDir, 'runs', run_id), store, format })
      return { file_name: file.file_name, mime: file.mime, data_base64: file.data.toString('base64') }
    }
  }

  return {
    handlers,
    dataDir,
    store,
    datasets: library,
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async waitForRun(runId) {
      await active.get(runId)?.ended
    },
    async close() {
      for (const run of active.values()) run.handle.stop()
      await Promise.allSettled([...active.values()].map((run) => run.ended))
      for (const upload of uploads.values()) await rm(join(upload.path, '..'), { recursive: true, force: true })
      store.close()
    }
  }
}

function notFound<T>(action: () => T): T {
  try {
    return action()
  } catch (error) {
    if (error instanceof Error && /not found/i.test(error.message)) throw new WorkbenchError('not_found', error.message)
    throw error
  }
}

