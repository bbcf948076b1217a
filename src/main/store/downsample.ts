// Picks which points of a long series a chart gets: evenly spaced, first and last always kept.

/**
 * Indices of `count` items reduced to at most `maxPoints`, evenly spaced, always including
 * the first and the last. Returns every index when the series already fits.
 */
export function evenlySpacedIndices(count: number, maxPoints: number): number[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`maxPoints must be an integer of at least 2 (to keep the first and the last point); got ${maxPoints}`)
  }
  if (count <= maxPoints) return Array.from({ length: count }, (_, i) => i)
  const stride = (count - 1) / (maxPoints - 1)
  // stride > 1 here, so rounding never yields the same index twice.
  return Array.from({ length: maxPoints }, (_, k) => Math.round(k * stride))
}
