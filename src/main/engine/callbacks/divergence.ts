// Divergence: a run whose loss, outputs or weights become NaN or infinite ends as `diverged`,
// with the step. It never costs a device sync of its own: the loop's ~100 ms read brings back,
// with each step's loss, the sum of the step's outputs (non-finite once any output is) and one
// sum over every trainable weight (non-finite once any weight is).
//
// The outputs catch what a clipped loss hides (a cross-entropy stays finite while the weights
// are NaN); the weights catch the last steps of a read, whose NaN outputs would only show at
// the next step.
import type { BatchLogs, ReadLogs, TrainingCallback, TrainingContext } from './callback'

const describe = (value: number): string => (Number.isNaN(value) ? 'NaN' : 'infinite')

export class Divergence implements TrainingCallback {
  onBatchEnd(step: number, logs: BatchLogs, ctx: TrainingContext): void {
    const where = `at step ${step} (epoch ${ctx.epoch + 1})`
    if (!Number.isFinite(logs.loss)) {
      ctx.end('diverged', `The loss became ${describe(logs.loss)} ${where}; lower the learning rate, scale the inputs, or check the data for invalid values.`, step)
    } else if (!Number.isFinite(logs.outputSum)) {
      ctx.end('diverged', `The model's outputs became ${describe(logs.outputSum)} ${where} although the loss looked finite; lower the learning rate or scale the inputs.`, step)
    }
  }

  onRead(logs: ReadLogs, ctx: TrainingContext): void {
    if (Number.isFinite(logs.weightsSum)) return
    ctx.end('diverged', `The weights became ${describe(logs.weightsSum)} by step ${ctx.step} (epoch ${ctx.epoch + 1}; the outputs of every step before were finite); lower the learning rate.`, ctx.step)
  }
}
