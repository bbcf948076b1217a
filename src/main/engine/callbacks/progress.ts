// Progress events (Keras's ProgbarLogger, as events for the app): `started` and `running` when
// training begins, a `batch` event at most every `everyMs` (the epoch's running mean loss, the
// true loss of every step read since the last event, the rate, samples/s and the ETA over
// training time, pauses excluded), and an `epoch` event with the epoch's metrics. The steps not
// sent yet go out in one more batch event before each epoch event and when training ends, so the
// last batch event names the last step trained. Pause and resume are the loop's (it emits their
// status events).
import type { BackendInfo, MetricValues } from '../../../shared/run'
import type { BatchLogs, TrainingCallback, TrainingContext } from './callback'

export interface ProgressOptions {
  backend: BackendInfo
  versions?: Record<string, string>
  /** Minimum spacing of batch events (ms): at most ~10 per second by default. */
  everyMs?: number
  /** The clock (ms); tests pass their own. */
  now?: () => number
}

export class Progress implements TrainingCallback {
  private readonly everyMs: number
  private readonly now: () => number
  private lastEmitted = 0
  private lossSum = 0
  private lossSamples = 0
  /** The true loss of each step read since the last batch event. */
  private stepLosses: number[] = []
  /** The step of the last loss in stepLosses (behind ctx.step when a divergence ended the read early). */
  private lastStep = 0

  constructor(private readonly options: ProgressOptions) {
    this.everyMs = options.everyMs ?? 100
    this.now = options.now ?? (() => performance.now())
  }

  onTrainBegin(ctx: TrainingContext): void {
    const { runId, totalSteps, stepsPerEpoch, totalEpochs, byEpochs } = ctx.params
    ctx.emit({ type: 'started', run_id: runId, backend: this.options.backend, total_steps: totalSteps, steps_per_epoch: stepsPerEpoch, epochs: byEpochs ? totalEpochs : null, versions: this.options.versions ?? {} })
    ctx.emit({ type: 'status', run_id: runId, status: 'running' })
  }

  onEpochBegin(): void {
    this.lossSum = 0
    this.lossSamples = 0
  }

  onBatchEnd(step: number, logs: BatchLogs, ctx: TrainingContext): void {
    // Running mean over the epoch so far (batches of the epoch are full except maybe the last).
    this.lossSum += logs.loss * ctx.params.batchSize
    this.lossSamples += ctx.params.batchSize
    this.stepLosses.push(logs.loss)
    this.lastStep = step
  }

  onRead(_logs: unknown, ctx: TrainingContext): void {
    const now = this.now()
    if (now - this.lastEmitted < this.everyMs) return
    this.emitBatch(ctx, now)
  }

  private emitBatch(ctx: TrainingContext, now: number): void {
    this.lastEmitted = now
    const { runId, totalSteps, batchSize } = ctx.params
    const step = this.stepLosses.length ? this.lastStep : ctx.step
    const stepsPerS = step / Math.max(ctx.trainingMs() / 1000, 1e-9)
    ctx.emit({
      type: 'batch', run_id: runId, step, epoch: ctx.epoch + 1,
      metrics: { loss: this.lossSum / Math.max(this.lossSamples, 1), lr: ctx.learningRate },
      samples_per_s: stepsPerS * batchSize,
      eta_s: stepsPerS > 0 ? (totalSteps - step) / stepsPerS : null,
      progress: step / totalSteps,
      step_losses: this.stepLosses
    })
    this.stepLosses = []
  }

  /** Sends the steps read but not sent yet (at an epoch's end and when training ends). */
  private flush(ctx: TrainingContext): void {
    if (this.stepLosses.length > 0) this.emitBatch(ctx, this.now())
  }

  onTrainEnd(ctx: TrainingContext): void {
    this.flush(ctx)
  }

  onEpochEnd(epoch: number, metrics: MetricValues, ctx: TrainingContext): void {
    this.flush(ctx)
    ctx.emit({ type: 'epoch', run_id: ctx.params.runId, step: ctx.step, epoch: epoch + 1, metrics })
  }
}
