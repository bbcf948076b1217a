// The trainer-process side of distributions and the learning-rate finder: the Distributions
// callback a training run records with (one JSON line per record in the run folder's
// distributions.jsonl, appended as each epoch ends, so a crash keeps what was recorded and
// deleting the run folder deletes them), reading that file back, and the finder job.
import { existsSync } from 'node:fs'
import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { distributionEpochSchema, distributionFlags, PROBE_ROWS, type DistributionEpoch, type Distributions as DistributionsAnswer } from '../../shared/distributions'
import { trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import { loadSplit } from '../data'
import { selectBackend, specHasConvolution } from './backend'
import { trainingKernelNeeds } from './training-kernels'
import { Distributions, probeBatch } from './callbacks/distributions'
import type { SplitArrays } from './host-batches'
import { findLearningRate, type LrFinderOptions, type LrFinderResult } from './lr-finder'
import { buildModel } from './model-builder'
import { layerNames, type ModelSpec } from '../../shared/model-spec'

export const DISTRIBUTIONS_FILE = 'distributions.jsonl'

/** The callback of a training run: PROBE_ROWS seeded rows of the training split, each record appended to runDir/distributions.jsonl, layers in the spec's order. */
export function distributionsRecorder(runDir: string, train: SplitArrays, config: TrainingConfig, spec?: ModelSpec): Distributions {
  const file = join(runDir, DISTRIBUTIONS_FILE)
  return new Distributions({
    probe: probeBatch(train, PROBE_ROWS, config.seed),
    record: (record) => appendFile(file, JSON.stringify(record) + '\n'),
    // Records list the layers as the spec does (a graph's tfjs order may differ).
    ...(spec ? { layerOrder: layerNames(spec.layers) } : {})
  })
}

/** What runs.distributions answers for a run folder: every complete record (a torn last line is skipped) and the flags. */
export async function readDistributions(runDir: string, runId: string): Promise<DistributionsAnswer> {
  const file = join(runDir, DISTRIBUTIONS_FILE)
  const epochs: DistributionEpoch[] = []
  if (existsSync(file)) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (!line.trim()) continue
      try {
        const parsed = distributionEpochSchema.safeParse(JSON.parse(line))
        if (parsed.success) epochs.push(parsed.data)
      } catch {
        // A line cut short by a crash mid-write: the records before it stand.
      }
    }
  }
  const probeRows = epochs[0]?.layers.find((layer) => layer.activations)?.activations?.count ?? 0
  const units = epochs[0]?.layers.find((layer) => layer.activations)?.units ?? 1
  return { run_id: runId, probe_rows: units > 0 ? probeRows / units : 0, epochs, flags: distributionFlags(epochs) }
}

export interface LrFinderJob {
  dataDir: string
  datasetId: string
  spec: ModelSpec
  config: TrainingConfig
  options?: LrFinderOptions
}

/** The finder in a short-lived trainer: the spec built with the config's seed (its initial weights), the data set's training split; progress at most every 100 ms. */
export async function lrFinderJob(job: LrFinderJob, progress: (done: number, total: number) => void): Promise<LrFinderResult> {
  const config = trainingConfigSchema.parse(job.config)
  const { tf, info } = await selectBackend(config.backend, { convolution: specHasConvolution(job.spec.layers), threads: config.threads, kernels: trainingKernelNeeds(job.spec.layers) })
  const train = await loadSplit(job.dataDir, job.datasetId, 'train')
  const model = buildModel(tf, job.spec, { seed: config.seed })
  let last = 0
  try {
    return await findLearningRate({
      tf, model, config, backend: info, options: job.options,
      data: { train, task: train.task, numClasses: train.numClasses, targetSize: train.targetSize },
      onPoint: (point, steps) => {
        const now = Date.now()
        if (now - last >= 100) {
          last = now
          progress(point.step, steps)
        }
      }
    })
  } finally {
    model.dispose()
  }
}
