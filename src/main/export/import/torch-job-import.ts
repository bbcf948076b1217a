// Reads a PyTorch training job folder (../formats/torch-job.ts) after train.py ran: its run.json,
// metrics.jsonl and weights (safetensors, torch layout) become what the store keeps for a run:
// status, metric points under the workbench's names, final/best metrics and per-spec-layer
// weights in Keras's order and layout (the inverse of the export's layout mapping).
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../services/dispatcher'
import { RUN_STATUSES, type MetricPoint, type MetricValues, type RunStatus } from '../../../shared/run'
import type { ModelSpec } from '../../../shared/model-spec'
import { trainingConfigSchema, type TrainingConfig } from '../../../shared/training'
import { decodeSafetensors, type SafetensorsFile } from '../helpers/safetensors'
import { LAYOUT_METADATA_KEY, kerasWeightsFromState, type TorchLayout } from '../helpers/torch-module'
import type { TorchJobFile } from '../formats/torch-job'

export interface ImportedTorchRun {
  status: RunStatus
  spec: ModelSpec
  config: TrainingConfig
  /** The workbench run the job was exported from. */
  source_run_id: string
  source_run_name: string
  dataset_name: string
  dataset_fingerprint: string
  /** 'torch 1.13.0 (gloo, 2 processes, cpu)'. */
  backend: string
  world_size: number
  started_at: string | null
  ended_at: string | null
  duration_s: number | null
  steps: number
  epochs: number
  metrics: MetricPoint[]
  final_metrics: MetricValues
  best_metrics: MetricValues
  best_epoch: number | null
  error: string | null
  diverged_at_step: number | null
  /** Whether the job started from the run's own initial weights or from the exported ones. */
  initial_weights: 'run' | 'exported'
  /** The weights the run's results refer to: best when early stopping restored them, else last. */
  default_weights: 'best' | 'last'
  /** Per spec layer (spec.layers order): one flat Keras-order array per weight ([] for layers without weights). */
  weights: Float32Array[][]
  /** The best epoch's weights, same form; null when the job saved none. */
  best_weights: Float32Array[][] | null
}

const bad = (message: string): WorkbenchError => new WorkbenchError('bad_input', message, { reason: 'torch_job.bad', details: { problem: message } })

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw bad(`${path} is missing: ${what}`)
  }
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw bad(`${path} is not valid JSON (${(error as Error).message}); re-run the job or re-export it.`)
  }
}

/** metrics.jsonl: one {step, epoch, name, value, time} a line; a torn last line (a killed job) is dropped. */
export function parseMetricsJsonl(text: string, file = 'metrics.jsonl'): MetricPoint[] {
  const lines = text.split('\n')
  const points: MetricPoint[] = []
  lines.forEach((line, i) => {
    if (!line.trim()) return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      if (i === lines.length - 1 || (i === lines.length - 2 && !lines[lines.length - 1].trim())) return
      throw bad(`${file} line ${i + 1} is not JSON; the file is damaged: re-run the job.`)
    }
    const p = value as Partial<MetricPoint>
    if (typeof p.name !== 'string' || typeof p.step !== 'number' || typeof p.epoch !== 'number' || typeof p.value !== 'number' || typeof p.time !== 'number') {
      throw bad(`${file} line ${i + 1} is not a metric point {step, epoch, name, value, time}.`)
    }
    points.push({ step: p.step, epoch: p.epoch, name: p.name, value: p.value, time: p.time })
  })
  return points
}

function weightsPerSpecLayer(spec: ModelSpec, layout: TorchLayout, file: SafetensorsFile, path: string): Float32Array[][] {
  let byIndex
  try {
    byIndex = kerasWeightsFromState(layout, file.tensors)
  } catch (error) {
    throw bad(`${path} does not fit the job's model: ${(error as Error).message}. Re-run the job with the model.py it was exported with.`)
  }
  return spec.layers.map((_, index) => (byIndex.get(index) ?? []).map((tensor) => tensor.data))
}

async function readWeights(path: string): Promise<SafetensorsFile> {
  try {
    return decodeSafetensors(new Uint8Array(await readFile(path)))
  } catch (error) {
    throw bad(`${path} cannot be read as safetensors: ${(error as Error).message}`)
  }
}

