// Buffers a run's metric points and writes them to SQLite in batched transactions, so that a
// trainer reporting every batch costs one commit per ~200 ms instead of one per point.
import type Database from 'better-sqlite3'
import type { MetricPoint } from '../../shared/run'
import { DEFAULT_BUSY, isBusyError, writeTransaction, type BusyOptions } from './busy'

export interface MetricWriterOptions {
  /** Longest a point waits in memory before it is committed (ms). */
  flushIntervalMs?: number
  /** Buffer size that triggers an immediate flush. */
  maxBufferedRows?: number
  /** Where a failed background flush is reported (a timer has no caller to throw to). */
  onError?: (error: Error) => void
}

export const DEFAULT_FLUSH_INTERVAL_MS = 200
export const DEFAULT_MAX_BUFFERED_ROWS = 1000

type InsertMany = (runId: string, points: readonly MetricPoint[]) => void

/** Prepares the one statement every writer of a store shares; each call is one IMMEDIATE transaction, retried while busy. */
export function createMetricInserter(db: Database.Database, busy: Pick<BusyOptions, 'retryBudgetMs'> = DEFAULT_BUSY): InsertMany {
  const insert = db.prepare('INSERT INTO metrics (run_id, step, epoch, name, value, time) VALUES (?, ?, ?, ?, ?, ?)')
  return (runId, points) =>
    writeTransaction(
      db,
      `save ${points.length} metric points of run ${runId}`,
      () => {
        for (const p of points) insert.run(runId, p.step, p.epoch, p.name, p.value, p.time)
      },
      busy
    )
}

/** A flush that failed; `kept` when the points stayed in the buffer for another try (the database was locked). */
export class MetricWriteError extends Error {
  constructor(
    message: string,
    readonly kept: boolean,
    cause: unknown
  ) {
    super(message, { cause })
    this.name = 'MetricWriteError'
  }
}

export class MetricWriter {
  private buffer: MetricPoint[] = []
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private flushed = 0
  private readonly flushIntervalMs: number
  private readonly maxBufferedRows: number
  private readonly onError: (error: Error) => void

  constructor(
    readonly runId: string,
    private readonly insertMany: InsertMany,
    options: MetricWriterOptions = {},
    private readonly onClose: (writer: MetricWriter) => void = () => {}
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS
    this.maxBufferedRows = options.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS
    this.onError = options.onError ?? ((error) => console.error(`[store] ${error.message}`))
  }

  /** Rows committed to the database so far (what survives a crash of this process). */
  get flushedRows(): number {
    return this.flushed
  }

  get bufferedRows(): number {
    return this.buffer.length
  }

  get isClosed(): boolean {
    return this.closed
  }

  append(points: readonly MetricPoint[]): void {
    if (this.closed) throw new Error(`The metric writer of run ${this.runId} is closed; open a new one with store.metricWriter().`)
    for (const point of points) {
      if (typeof point.name !== 'string' || point.name === '') {
        throw new Error(`Metric point for run ${this.runId} at step ${point.step} has no name; every point needs a metric name such as "loss".`)
      }
      this.buffer.push(point)
    }
    if (this.buffer.length >= this.maxBufferedRows) this.flush()
    else this.schedule()
  }

  private schedule(): void {
    if (this.buffer.length > 0 && this.timer === null) {
      this.timer = setTimeout(() => this.flushInBackground(), this.flushIntervalMs)
      // A pending flush must not keep a finished process alive; close() flushes what is left.
      this.timer.unref()
    }
  }

  /**
   * Commits everything buffered in one transaction. When the database stayed locked past the
   * retries, the points go back to the buffer for the next flush (nothing is lost while this
   * process lives); other failures drop them (they would fail again). Either way the error says how many.
   */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.buffer.length === 0) return
    const points = this.buffer
    this.buffer = []
    try {
      this.insertMany(this.runId, points)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      const kept = isBusyError(cause) && !this.closed
      if (kept) {
        this.buffer = points.concat(this.buffer)
        this.schedule()
      }
      const hint = /FOREIGN KEY/i.test(reason) ? ' (the run no longer exists in the store)' : kept ? ' (kept in memory; retried at the next flush)' : ''
      throw new MetricWriteError(`Could not save ${points.length} metric points of run ${this.runId}${hint}: ${reason}`, kept, cause)
    }
    this.flushed += points.length
  }

  /**
   * Flushes what is left and stops accepting points. Safe to call twice. When the database is
   * still locked the writer stays open with its points (the error has `kept: true`): call close
   * again later.
   */
  close(): void {
    if (this.closed) return
    try {
      this.flush()
    } catch (error) {
      if (error instanceof MetricWriteError && error.kept) throw error
      this.markClosed()
      throw error
    }
    this.markClosed()
  }

  private markClosed(): void {
    this.closed = true
    this.onClose(this)
  }

  private flushInBackground(): void {
    this.timer = null
    try {
      this.flush()
    } catch (error) {
      this.onError(error as Error)
    }
  }
}
