// Keras's EarlyStopping bookkeeping (keras/src/callbacks/early_stopping.py), without the model:
// every epoch counts towards `wait`; an improvement (beating the best by more than min_delta)
// records the epoch as the best and resets `wait` (only when it also beats `baseline`, if one is
// given); training stops once `wait >= patience`, never after the first epoch. A NaN is never an
// improvement. The training loop uses it for the best epoch even without early stopping.

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
