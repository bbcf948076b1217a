// CSV import: detect the dialect, infer column types in a first streamed pass (numeric when at
// least half of a column's non-missing cells are numbers; the rest of such a column must then be
// numbers too, or the import stops at the first bad cell), encode in a second streamed pass
// (one-hot categories, class indices or regression targets, missing values), split with a seed,
// scale on the training rows and write float32 tensors.
import { open, stat } from 'node:fs/promises'
import type { CsvImportOptions, CsvPreview, DatasetDescriptor, SplitName } from '../../shared/dataset'
import { fileProblem, readCsvRows, textEncodingProblem } from './csv-reader'
import { DataImportError } from './errors'
import { applyScaler, fitScaler } from './scaling'
import { splitRows, takeRows } from './split'
import { taskForClasses, writeTensors, type DescriptorDraft, type SplitTensors } from './tensor-store'

const DELIMITER_CANDIDATES = [',', ';', '\t', '|']
const SNIFF_BYTES = 64 * 1024
const PREVIEW_ROWS = 20
const PREVIEW_SCAN_ROWS = 1000
/** More distinct values than this in a feature column cannot be one-hot encoded sensibly. */
const MAX_CATEGORIES = 1000
/** A numeric target with at most this many distinct integer values is read as classes by default. */
const MAX_AUTO_CLASSES = 20

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i
const MISSING_TOKENS = new Set(['', 'na', 'n/a', 'null', '?'])

type CellKind = 'missing' | 'number' | 'nonfinite' | 'text'

function classify(cell: string): CellKind {
  const text = cell.trim()
  if (MISSING_TOKENS.has(text.toLowerCase())) return 'missing'
  if (NUMBER.test(text)) return 'number'
  if (NON_FINITE.test(text)) return 'nonfinite'
  return 'text'
}

function quoteForMessage(cell: string): string {
  const short = cell.length > 40 ? cell.slice(0, 40) + '…' : cell
  return JSON.stringify(short)
}

export interface CsvDialect {
  delimiter: string
  hasHeader: boolean
}

async function readHead(path: string): Promise<string> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw fileProblem(path, error) ?? error
  }
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    let bytesRead: number
    try {
      bytesRead = (await handle.read(buffer, 0, SNIFF_BYTES, 0)).bytesRead
    } catch (error) {
      throw fileProblem(path, error) ?? error
    }
    const encoding = textEncodingProblem(buffer.subarray(0, bytesRead))
    if (encoding) throw new DataImportError(path, encoding.problem, { offset: encoding.offset })
    let text = buffer.subarray(0, bytesRead).toString('utf8')
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    return text
  } finally {
    await handle.close()
  }
}

/** Splits sniffed lines naively (quotes aside): good enough to compare field counts. */
function fieldCounts(lines: string[], delimiter: string): number[] {
  return lines.map((line) => line.split(delimiter).length)
}

