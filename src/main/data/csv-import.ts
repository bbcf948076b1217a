// CSV import: detect the dialect, infer column types in a first streamed pass (numeric when at
// least half of a column's non-missing cells are numbers; the rest of such a column must then be
// numbers too, or the import stops at the first bad cell), encode in a second streamed pass
// (one-hot categories, class indices or regression targets, missing values), split with a seed,
// scale on the training rows and write float32 tensors. Lines above the header can be skipped,
// a headerless file names its columns "column 1…N", numbers may use a decimal comma, and each
// column's name, type, role and scaling can be overridden by its index.
import { open, stat } from 'node:fs/promises'
import type { CsvColumnOverride, CsvImportOptions, CsvPreview, CsvPreviewColumn, CsvPreviewOptions, DatasetDescriptor, SplitName } from '../../shared/dataset'
import { encodingError, fileProblem, readCsvRows, textEncodingProblem } from './csv-reader'
import { DataImportError } from './errors'
import { applyScaler, fitColumnScaler, type Scaling } from './scaling'
import { splitRows, takeRows } from './split'
import { taskForClasses, writeTensors, type DescriptorDraft, type SplitTensors } from './tensor-store'

const DELIMITER_CANDIDATES = [',', ';', '\t', '|']
const SNIFF_BYTES = 64 * 1024
const PREVIEW_ROWS = 20
const PREVIEW_SCAN_ROWS = 1000
const HISTOGRAM_BINS = 10
/** Rows a preview needs before it calls an all-distinct column an identifier. */
const IDENTIFIER_MIN_ROWS = 10
/** More distinct values than this in a feature column cannot be one-hot encoded sensibly. */
const MAX_CATEGORIES = 1000
/** A numeric target with at most this many distinct integer values is read as classes by default. */
const MAX_AUTO_CLASSES = 20

