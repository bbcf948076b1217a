// Learning-rate schedules (pure) and the one place that knows how each tfjs optimizer
// stores its learning rate.
import { metricPrefersHigher, type ScheduleConfig } from '../../shared/training'

export { metricPrefersHigher }

/**
 * The learning rate for one optimizer step. `step` counts applied updates from 0 (Keras's
 * `iterations`), `epoch` counts finished epochs. reduce_on_plateau is stateful and handled by
 * {@link PlateauReducer}; here it keeps the rate it is given.
 */
export function scheduledLearningRate(schedule: ScheduleConfig, baseRate: number, step: number, epoch: number): number {
  switch (schedule.kind) {
    case 'constant':
    case 'reduce_on_plateau':
      return baseRate
    case 'time_decay':
      // Keras's legacy `decay` argument (seed 000): lr_n = lr_0 / (1 + decay * n).
      return baseRate / (1 + schedule.decay * step)
    case 'step_decay':
      return baseRate * Math.pow(schedule.drop, Math.floor(epoch / schedule.every_epochs))
    case 'exponential':
      return baseRate * Math.pow(schedule.decay_rate, step / schedule.decay_steps)
  }
}

/**
 * Keras's ReduceLROnPlateau (keras/src/callbacks/reduce_lr_on_plateau.py): an epoch improves when
 * the monitored value beats the best by more than `min_delta`; after `patience` epochs without
 * improvement (`wait >= patience`) the rate is multiplied by `factor` (not below `min_lr`, and only
 * while it is above `min_lr`), then `cooldown` epochs pass before epochs without improvement count
 * again. A NaN counts as no improvement, as in Keras. The direction is our `mode: 'auto'`
 * ({@link metricPrefersHigher}); the Keras script passes it explicitly so that both agree.
 */
export class PlateauReducer {
  private best: number
  private wait = 0
  private cooldownCounter = 0
  private readonly maximize: boolean

  constructor(
    private readonly config: Extract<ScheduleConfig, { kind: 'reduce_on_plateau' }>,
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


interface OptimizerWithRate {
  learningRate: number
  setLearningRate?: (rate: number) => void
}

/**
 * Set the learning rate of a tfjs optimizer in place. SGD and Momentum cache it as a scalar
 * tensor (`setLearningRate` rebuilds it); RMSProp, Adam, Adagrad, Adadelta and Adamax read the
 * `learningRate` number on every `applyGradients`.
 */
export function applyLearningRate(optimizer: unknown, rate: number): void {
  const target = optimizer as OptimizerWithRate
  if (target.learningRate === rate) return
  if (typeof target.setLearningRate === 'function') target.setLearningRate(rate)
  else target.learningRate = rate
}
