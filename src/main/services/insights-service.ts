// runs.distributions (the weights and activations a run recorded per epoch, with its dead-relu and
// saturated flags: the run folder's distributions.jsonl, written by the trainer, deleted with the
// folder) and runs.findLearningRate (the range test in a short-lived trainer process, from the
// spec's initial weights on the data set's training split; job.progress while it runs).
import { checkSpecLimits } from '../../shared/model-spec/limits'
import { readDistributions } from '../engine/insights-jobs'
import { findLearningRateJob } from '../engine/supervisor'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import { WorkbenchError, type Handlers } from './dispatcher'
import { requireInputFits, requireTrainableSpec } from './spec-checks'

export function createInsights(ctx: ServiceContext, datasets: Datasets): { handlers: Pick<Handlers, 'runs.distributions' | 'runs.findLearningRate'> } {
  const { store, folders, dataDir, emit } = ctx
  return {
    handlers: {
      'runs.distributions': async ({ run_id }) => {
        notFound(() => store.getRun(run_id))
        return readDistributions(folders.dir(run_id), run_id)
      },
      'runs.findLearningRate': async (request) => {
        const { spec, config } = request
        const checked = requireTrainableSpec(spec)
        const tooBig = checkSpecLimits(checked.summary, config.batch_size)
        if (tooBig) throw new WorkbenchError('bad_input', `the model is too big to train: ${tooBig}`, { reason: 'run.model_too_big', details: { problem: tooBig } })
        const start = request.start ?? 1e-7
        const end = request.end ?? 10
        if (!(end > start)) throw new WorkbenchError('bad_input', `the learning-rate finder needs a start rate below its end rate (got ${start} and ${end}); lower the start or raise the end`, { reason: 'lr.range', details: { start, end } })
        const descriptor = await datasets.get(request.dataset_id)
        requireInputFits(spec, descriptor)
        const job = request.job ?? `lr-finder:${spec.name}`
        const options = { start, end, ...(request.steps !== undefined ? { steps: request.steps } : {}) }
        try {
          return await findLearningRateJob({ dataDir, datasetId: descriptor.id, spec, config, options }, { fork: ctx.fork }, (done, total) => emit('job.progress', { job, label: `Learning-rate finder on ${spec.name}`, done, total }))
        } catch (error) {
          if (error instanceof WorkbenchError) throw error
          const message = error instanceof Error ? error.message : String(error)
          // A trainer that died is the workbench's failure (internal), not the request's.
          if (/^trainer process exited/.test(message)) throw error
          throw new WorkbenchError('bad_input', `the learning-rate finder could not run: ${message}`, { reason: 'lr.failed', details: { problem: message } })
        }
      }
    }
  }
}
