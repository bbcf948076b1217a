// The learning-rate finder: the suggestion rule on synthetic curves (min / 10, steepest descent
// before the minimum), the exponential schedule and the smoothing, and a real range test that
// stops once the smoothed loss passes 4× its minimum.
import { beforeAll, describe, expect, it } from 'vitest'
import { selectBackend, type SelectedBackend } from './backend'
import { finderRate, findLearningRate, smoothingBeta, smoothLosses, suggestLearningRate } from './lr-finder'
import { config, denseModel, linearData } from '../../../test/engine-fixtures'

/** A range-test-shaped curve: flat at 2.3, falling between 1e-4 and 1e-2 (steepest at 1e-3), lowest at 3e-2, then blowing up. */
function syntheticCurve(points = 120) {
  return Array.from({ length: points }, (_, i) => {
    const lr = finderRate(1e-6, 1, points, i)
    const x = Math.log10(lr)
    const fall = 2.3 - 2 / (1 + Math.exp(-3 * (x + 3))) // logistic fall centred at 1e-3
    const blow = x > -1.5 ? 20 * (x + 1.5) ** 2 : 0
    return { lr, smoothed: fall + blow }
  })
}

describe('learning-rate finder', () => {
  it('rates rise exponentially from start to end', () => {
    expect(finderRate(1e-7, 10, 201, 0)).toBeCloseTo(1e-7, 20)
    expect(finderRate(1e-7, 10, 201, 200)).toBeCloseTo(10, 10)
    expect(finderRate(1e-7, 10, 201, 100)).toBeCloseTo(Math.sqrt(1e-7 * 10), 12)
  })

  it('smooths over half a decade of rates: β = 0.92 for 200 steps over 8 decades, 0.5 at least', () => {
    expect(smoothingBeta(1e-7, 10, 200)).toBeCloseTo(0.92, 12)
    expect(smoothingBeta(1e-7, 10, 10)).toBe(0.5)
  })

  it('smooths with a bias-corrected moving average (a constant stays itself)', () => {
    expect(smoothLosses([3, 3, 3, 3], 0.9)).toEqual([3, 3, 3, 3].map(() => expect.closeTo(3, 12)))
    const [first, second] = smoothLosses([1, 2], 0.5)
    expect(first).toBeCloseTo(1, 12)
    expect(second).toBeCloseTo((0.25 * 1 + 0.5 * 2) / 0.75, 12) // (β(1−β)·1 + (1−β)·2) / (1 − β²)
  })

  it('suggests the rate at the smoothed minimum / 10 and marks the steepest descent before it', () => {
    const curve = syntheticCurve()
    const suggestion = suggestLearningRate(curve)!
    let minAt = 0
    curve.forEach((point, i) => (point.smoothed < curve[minAt].smoothed ? (minAt = i) : 0))
    expect(suggestion.rule).toBe('min_over_10')
    expect(suggestion.min_lr).toBe(curve[minAt].lr)
    expect(suggestion.lr).toBeCloseTo(curve[minAt].lr / 10, 15)
    expect(Math.log10(suggestion.min_lr)).toBeGreaterThan(-2)
    expect(Math.log10(suggestion.min_lr)).toBeLessThan(-1.4)
    // The logistic falls fastest at its centre, 1e-3 (within one grid step of 0.05 decades).
    expect(Math.abs(Math.log10(suggestion.steepest_lr!) + 3)).toBeLessThan(0.06)
  })

  it('gives no suggestion for fewer than 5 finite points', () => {
    expect(suggestLearningRate([{ lr: 1e-3, smoothed: 1 }, { lr: 1e-2, smoothed: Number.NaN }])).toBeNull()
  })

  describe('on a real model', () => {
    let backend: SelectedBackend
    beforeAll(async () => {
      backend = await selectBackend('cpu')
    })

    it('runs from 1e-7 to 10 with SGD, stops past 4× the minimum and suggests a rate that trains', async () => {
      const { tf, info } = backend
      const data = linearData(256)
      const spec = [{ units: 16, activation: 'tanh' }, { units: 1, activation: 'linear' }]
      const base = config({ loss: 'mean_squared_error', optimizer: { name: 'sgd', learning_rate: 0.01 }, batch_size: 16, seed: 3 })
      const model = denseModel(tf, 1, spec, 3)
      const result = await findLearningRate({ tf, model, config: base, data, backend: info, options: { steps: 150 } })
      model.dispose()
      expect(result.stopped).toBe('diverged')
      expect(result.points.length).toBeGreaterThan(50)
      expect(result.points.length).toBeLessThan(150)
      const last = result.points[result.points.length - 1]
      const min = Math.min(...result.points.map((point) => point.smoothed))
      expect(last.smoothed).toBeGreaterThan(4 * min)
      result.points.forEach((point, i) => expect(point.lr).toBeCloseTo(finderRate(1e-7, 10, 150, i), 12))
      const suggestion = result.suggestion!
      expect(suggestion.lr).toBeGreaterThan(1e-4)
      expect(suggestion.lr).toBeLessThan(10)
      // Five epochs at the suggested rate from the same initial weights beat five at 1e-5.
      const { trainModel } = await import('./training-loop')
      const lossAt = async (rate: number) => {
        const fresh = denseModel(tf, 1, spec, 3)
        const outcome = await trainModel({ tf, model: fresh, config: { ...base, optimizer: { name: 'sgd', learning_rate: rate, momentum: 0, nesterov: false }, budget: { kind: 'epochs', epochs: 5 } }, data, runId: 'x', backend: info, emit: () => undefined })
        tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
        fresh.dispose()
        return outcome.epochs[4].loss
      }
      expect(await lossAt(suggestion.lr)).toBeLessThan(0.5 * (await lossAt(1e-5)))
    })
  })
})
