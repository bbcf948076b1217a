// IDX files (MNIST's format): images (magic 0x00000803: count, rows, cols, then uint8 pixels)
// and labels (magic 0x00000801: count, then uint8 labels). gzip is detected by its magic bytes,
// never by the file name, and the errors say whether the file was compressed or raw. Files are
// streamed (gunzipped on the fly): the header is checked as soon as its bytes arrive, the pixel
// buffer is allocated once at the size the header announces, and nothing past MAX_IDX_BYTES of
// decompressed data is ever read, so a small gzip "bomb" costs neither memory nor minutes.
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { createGunzip } from 'node:zlib'
import { basename } from 'node:path'
import type { Readable } from 'node:stream'
import { DataImportError } from './errors'

export const IDX_IMAGES_MAGIC = 0x00000803
export const IDX_LABELS_MAGIC = 0x00000801
/** Largest IDX file accepted, after decompression (header included): 512 MiB, ten times MNIST's training images. */
export const MAX_IDX_BYTES = 512 * 1024 * 1024
const MAX_IDX_TEXT = '512 MiB'

export type IdxCompression = 'gzip' | 'raw'

export interface IdxImages {
  count: number
  rows: number
  cols: number
  pixels: Uint8Array
  compression: IdxCompression
}

export interface IdxLabels {
  count: number
  labels: Uint8Array
  compression: IdxCompression
}

function hex(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0')
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

function group(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

function describeCompression(path: string, compression: IdxCompression): string {
  const looksGz = /\.gz$/i.test(basename(path))
  if (compression === 'gzip') return 'the file is gzip-compressed and was decompressed first'
  return looksGz ? 'the file is raw, not gzip-compressed, despite its .gz name' : 'the file is raw (not gzip-compressed)'
}

function kindOf(expected: number): { kind: string; headerBytes: number } {
  return expected === IDX_IMAGES_MAGIC ? { kind: 'an IDX image file', headerBytes: 16 } : { kind: 'an IDX label file', headerBytes: 8 }
}

/** Throws unless the first 4 bytes are `expected`'s magic number. */
function checkMagicNumber(path: string, head: Uint8Array, compression: IdxCompression, expected: number): void {
  const { kind, headerBytes } = kindOf(expected)
  if (head.length < 4) throw new DataImportError(path, `only ${head.length} bytes: too short for an IDX header (${headerBytes} bytes); ${describeCompression(path, compression)}`, { offset: 0 }, { reason: 'idx.too_short', details: { bytes: head.length, expected: headerBytes, compression } })
  const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0
  if (magic === expected) return
  let hint: string
  if (magic === IDX_IMAGES_MAGIC) hint = 'this is an IDX image file — were the image and label files swapped?'
  else if (magic === IDX_LABELS_MAGIC) hint = 'this is an IDX label file — were the image and label files swapped?'
  else if (head[0] === 0 && head[1] === 0) hint = `an IDX file of another kind (type 0x${head[2].toString(16).padStart(2, '0')}, ${head[3]} dimensions); only unsigned-byte images (3 dimensions) and labels (1) are supported`
  else hint = `not IDX data; ${describeCompression(path, compression)}`
  throw new DataImportError(path, `wrong magic number ${hex(magic)} (expected ${hex(expected)}, ${kind}); ${hint}`, { offset: 0 }, { reason: 'idx.bad_magic', details: { got: hex(magic), expected: hex(expected), kind: expected === IDX_IMAGES_MAGIC ? 'images' : 'labels', compression } })
}

interface IdxRead {
  header: Buffer
  /** Exactly the payload size the header announces. */
  payload: Uint8Array
  compression: IdxCompression
}

/** The file's decompressed bytes as a stream, and whether it was gzip (by its magic bytes). */
async function openMaybeGzip(path: string, kindName: string): Promise<{ stream: Readable; compression: IdxCompression; rawSize: number }> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DataImportError(path, 'the file does not exist', {}, { reason: 'file.not_found' })
    throw error
  }
  if (info.isDirectory()) throw new DataImportError(path, `this is a folder, not ${kindName}; pick the file inside it`, {}, { reason: 'file.is_folder', details: { kind: kindName } })
  if (!info.isFile()) throw new DataImportError(path, `this is not a regular file (a device or a pipe?); pick ${kindName}`, {}, { reason: 'file.not_regular', details: { kind: kindName } })
  if (info.size === 0) throw new DataImportError(path, 'the file is empty (0 bytes)', { offset: 0 }, { reason: 'idx.empty' })
  const magic = Buffer.alloc(2)
  const handle = await open(path, 'r')
  try {
    await handle.read(magic, 0, 2, 0)
  } finally {
    await handle.close()
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 })
  if (!isGzip(magic)) {
    if (info.size > MAX_IDX_BYTES) {
      raw.destroy()
      throw new DataImportError(path, `the file has ${group(info.size)} bytes, more than the ${MAX_IDX_TEXT} (${group(MAX_IDX_BYTES)} bytes) the workbench imports from one IDX file; import a subset`, {}, { reason: 'idx.too_large', details: { bytes: info.size, limit: MAX_IDX_BYTES } })
    }
    return { stream: raw, compression: 'raw', rawSize: info.size }
  }
  const gunzip = createGunzip({ chunkSize: 1 << 20 })
  raw.on('error', (error) => gunzip.destroy(error))
  return { stream: raw.pipe(gunzip), compression: 'gzip', rawSize: info.size }
}

