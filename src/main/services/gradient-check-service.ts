// runs.gradientCheck: the gradient check (engine/gradient-check.ts) in a short-lived trainer
// process, on a run's chosen weights (its loss and seed) or on an untrained spec built with a
// seed on a data set (the Designer's model before training). Progress goes out as job.progress.
import { inferShapes, specErrorsDetails, validateSpec } from '../../shared/model-spec'
import { lossForTask, trainingConfigSchema } from '../../shared/training'
import { gradientCheckRun } from '../engine/supervisor'
import { planMetrics } from '../engine/metric-plan'
import { notFound, type ServiceContext } from './context'
import type { Datasets } from './datasets-service'
import { WorkbenchError, type Handlers } from './dispatcher'
import { chooseWeights } from './weights-choice'

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
        const checked = validateSpec(spec)
        if (!checked.ok) throw new WorkbenchError('bad_input', `the model is not valid: ${checked.errors.map((e) => e.message).join('; ')}`, { reason: 'spec.invalid', details: specErrorsDetails(checked.errors) })
        const descriptor = await datasets.get(request.dataset_id!)
        const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1)
        if (size(descriptor.feature_shape) !== size(spec.input_shape)) {
          throw new WorkbenchError('bad_input', `the model expects inputs of shape (${spec.input_shape.join(', ')}) but data set "${descriptor.name}" has samples of shape (${descriptor.feature_shape.join(', ')}); set the model's input shape to match`, { reason: 'run.input_shape_mismatch', details: { model_shape: spec.input_shape.join(', '), data_shape: descriptor.feature_shape.join(', '), dataset: descriptor.name } })
        }
        const loss = request.loss ?? lossForTask(descriptor.task).loss
        const shapes = inferShapes(spec)
        const outputShape = shapes.layers.at(-1)?.output_shape ?? spec.input_shape
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
