// Checkpoints (Keras's BackupAndRestore in spirit): the current weights are saved after the
// first epoch and then at an epoch's end at most every `everyMs`, so that a run that crashes
// (or whose owner is killed) still leaves a model. The saving itself is the caller's (the
// trainer writes last/); an epoch that ends training (early stopping, Stop) is not saved here,
// because the trainer writes the last weights right after.
import type { TrainingCallback, TrainingContext } from './callback'

export interface CheckpointOptions {
  /** Saves the model's current weights; `epoch` is the 1-based epoch just finished. */
  save: (epoch: number) => Promise<void>
  everyMs?: number
  /** The clock (ms); tests pass their own. */
  now?: () => number
}

export class Checkpoint implements TrainingCallback {
  private readonly everyMs: number
  private readonly now: () => number
  private last = Number.NEGATIVE_INFINITY

  constructor(private readonly options: CheckpointOptions) {
    this.everyMs = options.everyMs ?? 5_000
    this.now = options.now ?? (() => performance.now())
  }

  async onEpochEnd(epoch: number, _metrics: unknown, ctx: TrainingContext): Promise<void> {
    if (ctx.stopTraining || ctx.stopRequested || ctx.ended) return
    if (this.now() - this.last < this.everyMs) return
    this.last = this.now()
    await this.options.save(epoch + 1)
  }
}
