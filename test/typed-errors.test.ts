// Errors are typed data: every failure the back end raises on purpose reaches the views with a
// code other than `internal`, a registered reason (src/shared/errors.ts) and details. The
// templates and their rendering are checked in src/renderer/src/components/errors.test.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { isKnownReason, type ContractError } from '../src/shared/errors'
import { SpecValidationError, validateSpec, type LayerSpec, type ModelSpec } from '../src/shared/model-spec'
import { createDispatcher, toContractError, WorkbenchError, type Handlers } from '../src/main/services/dispatcher'
import { StoreError, runNotFound } from '../src/main/store/errors'
import { MetricPlanError } from '../src/main/engine/metric-plan'
import { BackendUnavailableError } from '../src/main/engine/backend'
import { ExportRefusal } from '../src/main/export/types'
import { DataImportError } from '../src/main/data/errors'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'
import { readRunWeights } from '../src/main/engine/supervisor'
import { TypedError } from '../src/shared/errors'

describe('the dispatcher maps every error family', () => {
  const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [4], layers: [{ class_name: 'Dense', config: { units: 0 } }] }
  const specErrors = validateSpec(spec).errors
  const families: Array<[string, () => unknown]> = [
    ['WorkbenchError', () => new WorkbenchError('conflict', 'run r is still training', { reason: 'run.still_training', details: { run_id: 'r' } })],
    ['DataImportError', () => new DataImportError('/x/data.csv', '"oops" is not a number', { line: 3, column: 'x2' }, { reason: 'csv.bad_number' })],
    ['StoreError with a reason', () => runNotFound('abc')],
    ['StoreError busy', () => new StoreError('busy', 'the database stayed locked')],
    ['StoreError incompatible', () => new StoreError('incompatible', 'written by a newer version')],
    ['StoreError bad_input (blank run name)', () => new StoreError('bad_input', 'A run needs a non-empty name.', { reason: 'run.name_blank' })],
    ['SpecValidationError', () => new SpecValidationError(specErrors)],
    ['MetricPlanError', () => new MetricPlanError('binary_crossentropy needs labels 0/1; this data set has more than two classes.')],
    ['BackendUnavailableError', () => new BackendUnavailableError('webgpu', 'no adapter')],
    ['ExportRefusal', () => new ExportRefusal('onnx', { index: 2, class_name: 'Dropout', name: 'd' }, 'ONNX cannot hold it')],
    ['ZodError thrown inside a handler', () => z.object({ n: z.number() }).safeParse({ n: 'x' }).error]
  ]

  it.each(families)('%s becomes a typed contract error, not internal', (_name, make) => {
    const error = toContractError(make(), 'runs.get')
    expect(error.code).not.toBe('internal')
    expect(error.reason, JSON.stringify(error)).toBeDefined()
    expect(isKnownReason(error.reason) || /^(csv|idx|file|data)\./.test(error.reason!), error.reason).toBe(true)
    expect(error.message.length).toBeGreaterThan(0)
  })

  it('keeps spec details and zod paths for the views', async () => {
    expect(toContractError(new SpecValidationError(specErrors))).toMatchObject({ code: 'bad_input', reason: 'spec.invalid', details: { count: 1, layer: 1, field: 'units' } })
    const handlers = { 'runs.get': async () => ({}) } as unknown as Handlers
    const dispatch = createDispatcher(handlers)
    const refused = await dispatch('runs.get', { run_id: 42 })
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_request', reason: 'request.invalid', details: { method: 'runs.get', path: 'run_id', expected: 'string' } } })
    expect(await dispatch('no.such', {})).toMatchObject({ ok: false, error: { code: 'invalid_request', reason: 'request.unknown_method' } })
  })

  it('leaves only the unforeseen as internal', () => {
    expect(toContractError(new TypeError('x is undefined'))).toEqual({ code: 'internal', message: 'x is undefined' })
  })
})

describe('the real service answers with reasons', () => {
  let dataDir: string
  let service: WorkbenchService
  let call: (method: string, request: unknown) => Promise<ContractError>
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-typed-errors-'))
    service = await openWorkbench({ dataDir, host: 'browser' })
    const dispatch = createDispatcher(service.handlers)
    call = async (method, request) => {
      const answer = await dispatch(method, request)
      if (answer.ok) throw new Error(`${method} succeeded`)
      return answer.error
    }
  })
  afterAll(async () => {
    await service.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const dense = (units: number): LayerSpec => ({ class_name: 'Dense', config: { units } })
  it.each([
    ['runs.get', { run_id: 'nope' }, 'not_found', 'run.not_found', { run_id: 'nope' }],
    ['datasets.get', { id: 'nope' }, 'not_found', 'dataset.not_found', { dataset_id: 'nope' }],
    ['uploads.finish', { file: 'u-nope' }, 'not_found', 'upload.not_found', {}],
    ['runs.start', { spec: { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [4], layers: [dense(8), dense(0)] }, config: { loss: 'sparse_categorical_crossentropy' }, dataset_id: 'iris' }, 'bad_input', 'spec.invalid', { layer: 2, field: 'units', first_reason: 'spec.field_invalid' }],
    ['runs.start', { spec: { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [7], layers: [dense(3)] }, config: { loss: 'sparse_categorical_crossentropy' }, dataset_id: 'iris' }, 'bad_input', 'run.input_shape_mismatch', { model_shape: '7', data_shape: '4' }]
  ])('%s %j → %s %s', async (method, request, code, reason, details) => {
    const error = await call(method, request)
    expect(error).toMatchObject({ code, reason, details })
    expect(isKnownReason(error.reason)).toBe(true)
  })
})

describe('errors across the trainer process', () => {
  it('come back typed: a run folder without a saved model is run.no_weights, not a bare message', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'mw-typed-errors-run-'))
    try {
      const failure = await readRunWeights({ runDir }).then(
        () => null,
        (error: unknown) => error
      )
      expect(failure).toBeInstanceOf(TypedError)
      expect(toContractError(failure)).toMatchObject({ code: 'conflict', reason: 'run.no_weights', message: expect.stringContaining('holds no saved model') })
    } finally {
      rmSync(runDir, { recursive: true, force: true })
    }
  })
})
