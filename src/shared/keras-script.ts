// Writes train.py: a Python script that rebuilds a run's model in Keras 3 (Keras 2.x where it is
// the same call; a graph with the functional API) and retrains it as the workbench did, on the run's own data from data.npz beside
// it (x_train/y_train, x_val/y_val, x_test/y_test, already scaled as the network saw them):
// the same layers, initializers and regularizers, the optimizer with float arguments (Keras 3's
// SGD refuses momentum=0), the schedule, the exact step or epoch budget, the same validation rows
// (never the test set), early stopping with Keras semantics and the seed. The export module
// src/main/export/formats/keras-script.ts writes data.npz and passes what it knows about the data.
import { MERGE_CLASSES, MODEL_INPUT, inferShapes, isSequentialSpec, layerNames, specGraph, type ModelSpec } from './model-spec'
import { INITIALIZERS, intPairs, LAYER_CLASSES, resolveInitializer, resolveRegularizer, type FieldDescriptor } from './model-spec/registry'
import type { InitializerValue, RegularizerValue } from './model-spec/schema'
import { canonicalMetricName, kerasMetricName, metricPrefersHigher, type LossName, type OptimizerConfig, type TrainingConfig } from './training'

/** How class labels reach the loss: one-hot (keras.utils.to_categorical), integer class indices (sparse losses), or as stored. */
export type KerasLabels = 'one_hot' | 'sparse' | 'as_is'

export interface KerasScriptOptions {
  runName?: string
  datasetName?: string
  /** Label layout; default from the loss (categorical_crossentropy → one_hot, sparse_… → sparse, else as_is). */
  labels?: KerasLabels
  /** Classes for to_categorical; default: the output layer's units. */
  numClasses?: number
  /** Which splits data.npz holds besides the training rows; default from the config (validation unless 'none', test when evaluate_test). */
  splits?: { validation: boolean; test: boolean }
  /** Layers that start from given weights: data.npz holds them under `keys` (in Keras's order). */
  initialWeights?: Array<{ layer: string; keys: string[] }>
  /** data.npz holds scaling_offset/scaling_scale: the saved model.keras gets them as a first Normalization layer (raw inputs in). */
  scaling?: boolean
}

/** Python literal of a number that Keras must receive as a float (`0` → `0.0`, `1e-8` stays). */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'float("nan")'
  if (!Number.isFinite(value)) return value > 0 ? 'float("inf")' : '-float("inf")'
  const text = String(value)
  return /[.e]/.test(text) ? text : `${text}.0`
}

function pyInt(value: number): string {
  if (!Number.isInteger(value)) throw new Error(`expected an integer, got ${value}`)
  return String(value)
}

function pyString(value: string): string {
  return JSON.stringify(value)
}

function pyIntTuple(values: number[]): string {
  return values.length === 1 ? `(${pyInt(values[0])},)` : `(${values.map(pyInt).join(', ')})`
}

function initializerCode(value: InitializerValue): string {
  const resolved = resolveInitializer(value)
  if (!resolved) return pyString(typeof value === 'string' ? value : value.class_name)
  const info = INITIALIZERS[resolved.name]
  const args = info.params.map((param) => `${param.key}=${pyFloat(resolved.params[param.key])}`)
  if (resolved.seed !== null && info.seeded) args.push(`seed=${pyInt(resolved.seed)}`)
  return `keras.initializers.${info.class_name}(${args.join(', ')})`
}

function regularizerCode(value: RegularizerValue): string {
  const resolved = resolveRegularizer(value)
  if (!resolved) return 'None'
  if (resolved.name === 'l1') return `keras.regularizers.L1(l1=${pyFloat(resolved.l1)})`
  if (resolved.name === 'l2') return `keras.regularizers.L2(l2=${pyFloat(resolved.l2)})`
  return `keras.regularizers.L1L2(l1=${pyFloat(resolved.l1)}, l2=${pyFloat(resolved.l2)})`
}

