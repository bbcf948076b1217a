import { describe, expect, it } from 'vitest'
import { TypedError } from './errors'
import { countSweepRuns, expandSweep, formatSweepValue, parseSweepAxis } from './sweep'
import { trainingConfigSchema } from './training'

const base = trainingConfigSchema.parse({ loss: 'sparse_categorical_crossentropy', budget: { kind: 'epochs', epochs: 3 } })

function reasonOf(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    expect(error).toBeInstanceOf(TypedError)
    return (error as TypedError).reason
  }
  return undefined
}

describe('sweep axes', () => {
  it('spaces a log range evenly in log space, ends exact', () => {
    const axis = parseSweepAxis({ field: 'optimizer.learning_rate', values: '1e-4..1e-1:log:4' }, base)
    expect(axis.values).toEqual([1e-4, 1e-3, 1e-2, 1e-1])
    const six = parseSweepAxis({ field: 'learning_rate', values: '1e-4..1e-1:log:6' }, base)
    expect(six.field).toBe('optimizer.learning_rate')
    expect(six.values).toHaveLength(6)
    const ratios = six.values.slice(1).map((v, i) => (v as number) / (six.values[i] as number))
    for (const ratio of ratios) expect(ratio).toBeCloseTo(10 ** 0.6, 9)
  })

  it('spaces a linear range and rounds integer fields', () => {
    expect(parseSweepAxis({ field: 'validation.fraction', values: '0.1..0.5:lin:5' }, base).values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5])
    expect(parseSweepAxis({ field: 'batch_size', values: '16..128:log:4' }, base).values).toEqual([16, 32, 64, 128])
    expect(parseSweepAxis({ field: 'epochs', values: '1..3' }, base).values).toEqual([1, 2, 3])
  })

  it('reads lists of numbers and of choices', () => {
    expect(parseSweepAxis({ field: 'batch_size', values: '32, 64,128' }, base).values).toEqual([32, 64, 128])
    expect(parseSweepAxis({ field: 'optimizer.name', values: 'adam,sgd' }, base).values).toEqual(['adam', 'sgd'])
  })

  it('refuses bad syntax with a reason and details', () => {
    expect(reasonOf(() => parseSweepAxis({ field: 'batch_size', values: '32,,64' }, base))).toBe('sweep.empty_value')
    expect(reasonOf(() => parseSweepAxis({ field: 'batch_size', values: '32,abc' }, base))).toBe('sweep.not_a_number')
    expect(reasonOf(() => parseSweepAxis({ field: 'batch_size', values: '32.5' }, base))).toBe('sweep.not_an_integer')
    expect(reasonOf(() => parseSweepAxis({ field: 'learning_rate', values: '1e-4..1e-1:cubic:6' }, base))).toBe('sweep.bad_scale')
    expect(reasonOf(() => parseSweepAxis({ field: 'learning_rate', values: '1e-4..1e-1:log:0' }, base))).toBe('sweep.bad_count')
    expect(reasonOf(() => parseSweepAxis({ field: 'learning_rate', values: '1e-4..1e-1:log:x' }, base))).toBe('sweep.bad_count')
    expect(reasonOf(() => parseSweepAxis({ field: 'learning_rate', values: '0.1..0.01:log:3' }, base))).toBe('sweep.range_reversed')
    expect(reasonOf(() => parseSweepAxis({ field: 'learning_rate', values: '0..0.1:log:3' }, base))).toBe('sweep.log_nonpositive')
    expect(reasonOf(() => parseSweepAxis({ field: 'optimizer.name', values: '1..3:lin:3' }, base))).toBe('sweep.range_not_number')
    expect(reasonOf(() => parseSweepAxis({ field: 'optimizer.lerning_rate', values: '1,2' }, base))).toBe('sweep.unknown_field')
    expect(reasonOf(() => parseSweepAxis({ field: 'Batch Size', values: '1,2' }, base))).toBe('sweep.bad_field')
    try {
      parseSweepAxis({ field: 'batch_size', values: '32,abc' }, base)
    } catch (error) {
      expect((error as TypedError).details).toMatchObject({ field: 'batch_size', value: 'abc' })
    }
  })
})

