import { describe, expect, it } from 'vitest'
import { readSpec } from './read'
import { toKerasModelJson } from './keras'
import type { ModelSpec } from './schema'

const current: ModelSpec = { format: 'model-workbench/spec', version: 2, name: 'm', input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 1 } }] }

describe('readSpec', () => {
  it('reads the current format as it is, from an object or JSON text', () => {
    expect(readSpec(current)).toEqual({ ok: true, spec: current, upgraded_from: null, warnings: [] })
    expect(readSpec(JSON.stringify(current))).toMatchObject({ ok: true, spec: current })
  })

  it('upgrades an unversioned draft (version 0)', () => {
    const result = readSpec({ input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 1 } }] })
    expect(result).toMatchObject({ ok: true, upgraded_from: 0, spec: { format: 'model-workbench/spec', version: 2, name: 'model', input_shape: [2] } })
  })

  it('upgrades a version 1 spec (a chain) to version 2 with the same layers', () => {
    const result = readSpec({ ...current, version: 1 })
    expect(result).toEqual({ ok: true, spec: current, upgraded_from: 1, warnings: [] })
  })

  it('imports a Keras Sequential model.to_json()', () => {
    const result = readSpec(JSON.stringify(toKerasModelJson(current)))
    expect(result).toMatchObject({ ok: true, upgraded_from: 'keras', spec: { input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 1, name: 'dense_1' } }] } })
  })

  it('refuses newer versions, foreign formats, bad JSON and invalid specs with readable errors', () => {
    expect(readSpec({ ...current, version: 7 })).toMatchObject({ ok: false, errors: [{ field: 'version', message: expect.stringMatching(/version 7, written by a newer Model Workbench/) }] })
    expect(readSpec({ ...current, format: 'other' })).toMatchObject({ ok: false, errors: [{ field: 'format' }] })
    expect(readSpec('not json')).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/^not valid JSON/) }] })
    expect(readSpec([1])).toMatchObject({ ok: false })
    const invalid = readSpec({ ...current, layers: [{ class_name: 'Dense', config: { units: 0 } }] })
    expect(invalid).toMatchObject({ ok: false, errors: [{ message: 'layer 1 (Dense): units must be a positive integer, got 0' }] })
  })
})