/**
 * Streams an IDX file: checks the magic number as soon as 4 bytes are there, the announced size
 * against MAX_IDX_BYTES once the header is complete, and stops at the first byte past the limit.
 */
async function readIdx(path: string, expected: number, payloadSize: (header: Buffer) => number): Promise<IdxRead> {
  const { kind, headerBytes } = kindOf(expected)
  const { stream, compression, rawSize } = await openMaybeGzip(path, kind)
  const header = Buffer.alloc(headerBytes)
  let headerFill = 0
  let payload: Uint8Array | null = null
  let payloadFill = 0
  let extra = 0
  let total = 0
  let magicChecked = false
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > MAX_IDX_BYTES) {
        throw new DataImportError(path, `the data is larger than the ${MAX_IDX_TEXT} (${group(MAX_IDX_BYTES)} bytes) the workbench imports from one IDX file${compression === 'gzip' ? ' (after decompression: a gzip of mostly repeated bytes?)' : ''}; stopped reading at byte ${group(MAX_IDX_BYTES)}`, { offset: MAX_IDX_BYTES }, { reason: 'idx.too_large_data', details: { limit: MAX_IDX_BYTES, compression } })
      }
      let at = 0
      if (headerFill < headerBytes) {
        const take = Math.min(headerBytes - headerFill, chunk.length)
        chunk.copy(header, headerFill, 0, take)
        headerFill += take
        at = take
        if (!magicChecked && headerFill >= 2 && compression === 'gzip' && isGzip(header)) {
          throw new DataImportError(path, 'the file is gzip-compressed twice; gunzip it once and import the result', { offset: 0 }, { reason: 'idx.gzip_twice' })
        }
        if (!magicChecked && headerFill >= 4) {
          checkMagicNumber(path, header, compression, expected)
          magicChecked = true
        }
        if (headerFill === headerBytes) {
          const size = payloadSize(header)
          if (headerBytes + size > MAX_IDX_BYTES) {
            throw new DataImportError(path, `the header announces ${group(size)} bytes of data, more than the ${MAX_IDX_TEXT} (${group(MAX_IDX_BYTES)} bytes) the workbench imports from one IDX file; import a subset`, { offset: 4 }, { reason: 'idx.header_too_large', details: { bytes: size, limit: MAX_IDX_BYTES } })
          }
          payload = new Uint8Array(size)
        }
      }
      if (payload && at < chunk.length) {
        const take = Math.min(payload.length - payloadFill, chunk.length - at)
        payload.set(chunk.subarray(at, at + take), payloadFill)
        payloadFill += take
        extra += chunk.length - at - take
      }
    }
  } catch (error) {
    if (error instanceof DataImportError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR') throw new DataImportError(path, `the gzip data ends early at byte ${rawSize} (truncated download?)`, { offset: rawSize }, { reason: 'idx.gzip_truncated', details: { bytes: rawSize } })
    if (typeof code === 'string' && code.startsWith('Z_')) throw new DataImportError(path, `the gzip data is corrupt (${(error as Error).message}); download the file again`, {}, { reason: 'idx.gzip_corrupt', details: { error: (error as Error).message } })
    throw error
  } finally {
    stream.destroy()
  }
  if (compression === 'gzip' && headerFill >= 2 && isGzip(header)) throw new DataImportError(path, 'the file is gzip-compressed twice; gunzip it once and import the result', { offset: 0 }, { reason: 'idx.gzip_twice' })
  if (!magicChecked) checkMagicNumber(path, header.subarray(0, headerFill), compression, expected)
  if (headerFill < headerBytes) throw new DataImportError(path, `the IDX header is cut off after ${headerFill} bytes (expected ${headerBytes})`, { offset: headerFill }, { reason: 'idx.header_cut', details: { bytes: headerFill, expected: headerBytes } })
  const announced = payload!.length
  if (payloadFill < announced) {
    const what = expected === IDX_IMAGES_MAGIC ? `${header.readUInt32BE(4)} images of ${header.readUInt32BE(8)}x${header.readUInt32BE(12)} (${announced} bytes) but only ${payloadFill} bytes of pixels follow` : `${announced} labels but only ${payloadFill} follow`
    throw new DataImportError(path, `the header promises ${what}; the file is truncated (${describeCompression(path, compression)})`, { offset: headerBytes + payloadFill }, { reason: 'idx.truncated', details: { announced, got: payloadFill, compression } })
  }
  if (extra > 0) {
    const what = expected === IDX_IMAGES_MAGIC ? `${header.readUInt32BE(4)} images` : `${announced} labels`
    throw new DataImportError(path, `${extra} unexpected bytes after the last of the ${what} the header announces`, { offset: headerBytes + announced }, { reason: 'idx.trailing_bytes', details: { extra } })
  }
  return { header, payload: payload!, compression }
}

