// Monitors as Keras has them: EarlyStopping's wait/patience/min_delta/baseline counting, the Keras
// metric names, and the names a run reports (what the service checks a monitor against).
import { describe, expect, it } from 'vitest'
import { EarlyStopper } from '../src/main/engine/callbacks/early-stopping'
import { PlateauReducer } from '../src/main/engine/callbacks/reduce-on-plateau'
import { planMetrics } from '../src/main/engine/metric-plan'
import { canonicalMetricName, checkMonitor, kerasMetricName, METRICS, monitorableMetricNames, trainingConfigSchema } from '../src/shared/training'

/** The 1-based epoch after which the stopper stops (null: never) for a series of values. */
function stopsAfter(stopper: EarlyStopper, values: number[]): number | null {
  for (let epoch = 0; epoch < values.length; epoch++) if (stopper.observe(epoch, values[epoch]).stop) return epoch + 1
  return null
}

describe('EarlyStopper (Keras EarlyStopping)', () => {
  it('stops once wait >= patience: patience 2 after two epochs without improvement', () => {
    expect(stopsAfter(new EarlyStopper({ patience: 2, min_delta: 0, mode: 'min' }), [1, 0.9, 0.95, 0.91, 0.5])).toBe(4)
    // patience 0: the first epoch without improvement stops, but never the first epoch
    expect(stopsAfter(new EarlyStopper({ patience: 0, min_delta: 0, mode: 'min' }), [1, 0.9, 0.95])).toBe(3)
    expect(stopsAfter(new EarlyStopper({ patience: 0, min_delta: 0, mode: 'min', baseline: 0 }), [1])).toBeNull()
  })

  it('counts a gain of min_delta or less as no improvement, in both directions', () => {
    const min = new EarlyStopper({ patience: 1, min_delta: 0.1, mode: 'min' })
    expect(stopsAfter(min, [1, 0.95])).toBe(2)
    expect(min.bestEpoch).toBe(0)
    const max = new EarlyStopper({ patience: 1, min_delta: 0.1, mode: 'max' })
    expect(stopsAfter(max, [0.5, 0.65, 0.7])).toBe(3)
    expect(max.best).toBe(0.65)
  })

  it('resets wait only for values that also beat the baseline', () => {
    const stopper = new EarlyStopper({ patience: 2, min_delta: 0, mode: 'max', baseline: 0.9 })
    // improving but below the baseline: the best moves, wait keeps counting; no stop on an improving epoch
    expect(stopper.observe(0, 0.5)).toEqual({ improved: true, stop: false })
    expect(stopper.observe(1, 0.6)).toEqual({ improved: true, stop: false })
    expect(stopper.wait).toBe(2)
    expect(stopper.observe(2, 0.55)).toEqual({ improved: false, stop: true })
    expect(stopper.bestEpoch).toBe(1)
    const beaten = new EarlyStopper({ patience: 2, min_delta: 0, mode: 'max', baseline: 0.9 })
    expect(stopsAfter(beaten, [0.95, 0.9, 0.9, 0.9])).toBe(3)
  })

  it('never counts NaN as an improvement', () => {
    const stopper = new EarlyStopper({ patience: 1, min_delta: 0, mode: 'min' })
    expect(stopper.observe(0, Number.NaN).improved).toBe(false)
    expect(stopper.bestEpoch).toBeNull()
    expect(stopper.observe(1, Number.NaN).stop).toBe(true)
  })
})

describe('PlateauReducer (Keras ReduceLROnPlateau)', () => {
  const reducer = (patience: number, cooldown: number, min_lr = 0) => new PlateauReducer({ kind: 'reduce_on_plateau', monitor: 'val_loss', factor: 0.5, patience, min_delta: 0, cooldown, min_lr }, 1)
  it('reduces after `patience` epochs without improvement, honours min_lr and cooldown', () => {
    const r = reducer(1, 0, 0.3)
    expect([1, 1, 1, 1, 1].map((v) => r.observe(v))).toEqual([1, 0.5, 0.3, 0.3, 0.3])
    const c = reducer(1, 3)
    expect([1, 1, 1, 1, 1, 1].map((v) => c.observe(v))).toEqual([1, 0.5, 0.5, 0.5, 0.25, 0.25])
    // an unreported value changes nothing; NaN counts as no improvement
    const n = reducer(1, 0)
    expect([n.observe(undefined), n.observe(Number.NaN)]).toEqual([1, 0.5])
  })
})

describe('monitor names', () => {
  it('maps Keras names to ours and back', () => {
    expect(['val_accuracy', 'accuracy', 'val_acc', 'val_mean_squared_error', 'loss', 'val_auc'].map(canonicalMetricName)).toEqual(['val_acc', 'acc', 'val_acc', 'val_mse', 'loss', 'val_auc'])
    expect(['val_acc', 'acc', 'mse', 'val_loss'].map(kerasMetricName)).toEqual(['val_accuracy', 'accuracy', 'mse', 'val_loss'])
  })

  it('lists the names the metric plan reports, for every choice of metrics', () => {
    for (let mask = 0; mask < 1 << METRICS.length; mask++) {
      const metrics = METRICS.filter((_, i) => mask & (1 << i))
      const plan = planMetrics({ loss: 'binary_crossentropy', metrics, outputUnits: 1, task: 'binary', numClasses: 2, targetSize: 1 })
      expect(monitorableMetricNames({ metrics, validation: { kind: 'none' } })).toEqual(plan.names)
      expect(monitorableMetricNames({ metrics, validation: { kind: 'split', fraction: 0.2 } })).toEqual([...plan.names, ...plan.names.map((n) => `val_${n}`)])
    }
  })

  it('refuses a monitor that does not exist, saying why and which names do', () => {
    const config = (input: object) => trainingConfigSchema.parse({ loss: 'binary_crossentropy', ...input })
    expect(checkMonitor(config({ early_stopping: { monitor: 'val_accuracy' } }))).toBeNull()
    expect(checkMonitor(config({ validation: { kind: 'none' }, early_stopping: {} }))).toBe(
      'Early stopping monitors "val_loss", which this run does not report: the run has no validation data (choose a validation fraction or the data set\'s validation split, or monitor a training metric). Metrics it reports: loss, acc (Keras names such as val_accuracy are accepted).'
    )
    expect(checkMonitor(config({ early_stopping: { monitor: 'val_auc' } }))).toMatch(/auc is not among the run's metrics \(add it to the metrics\)\. Metrics it reports: loss, acc, val_loss, val_acc /)
    expect(checkMonitor(config({ schedule: { kind: 'reduce_on_plateau', monitor: 'val_los' } }))).toMatch(/^Reduce-on-plateau monitors "val_los".*no metric has that name/)
    expect(checkMonitor(config({ early_stopping: { monitor: 'test_acc' } }))).toMatch(/only once training has ended/)
    expect(checkMonitor(config({ metrics: [], early_stopping: { monitor: 'accuracy' } }))).toMatch(/accuracy is not among the run's metrics/)
  })
})