export function detectDelimiter(head: string): string {
  const lines = head.split(/\r?\n/).filter((line) => line.trim().length > 0).slice(0, 20)
  if (lines.length > 1 && head.length >= SNIFF_BYTES) lines.pop() // probably cut mid-line
  let best = ','
  let bestScore = 0
  for (const candidate of DELIMITER_CANDIDATES) {
    const counts = fieldCounts(lines, candidate)
    if (counts.length === 0 || counts[0] < 2) continue
    const consistent = counts.filter((c) => c === counts[0]).length / counts.length
    const score = consistent * counts[0]
    if (score > bestScore) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/** A header when some column is numeric below row 1 but not in row 1, or when row 1 is all distinct text. */
export function detectHeader(rows: string[][]): boolean {
  if (rows.length === 0) return false
  const [first, ...rest] = rows
  const firstKinds = first.map(classify)
  if (rest.length > 0) {
    for (let c = 0; c < first.length; c++) {
      if (firstKinds[c] === 'number' || firstKinds[c] === 'missing') continue
      const below = rest.map((row) => classify(row[c] ?? ''))
      if (below.some((k) => k === 'number') && below.every((k) => k === 'number' || k === 'missing')) return true
    }
  }
  return firstKinds.every((k) => k === 'text') && new Set(first).size === first.length
}

async function sampleRows(path: string, delimiter: string, maxRows: number): Promise<{ rows: string[][]; bytesRead: number; complete: boolean; lines: number[] }> {
  const rows: string[][] = []
  const lines: number[] = []
  let consumedBytes = 0
  const result = await readCsvRows(path, { delimiter, maxRows, highWaterMark: 256 * 1024, onBytes: (b) => (consumedBytes = b) }, (row) => {
    rows.push(row.fields)
    lines.push(row.line)
  })
  return { rows, bytesRead: consumedBytes || result.bytesRead, complete: result.complete, lines }
}

export async function detectDialect(path: string, delimiter?: string): Promise<CsvDialect & { sample: string[][] }> {
  const chosen = delimiter ?? detectDelimiter(await readHead(path))
  const { rows } = await sampleRows(path, chosen, 50)
  return { delimiter: chosen, hasHeader: detectHeader(rows), sample: rows }
}

export async function previewCsv(path: string, options: { delimiter?: string } = {}): Promise<CsvPreview> {
  const size = await fileSize(path)
  if (size === 0) throw new DataImportError(path, 'the file is empty (0 bytes)')
  const delimiter = options.delimiter ?? detectDelimiter(await readHead(path))
  const scan = await sampleRows(path, delimiter, PREVIEW_SCAN_ROWS + 1)
  if (scan.rows.length === 0) throw new DataImportError(path, 'the file holds no rows (only blank lines)')
  const hasHeader = detectHeader(scan.rows.slice(0, 50))
  const header = hasHeader ? scan.rows[0] : scan.rows[0].map((_, i) => `column ${i + 1}`)
  const body = hasHeader ? scan.rows.slice(1) : scan.rows
  const columns = header.map((name, c) => {
    let numbers = 0
    let texts = 0
    let missing = 0
    const distinct = new Set<string>()
    for (const row of body) {
      const cell = row[c] ?? ''
      const kind = classify(cell)
      if (kind === 'missing') missing++
      else {
        distinct.add(cell.trim())
        if (kind === 'text') texts++
        else numbers++
      }
    }
    return { name, type: numbers > 0 && numbers >= texts ? ('numeric' as const) : ('categorical' as const), missing, distinct: distinct.size }
  })
  const estimate = scan.complete ? body.length : Math.round((body.length * size) / Math.max(1, scan.bytesRead))
  return { delimiter, has_header: hasHeader, columns, rows: body.slice(0, PREVIEW_ROWS), row_count_estimate: estimate }
}

async function fileSize(path: string): Promise<number> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    throw fileProblem(path, error) ?? error
  }
  if (info.isDirectory()) throw new DataImportError(path, 'this is a folder, not a CSV file; pick the file inside it')
  if (!info.isFile()) throw new DataImportError(path, 'this is not a regular file (a device or a pipe?); pick a CSV file')
  return info.size
}

/** Refuses two columns with one name (`a,a,label`): roles and feature names would be ambiguous. */
function checkUniqueNames(path: string, names: readonly string[]): void {
  const seen = new Map<string, number>()
  for (let i = 0; i < names.length; i++) {
    const earlier = seen.get(names[i])
    if (earlier !== undefined) {
      throw new DataImportError(path, `columns ${earlier + 1} and ${i + 1} are both named ${JSON.stringify(names[i])}; column names must be unique — rename one in the header (roles and features are chosen by name)`, { line: 1 })
    }
    seen.set(names[i], i)
  }
}

type Role = 'feature' | 'target' | 'ignore'

/** What the first pass learns about one column. */
interface ColumnScan {
  name: string
  role: Role
  numbers: number
  texts: number
  missing: number
  firstText?: { line: number; cell: string }
  firstNonFinite?: { line: number; cell: string }
  firstMissing?: number
  count: number
  mean: number
  m2: number
  min: number
  max: number
  categories: Map<string, number>
  tooManyCategories: boolean
  allIntegers: boolean
}

