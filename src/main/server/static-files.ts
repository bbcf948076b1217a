// Serves the built renderer (out/renderer) read-only: URL paths are decoded, normalised and
// resolved inside the renderer folder (symlinks included), everything else is a 404.
import { createReadStream } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { extname, join, sep } from 'node:path'
import { posix } from 'node:path'

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8'
}

export function mimeType(filePath: string): string {
  return MIME_TYPES[extname(filePath).toLowerCase()] ?? 'application/octet-stream'
}

export interface StaticFile {
  path: string
  size: number
  mime: string
}

/**
 * The file a URL path names inside `root`, or null when there is none or the path tries to leave
 * `root` (`..`, encoded separators, NUL bytes, symlinks pointing outside).
 */
export async function resolveStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const normalised = posix.normalize(decoded)
  if (!normalised.startsWith('/') || normalised.split('/').includes('..')) return null
  const relative = normalised === '/' ? 'index.html' : normalised.slice(1)
  let realRoot: string
  try {
    realRoot = await realpath(root)
  } catch {
    return null
  }
  let candidate: string
  try {
    candidate = await realpath(join(realRoot, ...relative.split('/').filter(Boolean)))
  } catch {
    return null
  }
  const inside = (path: string) => path === realRoot || path.startsWith(realRoot + sep)
  if (!inside(candidate)) return null
  try {
    const info = await stat(candidate)
    if (info.isDirectory()) {
      // A folder's index.html is resolved like any other path: a symlink leading out is refused.
      const index = await realpath(join(candidate, 'index.html'))
      if (!inside(index)) return null
      const indexInfo = await stat(index)
      if (!indexInfo.isFile()) return null
      return { path: index, size: indexInfo.size, mime: mimeType(index) }
    }
    if (!info.isFile()) return null
    return { path: candidate, size: info.size, mime: mimeType(candidate) }
  } catch {
    return null
  }
}

export function openStaticFile(file: StaticFile) {
  return createReadStream(file.path)
}
