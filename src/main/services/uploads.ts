// Files reaching the back end: uploads.begin/chunk/finish write into <dataDir>/uploads/<id>/ and
// importers get the server-side path (the client never chooses one). An upload is discarded once
// its import succeeds and kept after a failure, for another try.
//
// Hostile or confused clients are refused cheaply: the announced size and the number of uploads
// held at once are capped, a chunk is written only at the offset received so far and one at a
// time per upload (two chunks sent together at one offset: the second is refused, never both
// written), data that is not strict base64 is bad_input. Each upload folder names its owner
// process (owner.json); at start-up folders whose owner is gone are removed.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { ServiceContext } from './context'
import { WorkbenchError, type Handlers } from './dispatcher'

const UPLOAD_ID = /^upload-[a-f0-9]{16}$/
/** Largest file one upload may announce: 4 GiB. */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3
/** Uploads held at once (begun and not yet imported or discarded). */
export const MAX_OPEN_UPLOADS = 16
/** An upload untouched this long may be dropped to make room for a new one. */
export const UPLOAD_IDLE_MS = 10 * 60 * 1000
/** A complete upload (kept after a failed import) untouched this long may be dropped first. */
export const COMPLETE_UPLOAD_IDLE_MS = 60 * 1000
export const OWNER_FILE = 'owner.json'
/** Announced bytes of all open uploads together: 8 GiB. */
export const MAX_OPEN_UPLOAD_BYTES = 8 * 1024 ** 3

/**
 * Strict standard base64 (A–Z a–z 0–9 + /, `=` padding only at the end, length a multiple of 4),
 * as btoa and Buffer write it. A plain loop: a regular expression over an 8 MiB chunk can
 * exhaust V8's backtracking stack.
 */
export function isStrictBase64(text: string): boolean {
  const length = text.length
  if (length % 4 !== 0) return false
  let padding = 0
  if (length > 0 && text.charCodeAt(length - 1) === 61) padding = length > 1 && text.charCodeAt(length - 2) === 61 ? 2 : 1
  for (let i = 0; i < length - padding; i++) {
    const c = text.charCodeAt(i)
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47
    if (!ok) return false
  }
  return true
}

interface Upload {
  path: string
  size: number
  expected: number
  name: string
  touched: number
  /** Imports reading the file now: a held upload is never dropped to make room. */
  holds: number
  /** The tail of this upload's chunk queue: chunks run one after another, each checking its offset when its turn comes. */
  queue: Promise<unknown>
}

/** Runs `work` after every earlier task of the upload (a per-upload promise lock). */
function serialised<T>(upload: Upload, work: () => Promise<T>): Promise<T> {
  const run = upload.queue.then(work, work)
  upload.queue = run.catch(() => undefined)
  return run
}

export interface Uploads {
  handlers: Pick<Handlers, 'uploads.begin' | 'uploads.chunk' | 'uploads.finish'>
  /** The server-side path of a complete upload, or a not_found / bad_input error. */
  path(file: string): string
  /** The user's own file name, for messages. */
  name(file: string): string | undefined
  /** Keeps uploads from being dropped to make room while `work` reads them (an import). */
  holding<T>(files: (string | undefined)[], work: () => Promise<T>): Promise<T>
  /** An imported file is not needed again: the data set holds its tensors. */
  discard(files: (string | undefined)[]): Promise<void>
  /** Resolves once the start-up sweep of stale upload folders is done. */
  ready: Promise<void>
  close(): Promise<void>
}

interface UploadOwner {
  host: string
  pid: number
  started_at: string
}

function processIsRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether an upload folder still belongs to a live process (this one included). */
async function ownerAlive(dir: string): Promise<boolean> {
  let owner: Partial<UploadOwner>
  try {
    owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as Partial<UploadOwner>
  } catch {
    return false // no owner file (a crash between mkdir and its write, or an older version): stale
  }
  // Another machine sharing the folder cannot be checked: leave its uploads alone.
  if (typeof owner.host === 'string' && owner.host !== hostname()) return true
  return typeof owner.pid === 'number' && processIsRunning(owner.pid)
}

