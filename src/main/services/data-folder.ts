// The data folder holds the user's runs and data sets: only its owner may read it. The folder is
// created (or tightened) to 0700, so nothing below it is reachable by other users whatever the
// umask gave a file; the database is created 0600 before SQLite opens it (SQLite gives its -wal
// and -shm files the database's mode), and the importers and uploads create their files 0600.
// Explicit modes, never process.umask(): the umask is process-wide and other code shares it.
import { chmod, mkdir, open, stat } from 'node:fs/promises'
import { join } from 'node:path'

export const DATA_FOLDER_MODE = 0o700
export const DATA_FILE_MODE = 0o600
export const DATABASE_FILE = 'workbench.db'

/** Tightens `path` to `mode` when this user owns it and it is looser; never fails the start-up. */
async function tighten(path: string, mode: number): Promise<void> {
  try {
    const info = await stat(path)
    const ours = typeof process.getuid !== 'function' || info.uid === process.getuid()
    if (ours && (info.mode & 0o777 & ~mode) !== 0) await chmod(path, mode)
  } catch {
    // Missing, or a file system without POSIX modes (Windows, some network shares): nothing to do.
  }
}

/** Creates the data folder 0700 (tightening an existing one) and the database file 0600. */
export async function secureDataFolder(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: DATA_FOLDER_MODE })
  await tighten(dataDir, DATA_FOLDER_MODE)
  const database = join(dataDir, DATABASE_FILE)
  // 'a' creates an empty file (a valid empty SQLite database) without touching an existing one.
  await (await open(database, 'a', DATA_FILE_MODE)).close()
  for (const suffix of ['', '-wal', '-shm']) await tighten(database + suffix, DATA_FILE_MODE)
}
