// The CSV import options on real files: sklearn's wine_data.csv (a count line above a headerless
// table), a `;` file with decimal commas, headerless naming, per-column overrides, the identifier
// flag, raw rows back from a stored set, and the IDX empty-class warning.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataImportError, DatasetLibrary } from '../src/main/data'
import { previewCsv } from '../src/main/data/csv-import'
import { readSplitRows } from '../src/main/data/tensor-store'
import type { CsvImportOptions } from '../src/shared/dataset'

const fixtures = join(__dirname, 'fixtures', 'csv')
const wine = join(fixtures, 'wine_data.csv')
const boston = join(fixtures, 'boston_house_prices.csv')
const comma = join(fixtures, 'decimal-comma.csv')
const base: Omit<CsvImportOptions, 'path'> = { missing: 'refuse', scaling: 'none', split: { validation: 0, test: 0.2 }, seed: 1 }

let root: string
let library: DatasetLibrary
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wb-csv-options-'))
  library = new DatasetLibrary(join(root, 'data'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function file(name: string, text: string): Promise<string> {
  const path = join(root, name)
  await writeFile(path, text)
  return path
}

async function caught(work: () => Promise<unknown>): Promise<DataImportError> {
  try {
    await work()
  } catch (error) {
    expect(error).toBeInstanceOf(DataImportError)
    return error as DataImportError
  }
  throw new Error('expected the import to fail')
}

describe('sklearn count lines', () => {
  it('the preview of wine_data.csv warns about row widths and suggests skipping 1 line', async () => {
    const preview = await previewCsv(wine)
    expect(preview.columns).toHaveLength(5)
    expect(preview.width_warning).toEqual({ expected: 5, rows: 178, lines: [2, 3, 4, 5, 6], widths: [14] })
    expect(preview.skip_suggestion).toBe(1)
  })

  it('with skip_lines 1 the preview has 14 headerless columns and no warning', async () => {
    const preview = await previewCsv(wine, { skip_lines: 1 })
    expect(preview.has_header).toBe(false)
    expect(preview.columns.map((c) => c.name)).toEqual(Array.from({ length: 14 }, (_, i) => `column ${i + 1}`))
    expect(preview.width_warning).toBeNull()
    expect(preview.row_count_estimate).toBe(178)
    expect(preview.row_lines[0]).toBe(2)
    const alcohol = preview.columns[0]
    expect(alcohol).toMatchObject({ type: 'numeric', min: 11.03, max: 14.83, missing: 0 })
    expect(alcohol.histogram).toHaveLength(10)
    expect(alcohol.histogram.reduce((a, b) => a + b, 0)).toBe(178)
    expect(preview.columns[13]).toMatchObject({ distinct: 3, min: 0, max: 2 })
  })

  it('without skip_lines the import stops at line 2 and says to skip the count line', async () => {
    const error = await caught(() => library.importCsv({ ...base, path: wine }))
    expect(error.reason).toBe('csv.ragged_first_row')
    expect(error.details).toMatchObject({ line: 2, got: 14, expected: 5, file: 'wine_data.csv', skip_lines: 1 })
    expect(error.message).toContain('skip lines 1')
  })

  it('wine_data.csv with skip_lines 1 imports 178 rows × 13 features, 3 classes', async () => {
    const d = await library.importCsv({ ...base, path: wine, skip_lines: 1 })
    expect(d.feature_shape).toEqual([13])
    expect(d.classes).toEqual(['0', '1', '2'])
    expect(d.task).toBe('multiclass')
    expect((d.splits.train.count ?? 0) + (d.splits.test?.count ?? 0)).toBe(178)
    expect(d.source.detail).toMatchObject({ skip_lines: 1, has_header: false, rows: 178 })
    expect(d.columns[13]).toMatchObject({ name: 'column 14', role: 'target' })
  })

  it('boston_house_prices.csv: the header one line down is found and skip 1 suggested', async () => {
    const preview = await previewCsv(boston)
    expect(preview.has_header).toBe(false)
    expect(preview.skip_suggestion).toBe(1)
    const skipped = await previewCsv(boston, { skip_lines: 1 })
    expect(skipped.has_header).toBe(true)
    expect(skipped.columns.map((c) => c.name).slice(0, 3)).toEqual(['CRIM', 'ZN', 'INDUS'])
    const d = await library.importCsv({ ...base, path: boston, skip_lines: 1, target_kind: 'regression' })
    expect(d.task).toBe('regression')
    expect(d.feature_shape).toEqual([13])
    expect((d.splits.train.count ?? 0) + (d.splits.test?.count ?? 0)).toBe(506)
  })
})

describe('decimal comma', () => {
  it('the preview of a ; file with 1,37 suggests the decimal comma; with it the columns are numeric', async () => {
    const plain = await previewCsv(comma)
    expect(plain.delimiter).toBe(';')
    expect(plain.decimal_suggestion).toBe(',')
    expect(plain.columns[0].type).toBe('categorical')
    // All distinct, but numbers with a decimal comma: not flagged as an identifier.
    expect(plain.columns[0].identifier).toBe(false)
    const withComma = await previewCsv(comma, { decimal: ',' })
    expect(withComma.decimal_suggestion).toBeNull()
    expect(withComma.columns[0]).toMatchObject({ name: 'Gewicht', type: 'numeric', min: 0.98, max: 3.5 })
    expect(withComma.columns[0].mean).toBeCloseTo(2.027, 10)
  })

  it('imports as numbers with the right values', async () => {
    const d = await library.importCsv({ ...base, path: comma, decimal: ',', split: { validation: 0, test: 0 } })
    expect(d.feature_names).toEqual(['Gewicht', 'Länge', 'Farbe=blau', 'Farbe=grün', 'Farbe=rot'])
    expect(d.columns[0]).toMatchObject({ type: 'numeric', min: 0.98, max: 3.5 })
    const page = await library.rows(d.id, 'train', 0, 50)
    const byWeight = new Map(page.rows.map((row) => [row[0], row]))
    expect(byWeight.get(1.37)).toEqual([1.37, 12.5, 'rot', 'a'])
    expect(byWeight.get(3.14)).toEqual([3.14, 11.25, 'grün', 'b'])
    expect(page.total).toBe(10)
  })

  it('without the option the first comma number is refused with a hint', async () => {
    const error = await caught(() => library.importCsv({ ...base, path: comma, columns: [{ index: 0, type: 'numeric' }] }))
    expect(error.reason).toBe('csv.bad_number')
    expect(error.details).toMatchObject({ line: 2, column: 'Gewicht', got: '1,37' })
    expect(error.message).toContain('decimal comma')
  })
})

describe('headers and column overrides', () => {
  it('a headerless file names its columns column 1…N, in the preview and the import', async () => {
    const path = await file('headerless.csv', Array.from({ length: 12 }, (_, i) => `${i * 0.5},${i % 3},${i % 2}`).join('\n') + '\n')
    const preview = await previewCsv(path, { has_header: false })
    expect(preview.columns.map((c) => c.name)).toEqual(['column 1', 'column 2', 'column 3'])
    expect(preview.rows).toHaveLength(12)
    const d = await library.importCsv({ ...base, path, has_header: false })
    expect(d.feature_names).toEqual(['column 1', 'column 2'])
    expect(d.classes).toEqual(['0', '1'])
  })

  it('has_header false on a file with a header keeps the header as a row (and says why it then fails)', async () => {
    const path = await file('header-as-row.csv', 'x,y,label\n1,2,a\n3,4,b\n5,6,a\n')
    const preview = await previewCsv(path, { has_header: false })
    expect(preview.has_header).toBe(false)
    expect(preview.rows[0]).toEqual(['x', 'y', 'label'])
  })

  it('column overrides: name, type ignore, numeric as categorical, role and per-column scaling', async () => {
    const path = await file('overrides.csv', ['id,size,grade,price', ...Array.from({ length: 20 }, (_, i) => `${1000 + i},${10 + i},${1 + (i % 3)},${(i * 1.5).toFixed(1)}`)].join('\n') + '\n')
    const d = await library.importCsv({
      ...base,
      path,
      split: { validation: 0, test: 0 },
      target_kind: 'regression',
      columns: [
        { index: 0, type: 'ignore' },
        { index: 1, name: 'area', scaling: 'minmax' },
        { index: 2, type: 'categorical' },
        { index: 3, role: 'target' }
      ]
    })
    expect(d.columns.map((c) => [c.name, c.role, c.type])).toEqual([
      ['id', 'ignore', 'categorical'],
      ['area', 'feature', 'numeric'],
      ['grade', 'feature', 'categorical'],
      ['price', 'target', 'numeric']
    ])
    expect(d.feature_names).toEqual(['area', 'grade=1', 'grade=2', 'grade=3'])
    // Only "area" is scaled (min–max on the training rows): stored values span 0…1, the one-hot stay 0/1.
    const stored = await readSplitRows(join(root, 'data'), d, 'train')
    const areas = Array.from({ length: stored.count }, (_, r) => stored.x[r * 4])
    expect(Math.min(...areas)).toBe(0)
    expect(Math.max(...areas)).toBe(1)
    expect(d.preprocessing.scaler?.scale.slice(1)).toEqual([1, 1, 1])
    // Raw rows undo the scaling.
    const rows = await library.rows(d.id, 'train', 0, 5)
    expect(rows.columns.map((c) => c.name)).toEqual(['area', 'grade', 'price'])
    for (const row of rows.rows) {
      expect(Number.isInteger(row[0])).toBe(true)
      expect(row[0]).toBeGreaterThanOrEqual(10)
      expect(['1', '2', '3']).toContain(row[1])
    }
  })

  it('an override naming a column the file does not have is refused with its reason', async () => {
    const path = await file('small.csv', 'a,b\n1,0\n2,1\n')
    const error = await caught(() => library.importCsv({ ...base, path, columns: [{ index: 5, type: 'ignore' }] }))
    expect(error.reason).toBe('csv.unknown_column_index')
    expect(error.details).toMatchObject({ index: 6, width: 2 })
  })

  it('flags a unique identifier column (text or whole numbers), not a continuous one', async () => {
    const path = await file('ids.csv', ['customer,code,height,label', ...Array.from({ length: 30 }, (_, i) => `c-${i},${500 + i},${(1.5 + i / 7).toFixed(4)},${i % 2}`)].join('\n') + '\n')
    const preview = await previewCsv(path)
    expect(preview.columns.map((c) => c.identifier)).toEqual([true, true, false, false])
  })
})

describe('IDX labels with gaps', () => {
  function images(count: number): Buffer {
    const header = Buffer.alloc(16)
    header.writeUInt32BE(0x803, 0)
    header.writeUInt32BE(count, 4)
    header.writeUInt32BE(2, 8)
    header.writeUInt32BE(2, 12)
    return Buffer.concat([header, Buffer.alloc(count * 4, 9)])
  }
  function labels(values: number[]): Buffer {
    const header = Buffer.alloc(8)
    header.writeUInt32BE(0x801, 0)
    header.writeUInt32BE(values.length, 4)
    return Buffer.concat([header, Buffer.from(values)])
  }

  it('labels 0–9 and 12 give 13 classes and a warning naming 10 and 11', async () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 3]
    await writeFile(join(root, 'gap-images.idx'), images(values.length))
    await writeFile(join(root, 'gap-labels.idx'), labels(values))
    const d = await library.importIdx({ train_images: join(root, 'gap-images.idx'), train_labels: join(root, 'gap-labels.idx'), scaling: 'divide255', validation: 0, seed: 1 })
    expect(d.classes).toHaveLength(13)
    expect(d.warnings).toEqual([expect.objectContaining({ reason: 'idx.empty_classes', details: { classes: 13, last: 12, empty: '10, 11', count: 2 } })])
    expect(d.warnings?.[0].message).toContain('no image has label 10, 11')
  })

  it('labels without gaps leave no warning', async () => {
    await writeFile(join(root, 'full-images.idx'), images(4))
    await writeFile(join(root, 'full-labels.idx'), labels([0, 1, 2, 1]))
    const d = await library.importIdx({ train_images: join(root, 'full-images.idx'), train_labels: join(root, 'full-labels.idx'), scaling: 'divide255', validation: 0, seed: 1 })
    expect(d.warnings).toBeUndefined()
  })
})
