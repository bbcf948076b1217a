// Every bad input the importers know about, as one table: the file(s) given → the words the
// error must contain. Each failed import must leave the datasets folder exactly as it was.
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataImportError, DatasetLibrary } from '../src/main/data'
import type { CsvImportOptions, IdxImportOptions } from '../src/shared/dataset'

function idxImages(count: number, rows = 28, cols = 28, seed = 1): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x803, 0)
  header.writeUInt32BE(count, 4)
  header.writeUInt32BE(rows, 8)
  header.writeUInt32BE(cols, 12)
  const pixels = Buffer.alloc(count * rows * cols)
  let state = seed
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0
    pixels[i] = state >>> 24
  }
  return Buffer.concat([header, pixels])
}

function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(0x801, 0)
  header.writeUInt32BE(labels.length, 4)
  return Buffer.concat([header, Buffer.from(labels)])
}

const fiveImages = idxImages(5)
const fiveLabels = idxLabels([0, 1, 2, 3, 4])
const breastRows = Array.from({ length: 10 }, (_, i) => `${(12 + i * 0.5).toFixed(2)},${18 + i},${i % 2}`)

interface Case {
  name: string
  files: Record<string, string | Buffer>
  csv?: Partial<CsvImportOptions> & { file: string }
  idx?: Partial<Omit<IdxImportOptions, 'train_images' | 'train_labels'>> & { train_images: string; train_labels: string }
  /** The reason key the views translate (and the bad_input code every importer error has). */
  reason: string
  /** Substrings the message must contain. */
  expected: string[]
}