interface RunRecord {
  format?: string
  status?: string
  world_size?: number
  backend?: string
  device?: string
  torch_version?: string
  started_at?: string | null
  ended_at?: string | null
  duration_s?: number | null
  steps?: number
  epochs?: number
  final_metrics?: MetricValues
  best_metrics?: MetricValues
  best_epoch?: number | null
  error?: string | null
  diverged_at_step?: number | null
  default_weights?: 'best' | 'last'
  initial_weights?: 'run' | 'exported'
}

/** Reads a torch-job folder that train.py has run in. Throws WorkbenchError('bad_input') saying what is missing. */
export async function importTorchJob(folder: string): Promise<ImportedTorchRun> {
  const job = await readJson<TorchJobFile>(join(folder, 'job.json'), 'this is not a Model Workbench training job folder (export one with --format torch-job).')
  if (job.format !== 'model-workbench/torch-job') throw bad(`${join(folder, 'job.json')} is not a Model Workbench training job (format ${String(job.format)}).`)
  const record = await readJson<RunRecord>(join(folder, 'run.json'), 'the job has not run yet: run train.py (see README.md), then import.')
  const status = (RUN_STATUSES as readonly string[]).includes(record.status ?? '') ? (record.status as RunStatus) : null
  if (!status) throw bad(`run.json has an unknown status "${String(record.status)}".`)
  const configParsed = trainingConfigSchema.safeParse(job.config)
  if (!configParsed.success) throw bad(`job.json's config is not a training config: ${configParsed.error.issues[0]?.message ?? 'invalid'}.`)
  const metricsPath = join(folder, 'metrics.jsonl')
  const metrics = existsSync(metricsPath) ? parseMetricsJsonl(await readFile(metricsPath, 'utf8')) : []
  const modelPath = join(folder, 'model.safetensors')
  if (!existsSync(modelPath)) throw bad(`${modelPath} is missing: the job ${status === 'running' ? 'is still running or was killed' : `ended as ${status}`} before it saved its weights.`)
  const last = await readWeights(modelPath)
  const layoutText = last.metadata[LAYOUT_METADATA_KEY]
  const layout = layoutText ? (JSON.parse(layoutText) as TorchLayout) : job.layout
  const weights = weightsPerSpecLayer(job.spec, layout, last, modelPath)
  const bestPath = join(folder, 'best.safetensors')
  const best = existsSync(bestPath) ? weightsPerSpecLayer(job.spec, layout, await readWeights(bestPath), bestPath) : null
  const world = record.world_size ?? 1
  return {
    status,
    spec: job.spec,
    config: configParsed.data,
    source_run_id: job.source.run_id,
    source_run_name: job.source.run_name,
    dataset_name: job.source.dataset_name,
    dataset_fingerprint: job.source.dataset_fingerprint,
    backend: `torch ${record.torch_version ?? '?'} (${record.backend ?? 'single-process'}, ${world} process${world === 1 ? '' : 'es'}, ${record.device ?? 'cpu'})`,
    world_size: world,
    started_at: record.started_at ?? null,
    ended_at: record.ended_at ?? null,
    duration_s: record.duration_s ?? null,
    steps: record.steps ?? 0,
    epochs: record.epochs ?? 0,
    metrics,
    final_metrics: record.final_metrics ?? {},
    best_metrics: record.best_metrics ?? {},
    best_epoch: record.best_epoch ?? null,
    error: record.error ?? null,
    diverged_at_step: record.diverged_at_step ?? null,
    initial_weights: record.initial_weights ?? job.initial_weights,
    default_weights: record.default_weights === 'best' && best ? 'best' : 'last',
    weights,
    best_weights: best
  }
}

/** The spec with the given per-layer weights attached (LayerSpec.weights), e.g. to build or evaluate the imported model. */
export function specWithWeights(spec: ModelSpec, weights: Float32Array[][]): ModelSpec {
  return { ...spec, layers: spec.layers.map((layer, i) => (weights[i] && weights[i].length > 0 ? { ...layer, weights: weights[i].map((w) => Array.from(w)) } : layer)) }
}
