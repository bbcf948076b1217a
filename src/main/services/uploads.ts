// Files reaching the back end: uploads.begin/chunk/finish write into <dataDir>/uploads/<id>/ and
// importers get the server-side path (the client never chooses one). An upload is discarded once
// its import succeeds and kept after a failure, for another try.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ServiceContext } from './context'
import { WorkbenchError, type Handlers } from './dispatcher'

const UPLOAD_ID = /^upload-[a-f0-9]{16}$/

interface Upload {
  path: string
  size: number
  expected: number
  name: string
}

export interface Uploads {
  handlers: Pick<Handlers, 'uploads.begin' | 'uploads.chunk' | 'uploads.finish'>
  /** The server-side path of a complete upload, or a not_found / bad_input error. */
  path(file: string): string
  /** The user's own file name, for messages. */
  name(file: string): string | undefined
  /** An imported file is not needed again: the data set holds its tensors. */
  discard(files: (string | undefined)[]): Promise<void>
  close(): Promise<void>
}

export function createUploads(ctx: ServiceContext): Uploads {
  const uploads = new Map<string, Upload>()

  function path(file: string): string {
    const upload = uploads.get(file)
    if (!UPLOAD_ID.test(file) || !upload) throw new WorkbenchError('not_found', `upload "${file}" not found; upload the file again`)
    if (upload.size !== upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is incomplete (${upload.size} of ${upload.expected} bytes)`)
    return upload.path
  }

  async function discard(files: (string | undefined)[]): Promise<void> {
    for (const file of files) {
      const upload = file ? uploads.get(file) : undefined
      if (!upload) continue
      uploads.delete(file!)
      await rm(join(upload.path, '..'), { recursive: true, force: true })
    }
  }

  return {
    path,
    name: (file) => uploads.get(file)?.name,
    discard,
    async close() {
      for (const upload of uploads.values()) await rm(join(upload.path, '..'), { recursive: true, force: true })
    },
    handlers: {
      'uploads.begin': async ({ name, size }) => {
        const file = `upload-${randomBytes(8).toString('hex')}`
        const dir = join(ctx.dataDir, 'uploads', file)
        await mkdir(dir, { recursive: true })
        // Keep the user's file name (for messages) but never let it pick the path.
        const safeName = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 120) || 'upload'
        const filePath = join(dir, safeName)
        await (await open(filePath, 'w')).close()
        uploads.set(file, { path: filePath, size: 0, expected: size, name })
        return { file }
      },
      'uploads.chunk': async ({ file, offset, data_base64 }) => {
        const upload = uploads.get(file)
        if (!upload) throw new WorkbenchError('not_found', `upload "${file}" not found; start the upload again`)
        if (offset !== upload.size) throw new WorkbenchError('conflict', `upload "${upload.name}": chunk at byte ${offset} but ${upload.size} bytes received so far`)
        const bytes = Buffer.from(data_base64, 'base64')
        if (upload.size + bytes.length > upload.expected) throw new WorkbenchError('bad_input', `upload "${upload.name}" is larger than the announced ${upload.expected} bytes`)
        const handle = await open(upload.path, 'a')
        try {
          await handle.write(bytes)
        } finally {
          await handle.close()
        }
        upload.size += bytes.length
        return { received: upload.size }
      },
      'uploads.finish': async ({ file }) => {
        path(file)
        const upload = uploads.get(file)!
        return { file, size: (await stat(upload.path)).size }
      }
    }
  }
}
