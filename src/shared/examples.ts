// The seed documents' experiments (S1–S7 of design/SEED_EXPERIMENTS.md) as ready examples: model
// spec, training config and data set, plus the figures each seed reports and the floor a run must clear.
import type { Example } from './contract'
import { SPEC_FORMAT, SPEC_VERSION, type LayerSpec, type ModelSpec } from './model-spec'
import { trainingConfigSchema, type TrainingConfigInput } from './training'

function spec(name: string, inputShape: number[], layers: LayerSpec[]): ModelSpec {
  return { format: SPEC_FORMAT, version: SPEC_VERSION, name, input_shape: inputShape, layers }
}

/** Seed 000's hand-written network draws every weight, biases included, from uniform[-1, 1]. */
const UNIFORM_PM1 = { class_name: 'RandomUniform', config: { minval: -1, maxval: 1 } }
const dense = (name: string, units: number, activation = 'linear', extra: Record<string, unknown> = {}): LayerSpec => ({ class_name: 'Dense', config: { name, units, activation, ...extra } })
const act = (name: string, activation: string): LayerSpec => ({ class_name: 'Activation', config: { name, activation } })
const dropout = (name: string, rate: number): LayerSpec => ({ class_name: 'Dropout', config: { name, rate } })
const config = (input: TrainingConfigInput) => trainingConfigSchema.parse(input)
/** A layer that takes the outputs of `inbound` (graph templates). */
const node = (layer: LayerSpec, inbound: string[]): LayerSpec => ({ ...layer, inbound })
const conv2d = (name: string, filters: number, kernel: number, extra: Record<string, unknown> = {}): LayerSpec => ({ class_name: 'Conv2D', config: { name, filters, kernel_size: [kernel, kernel], activation: 'relu', ...extra } })
const conv1d = (name: string, filters: number, kernel: number, extra: Record<string, unknown> = {}): LayerSpec => ({ class_name: 'Conv1D', config: { name, filters, kernel_size: [kernel], activation: 'relu', ...extra } })
const layer = (class_name: string, name: string, extra: Record<string, unknown> = {}): LayerSpec => ({ class_name, config: { name, ...extra } })

/** The templates' training: Adam at `learningRate`, accuracy, no validation split (the floor is measured on the test split). */
const adamTemplate = (learningRate: number, loss: TrainingConfigInput['loss'], budget: TrainingConfigInput['budget'], batchSize: number) =>
  config({ optimizer: { name: 'adam', learning_rate: learningRate }, loss, metrics: ['accuracy'], budget, batch_size: batchSize, validation: { kind: 'none' } })

/** Seed 004's hand-picked initial weights (kernel, bias per Dense layer, flattened row-major). */
export const SEED_004_INITIAL_WEIGHTS: number[][][] = [
  [[-0.82203424, -0.9185806, 0.03494298], [0, 0, 0]],
  [[1.0692896, 0.62761235, -0.5426246], [0]]
]

