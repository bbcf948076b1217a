// Writing one SQLite database from several processes (the app, `serve`, the command line). Every
// read-then-write runs in an IMMEDIATE transaction, which takes the write lock before it reads,
// so no other process can commit in between (a deferred transaction that reads first fails at
// its first write with SQLITE_BUSY_SNAPSHOT, and the busy timeout does not apply to that). What
// is still answered "busy" (a lock held past the busy timeout, a WAL recovery) is retried here
// with a short backoff for a bounded time. better-sqlite3 is synchronous, so the wait is too.
import type Database from 'better-sqlite3'
import { StoreError } from './errors'

export interface BusyOptions {
  /** SQLite's own wait for a lock, per statement (PRAGMA busy_timeout). */
  busyTimeoutMs: number
  /** How long a write that is still answered "busy" is retried after that, in all. */
  retryBudgetMs: number
}

export const DEFAULT_BUSY: BusyOptions = { busyTimeoutMs: 5_000, retryBudgetMs: 5_000 }

const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/

/** SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_TIMEOUT, SQLITE_LOCKED…: another connection holds what this one needs. */
export function isBusyError(error: unknown): boolean {
  if (error instanceof StoreError) return error.code === 'busy'
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && BUSY_CODES.test(code)
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
/** Blocks this thread for `ms` (the store is synchronous; an async wait would let callers interleave). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms)
}

/**
 * Runs `work`, retrying while SQLite answers busy, with backoff 5, 10, 20 … 200 ms, for at most
 * `retryBudgetMs` after the first failure. Other errors pass through at once. When the budget
 * is spent, throws StoreError('busy') naming the action and the last SQLite error.
 */
export function withBusyRetry<T>(action: string, work: () => T, options: Pick<BusyOptions, 'retryBudgetMs'> = DEFAULT_BUSY, onRetry?: (attempt: number, error: Error) => void): T {
  let deadline = -1
  let delay = 5
  for (let attempt = 1; ; attempt++) {
    try {
      return work()
    } catch (error) {
      if (!isBusyError(error) || error instanceof StoreError) throw error
      const now = Date.now()
      if (deadline < 0) deadline = now + options.retryBudgetMs
      if (now >= deadline) {
        const cause = error as Error & { code?: string }
        throw new StoreError(
          'busy',
          `Could not ${action}: the run database stayed locked by another process for more than ${Math.round(options.retryBudgetMs / 1000)} s (${cause.code ?? 'SQLITE_BUSY'}: ${cause.message}). Close other Model Workbench windows or commands using this data folder, or try again.`,
          { cause }
        )
      }
      onRetry?.(attempt, error as Error)
      sleepSync(Math.min(delay, deadline - now))
      delay = Math.min(delay * 2, 200)
    }
  }
}

/**
 * An IMMEDIATE transaction around `work`, retried as a whole while busy. Inside another
 * transaction it just runs `work` (a savepoint of the outer one; the outer one retries).
 */
export function writeTransaction<T>(db: Database.Database, action: string, work: () => T, options: Pick<BusyOptions, 'retryBudgetMs'> = DEFAULT_BUSY): T {
  if (db.inTransaction) return work()
  const tx = db.transaction(work)
  return withBusyRetry(action, () => tx.immediate(), options)
}
