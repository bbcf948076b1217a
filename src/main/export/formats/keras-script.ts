// Keras training script: train.py (see src/shared/keras-script.ts) with the run's own splits as
// data.npz (a zip of .npy files: x_train/y_train, x_val/y_val, x_test/y_test, the inputs scaled as
// the network saw them; the initial weights when the run started from given ones; the scaling
// constants), preprocessing.json, preprocess.py and a README. It reproduces a run rather than
// holding its trained weights, so there is nothing to verify by predictions (no verify()).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { zipSync } from 'fflate'
import { planMetrics, MetricPlanError } from '../../engine/metric-plan'
import { kerasScript, type KerasLabels } from '../../../shared/keras-script'
import { LAYER_CLASSES } from '../../../shared/model-spec/registry'
import { encodeNpy } from '../helpers/npy'
import { preprocessPy } from '../helpers/preprocess-py'
import { headerSection, outputSection } from '../helpers/readme'
import { ExportRefusal, type ExportModel, type ExportSplit, type ExportTraining, type Exporter } from '../types'

const FORMAT = 'keras_script'

/** The .npz NumPy writes with np.savez: a zip whose members are `<key>.npy`. Stored, not deflated (np.load reads both). */
export function encodeNpz(arrays: Record<string, { data: Float32Array | Int32Array; shape: number[] }>): Uint8Array {
  const members: Record<string, Uint8Array> = {}
  for (const [key, array] of Object.entries(arrays)) members[`${key}.npy`] = encodeNpy(array.data, array.shape)
  return zipSync(members, { level: 0 })
}

/** How the labels reach the loss in Keras: the same decision as the engine's metric plan. */
export function kerasLabels(model: ExportModel, training: ExportTraining): KerasLabels {
  const outputUnits = model.output_shape[model.output_shape.length - 1] ?? 1
  let form: 'one_hot' | 'as_is'
  try {
    form = planMetrics({ loss: training.config.loss, metrics: training.config.metrics, outputUnits, task: training.task, numClasses: training.num_classes, targetSize: training.target_size }).labelForm
  } catch (error) {
    if (error instanceof MetricPlanError) throw new ExportRefusal(FORMAT, null, `The run's loss does not fit its data: ${error.message}`)
    throw error
  }
  if (form === 'as_is') return 'as_is'
  return training.config.loss === 'sparse_categorical_crossentropy' ? 'sparse' : 'one_hot'
}

function splitArrays(split: ExportSplit, inputShape: number[], targetSize: number, labels: KerasLabels) {
  const y = labels === 'as_is' ? { data: split.y, shape: [split.count, targetSize] } : { data: Int32Array.from(split.y), shape: [split.count] }
  return { x: { data: split.x, shape: [split.count, ...inputShape] }, y }
}

/** Scaling the saved model can take as a Normalization layer: every scale positive and finite. */
function bakeableScaling(model: ExportModel): boolean {
  return model.scaling !== null && model.scaling.scale.every((s) => Number.isFinite(s) && s > 0) && model.scaling.offset.every(Number.isFinite)
}