export const EXAMPLES: Example[] = [
  {
    id: 'S1',
    title: 'Breast cancer, one sigmoid hidden layer, 30 000 SGD steps',
    seed_document: '000',
    description:
      'The hand-written network of seed 000 on the Wisconsin breast-cancer table (569 rows, 30 raw, unscaled features, 20% held out): 20 sigmoid units, a sigmoid output, every weight drawn from uniform[-1, 1], 30 000 steps of SGD on random batches of 100 with the step size decaying as lr0 / (1 + 0.001 n).',
    spec: spec('breast-cancer-ann', [30], [
      dense('dense_1', 20, 'sigmoid', { kernel_initializer: UNIFORM_PM1, bias_initializer: UNIFORM_PM1 }),
      dense('dense_2', 1, 'sigmoid', { kernel_initializer: UNIFORM_PM1, bias_initializer: UNIFORM_PM1 })
    ]),
    config: config({
      optimizer: { name: 'sgd', learning_rate: 0.005 },
      schedule: { kind: 'time_decay', decay: 0.001 },
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'steps', steps: 30000, eval_every: 1000 },
      batch_size: 100,
      validation: { kind: 'none' },
      seed: 10
    }),
    dataset_id: 'breast-cancer'
  },
  {
    id: 'S2',
    title: 'MNIST 6 000 raw images, 300 sigmoid units, 20 000 SGD steps',
    seed_document: '000',
    description:
      'Seed 000 on 6 000 random MNIST training images with raw 0–255 pixels, tested on the full 10 000: 300 sigmoid units and a softmax output, weights uniform[-1, 1], SGD from 0.1 decaying as lr0 / (1 + 0.001 n) over 20 000 steps of 100 random images.',
    spec: spec('mnist-6k-ann', [784], [
      dense('dense_1', 300, 'sigmoid', { kernel_initializer: UNIFORM_PM1, bias_initializer: UNIFORM_PM1 }),
      dense('dense_2', 10, 'softmax', { kernel_initializer: UNIFORM_PM1, bias_initializer: UNIFORM_PM1 })
    ]),
    config: config({
      optimizer: { name: 'sgd', learning_rate: 0.1 },
      schedule: { kind: 'time_decay', decay: 0.001 },
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'steps', steps: 20000, eval_every: 1000 },
      batch_size: 100,
      validation: { kind: 'none' },
      seed: 10
    }),
    dataset_id: 'mnist-raw-6k'
  },
  {
    id: 'S3',
    title: 'MNIST with Dropout, Keras SGD, 100 epochs',
    seed_document: '000',
    description:
      'The Keras model at the end of seed 000: Dropout(0.2) on the 784 raw pixels, Dense(300) with a sigmoid Activation, Dropout(0.2), Dense(10) with softmax; SGD lr 0.01 with Keras decay 1e-6 per step, batches of 100, 100 epochs over all 60 000 images. Long: a benchmark rather than a quick check.',
    spec: spec('mnist-dropout', [784], [
      dropout('dropout_1', 0.2),
      dense('dense_1', 300),
      act('activation_1', 'sigmoid'),
      dropout('dropout_2', 0.2),
      dense('dense_2', 10),
      act('activation_2', 'softmax')
    ]),
    config: config({
      optimizer: { name: 'sgd', learning_rate: 0.01 },
      schedule: { kind: 'time_decay', decay: 1e-6 },
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'epochs', epochs: 100 },
      batch_size: 100,
      validation: { kind: 'none' }
    }),
    dataset_id: 'mnist-raw'
  },
  {
    id: 'S4',
    title: 'MNIST, Dense(512, relu), plain SGD, 5 epochs',
    seed_document: '001',
    description: "Seed 001's first Keras network: pixels scaled to [0, 1], Dense(512, relu) then Dense(10, softmax), optimizer 'sgd' (lr 0.01), batches of 128, 5 epochs; the seed reports test accuracy 0.9133.",
    spec: spec('mnist-512', [784], [dense('dense_1', 512, 'relu'), dense('dense_2', 10, 'softmax')]),
    config: config({
      optimizer: { name: 'sgd', learning_rate: 0.01 },
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'epochs', epochs: 5 },
      batch_size: 128,
      validation: { kind: 'none' }
    }),
    dataset_id: 'mnist'
  },
  {
    id: 'S5',
    title: 'MNIST, 32 relu units, RMSprop, 2 epochs',
    seed_document: '003',
    description:
      "Seed 003's classifier: pixels / 255, Dense(32) → Activation(relu) → Dense(10) → Activation(softmax), RMSprop lr 0.001, rho 0.9, epsilon 1e-8, batches of 32, 2 epochs. Reported: epoch 1 loss 0.3506 acc 0.9025, epoch 2 loss 0.1995 acc 0.9421, test loss 0.1725 acc 0.9489.",
    spec: spec('mnist-32', [784], [dense('dense_1', 32), act('activation_1', 'relu'), dense('dense_2', 10), act('activation_2', 'softmax')]),
    config: config({
      optimizer: { name: 'rmsprop', learning_rate: 0.001, rho: 0.9, epsilon: 1e-8 },
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'epochs', epochs: 2 },
      batch_size: 32,
      validation: { kind: 'none' }
    }),
    dataset_id: 'mnist'
  },
  {
    id: 'S6',
    title: 'Random labels: a network memorises noise',
    seed_document: '002',
    description:
      "Seed 002's first Keras model on 1 000 random 100-dimensional inputs with random 0/1 labels: Dense(32) → relu → Dense(1) → sigmoid, RMSprop, batches of 32, 10 epochs. The labels are noise, so training accuracy climbs while held-out accuracy stays near 0.5.",
    spec: spec('random-binary', [100], [dense('dense_1', 32), act('activation_1', 'relu'), dense('dense_2', 1), act('activation_2', 'sigmoid')]),
    config: config({
      optimizer: { name: 'rmsprop' },
      loss: 'binary_crossentropy',
      metrics: ['accuracy'],
      budget: { kind: 'epochs', epochs: 10 },
      batch_size: 32,
      validation: { kind: 'none' }
    }),
    dataset_id: 'random-binary'
  },
  {
    id: 'S7',
    title: 'y = 2x with three relu units',
    seed_document: '004',
    description:
      "Seed 004's first Keras model: x = [1, 2, 3, 4], y = 2x, Dense(3, relu) on a 1-value input then Dense(1, linear); 6 + 4 = 10 parameters. SGD lr 0.01, mean squared error, one batch of 4, 100 epochs; predict([5, 6]) should come near [10, 12]. The seed's hand-picked initial weights are in SEED_004_INITIAL_WEIGHTS (with them two of the three relu units start dead).",
    spec: spec('seed004', [1], [dense('dense_1', 3, 'relu'), dense('dense_2', 1, 'linear')]),
    config: config({
      optimizer: { name: 'sgd', learning_rate: 0.01 },
      loss: 'mean_squared_error',
      metrics: ['mae'],
      budget: { kind: 'epochs', epochs: 100 },
      batch_size: 4,
      validation: { kind: 'none' },
      // With the default seed 42 all three relu units start dead on x > 0 and the fit stalls at the mean.
      seed: 1
    }),
    dataset_id: 'linear-2x'
  },
  // The teaching templates (issue 11): one per layer family, each trains in under a minute here.
  {
    id: 'T1',
    title: 'LeNet-5 on MNIST',
    seed_document: 'template',
    description:
      'LeCun’s classic convolutional network on 28×28×1 MNIST digits (relu and average pooling, as it is usually rebuilt today): Conv2D(6, 5×5, same) → AveragePooling2D → Conv2D(16, 5×5) → AveragePooling2D → Flatten → Dense(120) → Dense(84) → Dense(10, softmax); 61 706 parameters. Shows how convolutions and pooling shrink an image into features: 28×28 → 14×14 → 10×10 → 5×5. Adam, 700 steps of 64 random images (about 45 000 images, three quarters of one epoch).',
    spec: spec('lenet-5', [28, 28, 1], [
      conv2d('conv1', 6, 5, { padding: 'same' }),
      layer('AveragePooling2D', 'pool1', { pool_size: [2, 2] }),
      conv2d('conv2', 16, 5),
      layer('AveragePooling2D', 'pool2', { pool_size: [2, 2] }),
      layer('Flatten', 'flatten'),
      dense('fc1', 120, 'relu'),
      dense('fc2', 84, 'relu'),
      dense('output', 10, 'softmax')
    ]),
    config: adamTemplate(0.002, 'sparse_categorical_crossentropy', { kind: 'steps', steps: 700, eval_every: 700 }, 64),
    dataset_id: 'mnist'
  },
  {
    id: 'T2',
    title: 'Residual MLP with two skips (breast cancer)',
    seed_document: 'template',
    description:
      'A graph, not a stack: BatchNormalization scales the 30 raw measurements, then Dense(32) → Dense(32) → Add (a skip around the second Dense) → Dense(32) → Add (a skip around the third) → Dense(1, sigmoid). Each Add sums a layer’s input with its output, so a block only learns a correction to what flows past it: the idea behind ResNets. Adam, 40 epochs on the breast-cancer table.',
    spec: spec('residual-mlp', [30], [
      layer('BatchNormalization', 'scale'),
      dense('dense_1', 32, 'relu'),
      dense('dense_2', 32, 'relu'),
      node(layer('Add', 'skip_1'), ['dense_1', 'dense_2']),
      dense('dense_3', 32, 'relu'),
      node(layer('Add', 'skip_2'), ['skip_1', 'dense_3']),
      dense('output', 1, 'sigmoid')
    ]),
    config: adamTemplate(0.003, 'binary_crossentropy', { kind: 'epochs', epochs: 40 }, 32),
    dataset_id: 'breast-cancer'
  },
  {
    id: 'T3',
    title: 'A ResNet-style block on MNIST',
    seed_document: 'template',
    description:
      'One residual block as in ResNet: a strided Conv2D(16, 3×3) and max pooling make 7×7×16 features; the block runs Conv2D(16, 3×3, relu) → Conv2D(16, 3×3, linear), adds the block’s input back (Add) and only then applies relu; Conv2D(32, 3×3) and GlobalAveragePooling2D (one average per channel instead of Flatten) feed Dense(10, softmax). Shows the identity skip and global pooling. Adam, 600 steps of 64 images.',
    spec: spec('resnet-block', [28, 28, 1], [
      conv2d('stem', 16, 3, { strides: [2, 2], padding: 'same' }),
      layer('MaxPooling2D', 'stem_pool', { pool_size: [2, 2] }),
      conv2d('block_conv1', 16, 3, { padding: 'same' }),
      conv2d('block_conv2', 16, 3, { padding: 'same', activation: 'linear' }),
      node(layer('Add', 'block_add'), ['stem_pool', 'block_conv2']),
      act('block_relu', 'relu'),
      conv2d('widen', 32, 3, { padding: 'same' }),
      layer('GlobalAveragePooling2D', 'gap'),
      dense('output', 10, 'softmax')
    ]),
    config: adamTemplate(0.005, 'sparse_categorical_crossentropy', { kind: 'steps', steps: 600, eval_every: 600 }, 64),
    dataset_id: 'mnist'
  },
  {
    id: 'T4',
    title: '1-D CNN on the running-sum sequences',
    seed_document: 'template',
    description:
      'Convolutions along time on [20, 1] sequences: Conv1D(16, 3) → MaxPooling1D(2) → Conv1D(16, 3) → GlobalAveragePooling1D → Dense(1, sigmoid). Each filter looks at a few neighbouring steps; the global average pools them over the whole sequence, which is what "is the sum above zero" needs. Adam, 30 epochs on running-sum.',
    spec: spec('conv1d-running-sum', [20, 1], [
      conv1d('conv1', 16, 3),
      layer('MaxPooling1D', 'pool1', { pool_size: [2] }),
      conv1d('conv2', 16, 3),
      layer('GlobalAveragePooling1D', 'gap'),
      dense('output', 1, 'sigmoid')
    ]),
    config: adamTemplate(0.01, 'binary_crossentropy', { kind: 'epochs', epochs: 30 }, 32),
    dataset_id: 'running-sum'
  },
  {
    id: 'T5',
    title: 'LSTM on the running-sum sequences',
    seed_document: 'template',
    description:
      'A recurrent network reads the [20, 1] sequence one step at a time: LSTM(16) keeps a state that carries the running total from step to step, and Dense(1, sigmoid) reads the last state: is the sum above zero? Adam, 6 epochs on running-sum.',
    spec: spec('lstm-running-sum', [20, 1], [layer('LSTM', 'lstm', { units: 16 }), dense('output', 1, 'sigmoid')]),
    config: adamTemplate(0.01, 'binary_crossentropy', { kind: 'epochs', epochs: 6 }, 32),
    dataset_id: 'running-sum'
  },
  {
    id: 'T6',
    title: 'Embedding + pooling text classifier (topic tokens)',
    seed_document: 'template',
    description:
      'Text as integer token ids: Embedding(50 → 16) turns each of the 16 ids into a learned vector, GlobalAveragePooling1D averages the vectors of a sentence (word order is ignored: a bag of words), Dense(4, softmax) names the topic. Shows that Embedding’s input_dim must cover the vocabulary (50 ids, 0 = padding). Adam, 10 epochs on tokens.',
    spec: spec('embedding-topics', [16], [
      layer('Embedding', 'embedding', { input_dim: 50, output_dim: 16 }),
      layer('GlobalAveragePooling1D', 'average'),
      dense('output', 4, 'softmax')
    ]),
    config: adamTemplate(0.01, 'sparse_categorical_crossentropy', { kind: 'epochs', epochs: 10 }, 32),
    dataset_id: 'tokens'
  }
]