function fieldCode(field: FieldDescriptor, value: unknown): string | null {
  if (value === undefined) return null
  if (value === null) return field.kind === 'regularizer' || field.nullable ? (field.key === 'seed' ? null : 'None') : null
  switch (field.kind) {
    case 'int':
      return pyInt(value as number)
    case 'float':
      return pyFloat(value as number)
    case 'bool':
      return value ? 'True' : 'False'
    case 'enum':
    case 'activation':
      return pyString(String(value))
    case 'int_list':
      return pyIntTuple(Array.isArray(value) ? (value as number[]) : Array.from({ length: field.length ?? 1 }, () => value as number))
    case 'initializer':
      return initializerCode(value as InitializerValue)
    case 'regularizer':
      return regularizerCode(value as RegularizerValue)
    case 'int_pairs':
      return `(${(intPairs(value, field.length ?? 2) ?? []).map(pyIntTuple).join(', ')})`
    case 'layer': {
      const wrapped = value as { class_name: string; config?: Record<string, unknown> }
      const config = wrapped.config ?? {}
      return layerCode(wrapped.class_name, config, typeof config.name === 'string' ? config.name : LAYER_CLASSES[wrapped.class_name]?.name_base ?? 'layer')
    }
  }
}

/** `keras.layers.Dense(units=32, activation="relu", …, name="dense_1")` for one spec layer. */
function layerCode(className: string, config: Record<string, unknown>, name: string): string {
  const info = LAYER_CLASSES[className]
  if (!info) throw new Error(`the Keras script cannot write a ${className} layer`)
  const args: string[] = []
  for (const field of info.fields) {
    const value = config[field.key] === undefined ? field.default : config[field.key]
    const code = fieldCode(field, value)
    if (code !== null) args.push(`${field.key}=${code}`)
  }
  if (config.trainable === false) args.push('trainable=False')
  args.push(`name=${pyString(name)}`)
  return `keras.layers.${className}(${args.join(', ')})`
}

const OPTIMIZER_CLASSES: Record<OptimizerConfig['name'], string> = { sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adagrad: 'Adagrad', adadelta: 'Adadelta', adamax: 'Adamax' }

function optimizerCode(optimizer: OptimizerConfig, learningRate: string): string {
  const args = [`learning_rate=${learningRate}`]
  for (const [key, value] of Object.entries(optimizer)) {
    if (key === 'name' || key === 'learning_rate') continue
    args.push(`${key}=${typeof value === 'boolean' ? (value ? 'True' : 'False') : pyFloat(value as number)}`)
  }
  return `keras.optimizers.${OPTIMIZER_CLASSES[optimizer.name]}(${args.join(', ')})`
}

function defaultLabels(loss: LossName): KerasLabels {
  if (loss === 'categorical_crossentropy') return 'one_hot'
  if (loss === 'sparse_categorical_crossentropy') return 'sparse'
  return 'as_is'
}

/** Python keywords and the names train.py itself uses: a layer's output variable takes another name. */
const PYTHON_RESERVED = [
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'finally',
  'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  'math', 'os', 'sys', 'np', 'keras', 'data', 'labels', 'model', 'optimizer', 'callbacks', 'history', 'saved', 'offset', 'scale', 'random_batches', 'StepBudget'
]

/** Keras identifiers: letters, digits and underscores. */
function identifier(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_') || 'model'
}