function newScan(name: string, role: Role): ColumnScan {
  return { name, role, numbers: 0, texts: 0, missing: 0, count: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity, categories: new Map(), tooManyCategories: false, allIntegers: true }
}

interface EncodedColumn {
  scan: ColumnScan
  index: number
  type: 'numeric' | 'categorical'
  /** Sorted categories of a categorical feature, in one-hot order. */
  categories: string[]
  categoryIndex: Map<string, number>
  fillNumber: number
  fillCategory: string
}

function sortCategories(values: Iterable<string>, numeric: boolean): string[] {
  const list = [...values]
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

function modeOf(categories: Map<string, number>): string {
  let best = ''
  let bestCount = -1
  for (const [value, count] of [...categories].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (count > bestCount) {
      best = value
      bestCount = count
    }
  }
  return best
}

/** Normalises a numeric class label so "1", "1.0" and "01" are the same class. */
function canonicalNumber(cell: string): string {
  return String(Number(cell.trim()))
}

export interface CsvImportResult {
  descriptor: DatasetDescriptor
}

/**
 * Imports `options.path` into `tempDir` (tensors + descriptor). Throws DataImportError for bad
 * input; the caller owns the temp folder and its removal.
 */
export async function importCsvInto(tempDir: string, id: string, options: CsvImportOptions, onProgress?: (doneBytes: number, totalBytes: number) => void, sourceKind: 'csv' | 'builtin' = 'csv'): Promise<DatasetDescriptor> {
  const path = options.path
  const size = await fileSize(path)
  if (size === 0) throw new DataImportError(path, 'the file is empty (0 bytes); export the table again with its rows')
  const dialect = await detectDialect(path, options.delimiter)
  if (dialect.sample.length === 0) throw new DataImportError(path, 'the file holds no rows (only blank lines)')
  const hasHeader = options.has_header ?? dialect.hasHeader
  const delimiter = dialect.delimiter
  const firstRow = dialect.sample[0]
  const names = hasHeader ? firstRow.map((name, i) => name.trim() || `column ${i + 1}`) : firstRow.map((_, i) => `column ${i + 1}`)
  const width = names.length
  if (hasHeader) checkUniqueNames(path, names)
  if (width < 2) throw new DataImportError(path, `only one column found (delimiter ${JSON.stringify(delimiter)}); a data set needs at least one feature and a target — pick the right delimiter`, { line: 1 })

  // Roles: listed ones as given; by default the last column is the target.
  const roles: Role[] = names.map(() => 'feature')
  const explicit = options.roles ?? {}
  const nameSet = new Set(names)
  // Own keys only: a column named "constructor" or "__proto__" is not a role from Object's prototype.
  const roleOf = (name: string): Role | undefined => (Object.hasOwn(explicit, name) ? explicit[name] : undefined)
  for (const key of Object.keys(explicit)) {
    if (!nameSet.has(key)) throw new DataImportError(path, `roles name a column "${key}" that the header does not have (columns: ${names.map((n) => JSON.stringify(n)).join(', ')})`, { line: 1 })
  }
  names.forEach((name, i) => {
    const role = roleOf(name)
    if (role) roles[i] = role
  })
  if (!roles.includes('target')) {
    const last = names.length - 1
    if (roleOf(names[last]) === undefined) roles[last] = 'target'
    else throw new DataImportError(path, 'no target column: give one column the role "target"')
  }
  if (!roles.includes('feature')) throw new DataImportError(path, 'no feature column: at least one column must have the role "feature"')

  const scans = names.map((name, i) => newScan(name, roles[i]))
  const track = (total: number) => (bytes: number) => onProgress?.(total + bytes, size * 2)

  // Pass 1: types, statistics, categories, missing cells.
  let dataRows = 0
  let isHeaderRow = hasHeader
  await readCsvRows(path, { delimiter, onBytes: track(0) }, ({ fields, line }) => {
    if (isHeaderRow) {
      isHeaderRow = false
      if (fields.length !== width) throw new DataImportError(path, `the header has ${fields.length} fields, the first row ${width}`, { line })
      return
    }
    if (fields.length !== width) {
      throw new DataImportError(path, `${fields.length} fields, but ${hasHeader ? 'the header has' : 'the first row has'} ${width} (a ragged row; is a value holding the delimiter ${JSON.stringify(delimiter)} unquoted?)`, { line })
    }
    dataRows++
    for (let c = 0; c < width; c++) {
      const scan = scans[c]
      if (scan.role === 'ignore') continue
      const cell = fields[c]
      const kind = classify(cell)
      if (kind === 'missing') {
        scan.missing++
        scan.firstMissing ??= line
        continue
      }
      if (kind === 'number') {
        const value = Number(cell.trim())
        scan.numbers++
        scan.count++
        const delta = value - scan.mean
        scan.mean += delta / scan.count
        scan.m2 += delta * (value - scan.mean)
        if (value < scan.min) scan.min = value
        if (value > scan.max) scan.max = value
        if (!Number.isInteger(value)) scan.allIntegers = false
      } else if (kind === 'nonfinite') {
        scan.numbers++
        scan.firstNonFinite ??= { line, cell }
      } else {
        scan.texts++
        scan.firstText ??= { line, cell }
      }
      if (!scan.tooManyCategories) {
        const key = kind === 'number' ? canonicalNumber(cell) : cell.trim()
        scan.categories.set(key, (scan.categories.get(key) ?? 0) + 1)
        if (scan.categories.size > MAX_CATEGORIES) {
          scan.tooManyCategories = true
          scan.categories.clear()
        }
      }
    }
  })
  if (dataRows === 0) throw new DataImportError(path, hasHeader ? 'the file has a header but no data rows' : 'the file holds no data rows', { line: hasHeader ? 2 : 1 })

  // Types and encodings.
  const missingPolicy = options.missing ?? 'refuse'
  const columns: EncodedColumn[] = []
  for (let c = 0; c < width; c++) {
    const scan = scans[c]
    if (scan.role === 'ignore') continue
    const numeric = scan.numbers > 0 && scan.numbers >= scan.texts
    if (numeric) {
      // A numeric column: every present cell must be a finite number.
      const text = scan.firstText
      const nonFinite = scan.firstNonFinite
      if (text && (!nonFinite || text.line <= nonFinite.line)) {
        throw new DataImportError(path, `${quoteForMessage(text.cell)} is not a number (the column is numeric: ${scan.numbers} of ${scan.numbers + scan.texts} filled cells are numbers); fix the cell, leave it empty to mark it missing, or set the column's role to ignore`, { line: text.line, column: scan.name })
      }
      if (nonFinite) {
        throw new DataImportError(path, `${quoteForMessage(nonFinite.cell)} is not a finite number; leave the cell empty to mark it missing (then choose drop or fill)`, { line: nonFinite.line, column: scan.name })
      }
    }
    if (scan.missing > 0 && missingPolicy === 'refuse') {
      throw new DataImportError(path, `the cell is empty or missing and missing values are refused; choose "drop" to skip such rows or "fill" to use the column's ${numeric ? 'mean' : 'most frequent value'} (${scan.missing} missing in this column)`, { line: scan.firstMissing, column: scan.name })
    }
    if (scan.numbers + scan.texts === 0) throw new DataImportError(path, 'every cell of this column is missing; set its role to ignore', { column: scan.name })
    const type = numeric ? 'numeric' : 'categorical'
    if (type === 'categorical' && scan.role === 'feature' && scan.tooManyCategories) {
      throw new DataImportError(path, `more than ${MAX_CATEGORIES} distinct values in a text column: one-hot encoding would make too many features; set its role to ignore`, { column: scan.name })
    }
    const categories = type === 'categorical' ? sortCategories(scan.categories.keys(), false) : []
    columns.push({
      scan,
      index: c,
      type,
      categories,
      categoryIndex: new Map(categories.map((value, i) => [value, i])),
      fillNumber: scan.count > 0 ? scan.mean : 0,
      fillCategory: type === 'categorical' ? modeOf(scan.categories) : ''
    })
  }
  const features = columns.filter((col) => col.scan.role === 'feature')
  const targets = columns.filter((col) => col.scan.role === 'target')

  // Target: classes or regression values.
  const firstTarget = targets[0]
  const autoKind = firstTarget.type === 'categorical' || (firstTarget.scan.allIntegers && !firstTarget.scan.tooManyCategories && firstTarget.scan.categories.size <= MAX_AUTO_CLASSES) ? 'classes' : 'regression'
  const targetKind = options.target_kind ?? autoKind
  let classes: string[] = []
  let classIndex = new Map<string, number>()
  if (targetKind === 'classes') {
    if (targets.length > 1) throw new DataImportError(path, `${targets.length} target columns (${targets.map((t) => JSON.stringify(t.scan.name)).join(', ')}); a classification target is one column`)
    if (firstTarget.scan.tooManyCategories) {
      // Numbers can be a regression target; text cannot, so never send text there (and back).
      const advice =
        firstTarget.type === 'numeric'
          ? 'import it as a regression target (target kind "regression")'
          : 'text cannot be a regression target either, so this column is probably not a label (an id, a name, free text?): pick another target column, or group its values into fewer classes before importing'
      throw new DataImportError(path, `more than ${MAX_CATEGORIES} distinct target values: too many to be classes; ${advice}`, { column: firstTarget.scan.name })
    }
    classes = sortCategories(firstTarget.scan.categories.keys(), firstTarget.type === 'numeric')
    if (classes.length < 2) {
      throw new DataImportError(path, `the target has only one class (${JSON.stringify(classes[0] ?? '')}); a classifier needs at least two — check the target column or pick another`, { column: firstTarget.scan.name })
    }
    classIndex = new Map(classes.map((name, i) => [name, i]))
  } else {
    for (const target of targets) {
      if (target.type !== 'numeric') {
        const advice = target.scan.tooManyCategories
          ? `it has more than ${MAX_CATEGORIES} distinct values, too many to be classes as well, so it is probably not a label: pick another target column`
          : 'import it as classes instead (target kind "classes")'
        throw new DataImportError(path, `a regression target must be numeric, but this column holds text such as ${quoteForMessage(target.scan.firstText?.cell ?? '')}; ${advice}`, { column: target.scan.name, line: target.scan.firstText?.line })
      }
    }
  }

  const encodedWidth = features.reduce((sum, col) => sum + (col.type === 'numeric' ? 1 : col.categories.length), 0)
  const featureNames: string[] = []
  const scaledColumn: boolean[] = []
  for (const col of features) {
    if (col.type === 'numeric') {
      featureNames.push(col.scan.name)
      scaledColumn.push(true)
    } else {
      for (const category of col.categories) {
        featureNames.push(`${col.scan.name}=${category}`)
        scaledColumn.push(false)
      }
    }
  }
  const targetSize = targetKind === 'classes' ? 1 : targets.length

  // Pass 2: encode every kept row.
  const x = new Float32Array(dataRows * encodedWidth)
  const y = new Float32Array(dataRows * targetSize)
  let kept = 0
  let dropped = 0
  isHeaderRow = hasHeader
  await readCsvRows(path, { delimiter, onBytes: track(size) }, ({ fields }) => {
    if (isHeaderRow) {
      isHeaderRow = false
      return
    }
    if (missingPolicy === 'drop' || missingPolicy === 'fill') {
      const rowHasMissing = columns.some((col) => (missingPolicy === 'drop' || col.scan.role === 'target') && classify(fields[col.index]) === 'missing')
      if (rowHasMissing) {
        dropped++
        return
      }
    }
    let at = kept * encodedWidth
    for (const col of features) {
      const cell = fields[col.index]
      const missing = classify(cell) === 'missing'
      if (col.type === 'numeric') {
        x[at++] = missing ? col.fillNumber : Number(cell.trim())
      } else {
        const category = missing ? col.fillCategory : cell.trim()
        x[at + (col.categoryIndex.get(category) ?? 0)] = 1
        at += col.categories.length
      }
    }
    if (targetKind === 'classes') {
      const cell = fields[firstTarget.index]
      const key = firstTarget.type === 'numeric' ? canonicalNumber(cell) : cell.trim()
      y[kept] = classIndex.get(key) ?? 0
    } else {
      targets.forEach((target, t) => (y[kept * targetSize + t] = Number(fields[target.index].trim())))
    }
    kept++
  })
  if (kept === 0) throw new DataImportError(path, `all ${dataRows} rows have a missing value and were dropped; choose "fill" instead of "drop"`)

  const xKept = x.subarray(0, kept * encodedWidth)
  const yKept = y.subarray(0, kept * targetSize)
  const split = options.split ?? { validation: 0, test: 0.2 }
  const indices = splitRows(kept, { validation: split.validation ?? 0, test: split.test ?? 0.2 }, options.seed ?? 42, targetKind === 'classes' ? yKept : undefined)
  const splits: Partial<Record<SplitName, SplitTensors & { x: Float32Array }>> = {}
  for (const name of ['train', 'validation', 'test'] as const) {
    const rows = indices[name]
    if (name !== 'train' && rows.length === 0) continue
    splits[name] = { x: takeRows(xKept, encodedWidth, rows, (n) => new Float32Array(n)), y: takeRows(yKept, targetSize, rows, (n) => new Float32Array(n)), count: rows.length }
  }
  if (!splits.train || splits.train.count === 0) throw new DataImportError(path, `only ${kept} usable rows: too few to split into training and test rows`)
  const scaling = options.scaling ?? 'none'
  const scaler = fitScaler(scaling, splits.train.x, encodedWidth, scaledColumn)
  if (scaler) for (const tensors of Object.values(splits)) applyScaler(scaler, tensors.x, encodedWidth)

  const task = targetKind === 'classes' ? taskForClasses(classes.length) : 'regression'
  const columnOf = new Map(columns.map((col) => [col.scan, col]))
  const std = (scan: ColumnScan) => (scan.count > 0 ? Math.sqrt(scan.m2 / scan.count) : null)
  const draft: DescriptorDraft = {
    format_version: 1,
    id,
    name: options.name ?? id,
    source: {
      kind: sourceKind,
      detail: { file: path.split(/[\\/]/).pop(), delimiter, has_header: hasHeader, rows: dataRows, dropped_rows: dropped, split: { validation: split.validation ?? 0, test: split.test ?? 0.2 }, seed: options.seed ?? 42 }
    },
    task,
    feature_shape: [encodedWidth],
    classes,
    target_size: targetSize,
    image_shape: null,
    preprocessing: {
      scaling,
      missing: missingPolicy,
      one_hot_columns: features.filter((col) => col.type === 'categorical').map((col) => col.scan.name),
      ...(scaler ? { scaler } : {})
    },
    storage: { x_dtype: 'float32', y_dtype: 'float32' },
    feature_names: featureNames,
    splits: { train: { count: 0 } },
    columns: scans.map((scan) => {
      const col = columnOf.get(scan)
      const numeric = col?.type === 'numeric'
      return {
        name: scan.name,
        role: scan.role,
        type: col?.type ?? 'categorical',
        min: numeric && scan.count > 0 ? scan.min : null,
        max: numeric && scan.count > 0 ? scan.max : null,
        mean: numeric && scan.count > 0 ? scan.mean : null,
        std: numeric ? std(scan) : null,
        missing: scan.missing,
        ...(col?.type === 'categorical' ? { categories: col.scan.role === 'target' ? classes : col.categories } : {})
      }
    })
  }
  return writeTensors(tempDir, draft, splits)
}
