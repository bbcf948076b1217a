// Seeded train/validation/test splits: stratified by class for classification (each class is
// cut in the same proportions), a plain shuffle for regression. One seed gives one split.
import { createSeededRandom } from '../../shared/random'

export interface SplitFractions {
  validation: number
  test: number
}

export interface SplitIndices {
  train: Int32Array
  validation: Int32Array
  test: Int32Array
}

/**
 * Row indices of each split. `labels` (class index per row) makes it stratified; leave it
 * undefined for regression. Each split's rows come out shuffled, so a set stored grouped by class
 * (iris) is not grouped in any split.
 */
export function splitRows(count: number, fractions: SplitFractions, seed: number, labels?: ArrayLike<number>): SplitIndices {
  if (fractions.validation + fractions.test >= 1) throw new RangeError(`validation (${fractions.validation}) + test (${fractions.test}) must leave rows for training`)
  const random = createSeededRandom(seed)
  const groups: number[][] = []
  if (labels) {
    for (let i = 0; i < count; i++) (groups[labels[i]] ??= []).push(i)
  } else {
    groups.push(Array.from({ length: count }, (_, i) => i))
  }
  const train: number[] = []
  const validation: number[] = []
  const test: number[] = []
  for (const group of groups) {
    if (!group) continue
    random.shuffle(group)
    const testCount = Math.round(group.length * fractions.test)
    const validationCount = Math.round(group.length * fractions.validation)
    // A loop, not push(...rows): spreading hundreds of thousands of rows overflows the stack.
    for (let k = 0; k < group.length; k++) (k < testCount ? test : k < testCount + validationCount ? validation : train).push(group[k])
  }
  return {
    train: random.shuffle(Int32Array.from(train)),
    validation: random.shuffle(Int32Array.from(validation)),
    test: random.shuffle(Int32Array.from(test))
  }
}

/** Rows `indices` of a row-major matrix of `width` columns. */
export function takeRows<T extends Float32Array | Uint8Array>(source: T, width: number, indices: ArrayLike<number>, make: (length: number) => T): T {
  const out = make(indices.length * width)
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r] * width
    out.set(source.subarray(from, from + width), r * width)
  }
  return out
}