/** The Python text of train.py (Keras 3) for the spec and the run's training config. */
export function kerasScript(spec: ModelSpec, config: TrainingConfig, options: KerasScriptOptions = {}): string {
  const shapes = inferShapes(spec)
  // The output layer: the last of a chain, the one no layer takes in a graph.
  const output = specGraph(spec).output
  const outputShape = shapes.layers.find((layer) => layer.name === output)?.output_shape ?? shapes.layers[shapes.layers.length - 1]?.output_shape ?? spec.input_shape
  const outputUnits = outputShape[outputShape.length - 1] ?? 1
  let loss: LossName = config.loss
  let labels = options.labels ?? defaultLabels(loss)
  const wanted = new Set(config.metrics)
  // Keras compares sparse labels with the outputs only for accuracy; for the other metrics the
  // labels go one-hot, and sparse cross-entropy on one-hot labels is categorical cross-entropy.
  const sparseOnly = [...wanted].every((metric) => metric === 'accuracy')
  const switchedToOneHot = labels === 'sparse' && !sparseOnly
  if (switchedToOneHot) {
    labels = 'one_hot'
    loss = 'categorical_crossentropy'
  }
  if (config.optimizer.name === 'sgd' && config.optimizer.momentum > 1) throw new Error(`Keras's SGD takes a momentum between 0 and 1; this run used ${config.optimizer.momentum}.`)
  const numClasses = options.numClasses ?? outputUnits
  const splits = options.splits ?? { validation: config.validation.kind !== 'none', test: config.evaluate_test }
  const batchSize = config.batch_size
  const L: string[] = []
  const line = (text = ''): void => void L.push(text)

  line(`# Generated by Model Workbench${options.runName ? ` from run ${pyString(options.runName)}` : ''}${options.datasetName ? ` (data set ${pyString(options.datasetName)})` : ''}.`)
  line('# Retrains the run\'s model in Keras 3 (Keras 2.x works too) on the run\'s own data in data.npz:')
  line('# the same layers, optimizer, learning-rate schedule, budget, validation rows, early stopping and seed.')
  line('# Run: python train.py   (needs numpy and Keras with a backend, e.g. pip install keras tensorflow)')
  line('# Writes model.keras next to this file. A fresh run gives numbers like the workbench\'s, not the same')
  line('# digits: Keras draws its own random initial weights, shuffles and dropout masks from the seed.')
  line('import math')
  line('import os')
  line('import sys')
  line()
  line('import numpy as np')
  line('import keras')
  line()
  line('HERE = os.path.dirname(os.path.abspath(__file__))')
  line('DATA_FILE = os.path.join(HERE, "data.npz")')
  line('if not os.path.exists(DATA_FILE):')
  line('    sys.exit("data.npz is missing next to train.py: export the run as a Keras training script from Model Workbench, which writes both.")')
  line()
  line(`SEED = ${pyInt(config.seed)}`)
  line(`INPUT_SHAPE = ${pyIntTuple(spec.input_shape)}`)
  line(`BATCH_SIZE = ${pyInt(batchSize)}`)
  if (labels === 'one_hot') line(`NUM_CLASSES = ${pyInt(numClasses)}`)
  line('keras.utils.set_random_seed(SEED)')
  line()
  line('# The splits exactly as the workbench run trained, validated and tested on (inputs already scaled).')
  line('data = np.load(DATA_FILE)')
  const names = ['train', ...(splits.validation ? ['val'] : []), ...(splits.test ? ['test'] : [])]
  line()
  line()
  line('def labels(y):')
  if (labels === 'one_hot') {
    line(`    """Class indices as one-hot rows, as ${switchedToOneHot ? 'categorical cross-entropy and the metrics' : 'categorical_crossentropy'} expect${switchedToOneHot ? ' (sparse cross-entropy on one-hot labels is the same loss)' : ''}."""`)
    line('    return keras.utils.to_categorical(y.reshape(-1).astype("int64"), NUM_CLASSES).astype("float32")')
  } else if (labels === 'sparse') {
    line('    """Integer class indices, as sparse_categorical_crossentropy expects."""')
    line('    return y.reshape(-1).astype("int32")')
  } else {
    line('    """Targets as stored: one row of float values per sample."""')
    line('    return y.astype("float32").reshape(len(y), -1)')
  }
  line()
  line()
  for (const split of names) line(`x_${split}, y_${split} = data["x_${split}"].astype("float32"), labels(data["y_${split}"])`)
  line()
  const layerNameList = layerNames(spec.layers)
  if (isSequentialSpec(spec)) {
    line(`model = keras.Sequential(name=${pyString(identifier(spec.name))})`)
    line('model.add(keras.Input(shape=INPUT_SHAPE))')
    spec.layers.forEach((layer, i) => {
      if (layer.class_name === 'InputLayer') return
      line(`model.add(${layerCode(layer.class_name, layer.config, layerNameList[i])})`)
    })
  } else {
    // A graph: Keras's functional API, one variable per layer output, merges called on a list.
    const graph = specGraph(spec)
    const variables = new Map<string, string>([[MODEL_INPUT, 'inputs']])
    const taken = new Set([...PYTHON_RESERVED, 'inputs'])
    for (const node of graph.nodes) {
      let variable = identifier(node.name)
      while (taken.has(variable)) variable = `${variable}_out`
      taken.add(variable)
      variables.set(node.name, variable)
    }
    line('# The layer graph (Keras functional API): each layer called on the outputs it takes.')
    line('inputs = keras.Input(shape=INPUT_SHAPE)')
    for (const node of graph.nodes) {
      const layer = spec.layers[node.index]
      const args = node.inbound.map((source) => variables.get(source)!)
      const call = MERGE_CLASSES.has(layer.class_name) ? `[${args.join(', ')}]` : args[0]
      line(`${variables.get(node.name)!} = ${layerCode(layer.class_name, layer.config, node.name)}(${call})`)
    }
    line(`model = keras.Model(inputs=inputs, outputs=${variables.get(graph.output)!}, name=${pyString(identifier(spec.name))})`)
  }
  if (options.initialWeights?.length) {
    line('# The weights the workbench run started from.')
    for (const { layer, keys } of options.initialWeights) line(`model.get_layer(${pyString(layer)}).set_weights([${keys.map((key) => `data[${pyString(key)}]`).join(', ')}])`)
  }
  line()

  // Learning rate and schedule.
  const lr0 = pyFloat(config.optimizer.learning_rate)
  const schedule = config.schedule
  const budget = config.budget
  const byEpochs = budget.kind === 'epochs'
  line(`# One optimizer step per batch; an "epoch" of a step budget is ${byEpochs ? 'a pass over x_train' : 'eval_every steps, after which the workbench evaluated'}.`)
  line(budget.kind === 'epochs' ? 'STEPS_PER_EPOCH = math.ceil(len(x_train) / min(BATCH_SIZE, len(x_train)))' : `STEPS_PER_EPOCH = ${pyInt(budget.eval_every)}`)
  let learningRate = lr0
  if (schedule.kind === 'time_decay') {
    line(`# Keras's legacy decay (seed 000): lr = lr0 / (1 + decay * step), step counted from 0.`)
    learningRate = `keras.optimizers.schedules.InverseTimeDecay(initial_learning_rate=${lr0}, decay_steps=1, decay_rate=${pyFloat(schedule.decay)})`
  } else if (schedule.kind === 'exponential') {
    learningRate = `keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=${lr0}, decay_steps=${pyInt(schedule.decay_steps)}, decay_rate=${pyFloat(schedule.decay_rate)})`
  } else if (schedule.kind === 'step_decay') {
    line(`# lr0 * drop ** floor(epoch / ${schedule.every_epochs}), per step: staircase over every_epochs epochs of steps.`)
    learningRate = `keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=${lr0}, decay_steps=${pyInt(schedule.every_epochs)} * STEPS_PER_EPOCH, decay_rate=${pyFloat(schedule.drop)}, staircase=True)`
  }
  line(`optimizer = ${optimizerCode(config.optimizer, learningRate)}`)

  // Metrics under the names the workbench shows (Keras logs accuracy as "accuracy").
  const metrics: string[] = []
  if (wanted.has('accuracy')) {
    const kind = loss === 'binary_crossentropy' || outputUnits === 1 ? 'BinaryAccuracy' : labels === 'sparse' ? 'SparseCategoricalAccuracy' : 'CategoricalAccuracy'
    metrics.push(`keras.metrics.${kind}(name="accuracy")`)
  }
  if (wanted.has('mse')) metrics.push('keras.metrics.MeanSquaredError(name="mse")')
  if (wanted.has('mae')) metrics.push('keras.metrics.MeanAbsoluteError(name="mae")')
  if (wanted.has('precision')) metrics.push('keras.metrics.Precision(name="precision")')
  if (wanted.has('recall')) metrics.push('keras.metrics.Recall(name="recall")')
  if (wanted.has('auc')) metrics.push('keras.metrics.AUC(name="auc")')
  line(`model.compile(optimizer=optimizer, loss=${pyString(loss)}, metrics=[${metrics.join(', ')}])`)
  line('model.summary()')
  line()

  const callbacks: string[] = []
  if (budget.kind === 'steps') {
    line()
    line('class StepBudget(keras.callbacks.Callback):')
    line('    """Stops after exactly `steps` optimizer steps: the last epoch of a step budget may be shorter."""')
    line()
    line('    def __init__(self, steps):')
    line('        super().__init__()')
    line('        self.steps = steps')
    line('        self.done = 0')
    line()
    line('    def on_train_batch_end(self, batch, logs=None):')
    line('        self.done += 1')
    line('        if self.done >= self.steps:')
    line('            self.model.stop_training = True')
    line()
    line()
    line('def random_batches(x, y, batch_size, seed):')
    line('    """Each step a fresh random batch, drawn without replacement within the batch (seed 000\'s SGD)."""')
    line('    rng = np.random.default_rng(seed)')
    line('    size = min(batch_size, len(x))')
    line('    while True:')
    line('        rows = rng.choice(len(x), size=size, replace=False)')
    line('        yield x[rows], y[rows]')
    line()
    line()
    line(`TOTAL_STEPS = ${pyInt(budget.steps)}`)
    callbacks.push('StepBudget(TOTAL_STEPS)')
  }
  const modeFor = (monitor: string, mode: 'auto' | 'min' | 'max'): string => (mode !== 'auto' ? mode : metricPrefersHigher(canonicalMetricName(monitor)) ? 'max' : 'min')
  if (config.early_stopping) {
    const es = config.early_stopping
    callbacks.push(
      `keras.callbacks.EarlyStopping(monitor=${pyString(kerasMetricName(canonicalMetricName(es.monitor)))}, patience=${pyInt(es.patience)}, min_delta=${pyFloat(es.min_delta)}, mode=${pyString(modeFor(es.monitor, es.mode))}, restore_best_weights=${es.restore_best_weights ? 'True' : 'False'})`
    )
  }
  if (schedule.kind === 'reduce_on_plateau') {
    callbacks.push(
      `keras.callbacks.ReduceLROnPlateau(monitor=${pyString(kerasMetricName(canonicalMetricName(schedule.monitor)))}, factor=${pyFloat(schedule.factor)}, patience=${pyInt(schedule.patience)}, mode=${pyString(modeFor(schedule.monitor, 'auto'))}, min_delta=${pyFloat(schedule.min_delta)}, cooldown=${pyInt(schedule.cooldown)}, min_lr=${pyFloat(schedule.min_lr)})`
    )
  }
  line(`callbacks = [${callbacks.join(', ')}]`)
  const validation = splits.validation ? ', validation_data=(x_val, y_val)' : ''
  if (budget.kind === 'epochs') {
    line(`EPOCHS = ${pyInt(budget.epochs)}`)
    line(`history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=${config.shuffle ? 'True' : 'False'}${validation}, callbacks=callbacks, verbose=2)`)
  } else {
    line('# ceil(TOTAL_STEPS / STEPS_PER_EPOCH) epochs; StepBudget ends the last one at exactly TOTAL_STEPS steps.')
    line(`history = model.fit(random_batches(x_train, y_train, BATCH_SIZE, SEED), steps_per_epoch=STEPS_PER_EPOCH, epochs=math.ceil(TOTAL_STEPS / STEPS_PER_EPOCH)${validation}, callbacks=callbacks, verbose=2)`)
  }
  if (splits.test) {
    line()
    line('print("test:", model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, return_dict=True, verbose=0))')
  }
  line()
  if (options.scaling) {
    line('# The saved model takes RAW inputs: the workbench\'s scaling (x - offset) * scale comes first, as a')
    line('# Normalization layer (mean = offset, variance = 1 / scale**2); see preprocessing.json.')
    line('offset = data["scaling_offset"].astype("float32").reshape(INPUT_SHAPE)')
    line('scale = data["scaling_scale"].astype("float32").reshape(INPUT_SHAPE)')
    line('saved = keras.Sequential([keras.Input(shape=INPUT_SHAPE), keras.layers.Normalization(axis=tuple(range(1, len(INPUT_SHAPE) + 1)), mean=offset, variance=1.0 / np.square(scale), name="workbench_scaling"), model], name=model.name + "_raw_inputs")')
  } else {
    line('saved = model')
  }
  line('saved.save(os.path.join(HERE, "model.keras"))')
  line('print("saved", os.path.join(HERE, "model.keras"))')
  return L.join('\n') + '\n'
}
