// Keyboard shortcuts of the shell: which action a key press means. Pure, so the mapping is tested
// and the same table is shown in the help tooltip.
import type { ViewName } from '../stores/nav.store'

export type ShortcutAction =
  | { kind: 'view'; view: ViewName }
  | { kind: 'train-start' }
  | { kind: 'train-stop' }
  | { kind: 'undo' }
  | { kind: 'redo' }

export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

const VIEW_KEYS: ViewName[] = ['datasets', 'designer', 'train', 'runs', 'compare', 'evaluate']

/**
 * The action for a key press, or null. Ctrl (Cmd on macOS) + 1..6 switch views, Ctrl+Enter
 * starts training, Ctrl+. stops it (macOS's "cancel"), Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y) undo and
 * redo. Esc is never a shortcut: it closes or cancels what is in front of the user (a dialog, a
 * menu, a selection) and must not stop a run. `inTextField` leaves undo/redo to the field itself.
 */
export function shortcutFor(event: KeyLike, inTextField: boolean): ShortcutAction | null {
  const mod = event.ctrlKey || event.metaKey
  if (event.altKey) return null
  if (mod && !event.shiftKey && /^[1-6]$/.test(event.key)) return { kind: 'view', view: VIEW_KEYS[Number(event.key) - 1] }
  if (mod && event.key === 'Enter') return { kind: 'train-start' }
  if (mod && !event.shiftKey && event.key === '.') return { kind: 'train-stop' }
  if (mod && !inTextField) {
    const key = event.key.toLowerCase()
    if (key === 'z') return event.shiftKey ? { kind: 'redo' } : { kind: 'undo' }
    if (key === 'y' && !event.shiftKey) return { kind: 'redo' }
  }
  return null
}

export function isTextField(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false
  const element = target as HTMLElement
  const tag = element.tagName
  if (tag === 'TEXTAREA' || element.isContentEditable) return true
  if (tag !== 'INPUT') return false
  const type = (element as HTMLInputElement).type
  return !['checkbox', 'radio', 'button', 'submit', 'range', 'color', 'file'].includes(type)
}