export async function readIdxImages(path: string): Promise<IdxImages> {
  let dims = { count: 0, rows: 0, cols: 0 }
  const { payload, compression } = await readIdx(path, IDX_IMAGES_MAGIC, (header) => {
    dims = { count: header.readUInt32BE(4), rows: header.readUInt32BE(8), cols: header.readUInt32BE(12) }
    if (dims.rows === 0 || dims.cols === 0) throw new DataImportError(path, `the header says the images are ${dims.rows}x${dims.cols}; both must be at least 1`, { offset: 8 }, { reason: 'idx.zero_size', details: { rows: dims.rows, cols: dims.cols } })
    return dims.count * dims.rows * dims.cols
  })
  return { ...dims, pixels: payload, compression }
}

export async function readIdxLabels(path: string): Promise<IdxLabels> {
  let count = 0
  const { payload, compression } = await readIdx(path, IDX_LABELS_MAGIC, (header) => (count = header.readUInt32BE(4)))
  return { count, labels: payload, compression }
}

/** Throws for the first label outside 0..numClasses-1, naming its item and byte offset. */
export function checkLabelRange(path: string, labels: Uint8Array, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataImportError(path, `label ${labels[i]} of item ${i} (byte ${8 + i} of the IDX data) is out of range: ${numClasses} classes allow 0–${numClasses - 1}`, { offset: 8 + i }, { reason: 'idx.label_out_of_range', details: { label: labels[i], item: i, classes: numClasses, last: numClasses - 1 } })
    }
  }
}

export function checkPair(imagesPath: string, images: IdxImages, labelsPath: string, labels: IdxLabels): void {
  if (images.count !== labels.count) {
    throw new DataImportError(labelsPath, `${labels.count} labels, but ${basename(imagesPath)} holds ${images.count} images; each image needs exactly one label (mismatched files?)`, {}, { reason: 'idx.count_mismatch', details: { labels: labels.count, images: images.count, images_file: basename(imagesPath) } })
  }
}
