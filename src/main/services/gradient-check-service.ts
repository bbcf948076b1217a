// runs.gradientCheck: the gradient check (engine/gradient-check.ts) in a short-lived trainer
// process, on a run's chosen weights (its loss and seed) or on an untrained spec built with a
// seed on a data set (the Designer's model before training). Progress goes out as job.progress.
import { inferShapes } from '../../shared/model-spec'
import { lossForTask, trainingConfigSchema } from '../../shared/training'
import { gradientCheckRun } from '../engine/supervisor'
import { planMetrics } from '../engine/metric-plan'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import type { Handlers } from './dispatcher'
import { chooseWeights } from './weights-choice'
import { requireInputFits, requireTrainableSpec } from './spec-checks'

export function createGradientCheck(ctx: ServiceContext, datasets: Datasets): { handlers: Pick<Handlers, 'runs.gradientCheck'> } {
  const { store, folders, dataDir, emit } = ctx
  return {
    handlers: {
      'runs.gradientCheck': async (request) => {
        const options = { batchSize: request.batch_size, samplesPerTensor: request.samples_per_tensor, epsilon: request.epsilon }
        if (request.run_id !== undefined) {
          const run = notFound(() => store.getRun(request.run_id!))
          const chosen = chooseWeights(run, folders, request.weights)
          const job = request.job ?? `gradcheck:${run.id}`
          const result = await gradientCheckRun(
            { runDir: folders.dir(run.id), weights: chosen.which, dataDir, datasetId: run.dataset_id, spec: run.spec, config: run.config, ...options },
            { fork: ctx.fork },
            (done, total) => emit('job.progress', { job, label: `Gradient check of ${run.name}`, done, total })
          )
          return { ...result, source: { kind: 'run' as const, run_id: run.id, which: chosen.which, epoch: chosen.epoch } }
        }
        const spec = request.spec!
        requireTrainableSpec(spec)
        const descriptor = await datasets.get(request.dataset_id!)
        requireInputFits(spec, descriptor)
        const loss = request.loss ?? lossForTask(descriptor.task).loss
        // The model's output layer's shape (a graph's output need not be listed last).
        const outputShape = inferShapes(spec).output_shape
        // A loss that does not fit the data set or the output layer is refused here (run.bad_config), before a process starts.
        planMetrics({ loss, metrics: [], outputUnits: outputShape.at(-1) ?? 1, task: descriptor.task, numClasses: descriptor.classes.length, targetSize: descriptor.target_size })
        const config = trainingConfigSchema.parse({ loss, ...(request.seed !== undefined ? { seed: request.seed } : {}) })
        const job = request.job ?? `gradcheck:${spec.name}`
        const result = await gradientCheckRun(
          { dataDir, datasetId: descriptor.id, spec, config, ...options },
          { fork: ctx.fork },
          (done, total) => emit('job.progress', { job, label: `Gradient check of ${spec.name}`, done, total })
        )
        return { ...result, source: { kind: 'untrained' as const, model_name: spec.name, dataset_id: descriptor.id } }
      }
    }
  }
}
