// Seeded pseudo-random numbers for the training loop: shuffles, validation splits and the
// step budget's mini-batch draws, so that one seed gives one run, number for number. The
// index helpers here reuse scratch arrays, because they run once per training step.

import { mulberry32 } from '../../shared/random'

/** The shared mulberry32 generator (src/shared/random.ts): one seed, one sequence. */
export const createRandom: (seed: number) => () => number = mulberry32

/** 0..n-1 in order. */
export function range(n: number): Int32Array {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  return order
}

/** A random permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n: number, random: () => number): Int32Array {
  const order = range(n)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = order[i]
    order[i] = order[j]
    order[j] = swap
  }
  return order
}

/**
 * `count` distinct indices out of 0..n-1, as seed 000's `np.random.choice(n, batch,
 * replace=False)`: a partial Fisher–Yates over a reusable scratch array.
 */
export function sampleWithoutReplacement(n: number, count: number, random: () => number, scratch: Int32Array): Int32Array {
  const picked = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i))
    const swap = scratch[i]
    scratch[i] = scratch[j]
    scratch[j] = swap
    picked[i] = scratch[i]
  }
  return picked
}
