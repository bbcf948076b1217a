// What the Train view decides without the back end: default settings from the data set's task,
// and whether Start is allowed (with the reason shown when it is not).
import type { DatasetDescriptor, Task } from '../../../../shared/dataset'
import type { ModelSpec } from '../../../../shared/model-spec'
import { lossForTask, lossesForTask, trainingConfigSchema, type TrainingConfig } from '../../../../shared/training'

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
  validation: { ok: boolean; errors: { message: string; layer?: number | null }[] }
  dataset: DatasetDescriptor | null | undefined
  busy: boolean
  config?: TrainingConfig
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
    return { key: 'train.refuse.invalidSpec', params: { count: input.validation.errors.length, message: first?.message ?? '' } }
  }
  const modelShape = input.spec.input_shape
  const dataShape = input.dataset.feature_shape
  const same = modelShape.length === dataShape.length && modelShape.every((d, i) => d === dataShape[i])
  if (!same) return { key: 'train.refuse.shape', params: { model: shapeText(modelShape), data: shapeText(dataShape), dataset: input.dataset.name } }
  if (input.config && input.config.budget.kind === 'epochs' && input.config.budget.epochs < 1) return { key: 'train.refuse.epochs' }
  return null
}
