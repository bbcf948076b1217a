// Graph models through the contract, the way the app does it: a residual MLP (two Add skips) and
// a Concatenate graph trained as runs, exported by the export job as .keras, .h5 and TF.js
// (written and verified in a trainer process), and each file opened again by models.import (the
// Designer's "Open file…"): the graph comes back with its weights, and as a run on the same data
// set it evaluates to the original run's test metrics.
import { unzipSync } from 'fflate'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeSpec, type LayerSpec, type ModelSpec } from '../src/shared/model-spec'
import { trainingConfigSchema } from '../src/shared/training'
import type { WorkbenchService } from '../src/main/services/workbench'
import { openTestWorkbench, type TestWorkbench } from './export-fixtures'
import { tarArchive } from '../src/main/services/exports'

const graph = (name: string, layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name, input_shape: [10], layers })

const SPECS = {
  residual: graph('residual', [
    { class_name: 'Dense', config: { name: 'd1', units: 8, activation: 'relu' } },
    { class_name: 'Dense', config: { name: 'd2', units: 8, activation: 'relu' } },
    { class_name: 'Add', config: { name: 'add_1' }, inbound: ['d1', 'd2'] },
    { class_name: 'Dense', config: { name: 'd3', units: 8, activation: 'tanh' } },
    { class_name: 'Add', config: { name: 'add_2' }, inbound: ['add_1', 'd3'] },
    { class_name: 'Dense', config: { name: 'out', units: 1 } }
  ]),
  concat: graph('concat', [
    { class_name: 'Dense', config: { name: 'wide', units: 6, activation: 'relu' }, inbound: ['input'] },
    { class_name: 'Dense', config: { name: 'narrow', units: 3, activation: 'tanh' }, inbound: ['input'] },
    { class_name: 'Concatenate', config: { name: 'joined' }, inbound: ['wide', 'narrow'] },
    { class_name: 'Dense', config: { name: 'out', units: 1 } }
  ])
}

describe('graph models: export job and models.import', () => {
  let wb: TestWorkbench
  let service: WorkbenchService
  const runs: Record<string, string> = {}
  const ok = <T>(method: string, request: unknown): Promise<T> => wb.call<T>(method, request)

  beforeAll(async () => {
    wb = await openTestWorkbench('mw-graph-export-')
    service = wb.service
    const config = trainingConfigSchema.parse({ loss: 'mean_squared_error', optimizer: { name: 'adam', learning_rate: 0.05 }, budget: { kind: 'epochs', epochs: 3 }, metrics: ['mae'], batch_size: 64, validation: { kind: 'none' }, seed: 3 })
    for (const [name, spec] of Object.entries(SPECS)) runs[name] = (await ok<{ run_id: string }>('runs.start', { spec, config, dataset_id: 'diabetes' })).run_id
    for (const id of Object.values(runs)) await service.waitForRun(id)
  }, 240_000)

  afterAll(async () => {
    await wb?.close()
  })

  async function upload(name: string, bytes: Uint8Array): Promise<string> {
    const { file } = await ok<{ file: string }>('uploads.begin', { name, size: bytes.length })
    await ok('uploads.chunk', { file, offset: 0, data_base64: Buffer.from(bytes).toString('base64') })
    await ok('uploads.finish', { file })
    return file
  }

  it.each(Object.keys(SPECS) as Array<keyof typeof SPECS>)('%s: .keras, .h5 and TF.js exports verify, and open again as the same graph evaluating like the run', async (name) => {
    const runId = runs[name]
    const original = await ok<{ metrics: Record<string, number> }>('runs.evaluate', { run_id: runId, split: 'test' })
    for (const [format, fileName] of [['keras', 'model.keras'], ['h5', 'model.h5'], ['tfjs', 'model.json']] as const) {
      const exported = await ok<{ data_base64: string; verification?: { max_abs_diff: number | null; verified_by: string | null } }>('runs.export', { run_id: runId, format })
      const files = unzipSync(new Uint8Array(Buffer.from(exported.data_base64, 'base64')))
      expect(Object.keys(files), format).toContain(fileName)
      // TF.js comes as our .tfjs.tar (model.json with its weights), as a user would hand it over.
      const bytes = format === 'tfjs' ? new Uint8Array(tarArchive(['model.json', 'weights.bin'].map((n) => ({ name: n, data: Buffer.from(files[n]) })))) : files[fileName]
      const file = await upload(format === 'tfjs' ? 'model.tfjs.tar' : fileName, bytes)
      const imported = await ok<{ source: string; spec: ModelSpec; run_id: string }>('models.import', { file, dataset_id: 'diabetes' })
      const own = new Set(SPECS[name].layers.map((l) => String(l.config.name)))
      const edges = (spec: ModelSpec): unknown => spec.layers.filter((l) => own.has(String(l.config.name))).map((l) => [String(l.config.name), (l.inbound ?? []).filter((n) => own.has(n) || n === 'input')]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))
      // The input scaling each file holds in front (Keras's Normalization, our TF.js frozen BatchNormalization) is taken out again.
      expect(imported.spec.layers.map((l) => String(l.config.name)).sort(), format).toEqual([...own].sort())
      expect(edges(imported.spec), format).toEqual(edges(normalizeSpec(SPECS[name])))
      expect(imported.spec.layers.filter((l) => own.has(String(l.config.name)) && l.class_name === 'Dense').every((l) => (l.weights?.length ?? 0) > 0), format).toBe(true)
      const again = await ok<{ metrics: Record<string, number> }>('runs.evaluate', { run_id: imported.run_id, split: 'test' })
      for (const [metric, value] of Object.entries(original.metrics)) expect(again.metrics[metric], `${format} ${metric}`).toBeCloseTo(value, 3)
    }
  }, 240_000)
})
