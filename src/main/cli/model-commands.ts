// The command line's model commands: export (every format, verified, written where the user
// asks), predict on RAW rows from a CSV or JSON file, and import-model. All go through the
// contract, like the views.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { unzipSync } from 'fflate'
import Papa from 'papaparse'
import { EXPORT_FORMATS, type ExportFormat } from '../../shared/contract'
import { isSequentialSpec, summaryText, type ModelSpec } from '../../shared/model-spec'
import type { WorkbenchService } from '../services/workbench'
import { caller } from './caller'
import type { CliValues } from './main'
import { CliError, formatNumber, table } from './output'

type Print = (human: string, machine: unknown) => void

const FORMAT_ALIASES: Record<string, ExportFormat> = {
  tfjs: 'tfjs',
  keras: 'keras',
  h5: 'h5',
  onnx: 'onnx',
  pytorch: 'pytorch',
  'keras-script': 'keras_script',
  'torch-job': 'torch_job',
  'metrics-csv': 'metrics_csv',
  'metrics-json': 'metrics_json',
  spec: 'spec_json'
}

function weightsFlag(values: CliValues): 'best' | 'last' | undefined {
  if (values.weights === undefined) return undefined
  if (values.weights !== 'best' && values.weights !== 'last') throw new CliError(`--weights must be best or last, got "${values.weights}"`, 2)
  return values.weights
}

export async function exportCommand(service: WorkbenchService, runId: string | undefined, values: CliValues, print: Print): Promise<number> {
  if (!runId) throw new CliError('export needs a run id', 2)
  const name = values.format
  const format = name ? (FORMAT_ALIASES[name] ?? (EXPORT_FORMATS as readonly string[]).find((f) => f === name)) : undefined
  if (!format) throw new CliError(`export needs --format ${Object.keys(FORMAT_ALIASES).join('|')}`, 2)
  if (!values.out) throw new CliError('export needs --out <dir>: the folder to write the files into', 2)
  const outDir = resolve(values.out)
  const result = await caller(service)('runs.export', { run_id: runId, format: format, weights: weightsFlag(values) })
  const data = Buffer.from(result.data_base64, 'base64')
  const written: string[] = []
  await mkdir(outDir, { recursive: true })
  const place = async (name: string, bytes: Uint8Array): Promise<void> => {
    const target = resolve(outDir, name)
    if (!target.startsWith(outDir)) throw new CliError(`refusing to write ${name} outside ${outDir}`)
    await mkdir(dirname(target), { recursive: true })
    // Atomic per file: a crash leaves the old file or the new one.
    await writeFile(`${target}.partial`, bytes)
    await rename(`${target}.partial`, target)
    written.push(target)
  }
  if (result.mime === 'application/zip') {
    for (const [name, bytes] of Object.entries(unzipSync(new Uint8Array(data)))) if (!name.endsWith('/')) await place(name, bytes)
  } else {
    await place(result.file_name, data)
  }
  const v = result.verification
  const verified = v ? (v.verified_by ? `verified by ${v.verified_by}: max |Δ| ${v.max_abs_diff === null ? '-' : v.max_abs_diff.toExponential(2)} over ${v.rows} held-out rows` : `not verified: ${v.note ?? 'no independent reader'}`) : 'no model in this format'
  const weights = result.weights ? `${result.weights.which} weights (epoch ${result.weights.epoch ?? '?'}${result.weights.default ? ', the run default' : ''})` : ''
  print(
    `${written.map((f) => `  ${f}`).join('\n')}\n${format}${weights ? `, ${weights}` : ''}\n${verified}\n`,
    { files: written, format, weights: result.weights?.which ?? null, epoch: result.weights?.epoch ?? null, verified_by: v?.verified_by ?? null, max_abs_diff: v?.max_abs_diff ?? null, note: v?.note ?? null }
  )
  return 0
}

