// The one error type of the data importers: what was wrong and exactly where (file, line,
// column or byte offset), worded for the person who owns the file.
import { basename } from 'node:path'

export interface DataImportErrorLocation {
  line?: number
  column?: string | number
  offset?: number
}

export class DataImportError extends Error {
  /** The file's name as the user knows it (no folders). */
  readonly file: string
  readonly line?: number
  readonly column?: string | number
  readonly offset?: number

  constructor(filePath: string, problem: string, location: DataImportErrorLocation = {}) {
    const file = basename(filePath)
    const where: string[] = []
    if (location.line !== undefined) where.push(`line ${location.line}`)
    if (location.column !== undefined) where.push(typeof location.column === 'number' ? `column ${location.column}` : `column "${location.column}"`)
    // "data.csv line 12, column "x": …" but "data.csv, column "x": …" when there is no line.
    const separator = location.line !== undefined ? ' ' : ', '
    super(`${file}${where.length > 0 ? separator + where.join(', ') : ''}: ${problem}`)
    this.name = 'DataImportError'
    this.file = file
    this.line = location.line
    this.column = location.column
    this.offset = location.offset
  }
}
