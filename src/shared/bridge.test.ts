import { describe, expect, it } from 'vitest'
import { BRIDGE_EVENT_NAMES, BRIDGE_METHOD_NAMES, EVENT_CHANNEL, isBridgedEvent, isBridgedMethod, methodChannel } from './bridge'
import { EVENT_NAMES, METHOD_NAMES } from './contract'

describe('bridge description', () => {
  it('lists exactly the contract methods and events', () => {
    expect([...BRIDGE_METHOD_NAMES].sort()).toEqual([...METHOD_NAMES].sort())
    expect([...BRIDGE_EVENT_NAMES].sort()).toEqual([...EVENT_NAMES].sort())
  })

  it('gives every method its own fixed channel, distinct from the event channel', () => {
    const channels = new Set(METHOD_NAMES.map(methodChannel))
    expect(channels.size).toBe(METHOD_NAMES.length)
    expect(channels.has(EVENT_CHANNEL)).toBe(false)
    expect(methodChannel('runs.list')).toBe('workbench:call:runs.list')
  })

  it('recognises only contract names (not inherited object keys)', () => {
    expect(isBridgedMethod('runs.list')).toBe(true)
    expect(isBridgedMethod('toString')).toBe(false)
    expect(isBridgedMethod('__proto__')).toBe(false)
    expect(isBridgedMethod(42)).toBe(false)
    expect(isBridgedEvent('run.progress')).toBe(true)
    expect(isBridgedEvent('constructor')).toBe(false)
  })
})
