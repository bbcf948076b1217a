// Terminal output for the command line: aligned tables, a Keras-like progress bar, numbers; and
// the command line's own typed error.
import { TypedError, type ErrorCode, type ErrorData } from '../../shared/errors'

/**
 * A failure the command line reports: exit code 2 for a usage error (code `invalid_request`), 1
 * otherwise; reason and details like any other typed error (`--json` prints them).
 */
export class CliError extends TypedError {
  constructor(
    message: string,
    readonly exitCode = 1,
    data: ErrorData & { code?: ErrorCode } = {}
  ) {
    super(data.code ?? (exitCode === 2 ? 'invalid_request' : 'bad_input'), message, { reason: data.reason ?? (exitCode === 2 ? 'cli.usage' : undefined), ...(data.details ? { details: data.details } : {}) })
    this.name = 'CliError'
  }
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-'
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2)
  return value.toFixed(digits)
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-'
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`
  const m = Math.floor(seconds / 60)
  const s = Math.round(seconds % 60)
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}

/** A plain-text table with a header rule; columns sized to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)))
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') + '\n'
}

/** One line of a Keras-style progress bar: ` 120/469 [=====>........] - ETA: 4s - loss: 0.31`. */
export function progressLine(done: number, total: number, etaSeconds: number | null, metrics: Record<string, number>, samplesPerSecond: number, width = 28): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0
  const filled = Math.floor(fraction * width)
  const bar = '='.repeat(Math.max(0, filled - (fraction < 1 ? 1 : 0))) + (fraction < 1 ? '>' : '') + '.'.repeat(Math.max(0, width - filled))
  const count = `${String(done).padStart(String(total).length)}/${total}`
  const eta = fraction < 1 && etaSeconds !== null ? ` - ETA: ${formatDuration(etaSeconds)}` : ''
  const values = Object.entries(metrics)
    .filter(([name]) => name !== 'lr')
    .map(([name, value]) => ` - ${name}: ${formatNumber(value)}`)
    .join('')
  return `${count} [${bar.slice(0, width)}]${eta}${values} - ${Math.round(samplesPerSecond)} samples/s`
}
