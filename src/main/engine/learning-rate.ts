// Learning-rate schedules (pure) and the one place that knows how each tfjs optimizer
// stores its learning rate.
import { metricPrefersHigher, type ScheduleConfig } from '../../shared/training'

export { metricPrefersHigher }

/**
 * The learning rate for one optimizer step. `step` counts applied updates from 0 (Keras's
 * `iterations`), `epoch` counts finished epochs. reduce_on_plateau is stateful and handled by
 * the ReduceOnPlateau callback (callbacks/reduce-on-plateau.ts); here it keeps the rate it is given.
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
