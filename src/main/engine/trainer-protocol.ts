// Messages between the parent (supervisor) and a trainer process. Plain JSON-able objects so
// they cross child_process IPC and Electron's utilityProcess alike.
import type { ModelSpec } from '../../shared/model-spec'
import type { ErrorCode, ErrorDetails } from '../../shared/errors'
import type { TrainingConfig } from '../../shared/training'
import type { ProgressEvent } from '../../shared/run'
import type { SplitName } from './run-analysis'
import type { ExportJob } from '../export/job'
import type { LrFinderJob } from './insights-jobs'

export interface TrainingJob {
  runId: string
  runDir: string
  dataDir: string
  datasetId: string
  spec: ModelSpec
  config: TrainingConfig
}

export interface EvaluateJob {
  runDir: string
  /** Which saved weights to load (default: best when kept, else last). */
  weights?: 'best' | 'last'
  dataDir: string
  datasetId: string
  spec: ModelSpec
  config: TrainingConfig
  split: SplitName
}

export interface PredictJob {
  runDir: string
  weights?: 'best' | 'last'
  spec: ModelSpec
  config: TrainingConfig
  inputs: number[][]
}

export interface WeightsJob {
  runDir: string
  weights?: 'best' | 'last'
}

/** Writes a spec that carries its weights (LayerSpec.weights) as a run's saved model folder: imported models become runs. */
export interface MaterialiseJob {
  spec: ModelSpec
  folder: string
  which: 'best' | 'last'
  epoch: number | null
}

/** The gradient check (gradient-check.ts) on a run's saved weights (runDir) or on the spec built untrained with config.seed (no runDir). */
export interface GradientCheckJob {
  runDir?: string
  weights?: 'best' | 'last'
  dataDir: string
  datasetId: string
  spec: ModelSpec
  config: TrainingConfig
  batchSize?: number
  samplesPerTensor?: number
  epsilon?: number
}

export type ToTrainer =
  | ({ type: 'start' } & TrainingJob)
  | { type: 'stop' }
  | { type: 'pause' }
  | { type: 'resume' }
  | ({ type: 'evaluate' } & EvaluateJob)
  | ({ type: 'predict' } & PredictJob)
  | ({ type: 'weights' } & WeightsJob)
  | ({ type: 'export' } & ExportJob)
  | ({ type: 'materialise' } & MaterialiseJob)
  | ({ type: 'lr_finder' } & LrFinderJob)
  | ({ type: 'gradient_check' } & GradientCheckJob)

export type FromTrainer = ProgressEvent | { type: 'result'; result: unknown } | { type: 'job_progress'; done: number; total: number } | {
      type: 'error'
      message: string
      /** The contract code when the failure is one raised on purpose ('bad_input': a layer an export format cannot hold; 'conflict': no saved model), with its reason and details. */
      code?: ErrorCode
      reason?: string
      details?: ErrorDetails
    }
