// Translated names of what ships with the workbench (built-in data sets, seed templates), for
// every view that lists them. The back end names them in English; messages/builtins.ts holds
// both languages keyed by id. A translation is used only when the back end's text is the
// English it was written for, so a user's own data set that happens to reuse an id (or a
// built-in whose text changed) shows its real name.
import { locale } from './index'
import messages from './messages/builtins'

export type BuiltinKind = 'dataset' | 'example'

const tables: Record<string, Record<string, string> | undefined> = messages

function translated(kind: BuiltinKind, id: string, field: 'title' | 'name' | 'description', fallback: string): string {
  const key = `builtin.${kind}.${id}.${field}`
  const english = tables.en?.[key]
  if (english === undefined || english !== fallback) return fallback
  return tables[locale.value]?.[key] ?? fallback
}

/** The name of a built-in data set (kind 'dataset') or the title of a seed template ('example') in the current language; `fallback` (the back end's English) otherwise. */
export function builtinName(kind: BuiltinKind, id: string, fallback: string): string {
  return translated(kind, id, kind === 'example' ? 'title' : 'name', fallback)
}

/** The description of a built-in data set or seed template in the current language; `fallback` otherwise. */
export function builtinDescription(kind: BuiltinKind, id: string, fallback: string): string {
  return translated(kind, id, 'description', fallback)
}
