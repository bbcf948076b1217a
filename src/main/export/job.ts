// The export job, run in a short-lived trainer process (it needs tfjs, and the formats' verifiers
// load native readers such as onnxruntime): loads the run's chosen weights, builds the ExportModel
// with the data set's preprocessing, writes the format into a temp folder beside the target,
// verifies it against the app's predictions on up to 200 held-out RAW rows, then renames it into
// place (a failed export leaves nothing half-written).
import { createHash } from 'node:crypto'
import { readdir, readFile, rename, rm, mkdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { DatasetDescriptor } from '../../shared/dataset'
import { trainingConfigSchema, type TrainingConfig } from '../../shared/training'
import type { ModelSpec } from '../../shared/model-spec'
import { loadSplit } from '../data'
import { readDescriptor } from '../data/tensor-store'
import { selectBackend, specHasConvolution, type Tf } from '../engine/backend'
import { buildModel } from '../engine/model-builder'
import { createRandom } from '../engine/seeded-random'
import { validationSplitRows } from '../engine/training-loop'
import { loadModelFolder } from '../engine/weights-store'
import { buildExportModel, referenceSample } from './from-tfjs'
import { specPreprocessing } from './preprocessing'
import { modelExporter, modelExporters } from './registry'
import { ExportRefusal, PARITY_TOLERANCE, type ExportMeta, type ExportModel, type ExportSplit, type ExportTraining, type InputScaling, type Verification } from './types'

export const VERIFY_ROWS = 200

export interface ExportJob {
  runDir: string
  dataDir: string
  datasetId: string
  spec: ModelSpec
  config: TrainingConfig
  format: string
  weights: 'best' | 'last'
  /** The folder to create (must not exist yet; replaced if it does). */
  outDir: string
  meta: ExportMeta
  /** The run's saved decision threshold (binary classifiers), written into preprocessing.json as `output.threshold`; null or absent: 0.5. */
  decisionThreshold?: number | null
}

export interface ExportedFileInfo {
  name: string
  size: number
  sha256: string
}

export interface ExportJobResult {
  format: string
  dir: string
  files: ExportedFileInfo[]
  verification: Verification
  weights: 'best' | 'last'
  epoch: number | null
}

/** Stored (model-input) rows back to the raw values a user would have: raw = x / scale + offset. */
export function unscale(x: Float32Array, features: number, scaling: InputScaling | null, pixels: boolean): Float32Array {
  if (!scaling) return x
  const raw = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    const f = i % features
    const scale = scaling.scale[f]
    const value = scale === 0 ? scaling.offset[f] : x[i] / scale + scaling.offset[f]
    raw[i] = pixels ? Math.round(value) : value
  }
  return raw
}

async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await filesIn(full)))
    else out.push(full)
  }
  return out
}

function take(split: { x: Float32Array; y: Float32Array; count: number }, rows: ArrayLike<number>, features: number, targetSize: number): ExportSplit {
  const x = new Float32Array(rows.length * features)
  const y = new Float32Array(rows.length * targetSize)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    x.set(split.x.subarray(row * features, (row + 1) * features), r * features)
    y.set(split.y.subarray(row * targetSize, (row + 1) * targetSize), r * targetSize)
  }
  return { count: rows.length, x, y }
}

async function optionalSplit(dataDir: string, id: string, split: 'validation' | 'test') {
  try {
    return await loadSplit(dataDir, id, split)
  } catch {
    return null
  }
}

/** The run's splits exactly as its trainer saw them (the validation rows the loop held out, with the same seed). */
export async function trainingData(job: Pick<ExportJob, 'dataDir' | 'datasetId'>, config: TrainingConfig, descriptor: DatasetDescriptor): Promise<ExportTraining['data']> {
  const features = descriptor.feature_shape.reduce((a, b) => a * b, 1)
  const train = await loadSplit(job.dataDir, job.datasetId, 'train')
  const test = await optionalSplit(job.dataDir, job.datasetId, 'test')
  const data: ExportTraining['data'] = { train: { count: train.count, x: train.x, y: train.y } }
  if (config.validation.kind === 'split') {
    const rows = validationSplitRows(train.count, config.validation.fraction, config.shuffle, createRandom(config.seed))
    data.train = take(train, rows.train, features, descriptor.target_size)
    data.validation = take(train, rows.validation, features, descriptor.target_size)
  } else if (config.validation.kind === 'dataset') {
    const validation = (await optionalSplit(job.dataDir, job.datasetId, config.validation.split)) ?? test
    if (validation) data.validation = { count: validation.count, x: validation.x, y: validation.y }
  }
  if (test) data.test = { count: test.count, x: test.x, y: test.y }
  return data
}


