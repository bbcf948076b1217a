// The learning-rate schedule as a callback (Keras's LearningRateScheduler, but per step, since
// time decay and exponential decay follow the optimizer's `iterations`): before each step it sets
// the rate of the pure schedule in ../learning-rate.ts. reduce_on_plateau is not a schedule of
// steps; the ReduceOnPlateau callback handles it.
import type { ScheduleConfig } from '../../../shared/training'
import { scheduledLearningRate } from '../learning-rate'
import type { TrainingCallback, TrainingContext } from './callback'

export class LearningRateSchedule implements TrainingCallback {
  constructor(
    private readonly schedule: Exclude<ScheduleConfig, { kind: 'reduce_on_plateau' }>,
    private readonly baseRate: number
  ) {}

  onBatchBegin(step: number, ctx: TrainingContext): void {
    // The schedule counts applied updates from 0: step n (1-based) runs after n - 1 of them.
    ctx.learningRate = scheduledLearningRate(this.schedule, this.baseRate, step - 1, ctx.epoch)
  }
}
