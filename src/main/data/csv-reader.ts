// Streaming CSV reading: rows come out one at a time from a file of any size (the file is never
// one string), with quoted fields (delimiters, quotes and newlines inside), CRLF or LF, a
// leading byte-order mark stripped, and the physical line each row starts on. Hostile shapes are
// refused as they are met, cheaply: more than MAX_COLUMNS fields or MAX_ROW_CHARS characters in a
// row, UTF-16/UTF-32 text (by byte-order mark or NUL bytes), a folder instead of a file.
import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { DataImportError } from './errors'

/** Fields one row may have: past this a one-line "table" is a hostile or mis-delimited file. */
export const MAX_COLUMNS = 10_000
/** Characters one row may span (1 MiB), quoted newlines included. */
export const MAX_ROW_CHARS = 1024 * 1024

const ROW_LIMIT_TEXT = '1 MiB'

function group(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

const TO_UTF8 = 'save it as UTF-8 (in Excel: "CSV UTF-8 (comma delimited)"; or `iconv -f <encoding> -t UTF-8`) and import that file'

/**
 * Why the first bytes of a file are not UTF-8 (or ASCII) text: a UTF-16/UTF-32 byte-order mark,
 * or NUL bytes, which text never holds (every other byte for UTF-16, three of four for UTF-32).
 */
export function textEncodingProblem(bytes: Uint8Array): { problem: string; offset: number; reason: string; encoding: string } | null {
  const b = bytes
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { problem: `the file is UTF-32 text (little-endian, byte-order mark FF FE 00 00), not UTF-8; ${TO_UTF8}`, offset: 0, reason: 'csv.not_utf8', encoding: 'UTF-32 LE' }
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { problem: `the file is UTF-32 text (big-endian, byte-order mark 00 00 FE FF), not UTF-8; ${TO_UTF8}`, offset: 0, reason: 'csv.not_utf8', encoding: 'UTF-32 BE' }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { problem: `the file is UTF-16 text (little-endian, byte-order mark FF FE), not UTF-8; ${TO_UTF8}`, offset: 0, reason: 'csv.not_utf8', encoding: 'UTF-16 LE' }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { problem: `the file is UTF-16 text (big-endian, byte-order mark FE FF), not UTF-8; ${TO_UTF8}`, offset: 0, reason: 'csv.not_utf8', encoding: 'UTF-16 BE' }
  const first = b.indexOf(0)
  if (first < 0) return null
  // Count NULs by position modulo 4 over the sample: text in UTF-16 has them at every other byte.
  const zerosAt = [0, 0, 0, 0]
  const sample = Math.min(b.length, 64 * 1024)
  for (let i = 0; i < sample; i++) if (b[i] === 0) zerosAt[i % 4]++
  const quarter = sample / 4
  const mostly = (n: number) => n > quarter * 0.6
  if (mostly(zerosAt[1]) && mostly(zerosAt[2]) && mostly(zerosAt[3]) && !mostly(zerosAt[0])) return { problem: `the file looks like UTF-32 text (little-endian, no byte-order mark: three of every four bytes are 0), not UTF-8; ${TO_UTF8}`, offset: first, reason: 'csv.not_utf8', encoding: 'UTF-32 LE' }
  if (mostly(zerosAt[0]) && mostly(zerosAt[1]) && mostly(zerosAt[2]) && !mostly(zerosAt[3])) return { problem: `the file looks like UTF-32 text (big-endian, no byte-order mark: three of every four bytes are 0), not UTF-8; ${TO_UTF8}`, offset: first, reason: 'csv.not_utf8', encoding: 'UTF-32 BE' }
  if (mostly(zerosAt[1]) && mostly(zerosAt[3]) && !mostly(zerosAt[0])) return { problem: `the file looks like UTF-16 text (little-endian, no byte-order mark: every other byte is 0), not UTF-8; ${TO_UTF8}`, offset: first, reason: 'csv.not_utf8', encoding: 'UTF-16 LE' }
  if (mostly(zerosAt[0]) && mostly(zerosAt[2]) && !mostly(zerosAt[1])) return { problem: `the file looks like UTF-16 text (big-endian, no byte-order mark: every other byte is 0), not UTF-8; ${TO_UTF8}`, offset: first, reason: 'csv.not_utf8', encoding: 'UTF-16 BE' }
  return { problem: `the file holds a NUL byte at byte ${first}: it is a binary file (a spreadsheet, an archive?), not CSV text; export the table as CSV (UTF-8) and import that`, offset: first, reason: 'csv.binary', encoding: 'binary' }
}

/** The errno codes of reading a path that is not a readable file, as DataImportErrors naming it. */
export function fileProblem(path: string, error: unknown, kind = 'CSV'): DataImportError | null {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return new DataImportError(path, 'the file does not exist', {}, { reason: 'file.not_found' })
  if (code === 'EISDIR') return new DataImportError(path, `this is a folder, not a ${kind} file; pick the file inside it`, {}, { reason: 'file.is_folder', details: { kind } })
  if (code === 'EACCES' || code === 'EPERM') return new DataImportError(path, 'the file cannot be read (permission denied)', {}, { reason: 'file.unreadable' })
  return null
}

/** The DataImportError of a textEncodingProblem. */
export function encodingError(path: string, encoding: { problem: string; offset: number; reason: string; encoding: string }): DataImportError {
  return new DataImportError(path, encoding.problem, { offset: encoding.offset }, { reason: encoding.reason, details: { encoding: encoding.encoding } })
}

export interface CsvRow {
  fields: string[]
  /** 1-based line of the file where the row starts. */
  line: number
}

export interface CsvReadOptions {
  delimiter: string
  /** Called with bytes read so far and the chunk size; cheap, called once per chunk. */
  onBytes?: (bytesRead: number) => void
  /** Stop reading after this many rows (previews); skipped lines do not count. */
  maxRows?: number
  /** Rows starting on the first N physical lines are dropped (lines before the header). */
  skipLines?: number
  highWaterMark?: number
}

const QUOTE = 34
const LF = 10
const CR = 13

/**
 * Parses the complete rows at the start of `text` and returns where the unfinished tail begins.
 * `final` says no more text follows, so the tail is a row too.
 */
class CsvChunkParser {
  line = 1
  private readonly delimiterCode: number

  constructor(private readonly path: string, delimiter: string) {
    this.delimiterCode = delimiter.charCodeAt(0)
  }

  parse(text: string, final: boolean, emit: (row: CsvRow) => boolean): { consumed: number; stopped: boolean } {
    const delimiter = this.delimiterCode
    const length = text.length
    let rowStart = 0
    while (rowStart < length) {
      const fields: string[] = []
      const startLine = this.line
      let linesInRow = 0
      let p = rowStart
      let rowComplete = false
      for (;;) {
        if (p < length && text.charCodeAt(p) === QUOTE) {
          // Quoted field: runs to the next lone quote; "" is an escaped quote.
          let value = ''
          let segmentStart = p + 1
          let q = segmentStart
          let closed = false
          for (;;) {
            const next = text.indexOf('"', q)
            if (next < 0) break
            if (next + 1 < length && text.charCodeAt(next + 1) === QUOTE) {
              value += text.slice(segmentStart, next + 1)
              segmentStart = q = next + 2
              continue
            }
            if (next + 1 >= length && !final) break // cannot tell "" from " yet
            value += text.slice(segmentStart, next)
            q = next + 1
            closed = true
            break
          }
          if (!closed) {
            if (!final) return { consumed: rowStart, stopped: false }
            throw new DataImportError(this.path, 'a quoted field opened on this line is never closed (a missing closing quote?)', { line: startLine }, { reason: 'csv.unclosed_quote' })
          }
          for (let k = p + 1; k < q; k++) if (text.charCodeAt(k) === LF) linesInRow++
          fields.push(value)
          if (fields.length > MAX_COLUMNS) throw this.tooManyColumns(startLine)
          p = q
          if (p >= length) {
            if (!final) return { consumed: rowStart, stopped: false }
            rowComplete = true
            break
          }
          const after = text.charCodeAt(p)
          if (after === delimiter) {
            p++
            continue
          }
          if (after === LF || after === CR) {
            p = this.skipLineEnd(text, p, final)
            if (p < 0) return { consumed: rowStart, stopped: false }
            rowComplete = true
            break
          }
          throw new DataImportError(this.path, `unexpected text after a closing quote in field ${fields.length} (quotes inside a quoted field must be doubled: "")`, { line: startLine + linesInRow }, { reason: 'csv.text_after_quote', details: { field: fields.length } })
        }
        // Unquoted field: up to the delimiter or the end of the line.
        let q = p
        let code = 0
        while (q < length) {
          code = text.charCodeAt(q)
          if (code === delimiter || code === LF || code === CR) break
          q++
        }
        if (q >= length) {
          if (!final) return { consumed: rowStart, stopped: false }
          fields.push(text.slice(p, q))
          p = q
          rowComplete = true
          break
        }
        fields.push(text.slice(p, q))
        if (fields.length > MAX_COLUMNS) throw this.tooManyColumns(startLine)
        if (code === delimiter) {
          p = q + 1
          if (p >= length && final) {
            fields.push('')
            rowComplete = true
            break
          }
          continue
        }
        p = this.skipLineEnd(text, q, final)
        if (p < 0) return { consumed: rowStart, stopped: false }
        rowComplete = true
        break
      }
      if (!rowComplete) return { consumed: rowStart, stopped: false }
      if (p - rowStart > MAX_ROW_CHARS) throw this.rowTooLong(startLine)
      this.line = startLine + linesInRow + 1
      rowStart = p
      // Blank lines separate nothing in a table: skip them.
      if (fields.length === 1 && fields[0] === '') continue
      if (!emit({ fields, line: startLine })) return { consumed: rowStart, stopped: true }
    }
    return { consumed: rowStart, stopped: false }
  }

  tooManyColumns(line: number): DataImportError {
    const delimiter = JSON.stringify(String.fromCharCode(this.delimiterCode))
    return new DataImportError(this.path, `more than ${group(MAX_COLUMNS)} fields in one row (delimiter ${delimiter}); the workbench imports tables of at most ${group(MAX_COLUMNS)} columns — check the delimiter, or drop columns before importing`, { line }, { reason: 'csv.too_many_fields', details: { limit: MAX_COLUMNS, delimiter: String.fromCharCode(this.delimiterCode) } })
  }

  rowTooLong(line: number): DataImportError {
    return new DataImportError(this.path, `a row longer than ${ROW_LIMIT_TEXT} (${group(MAX_ROW_CHARS)} characters) starts on this line; a table row is never that long — is a quote left open, or is this not a CSV file?`, { line }, { reason: 'csv.row_too_long', details: { limit: MAX_ROW_CHARS } })
  }

  /** Index after the line ending at `at` (LF, CRLF or a lone CR), or -1 when CRLF may be split across chunks. */
  private skipLineEnd(text: string, at: number, final: boolean): number {
    if (text.charCodeAt(at) === CR) {
      if (at + 1 >= text.length) return final ? at + 1 : -1
      return text.charCodeAt(at + 1) === LF ? at + 2 : at + 1
    }
    return at + 1
  }
}

/** Reads the file row by row. Rows are handed to `onRow`; returning false stops early. */
export async function readCsvRows(path: string, options: CsvReadOptions, onRow: (row: CsvRow) => boolean | void): Promise<{ rows: number; bytesRead: number; complete: boolean }> {
  const stream = createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 })
  const decoder = new StringDecoder('utf8')
  const parser = new CsvChunkParser(path, options.delimiter)
  let pending = ''
  let first = true
  let rows = 0
  let bytesRead = 0
  let stopped = false
  const skipLines = options.skipLines ?? 0
  const emit = (row: CsvRow): boolean => {
    if (row.line <= skipLines) return true
    rows++
    if (onRow(row) === false) return false
    return options.maxRows === undefined || rows < options.maxRows
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (bytesRead === 0) {
        const encoding = textEncodingProblem(chunk)
        if (encoding) throw encodingError(path, encoding)
      }
      bytesRead += chunk.length
      let text = decoder.write(chunk)
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
        first = false
      }
      text = pending.length > 0 ? pending + text : text
      const result = parser.parse(text, false, emit)
      pending = result.consumed === 0 ? text : text.slice(result.consumed)
      // An unfinished row past the limit: refuse now rather than buffer the rest of the file.
      if (pending.length > MAX_ROW_CHARS) throw parser.rowTooLong(parser.line)
      options.onBytes?.(bytesRead)
      if (result.stopped) {
        stopped = true
        break
      }
    }
    if (!stopped) {
      let tail = pending + decoder.end()
      if (first && tail.charCodeAt(0) === 0xfeff) tail = tail.slice(1)
      if (tail.length > 0) stopped = parser.parse(tail, true, emit).stopped
    }
  } catch (error) {
    if (error instanceof DataImportError) throw error
    throw fileProblem(path, error) ?? error
  } finally {
    stream.destroy()
  }
  return { rows, bytesRead, complete: !stopped }
}
