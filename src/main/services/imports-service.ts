// Models and runs coming in from files: a model file opens as a spec whose layers carry their
// weights (Designer "Open file…", CLI import-model), and with a data set becomes a finished run
// to evaluate and predict with; a PyTorch job folder that ran elsewhere comes back as a run with
// its metrics and weights (CLI `runs import`), beside the local runs in Runs and Compare.
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { RunStatus } from '../../shared/run'
import type { ModelSpec } from '../../shared/model-spec'
import { lossForTask, trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import { materialiseModel } from '../engine/supervisor'
import { importModelBytes, specWithWeights } from '../export/import'
import { importTorchJob } from '../export/import/torch-job-import'
import { specWithWeights as specWithFloatWeights } from '../export/import/torch-job-import'
import { END_STATUSES, type EndStatus } from '../store'
import type { ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import { WorkbenchError, type Handlers } from './dispatcher'
import type { Uploads } from './uploads'
import { packageVersion } from './versions'

export interface Imports {
  handlers: Pick<Handlers, 'models.import'>
  /** Brings back a PyTorch training job folder (exported with --format torch-job, run with torchrun) as a run. CLI only: the path is the user's own. */
  importTorchJobFolder(folder: string): Promise<{ run_id: string; status: RunStatus; metrics: number }>
}

export function createImports(ctx: ServiceContext, uploads: Uploads, datasets: Datasets): Imports {
  const { store, folders, emit } = ctx

  /** A run that did not train here: recorded, ended as `status`, with its weights written as model folders. */
  async function recordRun(input: {
    name: string
    spec: ModelSpec
    config: TrainingConfig
    datasetId: string
    status: EndStatus
    backend: string
    weights: Array<{ which: 'best' | 'last'; spec: ModelSpec; epoch: number | null }>
    final_metrics?: Record<string, number>
    best_metrics?: Record<string, number>
    best_epoch?: number | null
    error?: string | null
    tags: string[]
    notes: string
  }): Promise<string> {
    const descriptor = await datasets.get(input.datasetId)
    const run = store.createRun({ name: input.name, model_name: input.spec.name, dataset: descriptor, spec: input.spec, config: input.config })
    try {
      for (const w of input.weights) await materialiseModel({ spec: w.spec, folder: join(folders.dir(run.id), w.which), which: w.which, epoch: w.epoch }, { fork: ctx.fork })
      store.markRunning(run.id, { backend_info: { name: 'cpu', skipped: [], forced: true }, versions: { 'model-workbench': packageVersion(), imported: input.backend } })
      store.finishRun(run.id, { status: input.status, final_metrics: input.final_metrics ?? {}, best_metrics: input.best_metrics ?? {}, best_epoch: input.best_epoch ?? null, error: input.error ?? null, diverged_at_step: null })
      store.updateRun(run.id, { tags: input.tags, notes: input.notes })
    } catch (error) {
      if ((END_STATUSES as readonly string[]).includes(store.getRun(run.id).status)) throw error
      store.finishRun(run.id, { status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: `import failed: ${(error as Error).message}`, diverged_at_step: null })
      throw error
    }
    emit('runs.changed', { run_id: run.id })
    return run.id
  }

  return {
    handlers: {
      'models.import': async ({ file, name, dataset_id }) => {
        const path = uploads.path(file)
        const fileName = uploads.name(file) ?? basename(path)
        const imported = await uploads.holding([file], async () => importModelBytes(fileName, new Uint8Array(await readFile(uploads.path(file)))))
        const spec: ModelSpec = { ...specWithWeights(imported), name: name?.trim() || imported.spec.name }
        let runId: string | null = null
        if (dataset_id) {
          if (!imported.weights) throw new WorkbenchError('bad_input', `${fileName} holds no weights (architecture only); train it in the Train view instead of evaluating it`, { reason: 'model_file.no_weights', details: { file: fileName } })
          const descriptor = await datasets.get(dataset_id)
          const features = descriptor.feature_shape.reduce((a, b) => a * b, 1)
          if (spec.input_shape.reduce((a, b) => a * b, 1) !== features) {
            throw new WorkbenchError('bad_input', `${fileName} takes inputs of shape (${spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')})`, { reason: 'model_file.input_shape_mismatch', details: { file: fileName, model_shape: spec.input_shape.join(', '), data_shape: descriptor.feature_shape.join(', '), dataset: descriptor.name } })
          }
          const config = trainingConfigSchema.parse({ ...lossForTask(descriptor.task), budget: { kind: 'epochs', epochs: 1 }, validation: { kind: 'none' } })
          runId = await recordRun({
            name: `${spec.name} (imported from ${fileName})`,
            spec,
            config,
            datasetId: dataset_id,
            status: 'finished',
            backend: `${imported.source} file`,
            weights: [{ which: 'last', spec, epoch: null }],
            tags: ['imported'],
            notes: [`Imported from ${fileName} (${imported.source}${imported.keras_version ? `, Keras ${imported.keras_version}` : ''}).`, ...imported.notices].join('\n')
          })
        }
        await uploads.discard([file])
        return {
          source: imported.source,
          spec,
          weights_included: imported.weights !== null,
          notices: imported.notices,
          keras_version: imported.keras_version,
          preprocessing: (imported.preprocessing as unknown as Record<string, unknown> | undefined) ?? null,
          run_id: runId
        }
      }
    },

    async importTorchJobFolder(folder) {
      const job = await importTorchJob(folder)
      let datasetId: string | null = null
      try {
        datasetId = store.getRun(job.source_run_id).dataset_id
      } catch {
        datasetId = store.listDatasets().find((d) => d.fingerprint === job.dataset_fingerprint)?.id ?? null
      }
      if (!datasetId) throw new WorkbenchError('not_found', `the job was exported from run ${job.source_run_id} on data set "${job.dataset_name}", which this data folder does not have; import that data set first`, { reason: 'torch_job.dataset_missing', details: { source_run_id: job.source_run_id, dataset: job.dataset_name } })
      const status: EndStatus = (END_STATUSES as readonly string[]).includes(job.status) ? (job.status as EndStatus) : 'interrupted'
      const lastEpoch = job.epochs || null
      const weights: Array<{ which: 'best' | 'last'; spec: ModelSpec; epoch: number | null }> = [{ which: 'last', spec: specWithFloatWeights(job.spec, job.weights), epoch: lastEpoch }]
      if (job.best_weights) weights.push({ which: 'best', spec: specWithFloatWeights(job.spec, job.best_weights), epoch: job.best_epoch })
      const runId = await recordRun({
        name: `${job.source_run_name} (torch, ${job.world_size} process${job.world_size === 1 ? '' : 'es'})`,
        spec: job.spec,
        config: job.config,
        datasetId,
        status,
        backend: job.backend,
        weights,
        final_metrics: job.final_metrics,
        best_metrics: job.best_metrics,
        best_epoch: job.best_epoch,
        error: job.error,
        tags: ['imported', 'torch-job'],
        notes: `Trained by a PyTorch job exported from run ${job.source_run_id}: ${job.backend}; started from the ${job.initial_weights === 'run' ? "run's own initial" : 'exported'} weights.`
      })
      const writer = store.metricWriter(runId)
      writer.append(job.metrics)
      writer.flush()
      writer.close()
      emit('runs.changed', { run_id: runId })
      return { run_id: runId, status, metrics: job.metrics.length }
    }
  }
}
