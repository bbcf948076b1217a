// The run store's tables and their migrations, versioned by `PRAGMA user_version`.
import type Database from 'better-sqlite3'
import { writeTransaction } from './busy'
import { StoreError } from './errors'

/**
 * Each entry moves the schema from version `index` to `index + 1`. Append new migrations;
 * never edit one that has shipped, because existing databases have already run it.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    descriptor  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TEXT NOT NULL
  );

  CREATE TABLE models (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, version)
  );

  -- dataset_id is deliberately not a foreign key: a run keeps its dataset's name and
  -- fingerprint as a snapshot and stays readable after the data set is deleted.
  CREATE TABLE runs (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    model_name          TEXT NOT NULL,
    dataset_id          TEXT NOT NULL,
    dataset_name        TEXT NOT NULL,
    dataset_fingerprint TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued','running','paused','finished','stopped','diverged','failed','interrupted')),
    spec                TEXT NOT NULL,
    config              TEXT NOT NULL,
    seed                INTEGER NOT NULL,
    optimizer           TEXT NOT NULL,
    learning_rate       REAL NOT NULL,
    batch_size          INTEGER NOT NULL,
    epochs              INTEGER,
    steps               INTEGER,
    backend             TEXT,
    backend_info        TEXT,
    versions            TEXT NOT NULL DEFAULT '{}',
    created_at          TEXT NOT NULL,
    started_at          TEXT,
    ended_at            TEXT,
    final_metrics       TEXT NOT NULL DEFAULT '{}',
    best_metrics        TEXT NOT NULL DEFAULT '{}',
    best_epoch          INTEGER,
    error               TEXT,
    diverged_at_step    INTEGER,
    tags                TEXT NOT NULL DEFAULT '[]',
    notes               TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX runs_by_status ON runs (status);

  -- value is NULL where the trainer reported NaN (SQLite stores NaN as NULL); it reads back as NaN.
  CREATE TABLE metrics (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step   INTEGER NOT NULL,
    epoch  INTEGER NOT NULL,
    name   TEXT NOT NULL,
    value  REAL,
    time   REAL NOT NULL
  );
  -- Serves series reads (one run, one name, by step) and the cascade on run deletion.
  CREATE INDEX metrics_series ON metrics (run_id, name, step);

  CREATE TABLE artifacts (
    run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
  );
  `,
  // v2: the process that started a run, so that a second process opening the same data folder
  // (the CLI while the app runs) does not take the other's live runs for interrupted ones.
  `ALTER TABLE runs ADD COLUMN owner_pid INTEGER;`,
  // v3: the owner's host and process start time (a pid alone may be reused), a heartbeat the
  // owner refreshes while the run is active, and the status a run had when another process found
  // its owner silent and marked it interrupted (the owner, if it was only slow, takes it back).
  `
  ALTER TABLE runs ADD COLUMN owner_host TEXT;
  ALTER TABLE runs ADD COLUMN owner_start TEXT;
  ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
  ALTER TABLE runs ADD COLUMN interrupted_from TEXT;
  `,
  // v4: hyperparameter sweeps. A sweep is a group of configs queued as items; a process claims an
  // item (in an IMMEDIATE transaction, recording itself) before it creates and starts the item's
  // run, so two processes sharing the folder never start the same one. run_id is set at the claim;
  // a claim whose process died before the run row existed goes back to the queue.
  `
  CREATE TABLE sweeps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    dataset_id  TEXT NOT NULL,
    spec        TEXT NOT NULL,
    base_config TEXT NOT NULL,
    axes        TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('grid','random')),
    trials      INTEGER,
    seed        INTEGER,
    concurrency INTEGER NOT NULL DEFAULT 1,
    status      TEXT NOT NULL CHECK (status IN ('active','paused','cancelled','finished')),
    created_at  TEXT NOT NULL,
    ended_at    TEXT
  );
  CREATE TABLE sweep_items (
    sweep_id      TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    label         TEXT NOT NULL,
    sweep_values  TEXT NOT NULL,
    config        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued','claimed','cancelled','failed')),
    run_id        TEXT UNIQUE,
    claimed_host  TEXT,
    claimed_pid   INTEGER,
    claimed_start TEXT,
    claimed_at    TEXT,
    error         TEXT,
    -- A re-run the user asked for of an item whose run was interrupted or could not start: that item's idx.
    retry_of      INTEGER,
    PRIMARY KEY (sweep_id, idx)
  );
  CREATE INDEX sweep_items_by_state ON sweep_items (sweep_id, state, idx);
  `
]

export const SCHEMA_VERSION = MIGRATIONS.length

function tooNew(dbPath: string, version: number): StoreError {
  return new StoreError(
    'incompatible',
    `The database ${dbPath} has schema version ${version}, newer than this Model Workbench understands (${SCHEMA_VERSION}). Update Model Workbench, or choose another data folder.`
  )
}

/**
 * Brings the database to SCHEMA_VERSION; each step commits with its version bump, so a crash
 * mid-way leaves a consistent earlier version. Each step reads the version inside a write-locked
 * transaction, so two processes opening a new data folder at once do not both run it.
 */
export function migrate(db: Database.Database, dbPath: string): { from: number; to: number } {
  const readVersion = () => db.pragma('user_version', { simple: true }) as number
  const from = readVersion()
  if (from > SCHEMA_VERSION) throw tooNew(dbPath, from)
  for (;;) {
    const done = writeTransaction(db, 'upgrade the run database', () => {
      const version = readVersion()
      if (version > SCHEMA_VERSION) throw tooNew(dbPath, version)
      if (version === SCHEMA_VERSION) return true
      db.exec(MIGRATIONS[version])
      // user_version cannot take a bound parameter; version is an integer we control.
      db.pragma(`user_version = ${version + 1}`)
      return false
    })
    if (done) break
  }
  return { from, to: SCHEMA_VERSION }
}
