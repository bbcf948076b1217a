// What the Train view decides without the back end: default settings from the data set's task,
// and whether Start is allowed (with the reason shown when it is not).
import type { DatasetDescriptor, Task } from '../../../../shared/dataset'
import type { ModelSpec } from '../../../../shared/spec'
import { trainingConfigSchema, type LossName, type MetricName, type TrainingConfig } from '../../../../shared/training'

/** Loss and metrics that fit a task: the labels are class indices for multiclass sets, hence the sparse loss. */
export function lossForTask(task: Task): { loss: LossName; metrics: MetricName[] } {
  switch (task) {
    case 'binary':
      return { loss: 'binary_crossentropy', metrics: ['accuracy'] }
    case 'multiclass':
      return { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }
    case 'regression':
      return { loss: 'mean_squared_error', metrics: ['mae'] }
  }
}

/** Losses that make sense for a task, the default first. */
export function lossesForTask(task: Task): LossName[] {
  switch (task) {
    case 'binary':
      return ['binary_crossentropy', 'mean_squared_error']
    case 'multiclass':
      return ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'mean_squared_error']
    case 'regression':
      return ['mean_squared_error', 'mean_absolute_error']
  }
}

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
