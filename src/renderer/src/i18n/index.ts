// The interface language: English or Simplified Chinese, switchable at any time and remembered
// in localStorage. Messages live per area in ./messages/<area>.ts and are merged here.
import { ref, type Ref } from 'vue'

export type Locale = 'en' | 'zh-CN'
export const LOCALES: readonly Locale[] = ['en', 'zh-CN']
const STORAGE_KEY = 'model-workbench.locale'

type MessageTable = Record<string, string>
interface MessageModule { default: Partial<Record<Locale, MessageTable>> }

const modules = import.meta.glob<MessageModule>('./messages/*.ts', { eager: true })
const tables: Record<Locale, MessageTable> = { en: {}, 'zh-CN': {} }
for (const mod of Object.values(modules)) {
  for (const l of LOCALES) Object.assign(tables[l], mod.default[l] ?? {})
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

function initialLocale(): Locale {
  const saved = storage()?.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'zh-CN') return saved
  const system = typeof navigator === 'undefined' ? '' : navigator.language
  return system.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const locale: Ref<Locale> = ref(initialLocale())

export function setLocale(next: Locale): void {
  locale.value = next
  storage()?.setItem(STORAGE_KEY, next)
  if (typeof document !== 'undefined') document.documentElement.lang = next
}

/**
 * The message for `key` in the current locale, with `{name}` placeholders filled. Falls back to
 * English, then to the key itself, so a missing translation shows up instead of a blank.
 */
export function t(key: string, params?: Record<string, string | number>): string {
  const template = tables[locale.value][key] ?? tables.en[key] ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

/** Whether a key has a message (used by tests that check both locales are complete). */
export function hasMessage(l: Locale, key: string): boolean {
  return key in tables[l]
}

/** Every key of a locale, for completeness checks. */
export function messageKeys(l: Locale): string[] {
  return Object.keys(tables[l])
}
