import { describe, expect, it } from 'vitest'
import { evenlySpacedIndices } from './downsample'

describe('evenlySpacedIndices', () => {
  it('keeps every index when the series fits', () => {
    expect(evenlySpacedIndices(5, 10)).toEqual([0, 1, 2, 3, 4])
    expect(evenlySpacedIndices(0, 10)).toEqual([])
  })

  it('thins evenly to exactly maxPoints, keeping first and last', () => {
    const keep = evenlySpacedIndices(10_001, 101)
    expect(keep).toHaveLength(101)
    expect(keep[0]).toBe(0)
    expect(keep.at(-1)).toBe(10_000)
    const gaps = new Set(keep.slice(1).map((k, i) => k - keep[i]))
    expect(gaps).toEqual(new Set([100]))
  })

  it('never repeats an index and stays increasing for awkward ratios', () => {
    for (const [count, max] of [[11, 10], [1000, 999], [7, 2], [12345, 678]]) {
      const keep = evenlySpacedIndices(count, max)
      expect(keep).toHaveLength(max)
      expect(keep[0]).toBe(0)
      expect(keep.at(-1)).toBe(count - 1)
      for (let i = 1; i < keep.length; i++) expect(keep[i]).toBeGreaterThan(keep[i - 1])
    }
  })

  it('refuses a budget that cannot hold both ends', () => {
    expect(() => evenlySpacedIndices(10, 1)).toThrow(/at least 2/)
  })
})
