// Streaming CSV reading: rows come out one at a time from a file of any size (the file is never
// one string), with quoted fields (delimiters, quotes and newlines inside), CRLF or LF, a
// leading byte-order mark stripped, and the physical line each row starts on.
import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { DataImportError } from './errors'

export interface CsvRow {
  fields: string[]
  /** 1-based line of the file where the row starts. */
  line: number
}

export interface CsvReadOptions {
  delimiter: string
  /** Called with bytes read so far and the chunk size; cheap, called once per chunk. */
  onBytes?: (bytesRead: number) => void
  /** Stop reading after this many rows (previews). */
  maxRows?: number
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
            throw new DataImportError(this.path, 'a quoted field opened on this line is never closed (a missing closing quote?)', { line: startLine })
          }
          for (let k = p + 1; k < q; k++) if (text.charCodeAt(k) === LF) linesInRow++
          fields.push(value)
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
          throw new DataImportError(this.path, `unexpected text after a closing quote in field ${fields.length} (quotes inside a quoted field must be doubled: "")`, { line: startLine + linesInRow })
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
      this.line = startLine + linesInRow + 1
      rowStart = p
      // Blank lines separate nothing in a table: skip them.
      if (fields.length === 1 && fields[0] === '') continue
      if (!emit({ fields, line: startLine })) return { consumed: rowStart, stopped: true }
    }
    return { consumed: rowStart, stopped: false }
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
  const emit = (row: CsvRow): boolean => {
    rows++
    if (onRow(row) === false) return false
    return options.maxRows === undefined || rows < options.maxRows
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytesRead += chunk.length
      let text = decoder.write(chunk)
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
        first = false
      }
      text = pending.length > 0 ? pending + text : text
      const result = parser.parse(text, false, emit)
      pending = result.consumed === 0 ? text : text.slice(result.consumed)
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
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DataImportError(path, 'the file does not exist')
    if (code === 'EISDIR') throw new DataImportError(path, 'this is a folder, not a CSV file')
    throw error
  } finally {
    stream.destroy()
  }
  return { rows, bytesRead, complete: !stopped }
}
