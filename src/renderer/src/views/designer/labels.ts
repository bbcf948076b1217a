// Localised names for what the spec registry describes in English (field labels, layer
// descriptions), with the registry's own English as the fallback; and the palette's drag-and-drop type.
import { LAYER_CLASSES, type FieldDescriptor } from '../../../../shared/model-spec'
import { hasMessage, locale, t } from '../../i18n'

/** dataTransfer type of a palette item being dragged (value: the class name). */
export const PALETTE_MIME = 'application/x-workbench-layer'

export function fieldLabel(field: FieldDescriptor): string {
  const key = `designer.field.${field.key}`
  return hasMessage(locale.value, key) ? t(key) : field.label
}

export function fieldHelp(field: FieldDescriptor): string | null {
  const key = `designer.fieldHelp.${field.key}`
  if (hasMessage(locale.value, key)) return t(key)
  return field.help ?? null
}

export function layerDescription(className: string): string {
  const key = `designer.layer.${className}`
  return hasMessage(locale.value, key) ? t(key) : (LAYER_CLASSES[className]?.description ?? '')
}

/** A one-line gist of a layer's main settings for its card: "32 units · relu". */
export function layerGist(className: string, config: Record<string, unknown>): string {
  const parts: string[] = []
  const list = (v: unknown): string => (Array.isArray(v) ? v.join('×') : String(v))
  switch (className) {
    case 'Dense':
      parts.push(t('designer.gist.units', { n: String(config.units ?? '?') }))
      if (config.activation && config.activation !== 'linear') parts.push(String(config.activation))
      break
    case 'Activation':
      parts.push(String(config.activation ?? ''))
      break
    case 'Dropout':
      parts.push(t('designer.gist.rate', { rate: String(config.rate ?? '?') }))
      break
    case 'Reshape':
      parts.push(list(config.target_shape))
      break
    case 'Conv2D':
      parts.push(t('designer.gist.filters', { n: String(config.filters ?? '?'), k: list(config.kernel_size) }))
      if (config.activation && config.activation !== 'linear') parts.push(String(config.activation))
      break
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      parts.push(list(config.pool_size ?? [2, 2]))
      break
    case 'MaxPooling1D':
    case 'AveragePooling1D':
      parts.push(list(config.pool_size ?? 2))
      break
    case 'Conv1D':
    case 'SeparableConv2D':
    case 'Conv2DTranspose':
      parts.push(t('designer.gist.filters', { n: String(config.filters ?? '?'), k: list(config.kernel_size ?? '?') }))
      if (config.activation && config.activation !== 'linear') parts.push(String(config.activation))
      break
    case 'DepthwiseConv2D':
      parts.push(list(config.kernel_size ?? '?'), `×${String(config.depth_multiplier ?? 1)}`)
      break
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      parts.push(t('designer.gist.units', { n: String(config.units ?? '?') }))
      if (config.return_sequences === true) parts.push(t('designer.gist.sequences'))
      break
    case 'Bidirectional': {
      const inner = (config.layer ?? {}) as { class_name?: unknown; config?: Record<string, unknown> }
      parts.push(`${String(inner.class_name ?? '?')} ${t('designer.gist.units', { n: String(inner.config?.units ?? '?') })}`, String(config.merge_mode ?? 'concat'))
      break
    }
    case 'Embedding':
      parts.push(`${String(config.input_dim ?? '?')} → ${String(config.output_dim ?? '?')}`)
      break
    case 'UpSampling2D':
      parts.push(`×${list(config.size ?? [2, 2])}`)
      break
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
      parts.push(t('designer.gist.rate', { rate: String(config.rate ?? '?') }))
      break
    case 'GaussianNoise':
      parts.push(`σ ${String(config.stddev ?? '?')}`)
      break
    case 'Concatenate':
      parts.push(t('designer.gist.axis', { axis: String(config.axis ?? -1) }))
      break
  }
  return parts.filter(Boolean).join(' · ')
}
