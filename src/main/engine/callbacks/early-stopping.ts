// Early stopping and the best epoch, as Keras's EarlyStopping (keras/src/callbacks/early_stopping.py).
//
// EarlyStopper is the bookkeeping without the model: every epoch counts towards `wait`; an
// improvement (beating the best by more than min_delta) records the epoch as the best and resets
// `wait` (only when it also beats `baseline`, if one is given); training stops once
// `wait >= patience`, never after the first epoch. A NaN is never an improvement.
//
// The EarlyStopping callback runs in every run, with early stopping configured or not: it keeps
// the best epoch's metrics and weights (of the monitor, val_loss, or loss without validation),
// which the trainer saves as best/. With early stopping it also ends training and, with
// restore_best_weights, puts the best weights back at the end of a run that trained (finished
// or stopped; not a diverged or failed one).
import type { Tensor } from '@tensorflow/tfjs'
import type { MetricValues } from '../../../shared/run'
import { canonicalMetricName, metricPrefersHigher, type EarlyStoppingConfig } from '../../../shared/training'
import { missingMonitorMessage, type TrainingCallback, type TrainingContext } from './callback'

export interface EarlyStopperOptions {
  /** Epochs without improvement before stopping (Infinity: only track the best epoch). */
  patience: number
  min_delta: number
  mode: 'min' | 'max'
  /** Keras's baseline: wait is reset only by values that also beat it. */
  baseline?: number | null
}

export class EarlyStopper {
  wait = 0
  best: number
  /** 0-based index of the best epoch, null while none improved. */
  bestEpoch: number | null = null
  private readonly minDelta: number

  constructor(private readonly options: EarlyStopperOptions) {
    this.minDelta = Math.abs(options.min_delta)
    this.best = options.mode === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }

  private beats(value: number, reference: number): boolean {
    return this.options.mode === 'max' ? value - this.minDelta > reference : value + this.minDelta < reference
  }

  /** One epoch's monitored value (0-based epoch). `improved`: a new best; `stop`: patience is used up. */
  observe(epoch: number, value: number): { improved: boolean; stop: boolean } {
    this.wait++
    if (this.beats(value, this.best)) {
      this.best = value
      this.bestEpoch = epoch
      const baseline = this.options.baseline
      if (baseline === undefined || baseline === null || this.beats(value, baseline)) this.wait = 0
      return { improved: true, stop: false }
    }
    return { improved: false, stop: this.wait >= this.options.patience && epoch > 0 }
  }
}

export class EarlyStopping implements TrainingCallback {
  /** The monitored metric, in our names (val_accuracy → val_acc). */
  readonly monitor: string
  readonly stopper: EarlyStopper
  /** The best epoch's metrics ({} while none improved). */
  bestMetrics: MetricValues = {}
  /** The best epoch's weights (kept tensors, the caller's to dispose), null while none improved. */
  bestWeights: Tensor[] | null = null

  /** `config` null: no early stopping, only the best epoch of val_loss (loss without validation). */
  constructor(private readonly config: (EarlyStoppingConfig & { baseline?: number | null }) | null, hasValidation: boolean) {
    this.monitor = canonicalMetricName(config?.monitor ?? (hasValidation ? 'val_loss' : 'loss'))
    this.stopper = new EarlyStopper({
      patience: config ? config.patience : Number.POSITIVE_INFINITY,
      min_delta: config?.min_delta ?? 0,
      mode: config && config.mode !== 'auto' ? config.mode : metricPrefersHigher(this.monitor) ? 'max' : 'min',
      baseline: config?.baseline
    })
  }

  /** The best epoch, 1-based, or null. */
  get bestEpoch(): number | null {
    return this.stopper.bestEpoch === null ? null : this.stopper.bestEpoch + 1
  }

  onEpochEnd(epoch: number, metrics: MetricValues, ctx: TrainingContext): void {
    const value = metrics[this.monitor]
    if (value === undefined) return ctx.end('failed', missingMonitorMessage(this.monitor, epoch, metrics))
    const { improved, stop } = this.stopper.observe(epoch, value)
    if (improved) {
      this.bestMetrics = metrics
      if (this.bestWeights) ctx.tf.dispose(this.bestWeights)
      this.bestWeights = ctx.model.getWeights().map((weight) => ctx.tf.keep(ctx.tf.clone(weight)))
    }
    if (this.config && stop) {
      const best = this.stopper.bestEpoch === null ? 'no epoch improved' : `best ${this.stopper.best} at epoch ${this.stopper.bestEpoch + 1}`
      ctx.emit({ type: 'status', run_id: ctx.params.runId, status: 'running', message: `Early stopping after epoch ${epoch + 1}: ${this.monitor} has not improved for ${this.stopper.wait} epochs (${best}).` })
      ctx.stopTraining = true
    }
  }

  onTrainEnd(ctx: TrainingContext): void {
    if (this.config?.restore_best_weights && this.bestWeights && !ctx.ended) ctx.model.setWeights(this.bestWeights)
  }
}
