import { describe, expect, it } from 'vitest'
import { createSeededRandom, mulberry32 } from './random'

describe('mulberry32', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = mulberry32(7)
    const b = mulberry32(7)
    const c = mulberry32(8)
    const seqA = Array.from({ length: 5 }, a)
    expect(Array.from({ length: 5 }, b)).toEqual(seqA)
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA)
    for (const value of seqA) expect(value >= 0 && value < 1).toBe(true)
  })
})

describe('createSeededRandom', () => {
  it('draws uniform values in the asked range with the right mean', () => {
    const random = createSeededRandom(1)
    const values = Array.from({ length: 20000 }, () => random.uniform(-1, 1))
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1)
    expect(Math.min(...values)).toBeLessThan(-0.99)
    expect(Math.max(...values)).toBeLessThan(1)
    expect(Math.abs(values.reduce((s, v) => s + v, 0) / 20000)).toBeLessThan(0.02)
  })

  it('draws integers in [0, n) hitting every value', () => {
    const random = createSeededRandom(2)
    const seen = new Set<number>()
    for (let i = 0; i < 1000; i++) seen.add(random.int(5))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4])
    expect(() => random.int(0)).toThrow(RangeError)
  })

  it('draws normals with the asked mean and standard deviation', () => {
    const random = createSeededRandom(3)
    const values = Array.from({ length: 40000 }, () => random.normal(5, 2))
    const mean = values.reduce((s, v) => s + v, 0) / values.length
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length
    expect(mean).toBeCloseTo(5, 1)
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1)
  })

  it('shuffles into a permutation, reproducibly', () => {
    const shuffled = createSeededRandom(4).shuffle(Array.from({ length: 50 }, (_, i) => i))
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(shuffled).not.toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(createSeededRandom(4).shuffle(Array.from({ length: 50 }, (_, i) => i))).toEqual(shuffled)
    const typed = createSeededRandom(4).shuffle(Int32Array.from({ length: 50 }, (_, i) => i))
    expect(Array.from(typed)).toEqual(shuffled)
  })

  it('samples distinct indices without replacement, covering the range uniformly', () => {
    const random = createSeededRandom(5)
    const picked = random.sampleWithoutReplacement(60000, 6000)
    expect(new Set(picked).size).toBe(6000)
    for (const index of picked) expect(index >= 0 && index < 60000).toBe(true)
    const all = random.sampleWithoutReplacement(10, 10)
    expect([...all].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const counts = new Array(4).fill(0)
    for (let i = 0; i < 4000; i++) counts[random.sampleWithoutReplacement(4, 1)[0]]++
    for (const count of counts) expect(count).toBeGreaterThan(850)
    expect(() => random.sampleWithoutReplacement(3, 4)).toThrow(/3/)
  })
})
