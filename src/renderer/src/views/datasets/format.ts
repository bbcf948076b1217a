// Short text forms of data set facts shared by the Datasets view's parts.
import type { DatasetDescriptor } from '../../../../shared/dataset'

/** [28, 28, 1] → "28×28×1". */
export function shapeText(shape: readonly number[]): string {
  return shape.join('×')
}

/** The first 12 hex digits: enough to tell sets apart at a glance; the full one is in the tooltip. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.replace(/^sha256:/, '').slice(0, 12)
}

/** "455 / 0 / 114": train / validation / test row counts. */
export function splitCounts(d: DatasetDescriptor): string {
  return [d.splits.train.count, d.splits.validation?.count ?? 0, d.splits.test?.count ?? 0].map((n) => n.toLocaleString('en')).join(' / ')
}

/** A statistic with about four significant digits, or an em dash when there is none. */
export function statText(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) return value.toExponential(2)
  return Number(value.toPrecision(4)).toString()
}
