// Keras's ReduceLROnPlateau (keras/src/callbacks/reduce_lr_on_plateau.py).
//
// PlateauReducer is the bookkeeping: an epoch improves when the monitored value beats the best by
// more than `min_delta`; after `patience` epochs without improvement (`wait >= patience`) the rate
// is multiplied by `factor` (not below `min_lr`, and only while it is above `min_lr`), then
// `cooldown` epochs pass before epochs without improvement count again. A NaN counts as no
// improvement, as in Keras. The direction is our `mode: 'auto'` ({@link metricPrefersHigher});
// the Keras script passes it explicitly so that both agree.
//
// The ReduceOnPlateau callback feeds it each epoch's value and sets the optimizer's rate at the
// epoch's end, as Keras does: the next epoch's steps use the reduced rate, and the epoch's own
// `lr` stays the rate its steps used.
import type { MetricValues } from '../../../shared/run'
import { canonicalMetricName, metricPrefersHigher, type ScheduleConfig } from '../../../shared/training'
import { missingMonitorMessage, type TrainingCallback, type TrainingContext } from './callback'

export type PlateauConfig = Extract<ScheduleConfig, { kind: 'reduce_on_plateau' }>

export class PlateauReducer {
  private best: number
  private wait = 0
  private cooldownCounter = 0
  private readonly maximize: boolean

  constructor(
    private readonly config: PlateauConfig,
    private rate: number
  ) {
    this.maximize = metricPrefersHigher(config.monitor)
    this.best = this.maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }

  get learningRate(): number {
    return this.rate
  }

  /** Feed one epoch's value of the monitored metric (undefined: not reported, skipped with no effect); returns the (possibly reduced) rate. */
  observe(value: number | undefined): number {
    if (value === undefined) return this.rate
    const inCooldown = (): boolean => this.cooldownCounter > 0
    if (inCooldown()) {
      this.cooldownCounter--
      this.wait = 0
    }
    const improved = this.maximize ? value > this.best + this.config.min_delta : value < this.best - this.config.min_delta
    if (improved) {
      this.best = value
      this.wait = 0
    } else if (!inCooldown()) {
      this.wait++
      if (this.wait >= this.config.patience && this.rate > Math.fround(this.config.min_lr)) {
        this.rate = Math.max(this.config.min_lr, this.rate * this.config.factor)
        this.cooldownCounter = this.config.cooldown
        this.wait = 0
      }
    }
    return this.rate
  }
}

export class ReduceOnPlateau implements TrainingCallback {
  readonly monitor: string
  private readonly reducer: PlateauReducer

  constructor(config: PlateauConfig, baseRate: number) {
    this.monitor = canonicalMetricName(config.monitor)
    this.reducer = new PlateauReducer(config, baseRate)
  }

  get learningRate(): number {
    return this.reducer.learningRate
  }

  onTrainBegin(ctx: TrainingContext): void {
    ctx.learningRate = this.reducer.learningRate
  }

  onEpochEnd(epoch: number, metrics: MetricValues, ctx: TrainingContext): void {
    const value = metrics[this.monitor]
    if (value === undefined) return ctx.end('failed', missingMonitorMessage(this.monitor, epoch, metrics))
    ctx.learningRate = this.reducer.observe(value)
  }
}