export interface SeedTarget {
  /** What the run is judged on, in words. */
  metric: string
  /** The seed document's own figure, as it reports it. */
  reported: string
  /** The bound a correct implementation clears (a count for S7, unused for S6). */
  floor: number
  /** The floor in words, for the table. */
  floor_text: string
  /** gte: reproduced ≥ floor; custom: a rule of its own, described by floor_text. */
  compare: 'gte' | 'lte' | 'custom'
  /** The run metric compared with the floor (final metric key), when compare is gte/lte. */
  run_metric: string | null
}

/** Reported figures and floors per experiment, for `reproduce` to print side by side. */
export const SEED_TARGETS: Record<string, SeedTarget> = {
  S1: { metric: 'test accuracy', reported: 'train and test ≈ 0.92', floor: 0.88, floor_text: '≥ 0.88', compare: 'gte', run_metric: 'test_acc' },
  S2: { metric: 'test accuracy', reported: 'train > 0.93, test 0.85', floor: 0.8, floor_text: '≥ 0.80', compare: 'gte', run_metric: 'test_acc' },
  S3: { metric: 'test accuracy', reported: 'train 0.98, test 0.97', floor: 0.96, floor_text: '≥ 0.96', compare: 'gte', run_metric: 'test_acc' },
  S4: { metric: 'test accuracy', reported: '0.9133', floor: 0.9, floor_text: '≥ 0.90', compare: 'gte', run_metric: 'test_acc' },
  S5: { metric: 'test accuracy', reported: 'test loss 0.1725, acc 0.9489', floor: 0.935, floor_text: '≥ 0.935', compare: 'gte', run_metric: 'test_acc' },
  S6: { metric: 'train acc vs held-out acc', reported: 'none (train climbs, held-out ≈ 0.5)', floor: 0, floor_text: 'train acc > held-out acc', compare: 'custom', run_metric: null },
  S7: { metric: 'parameters; predict([5, 6])', reported: '10; ≈ [10, 12]', floor: 10, floor_text: '10 exactly; each prediction within ±1.5', compare: 'custom', run_metric: null }
}

