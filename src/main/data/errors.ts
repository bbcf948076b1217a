// The one error type of the data importers: what was wrong and exactly where (file, line,
// column or byte offset), worded for the person who owns the file.
import { basename } from 'node:path'
import { TypedError, type ErrorDetails } from '../../shared/errors'

export interface DataImportErrorLocation {
  line?: number
  column?: string | number
  offset?: number
}

/**
 * A bad file: contract code `bad_input`; `reason` names the problem (e.g. `csv.bad_number`) and
 * `details` always carry file, line, column and offset where known, plus the reason's own values.
 */
export class DataImportError extends TypedError {
  /** The file's name as the user knows it (no folders). */
  readonly file: string
  readonly line?: number
  readonly column?: string | number
  readonly offset?: number

  constructor(filePath: string, problem: string, location: DataImportErrorLocation = {}, reason?: { reason: string; details?: ErrorDetails }) {
    const file = basename(filePath)
    const where: string[] = []
    if (location.line !== undefined) where.push(`line ${location.line}`)
    if (location.column !== undefined) where.push(typeof location.column === 'number' ? `column ${location.column}` : `column "${location.column}"`)
    // "data.csv line 12, column "x": …" but "data.csv, column "x": …" when there is no line.
    const separator = location.line !== undefined ? ' ' : ', '
    const details: ErrorDetails = { file, ...reason?.details }
    if (location.line !== undefined) details.line = location.line
    if (location.column !== undefined) details.column = location.column
    if (location.offset !== undefined) details.offset = location.offset
    super('bad_input', `${file}${where.length > 0 ? separator + where.join(', ') : ''}: ${problem}`, { reason: reason?.reason ?? 'data.bad_file', details: { ...details, problem } })
    this.name = 'DataImportError'
    this.file = file
    this.line = location.line
    this.column = location.column
    this.offset = location.offset
  }
}