/** Rows for predict from a file: CSV with a header (by column name) or JSON (array of objects or of number arrays). */
export async function readRowsFile(path: string): Promise<{ records?: Array<Record<string, string | number | null>>; inputs?: number[][] }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 2)
  }
  if (/\.json$/i.test(path) || /^\s*[[{]/.test(text)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`, 2)
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown }).rows
    if (!Array.isArray(rows) || rows.length === 0) throw new CliError(`${path}: expected a non-empty array of rows (objects by column name, or arrays of numbers)`, 2)
    if (rows.every((row) => Array.isArray(row))) return { inputs: rows as number[][] }
    if (rows.every((row) => row && typeof row === 'object' && !Array.isArray(row))) return { records: rows as Array<Record<string, string | number | null>> }
    throw new CliError(`${path}: rows must all be objects (by column name) or all arrays of numbers`, 2)
  }
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: true })
  if (parsed.errors.length) throw new CliError(`${path}: ${parsed.errors[0].message} (row ${(parsed.errors[0].row ?? 0) + 2})`, 2)
  return { records: parsed.data }
}

export async function predictCommand(service: WorkbenchService, runId: string | undefined, values: CliValues, print: Print): Promise<number> {
  if (!runId) throw new CliError('predict needs a run id', 2)
  if (values.raw && values.preprocessed) throw new CliError('give --raw or --preprocessed, not both', 2)
  let rows: { records?: Array<Record<string, string | number | null>>; inputs?: number[][] }
  if (values['input-file']) rows = await readRowsFile(resolve(values['input-file']))
  else if (values.input) {
    try {
      rows = { inputs: JSON.parse(values.input) as number[][] }
    } catch {
      throw new CliError('--input must be JSON: an array of rows, each an array of numbers', 2)
    }
  } else throw new CliError("predict needs --input-file rows.csv|rows.json (or --input '[[...], ...]')", 2)
  let threshold: number | undefined
  if (values.threshold !== undefined) {
    threshold = Number(values.threshold)
    if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) throw new CliError(`--threshold must be a number between 0 and 1, got "${values.threshold}"`, 2)
  }
  const prediction = await caller(service)('runs.predict', { run_id: runId, ...rows, preprocessed: Boolean(values.preprocessed), weights: weightsFlag(values), ...(threshold === undefined ? {} : { threshold }) })
  const human =
    table(['row', 'output', 'class'], prediction.probabilities.map((p, i) => [i + 1, p.map((v) => formatNumber(v)).join(' '), prediction.labels?.[i] ?? prediction.classes?.[i] ?? '-'])) +
    `${prediction.weights.which} weights (epoch ${prediction.weights.epoch ?? '?'})` +
    (prediction.threshold === null ? '' : `, class 1 when its probability > ${prediction.threshold}`) +
    '\n'
  print(human, prediction)
  return 0
}
export async function importModelCommand(service: WorkbenchService, file: string | undefined, values: CliValues, print: Print): Promise<number> {
  if (!file) throw new CliError('import-model needs a file (.keras, .h5, model.json, .tfjs.tar, Keras JSON or a spec JSON)', 2)
  const path = resolve(file)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 2)
  }
  const call = caller(service)
  const { file: upload } = await call('uploads.begin', { name: path.split(/[\\/]/).pop()!, size: bytes.length })
  const CHUNK = 1 << 20
  for (let offset = 0; offset < bytes.length; offset += CHUNK) await call('uploads.chunk', { file: upload, offset, data_base64: bytes.subarray(offset, offset + CHUNK).toString('base64') })
  await call('uploads.finish', { file: upload })
  const imported = await call('models.import', { file: upload, ...(values.name ? { name: values.name } : {}), ...(values.dataset ? { dataset_id: values.dataset } : {}) })
  if (values['save-spec']) await writeFile(resolve(values['save-spec']), JSON.stringify(imported.spec, null, 2))
  const human =
    `${imported.spec.name}: ${imported.spec.layers.length} layers${isSequentialSpec(imported.spec) ? '' : ' (a graph)'}, input (${imported.spec.input_shape.join(', ')})\n` +
    summaryOf(imported.spec) +
    `weights: ${imported.weights_included ? 'included' : 'none (architecture only)'}\n` +
    (imported.run_id ? `run: ${imported.run_id} (evaluate or predict with it)\n` : '') +
    imported.notices.map((n) => `notice: ${n}\n`).join('') +
    (values.json ? '' : `\n${JSON.stringify(imported.spec, null, 2)}\n`)
  print(human, imported)
  return 0
}



export async function importRunCommand(service: WorkbenchService, folder: string | undefined, print: Print): Promise<number> {
  if (!folder) throw new CliError('runs import needs the folder of a PyTorch training job (exported with --format torch-job, then run with torchrun)', 2)
  const result = await service.importTorchJobFolder(resolve(folder))
  print(`imported run ${result.run_id} (${result.status}, ${result.metrics} metric points)\n`, result)
  return 0
}

/** The spec's Keras-style summary (a graph's with its Connected to column), or nothing for a spec that does not validate. */
function summaryOf(spec: ModelSpec): string {
  try {
    return summaryText(spec)
  } catch {
    return ''
  }
}
