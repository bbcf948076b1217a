// Form fields generated from the shared zod schemas (optimizer and schedule variants, early
// stopping), so the Train form offers exactly what the back end accepts, with its defaults
// and bounds, and a new optimizer field appears in the form without touching the view.
import type { z } from 'zod'

export type FieldKind = 'number' | 'integer' | 'boolean' | 'text' | 'enum'

export interface FieldSpec {
  key: string
  kind: FieldKind
  options?: string[]
  min?: number
  max?: number
  default?: unknown
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; defaultValue?: unknown; values?: unknown[]; entries?: Record<string, string>; options?: ZodInternals[]; shape?: Record<string, ZodInternals> } }
  minValue?: number | null
  maxValue?: number | null
  isInt?: boolean
  options?: unknown
  shape?: Record<string, ZodInternals>
}

function unwrap(field: ZodInternals): { inner: ZodInternals; defaultValue: unknown } {
  let current = field
  let defaultValue: unknown
  // default / nullable / optional wrappers, in any nesting
  while (['default', 'nullable', 'optional', 'prefault'].includes(current._zod.def.type) && current._zod.def.innerType) {
    if (current._zod.def.type === 'default' && defaultValue === undefined) defaultValue = current._zod.def.defaultValue
    current = current._zod.def.innerType
  }
  return { inner: current, defaultValue }
}

/** Describes the editable fields of a zod object schema, leaving out the `omit` keys (e.g. the discriminator). */
export function describeFields(schema: z.ZodObject, omit: readonly string[] = []): FieldSpec[] {
  const shape = (schema as unknown as ZodInternals).shape ?? {}
  const fields: FieldSpec[] = []
  for (const [key, raw] of Object.entries(shape)) {
    if (omit.includes(key)) continue
    const { inner, defaultValue } = unwrap(raw)
    const type = inner._zod.def.type
    const spec: FieldSpec = { key, kind: 'text', default: defaultValue }
    if (type === 'number') {
      spec.kind = inner.isInt ? 'integer' : 'number'
      if (typeof inner.minValue === 'number' && Number.isFinite(inner.minValue)) spec.min = inner.minValue
      if (typeof inner.maxValue === 'number' && Number.isFinite(inner.maxValue)) spec.max = inner.maxValue
    } else if (type === 'boolean') {
      spec.kind = 'boolean'
    } else if (type === 'enum') {
      spec.kind = 'enum'
      spec.options = Object.values(inner._zod.def.entries ?? {})
    } else if (type === 'literal') {
      continue
    }
    fields.push(spec)
  }
  return fields
}

/** The member of a discriminated union whose discriminator `key` equals `value`. */
export function variantOf(union: z.ZodType, key: string, value: string): z.ZodObject | null {
  const options = ((union as unknown as ZodInternals).options ?? []) as ZodInternals[]
  for (const option of options) {
    const discriminator = option.shape?.[key]
    if (discriminator && discriminator._zod.def.values?.includes(value)) return option as unknown as z.ZodObject
  }
  return null
}

/** Every discriminator value of a discriminated union, in declaration order. */
export function variantNames(union: z.ZodType, key: string): string[] {
  const options = ((union as unknown as ZodInternals).options ?? []) as ZodInternals[]
  return options.flatMap((option) => (option.shape?.[key]?._zod.def.values ?? []).map(String))
}

/**
 * A complete value for one variant: the schema's own defaults, then `fallbacks` for fields the
 * schema leaves required, then whatever of `previous` still fits (so switching optimizer keeps
 * the learning rate the user typed only when asked to).
 */
export function variantDefaults(union: z.ZodType, key: string, value: string, fallbacks: Record<string, unknown> = {}): Record<string, unknown> {
  const variant = variantOf(union, key, value)
  if (!variant) throw new Error(`no ${key} named "${value}"`)
  const result: Record<string, unknown> = { [key]: value }
  for (const field of describeFields(variant, [key])) {
    if (field.default !== undefined) result[field.key] = field.default
    else if (field.key in fallbacks) result[field.key] = fallbacks[field.key]
  }
  return result
}

/** Sensible starting values for schedule fields the schema leaves without a default. */
export const SCHEDULE_FALLBACKS: Record<string, unknown> = { decay: 1e-4, drop: 0.5, every_epochs: 10, decay_rate: 0.96, decay_steps: 1000 }