export type Decimal = '.' | ','
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const NUMBER_DECIMAL_COMMA = /^[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?$/
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i
const MISSING_TOKENS = new Set(['', 'na', 'n/a', 'null', '?'])

type CellKind = 'missing' | 'number' | 'nonfinite' | 'text'

function classify(cell: string, decimal: Decimal = '.'): CellKind {
  const text = cell.trim()
  if (MISSING_TOKENS.has(text.toLowerCase())) return 'missing'
  if ((decimal === ',' ? NUMBER_DECIMAL_COMMA : NUMBER).test(text)) return 'number'
  if (NON_FINITE.test(text)) return 'nonfinite'
  return 'text'
}

/** The value of a cell that classify() called a number. */
function parseNumber(cell: string, decimal: Decimal): number {
  const text = cell.trim()
  return Number(decimal === ',' ? text.replace(',', '.') : text)
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
    if (encoding) throw encodingError(path, encoding)
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

/** The most frequent value and how often it occurs. */
function modeCount(values: number[]): { value: number; count: number } {
  const counts = new Map<number, number>()
  let best = { value: 0, count: 0 }
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1
    counts.set(v, n)
    if (n > best.count) best = { value: v, count: n }
  }
  return best
}

/** The delimiter that splits most sniffed lines into one same number (≥ 2) of fields; `skipLines` lines are left out. */
export function detectDelimiter(head: string, skipLines = 0): string {
  const all = head.split(/\r?\n/)
  const lines = all.slice(skipLines).filter((line) => line.trim().length > 0).slice(0, 20)
  if (lines.length > 1 && head.length >= SNIFF_BYTES) lines.pop() // probably cut mid-line
  let best = ','
  let bestScore = 0
  for (const candidate of DELIMITER_CANDIDATES) {
    const counts = fieldCounts(lines, candidate)
    if (counts.length === 0) continue
    const mode = modeCount(counts)
    if (mode.value < 2) continue
    const score = (mode.count / counts.length) * mode.value
    if (score > bestScore) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/** A header when some column is numeric below row 1 but not in row 1, or when row 1 is all distinct text. */
export function detectHeader(rows: string[][], decimal: Decimal = '.'): boolean {
  if (rows.length === 0) return false
  const [first, ...rest] = rows
  const firstKinds = first.map((cell) => classify(cell, decimal))
  if (rest.length > 0) {
    for (let c = 0; c < first.length; c++) {
      if (firstKinds[c] === 'number' || firstKinds[c] === 'missing') continue
      const below = rest.map((row) => classify(row[c] ?? '', decimal))
      if (below.some((k) => k === 'number') && below.every((k) => k === 'number' || k === 'missing')) return true
    }
  }
  return firstKinds.every((k) => k === 'text') && new Set(first).size === first.length
}

async function sampleRows(path: string, delimiter: string, maxRows: number, skipLines = 0): Promise<{ rows: string[][]; bytesRead: number; complete: boolean; lines: number[] }> {
  const rows: string[][] = []
  const lines: number[] = []
  let consumedBytes = 0
  const result = await readCsvRows(path, { delimiter, maxRows, skipLines, highWaterMark: 256 * 1024, onBytes: (b) => (consumedBytes = b) }, (row) => {
    rows.push(row.fields)
    lines.push(row.line)
  })
  return { rows, bytesRead: consumedBytes || result.bytesRead, complete: result.complete, lines }
}

export async function detectDialect(path: string, delimiter?: string, skipLines = 0, decimal: Decimal = '.'): Promise<CsvDialect & { sample: string[][] }> {
  const chosen = delimiter ?? detectDelimiter(await readHead(path), skipLines)
  const { rows } = await sampleRows(path, chosen, 50, skipLines)
  return { delimiter: chosen, hasHeader: detectHeader(rows, decimal), sample: rows }
}

/** Column names: the override, else the header cell, else "column N" (1-based). */
function columnNames(width: number, header: string[] | null, overrides: ReadonlyMap<number, CsvColumnOverride>): string[] {
  return Array.from({ length: width }, (_, i) => overrides.get(i)?.name?.trim() || header?.[i]?.trim() || `column ${i + 1}`)
}

function overridesByIndex(path: string, columns: readonly CsvColumnOverride[] | undefined, width: number | null): Map<number, CsvColumnOverride> {
  const map = new Map<number, CsvColumnOverride>()
  for (const override of columns ?? []) {
    if (width !== null && override.index >= width) {
      throw new DataImportError(path, `a column option names column ${override.index + 1}, but the table has ${width} columns; check the header and the lines to skip`, {}, { reason: 'csv.unknown_column_index', details: { index: override.index + 1, width } })
    }
    map.set(override.index, { ...map.get(override.index), ...override })
  }
  return map
}

/** Statistics of one column of the scanned rows, for the wizard. */
function previewColumn(index: number, name: string, body: readonly string[][], decimal: Decimal, forcedNumeric: boolean): CsvPreviewColumn {
  let texts = 0
  let missing = 0
  let allIntegers = true
  /** Every cell a number once ',' is the decimal: decimal-comma numbers, not an identifier. */
  let commaNumbers = decimal === '.'
  const values: number[] = []
  const distinct = new Map<string, number>()
  for (const row of body) {
    const cell = row[index] ?? ''
    const kind = classify(cell, decimal)
    if (kind === 'missing') {
      missing++
      continue
    }
    const key = cell.trim()
    distinct.set(key, (distinct.get(key) ?? 0) + 1)
    if (decimal === '.' && classify(cell, ',') !== 'number') commaNumbers = false
    if (kind === 'number') {
      const value = parseNumber(cell, decimal)
      values.push(value)
      if (!Number.isInteger(value)) allIntegers = false
    } else if (kind === 'text') texts++
  }
  const numbers = values.length
  const type = numbers > 0 && numbers >= texts ? 'numeric' : 'categorical'
  let min: number | null = null
  let max: number | null = null
  let mean: number | null = null
  let histogram: number[] = []
  if (numbers > 0) {
    let lo = Infinity
    let hi = -Infinity
    let sum = 0
    for (const v of values) {
      if (v < lo) lo = v
      if (v > hi) hi = v
      sum += v
    }
    min = lo
    max = hi
    mean = sum / numbers
  }
  if (type === 'numeric' && min !== null && max !== null) {
    histogram = new Array<number>(HISTOGRAM_BINS).fill(0)
    const span = max - min
    for (const v of values) histogram[span > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((v - min) / span) * HISTOGRAM_BINS)) : 0]++
  } else {
    histogram = [...distinct.values()].sort((a, b) => b - a).slice(0, HISTOGRAM_BINS)
  }
  const filled = body.length - missing
  const identifier = body.length >= IDENTIFIER_MIN_ROWS && missing === 0 && distinct.size === filled && ((type === 'categorical' && !commaNumbers) || (type === 'numeric' && allIntegers))
  return { index, name, type, missing, distinct: distinct.size, min, max, mean, histogram, identifier, non_numeric: type === 'numeric' || forcedNumeric ? texts : 0 }
}

/**
 * Whether numeric-looking cells use a decimal comma: a column whose cells are all numbers once
 * `,` is the decimal separator, with at least one comma among them (`1,37`).
 */
function suggestsDecimalComma(body: readonly string[][], width: number): boolean {
  for (let c = 0; c < width; c++) {
    let commas = 0
    let ok = true
    for (const row of body) {
      const kind = classify(row[c] ?? '', ',')
      if (kind === 'missing') continue
      if (kind !== 'number') {
        ok = false
        break
      }
      if ((row[c] ?? '').includes(',')) commas++
    }
    if (ok && commas > 0) return true
  }
  return false
}

export async function previewCsv(path: string, options: CsvPreviewOptions = {}): Promise<CsvPreview> {
  const size = await fileSize(path)
  if (size === 0) throw new DataImportError(path, 'the file is empty (0 bytes)', {}, { reason: 'csv.empty' })
  const skipLines = options.skip_lines ?? 0
  const decimal = options.decimal ?? '.'
  const delimiter = options.delimiter ?? detectDelimiter(await readHead(path), skipLines)
  const scan = await sampleRows(path, delimiter, PREVIEW_SCAN_ROWS + 1, skipLines)
  if (scan.rows.length === 0) {
    throw new DataImportError(path, skipLines > 0 ? `no rows are left after skipping ${skipLines} lines; skip fewer lines` : 'the file holds no rows (only blank lines)', {}, { reason: skipLines > 0 ? 'csv.all_skipped' : 'csv.no_rows', details: { skip_lines: skipLines } })
  }
  const hasHeader = options.has_header ?? detectHeader(scan.rows.slice(0, 50), decimal)
  const width = scan.rows[0].length
  const overrides = overridesByIndex(path, options.columns, width)
  const names = columnNames(width, hasHeader ? scan.rows[0] : null, overrides)
  const body = hasHeader ? scan.rows.slice(1) : scan.rows
  const bodyLines = hasHeader ? scan.lines.slice(1) : scan.lines
  const columns = names.map((name, c) => previewColumn(c, name, body, decimal, overrides.get(c)?.type === 'numeric'))

  // Rows whose width is not the header's: sklearn's count line above the header shows up here.
  const raggedLines: number[] = []
  const widths = new Set<number>()
  body.forEach((row, r) => {
    if (row.length === width) return
    raggedLines.push(bodyLines[r])
    widths.add(row.length)
  })
  const widthWarning = raggedLines.length > 0 ? { expected: width, rows: raggedLines.length, lines: raggedLines.slice(0, 5), widths: [...widths].sort((a, b) => a - b).slice(0, 10) } : null
  // The first few rows may be what differs: skipping them leaves one width for all the rest.
  let skipSuggestion: number | null = null
  if (widthWarning) {
    for (let k = 1; k <= Math.min(5, scan.rows.length - 2); k++) {
      const rest = scan.rows.slice(k)
      if (rest.every((row) => row.length === rest[0].length) && rest[0].length >= 2) {
        skipSuggestion = scan.lines[k] - 1
        break
      }
    }
  }
  // No header found, but one a line or two further down (boston_house_prices.csv: `506,13,,,…` above the names).
  if (skipSuggestion === null && options.has_header === undefined && !hasHeader) {
    for (let k = 1; k <= Math.min(3, scan.rows.length - 2); k++) {
      if (detectHeader(scan.rows.slice(k, k + 50), decimal)) {
        skipSuggestion = scan.lines[k] - 1
        break
      }
    }
  }
  const decimalSuggestion = decimal === '.' && delimiter !== ',' && suggestsDecimalComma(body, width) ? ',' : null
  const estimate = scan.complete ? body.length : Math.round((body.length * size) / Math.max(1, scan.bytesRead))
  return {
    delimiter,
    has_header: hasHeader,
    skip_lines: skipLines,
    decimal,
    decimal_suggestion: decimalSuggestion,
    columns,
    rows: body.slice(0, PREVIEW_ROWS),
    row_lines: bodyLines.slice(0, PREVIEW_ROWS),
    row_count_estimate: estimate,
    complete: scan.complete,
    width_warning: widthWarning,
    skip_suggestion: skipSuggestion
  }
}

async function fileSize(path: string): Promise<number> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    throw fileProblem(path, error) ?? error
  }
  if (info.isDirectory()) throw new DataImportError(path, 'this is a folder, not a CSV file; pick the file inside it', {}, { reason: 'file.is_folder', details: { kind: 'CSV' } })
  if (!info.isFile()) throw new DataImportError(path, 'this is not a regular file (a device or a pipe?); pick a CSV file', {}, { reason: 'file.not_regular', details: { kind: 'CSV' } })
  return info.size
}