function readme(model: ExportModel, training: ExportTraining, scaling: boolean, labels: KerasLabels): string {
  const config = training.config
  const { train, validation, test } = training.data
  const budget = config.budget.kind === 'epochs' ? `${config.budget.epochs} epochs of batches of ${config.batch_size}` : `exactly ${config.budget.steps} steps of random batches of ${config.batch_size} (evaluated every ${config.budget.eval_every} steps)`
  const lines = [
    ...headerSection(model, 'Keras training script'),
    '`train.py` rebuilds this model in Keras 3 (Keras 2.x works too) and trains it as the workbench run did:',
    `${config.optimizer.name} from learning rate ${config.optimizer.learning_rate}${config.schedule.kind !== 'constant' ? ` with the ${config.schedule.kind.replace(/_/g, ' ')} schedule` : ''}, loss \`${config.loss}\`, ${budget}, seed ${training.seed}` +
      `${config.early_stopping ? `, early stopping on \`${config.early_stopping.monitor}\` (patience ${config.early_stopping.patience})` : ''}.`,
    '',
    '```sh',
    'pip install numpy keras tensorflow   # or keras with the jax or torch backend',
    'python train.py',
    '```',
    '',
    '| file | what |',
    '|---|---|',
    '| `train.py` | builds, compiles and fits the model, evaluates it on the test rows, saves `model.keras` |',
    `| \`data.npz\` | the run's own rows: \`x_train\`/\`y_train\` (${train.count})${validation ? `, \`x_val\`/\`y_val\` (${validation.count}, the rows the run validated on)` : ''}${test ? `, \`x_test\`/\`y_test\` (${test.count})` : ''}; inputs already scaled as the network saw them, labels ${labels === 'as_is' ? 'as values' : 'as class indices (train.py one-hot encodes them where the loss needs it)'}${training.initial_weights?.length ? '; the initial weights (`init_<layer>_<i>`)' : ''}${model.scaling ? '; the scaling constants (`scaling_offset`, `scaling_scale`)' : ''} |`,
    '| `preprocessing.json` | columns, one-hot vocabularies, scaling, class names |',
    '| `preprocess.py` | raw records → model input (standard library only) |',
    '',
    scaling
      ? '`model.keras` takes RAW inputs: train.py puts the scaling `(raw − offset) · scale` in front of the trained network as a `Normalization` layer. The arrays in `data.npz` are already scaled; train.py trains on them as they are.'
      : model.scaling
        ? '`model.keras` takes SCALED inputs like `data.npz`: apply `(raw − offset) · scale` from `preprocessing.json` first.'
        : 'The run trained on its inputs as they are (no scaling).',
    '',
    'A fresh Keras run gives results like the workbench\'s, not the same digits: Keras draws its own initial weights' + (training.initial_weights?.length ? ' (here the run\'s given initial weights are loaded)' : '') + ', shuffles and dropout masks from the seed.',
    '',
    ...outputSection(model),
    ''
  ]
  return lines.join('\n')
}

export const kerasScriptExporter: Exporter = {
  id: FORMAT,
  label: 'Keras training script',
  holds: ['train.py (Keras 3) that retrains the model as the run did', "data.npz: the run's train, validation and test rows", 'preprocessing.json and preprocess.py', 'README.md'],
  supports(layer) {
    return layer.class_name in LAYER_CLASSES && layer.class_name !== 'InputLayer'
  },
  async write(model: ExportModel, dir: string): Promise<string[]> {
    const training = model.training
    if (!training) throw new ExportRefusal(FORMAT, null, "The Keras training script needs the run's training data and config; export it from a run that has finished training.")
    for (const layer of model.layers) {
      if (!this.supports(layer)) throw new ExportRefusal(FORMAT, { index: layer.index, class_name: layer.class_name, name: layer.name }, `The Keras training script cannot write layer ${layer.index + 1} (${layer.class_name} "${layer.name}").`)
    }
    const labels = kerasLabels(model, training)
    const { train, validation, test } = training.data
    const arrays: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {}
    const add = (name: string, split: ExportSplit | undefined): void => {
      if (!split) return
      const { x, y } = splitArrays(split, model.input_shape, training.target_size, labels)
      arrays[`x_${name}`] = x
      arrays[`y_${name}`] = y
    }
    add('train', train)
    add('val', validation)
    add('test', test)
    if (training.config.validation.kind !== 'none' && !validation) throw new ExportRefusal(FORMAT, null, 'The run validated on held-out rows, but the export has no validation split to write; export again from the run folder.')

    // Initial weights: the run's own, else explicit weights in the spec (shapes as the trained layer's).
    const initial: Array<{ layer: string; keys: string[] }> = []
    const byIndex = new Map(model.layers.map((layer) => [layer.index, layer]))
    const given = training.initial_weights ?? model.layers.filter((layer) => layer.spec.weights?.length).map((layer) => ({
      index: layer.index,
      weights: layer.weights.map((w, i) => ({ name: w.name, shape: w.shape, data: Float32Array.from(layer.spec.weights![i] ?? []) }))
    }))
    for (const { index, weights } of given) {
      const layer = byIndex.get(index)
      if (!layer || weights.length === 0) continue
      const keys = weights.map((weight, i) => {
        const key = `init_${index}_${i}`
        if (weight.data.length !== weight.shape.reduce((a, b) => a * b, 1)) throw new ExportRefusal(FORMAT, { index, class_name: layer.class_name, name: layer.name }, `The initial weight ${i} of layer ${index + 1} (${layer.name}) has ${weight.data.length} values for shape [${weight.shape.join(', ')}].`)
        arrays[key] = { data: weight.data, shape: weight.shape }
        return key
      })
      initial.push({ layer: layer.name, keys })
    }
    if (model.scaling) {
      arrays.scaling_offset = { data: Float32Array.from(model.scaling.offset), shape: [model.scaling.offset.length] }
      arrays.scaling_scale = { data: Float32Array.from(model.scaling.scale), shape: [model.scaling.scale.length] }
    }
    const scaling = bakeableScaling(model)
    let script: string
    try {
      script = kerasScript(model.spec, training.config, {
        runName: model.meta.run_name,
        datasetName: model.meta.dataset_name,
        labels,
        numClasses: training.num_classes,
        splits: { validation: Boolean(validation), test: Boolean(test) },
        initialWeights: initial,
        scaling
      })
    } catch (error) {
      throw new ExportRefusal(FORMAT, null, (error as Error).message)
    }
    await writeFile(join(dir, 'train.py'), script)
    await writeFile(join(dir, 'data.npz'), encodeNpz(arrays))
    const preprocessing = { ...model.preprocessing, scaling_in_model: model.scaling ? scaling : model.preprocessing.scaling_in_model }
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(preprocessing, null, 2) + '\n')
    await writeFile(join(dir, 'preprocess.py'), preprocessPy(preprocessing))
    await writeFile(join(dir, 'README.md'), readme(model, training, scaling, labels))
    return ['train.py', 'data.npz', 'preprocessing.json', 'preprocess.py', 'README.md']
  }
}