describe('expandSweep', () => {
  it('grid: the cartesian product, first field slowest, labelled and validated', () => {
    const points = expandSweep({ base_config: base, mode: 'grid', axes: [{ field: 'learning_rate', values: '0.001,0.01' }, { field: 'batch_size', values: '16,32,64' }] })
    expect(points).toHaveLength(6)
    expect(points.map((p) => [p.config.optimizer.learning_rate, p.config.batch_size])).toEqual([
      [0.001, 16], [0.001, 32], [0.001, 64], [0.01, 16], [0.01, 32], [0.01, 64]
    ])
    expect(points[4].label).toBe('learning_rate=0.01 batch_size=32')
    expect(points[4].values).toEqual({ 'optimizer.learning_rate': 0.01, batch_size: 32 })
    expect(points.every((p) => p.config.budget.kind === 'epochs' && p.config.loss === base.loss)).toBe(true)
    expect(countSweepRuns({ base_config: base, mode: 'grid', axes: [{ field: 'learning_rate', values: '1e-4..1e-1:log:6' }, { field: 'batch_size', values: '32,64,128' }] })).toBe(18)
  })

  it('a changed optimizer takes its own defaults', () => {
    const points = expandSweep({ base_config: base, mode: 'grid', axes: [{ field: 'optimizer', values: 'adam,sgd' }] })
    expect(points[1].config.optimizer).toEqual({ name: 'sgd', learning_rate: 0.001, momentum: 0, nesterov: false })
  })

  it('random: seeded, deterministic, inside the ranges', () => {
    const definition = { base_config: base, mode: 'random' as const, trials: 20, seed: 7, axes: [{ field: 'learning_rate', values: '1e-4..1e-1:log:6' }, { field: 'batch_size', values: '32,64,128' }] }
    const a = expandSweep(definition)
    const b = expandSweep(definition)
    expect(a.map((p) => p.config)).toEqual(b.map((p) => p.config))
    expect(a).toHaveLength(20)
    const other = expandSweep({ ...definition, seed: 8 })
    expect(other.map((p) => p.config.optimizer.learning_rate)).not.toEqual(a.map((p) => p.config.optimizer.learning_rate))
    for (const point of a) {
      expect(point.config.optimizer.learning_rate).toBeGreaterThanOrEqual(1e-4)
      expect(point.config.optimizer.learning_rate).toBeLessThanOrEqual(1e-1)
      expect([32, 64, 128]).toContain(point.config.batch_size)
    }
    // Log sampling: about half of the draws below the geometric middle (≈3.2e-3), not ~3 % as a linear draw would give.
    const low = a.filter((p) => p.config.optimizer.learning_rate < Math.sqrt(1e-4 * 1e-1)).length
    expect(low).toBeGreaterThan(4)
    expect(reasonOf(() => expandSweep({ ...definition, trials: 0 }))).toBe('sweep.bad_trials')
  })

  it('refuses invalid configs, duplicates, empty and oversized sweeps', () => {
    expect(reasonOf(() => expandSweep({ base_config: base, mode: 'grid', axes: [{ field: 'validation.fraction', values: '0.5,1.5' }] }))).toBe('sweep.invalid_config')
    expect(reasonOf(() => expandSweep({ base_config: base, mode: 'grid', axes: [] }))).toBe('sweep.no_axes')
    expect(reasonOf(() => expandSweep({ base_config: base, mode: 'grid', axes: [{ field: 'lr', values: '0.1' }, { field: 'learning_rate', values: '0.2' }] }))).toBe('sweep.duplicate_field')
    expect(reasonOf(() => expandSweep({ base_config: base, mode: 'grid', axes: [{ field: 'lr', values: '1e-5..1:log:30' }, { field: 'batch_size', values: '1..30:lin:30' }] }))).toBe('sweep.too_many')
  })

  it('formats values for labels', () => {
    expect(formatSweepValue(0.0001)).toBe('1e-4')
    expect(formatSweepValue(0.00025119)).toBe('2.51e-4')
    expect(formatSweepValue(0.01)).toBe('0.01')
    expect(formatSweepValue(64)).toBe('64')
    expect(formatSweepValue('sgd')).toBe('sgd')
  })
})