export async function runExportJob(job: ExportJob, options: { tf?: Tf } = {}): Promise<ExportJobResult> {
  const exporter = modelExporter(job.format)
  if (!exporter) throw new Error(`"${job.format}" is not a model export format`)
  const config = trainingConfigSchema.parse(job.config)
  const tf = options.tf ?? (await selectBackend('auto', { convolution: specHasConvolution(job.spec.layers), syncReads: true })).tf
  const model = await loadModelFolder(tf, join(job.runDir, job.weights))
  try {
    const descriptor = await readDescriptor(job.dataDir, job.datasetId)
    const { preprocessing, scaling } = specPreprocessing(job.spec, descriptor, job.decisionThreshold)
    const exportModel: ExportModel = buildExportModel({ model, spec: job.spec, scaling, preprocessing, meta: job.meta })
    if (job.format === 'keras_script' || job.format === 'torch_job') {
      const initial = buildModel(tf, job.spec, { seed: config.seed })
      try {
        const training: ExportTraining = {
          config,
          seed: config.seed,
          task: descriptor.task,
          num_classes: descriptor.task === 'regression' ? 0 : descriptor.classes.length,
          target_size: descriptor.target_size,
          data: await trainingData(job, config, descriptor),
          initial_weights: buildExportModel({ model: initial, spec: job.spec, scaling, preprocessing, meta: job.meta }).layers.map((l) => ({ index: l.index, weights: l.weights }))
        }
        exportModel.training = training
      } finally {
        initial.dispose()
      }
    }
    for (const layer of exportModel.layers) {
      if (!exporter.supports(layer)) {
        const others = modelExporters().filter((other) => other.id !== exporter.id && other.supports(layer)).map((other) => other.label)
        const advice = others.length ? `export it as ${others.join(', ')} instead, or replace the layer in the Designer` : 'replace the layer in the Designer'
        // The format's own reason when it has one (it names the layer and the way out), else what the class alone says.
        const why = exporter.refusal?.(layer) ?? `layer ${layer.index + 1} (${layer.class_name} "${layer.name}") cannot be written as ${exporter.label}`
        throw new ExportRefusal(exporter.id, { index: layer.index, class_name: layer.class_name, name: layer.name }, `${why}; ${advice}`)
      }
    }
    // Held-out raw rows: the test split, else validation, else training rows.
    const heldOut = (await optionalSplit(job.dataDir, job.datasetId, 'test')) ?? (await optionalSplit(job.dataDir, job.datasetId, 'validation')) ?? (await loadSplit(job.dataDir, job.datasetId, 'train'))
    const features = descriptor.feature_shape.reduce((a, b) => a * b, 1)
    const rows = Math.min(VERIFY_ROWS, heldOut.count)
    const raw = unscale(heldOut.x.subarray(0, rows * features), features, scaling, descriptor.preprocessing.scaling === 'divide255')
    const sample = referenceSample(tf, model, job.spec, raw, scaling)

    const partial = `${job.outDir}.partial-${process.pid}`
    await rm(partial, { recursive: true, force: true })
    await mkdir(partial, { recursive: true })
    try {
      await exporter.write(exportModel, partial)
      const verification: Verification = exporter.verify ? await exporter.verify(exportModel, partial, sample) : { verified_by: null, max_abs_diff: null, rows: 0, note: 'this format holds no model to compare' }
      // float32 through different kernels: 1e-4 absolute for outputs up to 1 (probabilities), relative beyond (regression values).
      const allowed = PARITY_TOLERANCE * sample.expected.reduce((largest, v) => Math.max(largest, Math.abs(v)), 1)
      if (verification.max_abs_diff !== null && !(verification.max_abs_diff <= allowed)) {
        throw new Error(`the ${exporter.label} export does not reproduce the app's predictions (max |Δ| ${verification.max_abs_diff} over ${verification.rows} rows, checked with ${verification.verified_by}); nothing was written — please report this model`)
      }
      await rm(job.outDir, { recursive: true, force: true })
      await rename(partial, job.outDir)
      const files: ExportedFileInfo[] = []
      for (const file of (await filesIn(job.outDir)).sort()) {
        const data = await readFile(file)
        files.push({ name: relative(job.outDir, file), size: (await stat(file)).size, sha256: createHash('sha256').update(data).digest('hex') })
      }
      return { format: job.format, dir: job.outDir, files, verification, weights: job.weights, epoch: job.meta.epoch }
    } finally {
      await rm(partial, { recursive: true, force: true })
    }
  } finally {
    model.dispose()
  }
}
