// Seeded pseudo-random numbers shared by the data generators, the data splits and the training
// engine: one seed gives one sequence, on every host (mulberry32; not for cryptography).

export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [low, high). */
  uniform(low?: number, high?: number): number
  /** An integer in [0, n). */
  int(n: number): number
  /** Gaussian (Box–Muller). */
  normal(mean?: number, std?: number): number
  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T
  /** `count` distinct indices out of 0..n-1, in draw order (as numpy's `choice(n, count, replace=False)`). */
  sampleWithoutReplacement(n: number, count: number): Int32Array
}

/** The raw mulberry32 generator: uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function createSeededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`)
  const next = mulberry32(seed)
  // Box–Muller yields two normals per draw; keep the second for the next call.
  let spareNormal: number | null = null

  const random: SeededRandom = {
    next,
    uniform(low = 0, high = 1) {
      return low + (high - low) * next()
    },
    int(n) {
      if (!(n >= 1)) throw new RangeError(`int(n) needs n >= 1, got ${n}`)
      return Math.floor(next() * n)
    },
    normal(mean = 0, std = 1) {
      if (spareNormal !== null) {
        const value = spareNormal
        spareNormal = null
        return mean + std * value
      }
      let u = 0
      while (u === 0) u = next()
      const v = next()
      const radius = Math.sqrt(-2 * Math.log(u))
      spareNormal = radius * Math.sin(2 * Math.PI * v)
      return mean + std * radius * Math.cos(2 * Math.PI * v)
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const swap = items[i]
        items[i] = items[j]
        items[j] = swap
      }
      return items
    },
    sampleWithoutReplacement(n, count) {
      if (!Number.isInteger(n) || !Number.isInteger(count) || count < 0 || count > n) {
        throw new RangeError(`cannot draw ${count} distinct items out of ${n}`)
      }
      // Partial Fisher–Yates over a sparse map of swapped slots: O(count), not O(n).
      const swapped = new Map<number, number>()
      const picked = new Int32Array(count)
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(next() * (n - i))
        const atJ = swapped.get(j) ?? j
        const atI = swapped.get(i) ?? i
        swapped.set(j, atI)
        picked[i] = atJ
      }
      return picked
    }
  }
  return random
}
