// The learning-rate finder (issue 12 §4; Leslie Smith's range test, as fastai's lr_find runs it):
// a short run from the model's initial weights with the run's own optimizer, loss and batches,
// raising the learning rate exponentially from `start` to `end` over `steps` optimizer updates,
// recording the loss of every step and its exponentially smoothed value (bias-corrected). The
// smoothing's time constant is half a decade of rates (β = 0.92 for 200 steps over 8 decades):
// fastai's fixed β = 0.98 averages over ~50 steps, two decades here, and the lagging curve then
// puts its minimum (and the suggestion) where the raw loss is already climbing.
// It stops once the smoothed loss exceeds 4× its minimum (or turns non-finite): past there the
// rate only blows the model up. It runs through the training loop itself (a step budget, a
// callback that sets the rate before each step), so the steps are exactly training steps.
//
// The suggestion: the rate at the minimum of the smoothed loss divided by 10 (fastai's `lr_min`).
// At the minimum the loss has stopped falling, so that rate is already at the edge of instability;
// a tenth of it still falls fast and stays stable. We prefer it to the steepest descent of the
// curve (also reported) because a few hundred noisy steps make the slope's argmax jump between
// neighbouring points, while the minimum of the smoothed curve moves little.
import type { LayersModel } from '@tensorflow/tfjs'
import type { BackendInfo } from '../../shared/run'
import { trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import type { Tf } from './backend'
import type { BatchLogs, TrainingCallback, TrainingContext } from './callbacks/callback'
import { trainModel, type TrainingData } from './training-loop'

export interface LrFinderOptions {
  /** First rate (default 1e-7). */
  start?: number
  /** Last rate (default 10). */
  end?: number
  /** Optimizer updates from start to end (default 200). */
  steps?: number
  /** Stop once the smoothed loss exceeds this multiple of its minimum (default 4). */
  stopFactor?: number
  /** Smoothing of the loss (default: a time constant of half a decade of rates, see {@link smoothingBeta}). */
  beta?: number
}

export interface LrFinderPoint {
  step: number
  lr: number
  loss: number
  smoothed: number
}

export interface LrSuggestion {
  /** The suggested rate: the rate at the smoothed loss's minimum / 10. */
  lr: number
  rule: 'min_over_10'
  /** The rate at the smoothed loss's minimum. */
  min_lr: number
  min_loss: number
  /** The rate where the smoothed loss falls fastest against log(lr) (a second marker; see the header for why it is not the suggestion). */
  steepest_lr: number | null
}

export interface LrFinderResult {
  points: LrFinderPoint[]
  suggestion: LrSuggestion | null
  /** Why the run ended: 'diverged' (the smoothed loss passed stopFactor × its minimum, or a loss was not finite) or 'completed'. */
  stopped: 'diverged' | 'completed'
  start: number
  end: number
  steps: number
}

export const LR_FINDER_DEFAULTS = { start: 1e-7, end: 10, steps: 200, stopFactor: 4 } as const

/** β of the loss's moving average: a time constant of half a decade of rates (at least 2 steps). */
export function smoothingBeta(start: number, end: number, steps: number): number {
  const perDecade = steps / Math.max(1e-9, Math.log10(end / start))
  return 1 - 1 / Math.max(2, perDecade / 2)
}

/** The rate at step `i` (0-based) of `steps`: start · (end / start)^(i / (steps − 1)). */
export function finderRate(start: number, end: number, steps: number, i: number): number {
  return steps <= 1 ? start : start * Math.pow(end / start, i / (steps - 1))
}

/** Bias-corrected exponential moving average of `losses` (the first value is the first loss). */
export function smoothLosses(losses: number[], beta: number): number[] {
  let average = 0
  return losses.map((loss, i) => {
    average = beta * average + (1 - beta) * loss
    return average / (1 - Math.pow(beta, i + 1))
  })
}

/**
 * The suggestion for a curve: the rate at the smoothed minimum / 10, and the steepest descent
 * (most negative d smoothed / d log lr, central differences) before the minimum. The first and
 * last tenth of the points are ignored for the minimum's search only when the curve is long
 * enough (the smoothing's warm-up and the blow-up). Null with fewer than 5 points.
 */
export function suggestLearningRate(points: Array<Pick<LrFinderPoint, 'lr' | 'smoothed'>>): LrSuggestion | null {
  const finite = points.filter((point) => Number.isFinite(point.smoothed) && point.lr > 0)
  if (finite.length < 5) return null
  let minAt = 0
  for (let i = 1; i < finite.length; i++) if (finite[i].smoothed < finite[minAt].smoothed) minAt = i
  let steepest: number | null = null
  let slope = 0
  for (let i = 1; i < Math.min(minAt, finite.length - 1); i++) {
    const d = (finite[i + 1].smoothed - finite[i - 1].smoothed) / (Math.log(finite[i + 1].lr) - Math.log(finite[i - 1].lr))
    if (d < slope) {
      slope = d
      steepest = finite[i].lr
    }
  }
  return { lr: finite[minAt].lr / 10, rule: 'min_over_10', min_lr: finite[minAt].lr, min_loss: finite[minAt].smoothed, steepest_lr: steepest }
}

/** Sets each step's rate and records its loss; stops the loop when the smoothed loss blows up. */
class RangeTest implements TrainingCallback {
  readonly points: LrFinderPoint[] = []
  private readonly rates = new Map<number, number>()
  private average = 0
  private best = Infinity
  diverged = false

  constructor(
    private readonly options: Required<LrFinderOptions>,
    private readonly onPoint: (point: LrFinderPoint) => void
  ) {}

  onBatchBegin(step: number, ctx: TrainingContext): void {
    const rate = finderRate(this.options.start, this.options.end, this.options.steps, step - 1)
    this.rates.set(step, rate)
    ctx.learningRate = rate
  }

  onBatchEnd(step: number, logs: BatchLogs, ctx: TrainingContext): void {
    if (this.diverged) return
    const lr = this.rates.get(step) ?? Number.NaN
    this.rates.delete(step)
    if (!Number.isFinite(logs.loss)) {
      this.diverged = true
      ctx.stopTraining = true
      return
    }
    const { beta, stopFactor } = this.options
    this.average = beta * this.average + (1 - beta) * logs.loss
    const smoothed = this.average / (1 - Math.pow(beta, this.points.length + 1))
    const point = { step, lr, loss: logs.loss, smoothed }
    this.points.push(point)
    this.onPoint(point)
    if (smoothed < this.best) this.best = smoothed
    if (this.points.length > 1 && smoothed > stopFactor * this.best) {
      this.diverged = true
      ctx.stopTraining = true
    }
  }
}

export interface FindLearningRateArgs {
  tf: Tf
  /** The model with its initial weights (trained in place: pass a fresh one). */
  model: LayersModel
  config: TrainingConfig
  data: TrainingData
  backend: BackendInfo
  options?: LrFinderOptions
  /** Each recorded point, as it is read back (progress). */
  onPoint?: (point: LrFinderPoint, steps: number) => void
}

export async function findLearningRate(args: FindLearningRateArgs): Promise<LrFinderResult> {
  const chosen = { ...LR_FINDER_DEFAULTS, ...(args.options ?? {}) }
  const options: Required<LrFinderOptions> = { ...chosen, beta: chosen.beta ?? smoothingBeta(chosen.start, chosen.end, chosen.steps) }
  if (!(options.start > 0) || !(options.end > options.start)) throw new Error(`The learning-rate finder needs 0 < start < end; got start ${options.start}, end ${options.end}.`)
  // The run's optimizer, loss, batches and seed; a step budget with no validation, test, schedule or early stopping.
  const config = trainingConfigSchema.parse({
    ...args.config,
    budget: { kind: 'steps', steps: options.steps, eval_every: options.steps },
    validation: { kind: 'none' },
    evaluate_test: false,
    schedule: { kind: 'constant' },
    early_stopping: null,
    optimizer: { ...args.config.optimizer, learning_rate: options.start }
  })
  const test = new RangeTest(options, (point) => args.onPoint?.(point, options.steps))
  const outcome = await trainModel({
    tf: args.tf, model: args.model, config, data: { ...args.data, validation: null, test: null }, runId: 'lr-finder', backend: args.backend,
    emit: () => undefined, callbacks: [test], readEveryMs: 0
  })
  args.tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  const diverged = test.diverged || outcome.ended.status === 'diverged'
  return { points: test.points, suggestion: suggestLearningRate(test.points), stopped: diverged ? 'diverged' : 'completed', start: options.start, end: options.end, steps: options.steps }
}
