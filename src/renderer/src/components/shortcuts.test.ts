import { describe, expect, it } from 'vitest'
import { shortcutFor } from './shortcuts'

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })

describe('shortcutFor', () => {
  it('maps Ctrl/Cmd+1..6 to the six views in nav order', () => {
    expect(shortcutFor(key('1', { ctrlKey: true }), false)).toEqual({ kind: 'view', view: 'datasets' })
    expect(shortcutFor(key('5', { metaKey: true }), true)).toEqual({ kind: 'view', view: 'compare' })
    expect(shortcutFor(key('6', { ctrlKey: true }), false)).toEqual({ kind: 'view', view: 'evaluate' })
    expect(shortcutFor(key('7', { ctrlKey: true }), false)).toBeNull()
    expect(shortcutFor(key('1'), false)).toBeNull()
  })
  it('starts with Ctrl+Enter and stops with Ctrl+. (Cmd+.); Esc never stops a run', () => {
    expect(shortcutFor(key('Enter', { ctrlKey: true }), true)).toEqual({ kind: 'train-start' })
    expect(shortcutFor(key('.', { ctrlKey: true }), false)).toEqual({ kind: 'train-stop' })
    expect(shortcutFor(key('.', { metaKey: true }), true)).toEqual({ kind: 'train-stop' })
    expect(shortcutFor(key('.'), false)).toBeNull()
    // Esc closes dialogs and menus and deselects; it is nobody's "stop training".
    expect(shortcutFor(key('Escape'), false)).toBeNull()
    expect(shortcutFor(key('Escape'), true)).toBeNull()
  })
  it('undoes and redoes outside text fields only', () => {
    expect(shortcutFor(key('z', { ctrlKey: true }), false)).toEqual({ kind: 'undo' })
    expect(shortcutFor(key('Z', { ctrlKey: true, shiftKey: true }), false)).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('y', { ctrlKey: true }), false)).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('z', { ctrlKey: true }), true)).toBeNull()
    expect(shortcutFor(key('z', { ctrlKey: true, altKey: true }), false)).toBeNull()
  })
})
