// The export method. Model formats (TF.js, Keras, ONNX, PyTorch, scripts) run as an export job
// in a trainer process that writes the format, reloads it with an independent reader and compares
// predictions; the folder lands in <run>/exports/<format>-<weights>/, each file is recorded in the
// artifacts table with its sha256, and the caller gets a zip of it with the verification.
// Spec and metrics are written here from the store.
import { readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { zipSync } from 'fflate'
import type { ExportFormat, ExportResult } from '../../shared/contract'
import type { RunDetail } from '../../shared/run'
import { exportRunJob, type ExportJobResult } from '../engine/supervisor'
import type { ExportMeta } from '../export/types'
import { notFound, type ServiceContext } from './context'
import { errorData } from '../../shared/errors'
import { WorkbenchError, type Handlers } from './dispatcher'
import { exportRunFile, safeName } from './exports'
import { packageVersion } from './versions'
import { chooseWeights } from './weights-choice'
import { savedThreshold } from './runs-service'

const RUN_FILE_FORMATS = ['spec_json', 'metrics_json', 'metrics_csv'] as const
type RunFileFormat = (typeof RUN_FILE_FORMATS)[number]
const isRunFileFormat = (format: ExportFormat): format is RunFileFormat => (RUN_FILE_FORMATS as readonly string[]).includes(format)

const SUFFIX: Record<Exclude<ExportFormat, RunFileFormat>, string> = {
  tfjs: 'tfjs',
  keras: 'keras',
  h5: 'h5',
  onnx: 'onnx',
  pytorch: 'pytorch',
  keras_script: 'keras-script',
  torch_job: 'torch-job'
}

export interface ModelExportOutcome extends ExportJobResult {
  run: RunDetail
  /** Whether these are the run's default weights (the ones its test metrics came from). */
  defaultWeights: boolean
}

export interface Exports {
  handlers: Pick<Handlers, 'runs.export'>
  /** Writes and verifies a model export into the run's exports folder (the CLI copies it where the user asks). */
  writeModelExport(runId: string, format: Exclude<ExportFormat, RunFileFormat>, weights?: 'best' | 'last'): Promise<ModelExportOutcome>
}

export function createExports(ctx: ServiceContext): Exports {
  const { store, folders, dataDir } = ctx

  async function writeModelExport(runId: string, format: Exclude<ExportFormat, RunFileFormat>, weights?: 'best' | 'last'): Promise<ModelExportOutcome> {
    const run = notFound(() => store.getRun(runId))
    const chosen = chooseWeights(run, folders, weights)
    const outDir = join(folders.exports(runId), `${format}-${chosen.which}`)
    const meta: ExportMeta = {
      run_id: run.id,
      run_name: run.name,
      model_name: run.model_name,
      dataset_name: run.dataset_name,
      dataset_fingerprint: run.dataset_fingerprint,
      weights: chosen.which,
      epoch: chosen.epoch,
      test_metrics: Object.fromEntries(Object.entries(run.final_metrics).filter(([name]) => name.startsWith('test_'))),
      app_version: packageVersion(),
      created_at: new Date().toISOString()
    }
    let result: ExportJobResult
    try {
      result = await exportRunJob({ runDir: folders.dir(runId), dataDir, datasetId: run.dataset_id, spec: run.spec, config: run.config, format, weights: chosen.which, outDir, meta, decisionThreshold: savedThreshold(run.config) }, { fork: ctx.fork })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // A refusal (bad_input) or a missing model (conflict) keeps the job's own reason; a crash stays internal.
      const sent = errorData(error)
      const code = sent.code === 'bad_input' || sent.code === 'conflict' ? sent.code : 'internal'
      const reason = code !== 'internal' ? { reason: sent.reason ?? 'export.failed', details: { format, run: run.name, problem: message, ...sent.details } } : {}
      throw new WorkbenchError(code, `${format} export of run "${run.name}" failed: ${message}`, reason)
    }
    for (const file of result.files) store.addArtifact(runId, `export:${format}`, relative(dataDir, join(outDir, file.name)), file.sha256)
    const manifest = { format, weights: chosen.which, epoch: chosen.epoch, default_weights: chosen.default, decision_threshold: savedThreshold(run.config), verification: result.verification, files: result.files, meta }
    await writeFile(join(outDir, 'export.json'), JSON.stringify(manifest, null, 2), { mode: 0o600 })
    return { ...result, run, defaultWeights: chosen.default }
  }

  return {
    writeModelExport,
    handlers: {
      'runs.export': async ({ run_id, format, weights }): Promise<ExportResult> => {
        const run = notFound(() => store.getRun(run_id))
        if (isRunFileFormat(format)) {
          const file = exportRunFile({ run, store, format })
          return { file_name: file.file_name, mime: file.mime, data_base64: file.data.toString('base64'), format, files: [], weights: null, verification: null }
        }
        const outcome = await writeModelExport(run_id, format, weights)
        const entries: Record<string, Uint8Array> = {}
        for (const file of [...outcome.files.map((f) => f.name), 'export.json']) entries[file] = await readFile(join(outcome.dir, file))
        const archive = zipSync(entries, { level: 6 })
        return {
          file_name: `${safeName(run.name)}.${SUFFIX[format]}.zip`,
          mime: 'application/zip',
          data_base64: Buffer.from(archive).toString('base64'),
          format,
          files: outcome.files,
          weights: { which: outcome.weights, epoch: outcome.epoch, default: outcome.defaultWeights },
          verification: outcome.verification
        }
      }
    }
  }
}