/**
 * The templates' floors (T1–T6): each measured on this project's 2-core machines (wasm backend)
 * with the template's own config and seed, and the trainer's CPU seconds (wall time is about the
 * same on an idle core); the floor sits a little below, for the other backends' rounding.
 * `reported` is that measurement (templates have no seed document).
 */
export const TEMPLATE_TARGETS: Record<string, SeedTarget> = {
  T1: { metric: 'test accuracy', reported: 'measured 0.972 (wasm, 42 CPU s)', floor: 0.95, floor_text: '≥ 0.95', compare: 'gte', run_metric: 'test_acc' },
  T2: { metric: 'test accuracy', reported: 'measured 0.982 (wasm, 4 CPU s)', floor: 0.95, floor_text: '≥ 0.95', compare: 'gte', run_metric: 'test_acc' },
  T3: { metric: 'test accuracy', reported: 'measured 0.942 (wasm, 37 CPU s)', floor: 0.92, floor_text: '≥ 0.92', compare: 'gte', run_metric: 'test_acc' },
  T4: { metric: 'test accuracy', reported: 'measured 0.870 (wasm, 10 CPU s)', floor: 0.85, floor_text: '≥ 0.85', compare: 'gte', run_metric: 'test_acc' },
  T5: { metric: 'test accuracy', reported: 'measured 0.960 (wasm, 10 CPU s)', floor: 0.93, floor_text: '≥ 0.93', compare: 'gte', run_metric: 'test_acc' },
  T6: { metric: 'test accuracy', reported: 'measured 1.000 (wasm, 2 CPU s)', floor: 0.98, floor_text: '≥ 0.98', compare: 'gte', run_metric: 'test_acc' }
}

/** The floor of an example: a seed experiment's (SEED_TARGETS) or a template's (TEMPLATE_TARGETS). */
export function exampleTarget(id: string): SeedTarget | undefined {
  return SEED_TARGETS[id] ?? TEMPLATE_TARGETS[id]
}