const cases: Case[] = [
  { name: 'empty CSV file', reason: 'csv.empty', files: { 'empty.csv': '' }, csv: { file: 'empty.csv' }, expected: ['empty.csv: the file is empty (0 bytes)'] },
  { name: 'blank lines only', reason: 'csv.no_rows', files: { 'blank.csv': '\n\n\r\n' }, csv: { file: 'blank.csv' }, expected: ['blank.csv: the file holds no rows'] },
  { name: 'header only', reason: 'csv.no_data_rows', files: { 'header.csv': 'a,b,target\n' }, csv: { file: 'header.csv' }, expected: ['header.csv line 2: the file has a header but no data rows'] },
  { name: 'ragged row', reason: 'csv.ragged_row', files: { 'ragged.csv': 'a,b,c\n1,2,3\n4,5\n6,7,8\n' }, csv: { file: 'ragged.csv' }, expected: ['ragged.csv line 3: 2 fields, but the header has 3'] },
  { name: 'ragged row after a quoted multi-line field counts physical lines', reason: 'csv.ragged_row', files: { 'multi.csv': 'a,note,y\n1,"two\nlines",0\n2,x,1,extra\n' }, csv: { file: 'multi.csv', roles: { note: 'ignore' } }, expected: ['multi.csv line 4: 4 fields, but the header has 3'] },
  {
    name: 'text in a numeric column', reason: 'csv.bad_number',
    files: { 'breast.csv': ['mean radius,mean texture,target', ...breastRows, 'abc,20,1', '13.1,21,0'].join('\n') },
    csv: { file: 'breast.csv' },
    expected: ['breast.csv line 12, column "mean radius": "abc" is not a number (the column is numeric']
  },
  { name: 'NaN in a numeric column', reason: 'csv.not_finite', files: { 'nan.csv': 'x,y\n1,0\nNaN,1\n2,0\n' }, csv: { file: 'nan.csv' }, expected: ['nan.csv line 3, column "x": "NaN" is not a finite number'] },
  { name: 'Inf in a numeric column', reason: 'csv.not_finite', files: { 'inf.csv': 'x,y\n1,0\n3,1\n-Inf,1\n' }, csv: { file: 'inf.csv' }, expected: ['inf.csv line 4, column "x": "-Inf" is not a finite number'] },
  { name: 'missing value refused', reason: 'csv.missing_value', files: { 'gaps.csv': 'x,z,y\n1,2,0\n3,,1\n4,5,0\n' }, csv: { file: 'gaps.csv', missing: 'refuse' }, expected: ['gaps.csv line 3, column "z": the cell is empty or missing and missing values are refused'] },
  { name: 'target with one class', reason: 'csv.one_class', files: { 'one.csv': 'x,label\n1,cat\n2,cat\n3,cat\n' }, csv: { file: 'one.csv' }, expected: ['one.csv, column "label": the target has only one class ("cat")'] },
  { name: 'text target as regression', reason: 'csv.regression_text', files: { 'reg.csv': 'x,label\n1,cat\n2,dog\n' }, csv: { file: 'reg.csv', target_kind: 'regression' }, expected: ['reg.csv line 2, column "label": a regression target must be numeric'] },
  { name: 'unclosed quote', reason: 'csv.unclosed_quote', files: { 'quote.csv': 'x,y\n1,0\n"2,1\n3,0\n' }, csv: { file: 'quote.csv' }, expected: ['quote.csv line 3: a quoted field opened on this line is never closed'] },
  { name: 'text after a closing quote', reason: 'csv.text_after_quote', files: { 'junk.csv': 'x,y\n"1"2,0\n' }, csv: { file: 'junk.csv' }, expected: ['junk.csv line 2: unexpected text after a closing quote'] },
  { name: 'role for a column that does not exist', reason: 'csv.unknown_role_column', files: { 'roles.csv': 'x,y\n1,0\n2,1\n' }, csv: { file: 'roles.csv', roles: { price: 'target' } }, expected: ['roles.csv line 1: roles name a column "price" that the header does not have'] },
  { name: 'CSV file that does not exist', reason: 'file.not_found', files: {}, csv: { file: 'nowhere.csv' }, expected: ['nowhere.csv: the file does not exist'] },
  {
    name: 'wrong IDX magic: images given as labels', reason: 'idx.bad_magic',
    files: { 'images.idx': fiveImages, 'labels.idx': fiveImages },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx' },
    expected: ['labels.idx: wrong magic number 0x00000803 (expected 0x00000801, an IDX label file)', 'swapped']
  },
  {
    name: 'truncated gzip', reason: 'idx.gzip_truncated',
    files: { 'train.gz': gzipSync(idxImages(20)).subarray(0, 1234), 'labels.idx': fiveLabels },
    idx: { train_images: 'train.gz', train_labels: 'labels.idx' },
    expected: ['train.gz: the gzip data ends early at byte 1234 (truncated download?)']
  },
  {
    name: 'corrupt gzip data', reason: 'idx.gzip_corrupt',
    files: { 'train.gz': (() => { const gz = Buffer.from(gzipSync(idxImages(20))); for (let i = 100; i < 140; i++) gz[i] ^= 0xff; return gz })(), 'labels.idx': fiveLabels },
    idx: { train_images: 'train.gz', train_labels: 'labels.idx' },
    expected: ['train.gz: the gzip data is corrupt']
  },
  {
    name: 'raw non-IDX file named .gz (an HTML page saved instead of the download)', reason: 'idx.bad_magic',
    files: { 'train-images.gz': '<!DOCTYPE html><html>Not found</html>', 'labels.idx': fiveLabels },
    idx: { train_images: 'train-images.gz', train_labels: 'labels.idx' },
    expected: ['train-images.gz: wrong magic number 0x3c21444f (expected 0x00000803, an IDX image file)', 'the file is raw, not gzip-compressed, despite its .gz name']
  },
  {
    name: 'gzip file whose content is not IDX', reason: 'idx.bad_magic',
    files: { 'images.idx': gzipSync(Buffer.from('hello, world: this is text')), 'labels.idx': fiveLabels },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx' },
    expected: ['images.idx: wrong magic number', 'the file is gzip-compressed and was decompressed first']
  },
  { name: 'gzip inside gzip', reason: 'idx.gzip_twice', files: { 'twice.gz': gzipSync(gzipSync(fiveImages)), 'labels.idx': fiveLabels }, idx: { train_images: 'twice.gz', train_labels: 'labels.idx' }, expected: ['twice.gz: the file is gzip-compressed twice'] },
  { name: 'empty IDX file', reason: 'idx.empty', files: { 'images.idx': Buffer.alloc(0), 'labels.idx': fiveLabels }, idx: { train_images: 'images.idx', train_labels: 'labels.idx' }, expected: ['images.idx: the file is empty'] },
  {
    name: 'truncated raw IDX images', reason: 'idx.truncated',
    files: { 'images.idx': fiveImages.subarray(0, 16 + 784 * 3 + 10), 'labels.idx': fiveLabels },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx' },
    expected: ['images.idx: the header promises 5 images of 28x28 (3920 bytes) but only 2362 bytes of pixels follow', 'the file is raw (not gzip-compressed)']
  },
  {
    name: 'bytes after the last label', reason: 'idx.trailing_bytes',
    files: { 'images.idx': fiveImages, 'labels.idx': Buffer.concat([fiveLabels, Buffer.from([1, 2])]) },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx' },
    expected: ['labels.idx: 2 unexpected bytes after the last of the 5 labels']
  },
  {
    name: 'image and label counts differ', reason: 'idx.count_mismatch',
    files: { 'images.idx': fiveImages, 'labels.idx': idxLabels([0, 1, 2, 3]) },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx' },
    expected: ['labels.idx: 4 labels, but images.idx holds 5 images']
  },
  {
    name: 'label out of range for 10 classes', reason: 'idx.label_out_of_range',
    files: { 'images.idx': fiveImages, 'labels.idx': idxLabels([0, 1, 2, 12, 4]) },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx', num_classes: 10 },
    expected: ['labels.idx: label 12 of item 3 (byte 11 of the IDX data) is out of range: 10 classes allow 0–9']
  },
  {
    name: 'test labels out of range for the classes given', reason: 'idx.label_out_of_range',
    files: { 'images.idx': fiveImages, 'labels.idx': fiveLabels, 'test-images.idx': idxImages(2), 'test-labels.idx': idxLabels([5, 9]) },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx', test_images: 'test-images.idx', test_labels: 'test-labels.idx', num_classes: 6 },
    expected: ['test-labels.idx: label 9 of item 1']
  },
  {
    name: 'test images of another size', reason: 'idx.test_size',
    files: { 'images.idx': fiveImages, 'labels.idx': fiveLabels, 'test-images.idx': idxImages(2, 14, 14), 'test-labels.idx': idxLabels([0, 1]) },
    idx: { train_images: 'images.idx', train_labels: 'labels.idx', test_images: 'test-images.idx', test_labels: 'test-labels.idx' },
    expected: ['test-images.idx: test images are 14x14 but training images are 28x28']
  }
]

