// The training loop's callback seam, after Keras's (keras/src/callbacks/callback.py):
// on_train_begin, on_epoch_begin, on_batch_begin, on_batch_end, on_epoch_end, on_train_end.
// One difference, and it is the reason we have our own loop: the device is never synced per
// batch. Losses stay on the device and are read together about every 100 ms, so `onBatchEnd`
// is delivered for each step in order, at the read that brought its loss back (a few ms to
// ~100 ms after the step ran), followed by one `onRead` for that read. `onBatchBegin`,
// `onBatchEnd` and `onRead` are synchronous (nothing may await per batch); the epoch and train
// hooks may return a promise, which the loop awaits.
import type { LayersModel } from '@tensorflow/tfjs'
import type { MetricValues, ProgressEvent } from '../../../shared/run'
import type { Tf } from '../backend'

export interface TrainingParams {
  runId: string
  /** Optimizer updates the budget allows. */
  totalSteps: number
  /** Steps per epoch (for a step budget: eval_every). */
  stepsPerEpoch: number
  /** Epochs (or evaluation rounds of a step budget) the budget allows. */
  totalEpochs: number
  /** Rows per batch (the last batch of an epoch may be smaller). */
  batchSize: number
  /** True for an epoch budget, false for a step budget with evaluation every eval_every steps. */
  byEpochs: boolean
  /** The optimizer's configured learning rate. */
  baseRate: number
  /** Whether epochs report val_* metrics. */
  hasValidation: boolean
}

/** One step's values, as read back from the device. */
export interface BatchLogs {
  /** The batch's mean loss (without weight penalties). */
  loss: number
  /** Sum of the model's outputs on the batch: non-finite as soon as any output is. */
  outputSum: number
}

/** One read of the device: after the `onBatchEnd` calls of the steps it brought back. */
export interface ReadLogs {
  /** Sum over every trainable weight after the last step read: non-finite as soon as any weight is. */
  weightsSum: number
}

/** What a callback sees of the run (Keras's `self.model` and `self.params`). */
export interface TrainingContext {
  readonly tf: Tf
  readonly model: LayersModel
  readonly params: TrainingParams
  readonly emit: (event: ProgressEvent) => void
  /** Optimizer updates applied so far. */
  readonly step: number
  /** The current epoch, 0-based. */
  readonly epoch: number
  /** The rate the next step uses; setting it updates the optimizer. */
  learningRate: number
  /** Set to end training after the current round of callbacks (Keras's `model.stop_training`). */
  stopTraining: boolean
  /** True once Stop was asked for from outside: the run is ending as `stopped`. */
  readonly stopRequested: boolean
  /** Milliseconds spent training so far, pauses excluded. */
  trainingMs(): number
  /** Ends the run as diverged or failed (the first call wins) and stops training. */
  end(status: 'diverged' | 'failed', error: string, divergedAtStep?: number): void
  /** True once `end` was called. */
  readonly ended: boolean
}

export interface TrainingCallback {
  onTrainBegin?(ctx: TrainingContext): void | Promise<void>
  /** `epoch` is 0-based. */
  onEpochBegin?(epoch: number, ctx: TrainingContext): void | Promise<void>
  /** Before step `step` (1-based: the step-th optimizer update) runs. Synchronous. */
  onBatchBegin?(step: number, ctx: TrainingContext): void
  /** Step `step`'s values, delivered at the read that brought them back, in step order. Synchronous. */
  onBatchEnd?(step: number, logs: BatchLogs, ctx: TrainingContext): void
  /** After the `onBatchEnd` calls of one read. Synchronous. */
  onRead?(logs: ReadLogs, ctx: TrainingContext): void
  /** `epoch` is 0-based; `metrics` are the epoch's train and val_* metrics and `lr`. */
  onEpochEnd?(epoch: number, metrics: MetricValues, ctx: TrainingContext): void | Promise<void>
  /** After the last step, with the model holding the last weights. */
  onTrainEnd?(ctx: TrainingContext): void | Promise<void>
}

/** The message a run fails with when an epoch lacks a monitored metric (never a silent switch). */
export function missingMonitorMessage(name: string, epoch: number, metrics: MetricValues): string {
  return `The monitored metric "${name}" is missing from epoch ${epoch + 1}, which reported ${Object.keys(metrics).join(', ')}; the run cannot go on without it.`
}
