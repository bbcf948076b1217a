// Reading HDF5 files (Keras .h5, a .keras archive's model.weights.h5) through h5wasm, which opens
// host paths: bytes are written to a private temporary file first. The HDF5 signature is checked
// before h5wasm sees the file, so that "not HDF5" is our message rather than HDF5's error stack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Dataset, File as H5File, Group } from 'h5wasm/node'
import { loadH5wasm } from '../formats/keras-shared'
import { WorkbenchError } from '../../services/dispatcher'

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

/** Where the HDF5 superblock starts (0, 512, 1024, 2048, …), or −1 when `data` is not HDF5. */
function superblockAt(data: Uint8Array): number {
  for (let at = 0; at + SIGNATURE.length <= data.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((byte, i) => data[at + i] === byte)) return at
    if (at > 1 << 20) break
  }
  return -1
}

export function isHdf5(data: Uint8Array): boolean {
  return superblockAt(data) >= 0
}

/**
 * The file length the superblock records (base address + end-of-file address), so that a
 * truncated file is named as such before HDF5 prints its error stack; null when unreadable.
 */
function recordedLength(data: Uint8Array, at: number): number | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const version = data[at + 8]
  const offsets = version === undefined ? 0 : version <= 1 ? data[at + 13] : data[at + 9]
  if (offsets !== 4 && offsets !== 8) return null
  const first = version === 0 ? at + 24 : version === 1 ? at + 28 : at + 12
  const read = (p: number): number | null => {
    if (p + offsets > data.length) return null
    return offsets === 4 ? view.getUint32(p, true) : Number(view.getBigUint64(p, true))
  }
  const base = read(first)
  const eof = read(first + 2 * offsets)
  return base === null || eof === null ? null : base + eof
}

/** Opens `data` as HDF5, gives it to `use`, and removes the temporary copy. */
export async function withHdf5<T>(data: Uint8Array, what: string, use: (file: H5File) => T): Promise<T> {
  const at = superblockAt(data)
  if (at < 0) throw new WorkbenchError('bad_input', `${what} is not an HDF5 file (no HDF5 signature); export the model again with Keras (model.save)`, { reason: 'model_file.wrong_container', details: { file: what, expected: 'HDF5' } })
  const recorded = recordedLength(data, at)
  if (recorded === null || recorded > data.length) {
    throw new WorkbenchError('bad_input', `${what} is damaged: HDF5 cannot open it (${recorded === null ? 'its superblock is cut off' : `truncated: ${data.length} bytes of the ${recorded} it records`}); copy or download it again`, { reason: 'model_file.damaged', details: { file: what, problem: recorded === null ? 'superblock cut off' : `truncated: ${data.length} of ${recorded} bytes` } })
  }
  const h5wasm = await loadH5wasm()
  const folder = mkdtempSync(join(tmpdir(), 'mw-h5-'))
  const path = join(folder, 'file.h5')
  try {
    writeFileSync(path, data)
    let file: H5File
    try {
      file = new h5wasm.File(path, 'r')
      if (file.file_id < 0n) throw new Error('H5Fopen failed')
    } catch (error) {
      throw new WorkbenchError('bad_input', `${what} is damaged: HDF5 cannot open it (${(error as Error).message}); it may be truncated, so copy or download it again`, { reason: 'model_file.damaged', details: { file: what, problem: (error as Error).message } })
    }
    try {
      return use(file)
    } finally {
      file.close()
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

export function isGroup(entity: unknown): entity is Group {
  return typeof entity === 'object' && entity !== null && typeof (entity as Group).keys === 'function' && typeof (entity as Group).create_group === 'function'
}

export function isDataset(entity: unknown): entity is Dataset {
  return typeof entity === 'object' && entity !== null && 'shape' in entity && typeof (entity as Dataset).slice === 'function'
}

/** An attribute as text (fixed-length or variable-length strings, scalar or one-element), null when absent. */
export function attrText(entity: Group | Dataset, name: string): string | null {
  const attr = entity.attrs[name]
  if (!attr) return null
  const value = attr.value
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0]
  if (value instanceof Uint8Array) return new TextDecoder().decode(value)
  return null
}

/** An attribute as a list of strings (Keras's layer_names, weight_names; chunked name0, name1, … too); [] when absent or empty. */
export function attrTextList(entity: Group | Dataset, name: string): string[] {
  const read = (key: string): string[] | null => {
    const attr = entity.attrs[key]
    if (!attr) return null
    const value = attr.value
    if (typeof value === 'string') return [value]
    if (Array.isArray(value)) return value.map((v) => String(v))
    // Keras writes an empty list as an empty float64 array.
    if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<number>).length === 0) return []
    return null
  }
  const whole = read(name)
  if (whole) return whole
  const chunks: string[] = []
  for (let i = 0; ; i++) {
    const part = read(`${name}${i}`)
    if (!part) break
    chunks.push(...part)
  }
  return chunks
}

/** A numeric dataset as float32 values with its shape. */
export function readTensor(dataset: Dataset, what: string): { shape: number[]; data: Float32Array } {
  const shape = dataset.shape ?? []
  const meta = dataset.metadata
  // h5wasm metadata.type: 0 integer, 1 float (HDF5 type classes).
  if (meta.type !== 0 && meta.type !== 1) throw new WorkbenchError('bad_input', `${what} is not numeric (HDF5 type class ${meta.type}); the file is not a Keras weights file`, { reason: 'model_file.unsupported', details: { file: what, problem: `HDF5 type class ${meta.type}` } })
  if (meta.type === 1 && meta.size === 2) throw new WorkbenchError('bad_input', `${what} is float16 or bfloat16; the workbench reads float32 weights only: save the model in float32`, { reason: 'model_file.unsupported', details: { file: what, problem: 'float16' } })
  const value = dataset.value
  if (value === null || !(ArrayBuffer.isView(value) || typeof value === 'number')) throw new WorkbenchError('bad_input', `${what} has no readable values`, { reason: 'model_file.damaged', details: { file: what, problem: 'no readable values' } })
  const numbers = typeof value === 'number' ? [value] : (value as unknown as ArrayLike<number | bigint>)
  const data = new Float32Array(numbers.length)
  for (let i = 0; i < numbers.length; i++) data[i] = Number(numbers[i])
  return { shape, data }
}