async function snapshot(dir: string): Promise<string[]> {
  const entries: string[] = []
  async function walk(path: string, prefix: string): Promise<void> {
    for (const name of (await readdir(path)).sort()) {
      const full = join(path, name)
      const info = await stat(full)
      if (info.isDirectory()) {
        entries.push(`${prefix}${name}/`)
        await walk(full, `${prefix}${name}/`)
      } else entries.push(`${prefix}${name} ${info.size} ${info.mtimeMs}`)
    }
  }
  await walk(dir, '')
  return entries
}

describe('import errors', () => {
  let root: string
  let dataDir: string
  let library: DatasetLibrary

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wb-import-errors-'))
    dataDir = join(root, 'data')
    library = new DatasetLibrary(dataDir)
    // Something already stored, so "unchanged" means more than "still empty".
    await library.ensureBuiltin('xor')
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it.each(cases)('$name', async ({ name, files, csv, idx, reason, expected }) => {
    const inputDir = join(root, 'inputs', name.replace(/[^a-z0-9]+/gi, '-'))
    await mkdir(inputDir, { recursive: true })
    for (const [file, content] of Object.entries(files)) await writeFile(join(inputDir, file), content)
    const before = await snapshot(join(dataDir, 'datasets'))
    const at = (file: string | undefined) => (file === undefined ? undefined : join(inputDir, file))
    let caught: unknown
    try {
      if (csv) {
        const { file, ...options } = csv
        await library.importCsv({ missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.2 }, seed: 1, ...options, path: at(file)! })
      } else if (idx) {
        await library.importIdx({ scaling: 'divide255', validation: 0, seed: 1, ...idx, train_images: at(idx.train_images)!, train_labels: at(idx.train_labels)!, test_images: at(idx.test_images), test_labels: at(idx.test_labels) })
      }
    } catch (error) {
      caught = error
    }
    expect(caught, 'the import should have failed').toBeInstanceOf(DataImportError)
    const message = (caught as Error).message
    for (const part of expected) expect(message).toContain(part)
    expect((caught as DataImportError).reason).toBe(reason)
    expect((caught as DataImportError).code).toBe('bad_input')
    expect(await snapshot(join(dataDir, 'datasets'))).toEqual(before)
  })
})
