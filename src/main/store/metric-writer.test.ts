import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WorkbenchStore } from '.'
import { sampleRunInput } from '../../../test/fixtures/store/sample'
import type { MetricPoint } from '../../shared/run'

let dir: string
let dbPath: string
let store: WorkbenchStore
let runId: string
let reader: Database.Database

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-writer-'))
  dbPath = join(dir, 'workbench.db')
  store = WorkbenchStore.open(dbPath)
  runId = store.createRun(sampleRunInput()).id
  // A second connection sees only what has been committed, as a crash would.
  reader = new Database(dbPath, { readonly: true })
})
afterEach(() => {
  reader.close()
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

const committed = () => (reader.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number }).n
const loss = (step: number): MetricPoint => ({ step, epoch: 0, name: 'loss', value: step, time: step })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('MetricWriter', () => {
  it('holds points in memory until the flush interval passes, then commits them', async () => {
    const writer = store.metricWriter(runId, { flushIntervalMs: 50 })
    writer.append([loss(0), loss(1)])
    writer.append([loss(2)])
    expect(committed()).toBe(0)
    expect(writer.bufferedRows).toBe(3)
    await sleep(150)
    expect(committed()).toBe(3)
    expect(writer.flushedRows).toBe(3)
  })

  it('commits at once when the buffer reaches its row limit', () => {
    const writer = store.metricWriter(runId, { flushIntervalMs: 60_000, maxBufferedRows: 10 })
    writer.append(Array.from({ length: 9 }, (_, i) => loss(i)))
    expect(committed()).toBe(0)
    writer.append([loss(9)])
    expect(committed()).toBe(10)
  })

  it('flush() forces a commit and close() flushes the rest and refuses more points', () => {
    const writer = store.metricWriter(runId, { flushIntervalMs: 60_000 })
    writer.append([loss(0)])
    writer.flush()
    expect(committed()).toBe(1)
    writer.append([loss(1)])
    writer.close()
    expect(committed()).toBe(2)
    expect(() => writer.append([loss(2)])).toThrow(/closed/)
  })

  it('is flushed by store.close()', () => {
    const writer = store.metricWriter(runId, { flushIntervalMs: 60_000 })
    writer.append([loss(0), loss(1)])
    store.close()
    expect(committed()).toBe(2)
    store = WorkbenchStore.open(dbPath)
  })

  it('refuses a point without a name', () => {
    const writer = store.metricWriter(runId)
    expect(() => writer.append([{ ...loss(0), name: '' }])).toThrow(/no name/)
  })

  it('reports a failed background flush instead of throwing from a timer', async () => {
    const errors: Error[] = []
    const writer = store.metricWriter(runId, { flushIntervalMs: 20, onError: (e) => errors.push(e) })
    writer.append([loss(0)])
    // Remove the run behind the writer's back (as another connection could).
    const other = new Database(dbPath)
    other.prepare('DELETE FROM runs WHERE id = ?').run(runId)
    other.close()
    await sleep(100)
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(/Could not save 1 metric points .* no longer exists/)
    expect(writer.bufferedRows).toBe(0)
  })
})