/** Removes upload folders whose owner process is gone; never one of a live process. */
export async function removeStaleUploads(root: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(root)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const dir = join(root, name)
    if (await ownerAlive(dir)) continue
    await rm(dir, { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}

function group(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

export function createUploads(ctx: ServiceContext): Uploads {
  const uploads = new Map<string, Upload>()
  const root = join(ctx.dataDir, 'uploads')
  const ready = removeStaleUploads(root).then(
    () => undefined,
    () => undefined
  )

  function path(file: string): string {
    const upload = uploads.get(file)
    if (!UPLOAD_ID.test(file) || !upload) throw new WorkbenchError('not_found', `upload "${file}" not found; upload the file again`, { reason: 'upload.not_found', details: { upload: file } })
    if (upload.size !== upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is incomplete (${upload.size} of ${upload.expected} bytes)`, { reason: 'upload.incomplete', details: { name: upload.name, size: upload.size, expected: upload.expected } })
    upload.touched = Date.now()
    return upload.path
  }

  async function remove(file: string): Promise<void> {
    const upload = uploads.get(file)
    if (!upload) return
    uploads.delete(file)
    await rm(join(upload.path, '..'), { recursive: true, force: true })
  }

  async function discard(files: (string | undefined)[]): Promise<void> {
    for (const file of files) if (file) await remove(file)
  }

  const announced = () => [...uploads.values()].reduce((sum, upload) => sum + upload.expected, 0)

  /**
   * Makes room for an upload of `size` bytes: drops uploads idle for UPLOAD_IDLE_MS, then complete
   * ones kept after a failed import and idle for COMPLETE_UPLOAD_IDLE_MS (least recently used
   * first); an upload an import is reading, or one still receiving chunks, is not dropped, so when
   * those fill every slot the new one is refused.
   */
  async function makeRoom(size: number): Promise<void> {
    const full = () => uploads.size >= MAX_OPEN_UPLOADS || announced() + size > MAX_OPEN_UPLOAD_BYTES
    if (!full()) return
    const now = Date.now()
    const byAge = [...uploads].sort((a, b) => a[1].touched - b[1].touched)
    const droppable = (upload: Upload, idleMs: number) => upload.holds === 0 && now - upload.touched > idleMs
    for (const [file, upload] of byAge) if (full() && droppable(upload, UPLOAD_IDLE_MS)) await serialised(upload, () => remove(file))
    for (const [file, upload] of byAge) if (full() && uploads.has(file) && upload.size === upload.expected && droppable(upload, COMPLETE_UPLOAD_IDLE_MS)) await serialised(upload, () => remove(file))
    if (uploads.size >= MAX_OPEN_UPLOADS) {
      const receiving = [...uploads.values()].filter((upload) => upload.size < upload.expected).length
      const what = receiving === uploads.size ? `${MAX_OPEN_UPLOADS} uploads are still receiving data` : `${MAX_OPEN_UPLOADS} uploads are open (${receiving} still receiving data, ${uploads.size - receiving} complete and in use in the last minute)`
      throw new WorkbenchError('conflict', `${what}, the most the workbench holds at once; finish or import those first, or try again in a minute (idle uploads expire after ${Math.round(UPLOAD_IDLE_MS / 60000)} minutes)`, { reason: 'upload.too_many', details: { open: uploads.size, idle_minutes: Math.round(UPLOAD_IDLE_MS / 60000) } })
    }
    if (full()) {
      throw new WorkbenchError('conflict', `open uploads already announce ${group(announced())} bytes; with ${group(size)} more they would pass the ${group(MAX_OPEN_UPLOAD_BYTES)} bytes (8 GiB) held at once — finish or import those first`, { reason: 'upload.too_much_open', details: { announced: group(announced()), size: group(size), max: group(MAX_OPEN_UPLOAD_BYTES) } })
    }
  }

  async function holding<T>(files: (string | undefined)[], work: () => Promise<T>): Promise<T> {
    const held = files.map((file) => (file ? uploads.get(file) : undefined)).filter((upload): upload is Upload => upload !== undefined)
    for (const upload of held) upload.holds++
    try {
      return await work()
    } finally {
      for (const upload of held) {
        upload.holds--
        upload.touched = Date.now()
      }
    }
  }

  return {
    path,
    holding,
    name: (file) => uploads.get(file)?.name,
    discard,
    ready,
    async close() {
      await ready
      for (const file of [...uploads.keys()]) await remove(file)
    },
    handlers: {
      'uploads.begin': async ({ name, size }) => {
        await ready
        const trimmed = name.trim()
        if (trimmed === '.' || trimmed === '..' || trimmed === '' || /[\0]/.test(name)) throw new WorkbenchError('bad_input', `${JSON.stringify(name)} is not a file name; upload a file, not a folder`, { reason: 'upload.bad_name', details: { name } })
        if (size > MAX_UPLOAD_BYTES) throw new WorkbenchError('bad_input', `"${name}" has ${group(size)} bytes, more than the ${group(MAX_UPLOAD_BYTES)} bytes (4 GiB) one upload may hold; import a smaller file or a subset of it`, { reason: 'upload.too_big', details: { name, size: group(size), max: group(MAX_UPLOAD_BYTES) } })
        await makeRoom(size)
        const file = `upload-${randomBytes(8).toString('hex')}`
        const dir = join(root, file)
        await mkdir(dir, { recursive: true, mode: 0o700 })
        const owner: UploadOwner = { host: hostname(), pid: process.pid, started_at: new Date().toISOString() }
        await writeFile(join(dir, OWNER_FILE), JSON.stringify(owner) + '\n', { mode: 0o600 })
        // Keep the user's file name (for messages) but never let it pick the path; never the owner file's name either.
        let safeName = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 120)
        if (/^\.+$/.test(safeName) || safeName === '' || safeName === OWNER_FILE) safeName = `upload${safeName === OWNER_FILE ? '-owner.json' : ''}`
        const filePath = join(dir, safeName)
        await (await open(filePath, 'w', 0o600)).close()
        uploads.set(file, { path: filePath, size: 0, expected: size, name, touched: Date.now(), holds: 0, queue: Promise.resolve() })
        return { file }
      },
      'uploads.chunk': async ({ file, offset, data_base64 }) => {
        await ready
        const upload = uploads.get(file)
        if (!upload) throw new WorkbenchError('not_found', `upload "${file}" not found; start the upload again`, { reason: 'upload.not_found', details: { upload: file } })
        if (!isStrictBase64(data_base64)) {
          throw new WorkbenchError('bad_input', `upload "${upload.name}": the chunk at byte ${offset} is not valid base64 (standard alphabet A–Z a–z 0–9 + /, padded with = to a multiple of 4 characters)`, { reason: 'upload.bad_base64', details: { name: upload.name, offset } })
        }
        const bytes = Buffer.from(data_base64, 'base64')
        // One chunk at a time per upload; the offset is checked when the chunk's turn comes, so of
        // two chunks sent together at one offset the first is written and the second refused.
        return serialised(upload, async () => {
          if (uploads.get(file) !== upload) throw new WorkbenchError('not_found', `upload "${upload.name}" was discarded; start the upload again`, { reason: 'upload.discarded', details: { name: upload.name } })
          if (offset !== upload.size) throw new WorkbenchError('conflict', `upload "${upload.name}": chunk at byte ${offset} but ${upload.size} bytes received so far; send the chunk at byte ${upload.size}`, { reason: 'upload.out_of_order', details: { name: upload.name, offset, received: upload.size } })
          if (upload.size + bytes.length > upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is larger than the announced ${upload.expected} bytes`, { reason: 'upload.overflow', details: { name: upload.name, expected: upload.expected } })
          const handle = await open(upload.path, 'r+')
          try {
            // Positional write at the accepted offset, never an append.
            if (bytes.length > 0) await handle.write(bytes, 0, bytes.length, offset)
          } finally {
            await handle.close()
          }
          upload.size = offset + bytes.length
          upload.touched = Date.now()
          return { received: upload.size }
        })
      },
      'uploads.finish': async ({ file }) => {
        await ready
        const upload = uploads.get(file)
        if (!UPLOAD_ID.test(file) || !upload) throw new WorkbenchError('not_found', `upload "${file}" not found; upload the file again`, { reason: 'upload.not_found', details: { upload: file } })
        return serialised(upload, async () => {
          path(file)
          return { file, size: (await stat(upload.path)).size }
        })
      }
    }
  }
}
