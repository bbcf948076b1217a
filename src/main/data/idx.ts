// IDX files (MNIST's format): images (magic 0x00000803: count, rows, cols, then uint8 pixels)
// and labels (magic 0x00000801: count, then uint8 labels). gzip is detected by its magic bytes,
// never by the file name, and the errors say whether the file was compressed or raw.
import { readFile } from 'node:fs/promises'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { basename } from 'node:path'
import { DataImportError } from './errors'

const gunzipAsync = promisify(gunzip)

export const IDX_IMAGES_MAGIC = 0x00000803
export const IDX_LABELS_MAGIC = 0x00000801

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

/** The file's bytes, gunzipped when they start with gzip's magic bytes. */
export async function readMaybeGzip(path: string): Promise<{ bytes: Buffer; compression: IdxCompression }> {
  let raw: Buffer
  try {
    raw = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DataImportError(path, 'the file does not exist')
    if (code === 'EISDIR') throw new DataImportError(path, 'this is a folder, not an IDX file')
    throw error
  }
  if (raw.length === 0) throw new DataImportError(path, 'the file is empty (0 bytes)', { offset: 0 })
  if (!isGzip(raw)) return { bytes: raw, compression: 'raw' }
  try {
    const bytes = await gunzipAsync(raw)
    if (isGzip(bytes)) throw new DataImportError(path, 'the file is gzip-compressed twice; gunzip it once and import the result', { offset: 0 })
    return { bytes, compression: 'gzip' }
  } catch (error) {
    if (error instanceof DataImportError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'Z_BUF_ERROR') throw new DataImportError(path, `the gzip data ends early at byte ${raw.length} (truncated download?)`, { offset: raw.length })
    throw new DataImportError(path, `the gzip data is corrupt (${(error as Error).message}); download the file again`)
  }
}

function describeCompression(path: string, compression: IdxCompression): string {
  const looksGz = /\.gz$/i.test(basename(path))
  if (compression === 'gzip') return 'the file is gzip-compressed and was decompressed first'
  return looksGz ? 'the file is raw, not gzip-compressed, despite its .gz name' : 'the file is raw (not gzip-compressed)'
}

function checkMagic(path: string, bytes: Buffer, compression: IdxCompression, expected: number): void {
  const kind = expected === IDX_IMAGES_MAGIC ? 'an IDX image file' : 'an IDX label file'
  const headerBytes = expected === IDX_IMAGES_MAGIC ? 16 : 8
  if (bytes.length < 4) throw new DataImportError(path, `only ${bytes.length} bytes: too short for an IDX header (${headerBytes} bytes); ${describeCompression(path, compression)}`, { offset: 0 })
  const magic = bytes.readUInt32BE(0)
  if (magic === expected) {
    if (bytes.length < headerBytes) throw new DataImportError(path, `the IDX header is cut off after ${bytes.length} bytes (expected ${headerBytes})`, { offset: bytes.length })
    return
  }
  let hint: string
  if (magic === IDX_IMAGES_MAGIC) hint = 'this is an IDX image file — were the image and label files swapped?'
  else if (magic === IDX_LABELS_MAGIC) hint = 'this is an IDX label file — were the image and label files swapped?'
  else if (bytes[0] === 0 && bytes[1] === 0) hint = `an IDX file of another kind (type 0x${bytes[2].toString(16).padStart(2, '0')}, ${bytes[3]} dimensions); only unsigned-byte images (3 dimensions) and labels (1) are supported`
  else hint = `not IDX data; ${describeCompression(path, compression)}`
  throw new DataImportError(path, `wrong magic number ${hex(magic)} (expected ${hex(expected)}, ${kind}); ${hint}`, { offset: 0 })
}

export async function readIdxImages(path: string): Promise<IdxImages> {
  const { bytes, compression } = await readMaybeGzip(path)
  checkMagic(path, bytes, compression, IDX_IMAGES_MAGIC)
  const count = bytes.readUInt32BE(4)
  const rows = bytes.readUInt32BE(8)
  const cols = bytes.readUInt32BE(12)
  if (rows === 0 || cols === 0) throw new DataImportError(path, `the header says the images are ${rows}x${cols}; both must be at least 1`, { offset: 8 })
  const expected = count * rows * cols
  const available = bytes.length - 16
  if (available < expected) {
    throw new DataImportError(path, `the header promises ${count} images of ${rows}x${cols} (${expected} bytes) but only ${available} bytes of pixels follow; the file is truncated (${describeCompression(path, compression)})`, { offset: bytes.length })
  }
  if (available > expected) throw new DataImportError(path, `${available - expected} unexpected bytes after the last of the ${count} images the header announces`, { offset: 16 + expected })
  return { count, rows, cols, pixels: new Uint8Array(bytes.buffer, bytes.byteOffset + 16, expected), compression }
}

export async function readIdxLabels(path: string): Promise<IdxLabels> {
  const { bytes, compression } = await readMaybeGzip(path)
  checkMagic(path, bytes, compression, IDX_LABELS_MAGIC)
  const count = bytes.readUInt32BE(4)
  const available = bytes.length - 8
  if (available < count) throw new DataImportError(path, `the header promises ${count} labels but only ${available} follow; the file is truncated (${describeCompression(path, compression)})`, { offset: bytes.length })
  if (available > count) throw new DataImportError(path, `${available - count} unexpected bytes after the last of the ${count} labels the header announces`, { offset: 8 + count })
  return { count, labels: new Uint8Array(bytes.buffer, bytes.byteOffset + 8, count), compression }
}

/** Throws for the first label outside 0..numClasses-1, naming its item and byte offset. */
export function checkLabelRange(path: string, labels: Uint8Array, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataImportError(path, `label ${labels[i]} of item ${i} (byte ${8 + i} of the IDX data) is out of range: ${numClasses} classes allow 0–${numClasses - 1}`, { offset: 8 + i })
    }
  }
}

export function checkPair(imagesPath: string, images: IdxImages, labelsPath: string, labels: IdxLabels): void {
  if (images.count !== labels.count) {
    throw new DataImportError(labelsPath, `${labels.count} labels, but ${basename(imagesPath)} holds ${images.count} images; each image needs exactly one label (mismatched files?)`)
  }
}
