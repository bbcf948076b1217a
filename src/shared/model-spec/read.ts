// Reading a spec from whatever a user hands the workbench: the current format, an older version of it
// (upgraded step by step), or a Keras Sequential or Functional model.to_json().
import { SPEC_FORMAT, SPEC_VERSION, type ModelSpec, type SpecError } from './schema'
import { fromKerasModelJson } from './keras'
import { validateSpec } from './validate'

export type ReadResult =
  | { ok: true; spec: ModelSpec; /** 'keras' for an import, the old version number for an upgrade, null when already current. */ upgraded_from: number | 'keras' | null; warnings: string[] }
  | { ok: false; errors: SpecError[]; warnings: string[] }

type Upgrade = (old: Record<string, unknown>) => Record<string, unknown>

/**
 * Upgrades from version n to n + 1. Version 0 is the unversioned draft ({name?, input_shape, layers})
 * written before the format was fixed: it gains the format marker, a version and a name.
 */
const UPGRADES: Record<number, Upgrade> = {
  0: (old) => ({ ...old, format: SPEC_FORMAT, version: 1, name: typeof old.name === 'string' ? old.name : 'model' }),
  // Version 2 added `inbound` (graphs); a version 1 spec is a chain, which reads the same.
  1: (old) => ({ ...old, version: 2 })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Parses (if a string), recognises, upgrades and validates a spec. Never throws. */
export function readSpec(input: unknown): ReadResult {
  let raw = input
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch (error) {
      return { ok: false, errors: [{ layer: null, message: `not valid JSON: ${(error as Error).message}`, reason: 'spec.read_not_json', details: { problem: (error as Error).message } }], warnings: [] }
    }
  }
  if (!isObject(raw)) return { ok: false, errors: [{ layer: null, message: 'a model spec must be a JSON object', reason: 'spec.read_not_object', details: {} }], warnings: [] }
  if (typeof raw.class_name === 'string' || isObject(raw.modelTopology) || isObject(raw.model_config)) {
    const imported = fromKerasModelJson(raw)
    return imported.ok ? { ok: true, spec: imported.spec, upgraded_from: 'keras', warnings: imported.warnings } : imported
  }
  if (raw.format !== undefined && raw.format !== SPEC_FORMAT) {
    return { ok: false, errors: [{ layer: null, field: 'format', message: `format must be "${SPEC_FORMAT}", got ${JSON.stringify(raw.format)}; this file is not a Model Workbench spec`, reason: 'spec.read_bad_format', details: { field: 'format', got: JSON.stringify(raw.format) } }], warnings: [] }
  }
  const startVersion = raw.version === undefined && raw.format === undefined ? 0 : raw.version
  if (typeof startVersion !== 'number' || !Number.isInteger(startVersion) || startVersion < 0) {
    return { ok: false, errors: [{ layer: null, field: 'version', message: `version must be a whole number, got ${JSON.stringify(raw.version)}`, reason: 'spec.read_bad_version', details: { field: 'version', got: String(JSON.stringify(raw.version)) } }], warnings: [] }
  }
  if (startVersion > SPEC_VERSION) {
    return { ok: false, errors: [{ layer: null, field: 'version', message: `this spec is version ${startVersion}, written by a newer Model Workbench; this one reads versions up to ${SPEC_VERSION}`, reason: 'spec.read_newer_version', details: { field: 'version', version: startVersion, max: SPEC_VERSION } }], warnings: [] }
  }
  let current = raw
  for (let version = startVersion; version < SPEC_VERSION; version++) current = UPGRADES[version](current)
  const checked = validateSpec(current)
  if (!checked.ok || !checked.spec) return { ok: false, errors: checked.errors, warnings: [] }
  return { ok: true, spec: checked.spec, upgraded_from: startVersion === SPEC_VERSION ? null : startVersion, warnings: [] }
}
