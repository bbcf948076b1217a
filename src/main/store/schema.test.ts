import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SCHEMA_VERSION, WorkbenchStore } from '.'
import { sampleRunInput } from '../../../test/fixtures/store/sample'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-schema-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function tables(path: string): string[] {
  const db = new Database(path, { readonly: true })
  const names = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
  db.close()
  return names
}

describe('opening and migrating the database', () => {
  it('creates missing folders and a WAL database with foreign keys at the current schema version', () => {
    const path = join(dir, 'deep', 'er', 'workbench.db')
    const store = WorkbenchStore.open(path)
    expect(store.journalMode()).toBe('wal')
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION)
    expect(store.integrityCheck()).toBe('ok')
    store.close()
    // WAL is a property of the file: a fresh connection sees it too.
    const db = new Database(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
    expect(tables(path)).toEqual(expect.arrayContaining(['artifacts', 'datasets', 'metrics', 'models', 'runs']))
  })

  it('migrates an existing file at user_version 0 without touching what else it holds', () => {
    const path = join(dir, 'workbench.db')
    const old = new Database(path)
    old.exec("CREATE TABLE notes_from_elsewhere (text TEXT); INSERT INTO notes_from_elsewhere VALUES ('keep me')")
    expect(old.pragma('user_version', { simple: true })).toBe(0)
    old.close()

    const store = WorkbenchStore.open(path)
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION)
    const { id } = store.createRun(sampleRunInput())
    store.close()

    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT text FROM notes_from_elsewhere').all()).toEqual([{ text: 'keep me' }])
    db.close()

    // Opening again is a no-op for the schema and keeps the data.
    const again = WorkbenchStore.open(path)
    expect(again.schemaVersion()).toBe(SCHEMA_VERSION)
    expect(again.listRuns().map((r) => r.id)).toEqual([id])
    again.close()
    const third = WorkbenchStore.open(path)
    expect(third.listRuns()).toHaveLength(1)
    third.close()
  })

  it('enforces foreign keys: metrics cannot name a run that does not exist', () => {
    const path = join(dir, 'workbench.db')
    const store = WorkbenchStore.open(path)
    const { id } = store.createRun(sampleRunInput())
    const writer = store.metricWriter(id)
    store.finishRun(id, { status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: 'x', diverged_at_step: null })
    store.deleteRun(id)
    expect(writer.isClosed).toBe(true)
    store.close()
    const db = new Database(path)
    db.pragma('foreign_keys = ON')
    expect(() => db.prepare("INSERT INTO metrics (run_id, step, epoch, name, value, time) VALUES ('ghost', 0, 0, 'loss', 1, 0)").run()).toThrow(/FOREIGN KEY/)
    db.close()
  })

  it('refuses a database from a newer version of the app, naming the versions', () => {
    const path = join(dir, 'workbench.db')
    const db = new Database(path)
    db.pragma(`user_version = ${SCHEMA_VERSION + 5}`)
    db.close()
    expect(() => WorkbenchStore.open(path)).toThrow(new RegExp(`schema version ${SCHEMA_VERSION + 5}, newer than .* \\(${SCHEMA_VERSION}\\)`))
  })

  it('explains what to do with a file that is not a database', () => {
    const path = join(dir, 'workbench.db')
    writeFileSync(path, 'this is not sqlite, just some text long enough to fill a header page '.repeat(20))
    expect(() => WorkbenchStore.open(path)).toThrow(/not a usable Model Workbench database: .*Move it aside/)
  })
})
