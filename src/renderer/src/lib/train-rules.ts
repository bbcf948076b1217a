// What the Train view decides without the back end: default settings from the data set's task,
// and whether Start is allowed (with the reason shown when it is not).
import { inputShapeFits, type DatasetDescriptor, type Task } from '../../../shared/dataset'
import { trainingProblems, type ModelSpec, type ShapeSummary } from '../../../shared/model-spec'
import { specErrorText } from '../components/errors'
import { lossForTask, lossesForTask, trainingConfigSchema, type BackendChoice, type TrainingConfig } from '../../../shared/training'

export { lossForTask, lossesForTask }

/** A complete config that trains out of the box on a data set of this task. */
export function defaultConfigForTask(task: Task): TrainingConfig {
  const { loss, metrics } = lossForTask(task)
  return trainingConfigSchema.parse({ loss, metrics })
}

/** Re-targets a config to another task: loss and metrics change only when they do not fit it. */
export function adaptConfigToTask(config: TrainingConfig, task: Task): TrainingConfig {
  if (lossesForTask(task).includes(config.loss)) return config
  const { loss, metrics } = lossForTask(task)
  return { ...config, loss, metrics }
}

export interface Refusal {
  key: string
  params?: Record<string, string | number>
}

export interface StartCheckInput {
  spec: ModelSpec
  validation: { ok: boolean; errors: { message: string; layer?: number | null }[]; summary?: ShapeSummary | null }
  dataset: DatasetDescriptor | null | undefined
  busy: boolean
  config?: TrainingConfig
  /** The model's output shape when shape inference got that far (its last size must fit the labels). */
  outputShape?: readonly number[] | null
  /** Which backends can run here (app.info); absent: not known yet. */
  backends?: readonly BackendAvailability[] | null
}

export interface BackendAvailability {
  name: string
  available: boolean
  reason: string | null
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}

/** Why Start must be refused, or null when a run may start. The first reason that applies wins. */
export function startRefusal(input: StartCheckInput): Refusal | null {
  if (input.busy) return { key: 'train.refuse.busy' }
  if (!input.dataset) return { key: 'train.refuse.noDataset' }
  if (input.spec.layers.length === 0) return { key: 'train.refuse.noLayers' }
  if (!input.validation.ok) {
    // Spec messages already name the layer ("layer 1 (Dense): units must be …").
    const first = input.validation.errors[0]
    return { key: 'train.refuse.invalidSpec', params: { count: input.validation.errors.length, message: first ? specErrorText(first) : '' } }
  }
  const [untrainable] = input.validation.summary ? trainingProblems(input.spec, input.validation.summary) : []
  if (untrainable) return { key: 'train.refuse.untrainable', params: { message: specErrorText(untrainable) } }
  const misfit = datasetMisfit(input.spec, input.outputShape ?? null, input.dataset)
  if (misfit) return { key: misfit.key.replace('train.fit.', 'train.refuse.'), params: misfit.params }
  if (input.config && input.config.budget.kind === 'epochs' && input.config.budget.epochs < 1) return { key: 'train.refuse.epochs' }
  if (input.config && input.backends) {
    const backend = backendProblem(input.config.backend, input.backends)
    if (backend) return { key: 'train.refuse.backend', params: { name: backend.name, reason: backend.reason } }
  }
  return null
}

/**
 * Why a data set does not fit a model, or null: the model's input shape must take the samples'
 * values (inputShapeFits: the same count, as the trainer reshapes), and (when the output shape is known) its last size must be the number of classes
 * (multiclass), 1 (binary: one sigmoid) or the number of targets (regression).
 */
export function datasetMisfit(spec: ModelSpec, outputShape: readonly number[] | null, dataset: DatasetDescriptor): Refusal | null {
  const modelShape = spec.input_shape
  const dataShape = dataset.feature_shape
  if (!inputShapeFits(modelShape, dataShape)) return { key: 'train.fit.shape', params: { model: shapeText(modelShape), data: shapeText(dataShape), dataset: dataset.name } }
  const units = outputShape && outputShape.length ? outputShape[outputShape.length - 1]! : null
  if (units === null || units <= 0) return null
  const wanted = dataset.task === 'multiclass' ? dataset.classes.length : dataset.task === 'binary' ? 1 : dataset.target_size
  if (wanted > 0 && units !== wanted) return { key: `train.fit.outputs.${dataset.task}`, params: { units, wanted, dataset: dataset.name } }
  return null
}

/**
 * The data set to preselect for a model: the first of `preferred` (the last choice, the example's,
 * the Datasets view's selection) that fits it, else the first in the list that fits, else the
 * first preferred one (whose misfit is then shown).
 */
export function chooseDataset(spec: ModelSpec, outputShape: readonly number[] | null, items: readonly DatasetDescriptor[], preferred: readonly (string | null | undefined)[]): string | null {
  const known = preferred.filter((id): id is string => !!id && items.some((d) => d.id === id))
  const fits = (d: DatasetDescriptor) => !datasetMisfit(spec, outputShape, d)
  for (const id of known) if (fits(items.find((d) => d.id === id)!)) return id
  return items.find(fits)?.id ?? known[0] ?? items[0]?.id ?? null
}

/** The chosen backend when it cannot run here (with why), else null; `auto` always can. */
export function backendProblem(choice: BackendChoice, backends: readonly BackendAvailability[]): { name: string; reason: string } | null {
  if (choice === 'auto') return null
  const entry = backends.find((b) => b.name === choice)
  if (!entry || entry.available) return null
  return { name: choice, reason: entry.reason ?? '' }
}
