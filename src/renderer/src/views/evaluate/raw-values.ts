// A stored tabular sample back to the values of the file it came from: the scaling fitted on the
// training rows inverted (raw = stored / scale + offset) and each one-hot group read back as its
// category, one value per column of the file, named as in the file.
import type { DatasetDescriptor } from '../../../../shared/dataset'

export interface RawValue {
  name: string
  /** A number for numeric columns, the category for categorical ones. */
  value: number | string
}

/** stored = (raw − offset) · scale, so raw = stored / scale + offset (a constant feature, scale 0, is its offset). */
export function unscaleFeatures(features: readonly number[], descriptor: Pick<DatasetDescriptor, 'preprocessing'>): number[] {
  const scaler = descriptor.preprocessing.scaler
  if (!scaler) return [...features]
  return features.map((value, f) => {
    const scale = scaler.scale[f] ?? 1
    const offset = scaler.offset[f] ?? 0
    return scale === 0 ? offset : value / scale + offset
  })
}

/**
 * The file's values of one stored row, by column, in the order of the file's feature columns. Sets
 * without column descriptions (generated ones) give each feature by its name, unscaled.
 */
export function rawRow(features: readonly number[], descriptor: Pick<DatasetDescriptor, 'preprocessing' | 'columns' | 'feature_names'>): RawValue[] {
  const raw = unscaleFeatures(features, descriptor)
  const columns = descriptor.columns.filter((column) => column.role === 'feature')
  const width = columns.reduce((sum, column) => sum + (column.type === 'categorical' ? (column.categories?.length ?? 0) : 1), 0)
  if (!columns.length || width !== raw.length) return raw.map((value, f) => ({ name: descriptor.feature_names?.[f] ?? `x${f}`, value }))
  const out: RawValue[] = []
  let at = 0
  for (const column of columns) {
    if (column.type === 'categorical') {
      const categories = column.categories ?? []
      let best = -1
      for (let k = 0; k < categories.length; k++) if (raw[at + k]! > 0.5 && (best < 0 || raw[at + k]! > raw[at + best]!)) best = k
      out.push({ name: column.name, value: best >= 0 ? categories[best]! : '' })
      at += categories.length
    } else {
      out.push({ name: column.name, value: raw[at]! })
      at += 1
    }
  }
  return out
}

/** A file value as the table shows it: numbers with up to 6 significant digits (float32 noise dropped), categories as they are. */
export function formatRawValue(value: number | string): string {
  if (typeof value === 'string') return value
  if (!Number.isFinite(value)) return String(value)
  return String(Number(value.toPrecision(6)))
}