/** Refuses two columns with one name (`a,a,label`): roles and feature names would be ambiguous. */
function checkUniqueNames(path: string, names: readonly string[], line: number): void {
  const seen = new Map<string, number>()
  for (let i = 0; i < names.length; i++) {
    const earlier = seen.get(names[i])
    if (earlier !== undefined) {
      throw new DataImportError(path, `columns ${earlier + 1} and ${i + 1} are both named ${JSON.stringify(names[i])}; column names must be unique — rename one in the header (roles and features are chosen by name)`, { line }, { reason: 'csv.duplicate_name', details: { first: earlier + 1, second: i + 1, name: names[i] } })
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
function canonicalNumber(cell: string, decimal: Decimal = '.'): string {
  return String(parseNumber(cell, decimal))
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
  if (size === 0) throw new DataImportError(path, 'the file is empty (0 bytes); export the table again with its rows', {}, { reason: 'csv.empty' })
  const skipLines = options.skip_lines ?? 0
  const decimal: Decimal = options.decimal ?? '.'
  const dialect = await detectDialect(path, options.delimiter, skipLines, decimal)
  if (dialect.sample.length === 0) {
    if (skipLines > 0) throw new DataImportError(path, `no rows are left after skipping ${skipLines} lines; skip fewer lines`, {}, { reason: 'csv.all_skipped', details: { skip_lines: skipLines } })
    throw new DataImportError(path, 'the file holds no rows (only blank lines)', {}, { reason: 'csv.no_rows' })
  }
  const hasHeader = options.has_header ?? dialect.hasHeader
  const delimiter = dialect.delimiter
  const firstRow = dialect.sample[0]
  const width = firstRow.length
  const overrides = overridesByIndex(path, options.columns, width)
  const names = columnNames(width, hasHeader ? firstRow : null, overrides)
  const headerLine = skipLines + 1
  checkUniqueNames(path, names, headerLine)
  if (width < 2) throw new DataImportError(path, `only one column found (delimiter ${JSON.stringify(delimiter)}); a data set needs at least one feature and a target — pick the right delimiter`, { line: headerLine }, { reason: 'csv.one_column', details: { delimiter } })

  // Roles: listed ones as given; by default the last column is the target.
  const roles: Role[] = names.map(() => 'feature')
  const explicit = options.roles ?? {}
  const nameSet = new Set(names)
  // Own keys only: a column named "constructor" or "__proto__" is not a role from Object's prototype.
  const roleOf = (name: string): Role | undefined => (Object.hasOwn(explicit, name) ? explicit[name] : undefined)
  for (const key of Object.keys(explicit)) {
    if (!nameSet.has(key)) throw new DataImportError(path, `roles name a column "${key}" that the header does not have (columns: ${names.map((n) => JSON.stringify(n)).join(', ')})`, { line: headerLine }, { reason: 'csv.unknown_role_column', details: { name: key, columns: names.join(', ') } })
  }
  const roleOfIndex = (i: number): Role | undefined => {
    const override = overrides.get(i)
    if (override?.type === 'ignore') return 'ignore'
    return override?.role ?? roleOf(names[i])
  }
  names.forEach((_, i) => {
    const role = roleOfIndex(i)
    if (role) roles[i] = role
  })
  if (!roles.includes('target')) {
    const last = names.length - 1
    if (roleOfIndex(last) === undefined) roles[last] = 'target'
    else throw new DataImportError(path, 'no target column: give one column the role "target"', {}, { reason: 'csv.no_target' })
  }
  if (!roles.includes('feature')) throw new DataImportError(path, 'no feature column: at least one column must have the role "feature"', {}, { reason: 'csv.no_feature' })

  const scans = names.map((name, i) => newScan(name, roles[i]))
  const track = (total: number) => (bytes: number) => onProgress?.(total + bytes, size * 2)

  // Pass 1: types, statistics, categories, missing cells.
  let dataRows = 0
  let isHeaderRow = hasHeader
  let firstLine = true
  await readCsvRows(path, { delimiter, skipLines, onBytes: track(0) }, ({ fields, line }) => {
    const first = firstLine
    firstLine = false
    if (isHeaderRow) {
      isHeaderRow = false
      return
    }
    if (fields.length !== width) {
      // A first row already of another width: lines above the header (sklearn's count line) are the usual cause.
      const skipHint = dataRows === 0 && !first ? line - 1 : null
      const advice = skipHint !== null ? `; if the lines above are not part of the table (a count line above the header?), skip them (skip lines ${skipHint})` : ''
      const against = hasHeader ? 'the header has' : 'the first row has'
      throw new DataImportError(path, `${fields.length} fields, but ${against} ${width} (a ragged row; is a value holding the delimiter ${JSON.stringify(delimiter)} unquoted?)${advice}`, { line }, { reason: skipHint !== null ? 'csv.ragged_first_row' : 'csv.ragged_row', details: { got: fields.length, expected: width, delimiter, skip_lines: skipHint } })
    }
    dataRows++
    for (let c = 0; c < width; c++) {
      const scan = scans[c]
      if (scan.role === 'ignore') continue
      const cell = fields[c]
      const kind = classify(cell, decimal)
      if (kind === 'missing') {
        scan.missing++
        scan.firstMissing ??= line
        continue
      }
      if (kind === 'number') {
        const value = parseNumber(cell, decimal)
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
        const key = kind === 'number' ? canonicalNumber(cell, decimal) : cell.trim()
        scan.categories.set(key, (scan.categories.get(key) ?? 0) + 1)
        if (scan.categories.size > MAX_CATEGORIES) {
          scan.tooManyCategories = true
          scan.categories.clear()
        }
      }
    }
  })
  if (dataRows === 0) throw new DataImportError(path, hasHeader ? 'the file has a header but no data rows' : 'the file holds no data rows', { line: hasHeader ? headerLine + 1 : headerLine }, { reason: 'csv.no_data_rows' })

  // Types and encodings.
  const missingPolicy = options.missing ?? 'refuse'
  const columns: EncodedColumn[] = []
  for (let c = 0; c < width; c++) {
    const scan = scans[c]
    if (scan.role === 'ignore') continue
    const forced = overrides.get(c)?.type
    const numeric = forced === 'numeric' || (forced !== 'categorical' && scan.numbers > 0 && scan.numbers >= scan.texts)
    if (numeric) {
      // A numeric column: every present cell must be a finite number.
      const text = scan.firstText
      const nonFinite = scan.firstNonFinite
      if (text && (!nonFinite || text.line <= nonFinite.line)) {
        const commaHint = decimal === '.' && NUMBER_DECIMAL_COMMA.test(text.cell.trim()) ? ' (it has a decimal comma: choose the decimal comma option)' : ''
        throw new DataImportError(path, `${quoteForMessage(text.cell)} is not a number${commaHint} (the column is numeric: ${scan.numbers} of ${scan.numbers + scan.texts} filled cells are numbers); fix the cell, leave it empty to mark it missing, or set the column's role to ignore`, { line: text.line, column: scan.name }, { reason: 'csv.bad_number', details: { got: text.cell.slice(0, 40), numbers: scan.numbers, filled: scan.numbers + scan.texts } })
      }
      if (nonFinite) {
        throw new DataImportError(path, `${quoteForMessage(nonFinite.cell)} is not a finite number; leave the cell empty to mark it missing (then choose drop or fill)`, { line: nonFinite.line, column: scan.name }, { reason: 'csv.not_finite', details: { got: nonFinite.cell.slice(0, 40) } })
      }
    }
    if (scan.missing > 0 && missingPolicy === 'refuse') {
      throw new DataImportError(path, `the cell is empty or missing and missing values are refused; choose "drop" to skip such rows or "fill" to use the column's ${numeric ? 'mean' : 'most frequent value'} (${scan.missing} missing in this column)`, { line: scan.firstMissing, column: scan.name }, { reason: 'csv.missing_value', details: { count: scan.missing, numeric } })
    }
    if (scan.numbers + scan.texts === 0) throw new DataImportError(path, 'every cell of this column is missing; set its role to ignore', { column: scan.name }, { reason: 'csv.all_missing' })
    const type = numeric ? 'numeric' : 'categorical'
    if (type === 'categorical' && scan.role === 'feature' && scan.tooManyCategories) {
      throw new DataImportError(path, `more than ${MAX_CATEGORIES} distinct values in a text column: one-hot encoding would make too many features; set its role to ignore`, { column: scan.name }, { reason: 'csv.too_many_categories', details: { limit: MAX_CATEGORIES } })
    }
    const categories = type === 'categorical' ? sortCategories(scan.categories.keys(), scan.texts === 0 && scan.numbers > 0) : []
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
    if (targets.length > 1) throw new DataImportError(path, `${targets.length} target columns (${targets.map((t) => JSON.stringify(t.scan.name)).join(', ')}); a classification target is one column`, {}, { reason: 'csv.multiple_targets', details: { count: targets.length, names: targets.map((t) => t.scan.name).join(', ') } })
    if (firstTarget.scan.tooManyCategories) {
      // Numbers can be a regression target; text cannot, so never send text there (and back).
      const advice =
        firstTarget.type === 'numeric'
          ? 'import it as a regression target (target kind "regression")'
          : 'text cannot be a regression target either, so this column is probably not a label (an id, a name, free text?): pick another target column, or group its values into fewer classes before importing'
      throw new DataImportError(path, `more than ${MAX_CATEGORIES} distinct target values: too many to be classes; ${advice}`, { column: firstTarget.scan.name }, { reason: firstTarget.type === 'numeric' ? 'csv.too_many_classes' : 'csv.too_many_classes_text', details: { limit: MAX_CATEGORIES } })
    }
    classes = sortCategories(firstTarget.scan.categories.keys(), firstTarget.scan.texts === 0 && firstTarget.scan.numbers > 0)
    if (classes.length < 2) {
      throw new DataImportError(path, `the target has only one class (${JSON.stringify(classes[0] ?? '')}); a classifier needs at least two — check the target column or pick another`, { column: firstTarget.scan.name }, { reason: 'csv.one_class', details: { value: classes[0] ?? '' } })
    }
    classIndex = new Map(classes.map((name, i) => [name, i]))
  } else {
    for (const target of targets) {
      if (target.type !== 'numeric') {
        const advice = target.scan.tooManyCategories
          ? `it has more than ${MAX_CATEGORIES} distinct values, too many to be classes as well, so it is probably not a label: pick another target column`
          : 'import it as classes instead (target kind "classes")'
        throw new DataImportError(path, `a regression target must be numeric, but this column holds text such as ${quoteForMessage(target.scan.firstText?.cell ?? '')}; ${advice}`, { column: target.scan.name, line: target.scan.firstText?.line }, { reason: target.scan.tooManyCategories ? 'csv.regression_text_many' : 'csv.regression_text', details: { got: (target.scan.firstText?.cell ?? '').slice(0, 40), limit: MAX_CATEGORIES } })
      }
    }
  }

  const encodedWidth = features.reduce((sum, col) => sum + (col.type === 'numeric' ? 1 : col.categories.length), 0)
  const featureNames: string[] = []
  const scaling = options.scaling ?? 'none'
  const columnScaling: Scaling[] = []
  for (const col of features) {
    if (col.type === 'numeric') {
      featureNames.push(col.scan.name)
      columnScaling.push(overrides.get(col.index)?.scaling ?? scaling)
    } else {
      for (const category of col.categories) {
        featureNames.push(`${col.scan.name}=${category}`)
        columnScaling.push('none')
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
  await readCsvRows(path, { delimiter, skipLines, onBytes: track(size) }, ({ fields }) => {
    if (isHeaderRow) {
      isHeaderRow = false
      return
    }
    if (missingPolicy === 'drop' || missingPolicy === 'fill') {
      const rowHasMissing = columns.some((col) => (missingPolicy === 'drop' || col.scan.role === 'target') && classify(fields[col.index], decimal) === 'missing')
      if (rowHasMissing) {
        dropped++
        return
      }
    }
    let at = kept * encodedWidth
    for (const col of features) {
      const cell = fields[col.index]
      const kind = classify(cell, decimal)
      const missing = kind === 'missing'
      if (col.type === 'numeric') {
        x[at++] = missing ? col.fillNumber : parseNumber(cell, decimal)
      } else {
        const category = missing ? col.fillCategory : kind === 'number' ? canonicalNumber(cell, decimal) : cell.trim()
        x[at + (col.categoryIndex.get(category) ?? 0)] = 1
        at += col.categories.length
      }
    }
    if (targetKind === 'classes') {
      const cell = fields[firstTarget.index]
      const key = classify(cell, decimal) === 'number' ? canonicalNumber(cell, decimal) : cell.trim()
      y[kept] = classIndex.get(key) ?? 0
    } else {
      targets.forEach((target, t) => (y[kept * targetSize + t] = parseNumber(fields[target.index], decimal)))
    }
    kept++
  })
  if (kept === 0) throw new DataImportError(path, `all ${dataRows} rows have a missing value and were dropped; choose "fill" instead of "drop"`, {}, { reason: 'csv.all_dropped', details: { rows: dataRows } })

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
  if (!splits.train || splits.train.count === 0) throw new DataImportError(path, `only ${kept} usable rows: too few to split into training and test rows`, {}, { reason: 'csv.too_few_rows', details: { rows: kept } })
  const scaler = fitColumnScaler(columnScaling, splits.train.x, encodedWidth)
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
      detail: { file: path.split(/[\\/]/).pop(), delimiter, has_header: hasHeader, skip_lines: skipLines, decimal, rows: dataRows, dropped_rows: dropped, split: { validation: split.validation ?? 0, test: split.test ?? 0.2 }, seed: options.seed ?? 42 }
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
