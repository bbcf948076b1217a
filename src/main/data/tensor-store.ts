// The on-disk form of a data set: <dataDir>/datasets/<id>/ holds x_<split>.bin and
// y_<split>.bin (little-endian float32 or uint8, row-major) and descriptor.json. A set is
// written into a temporary folder and renamed into place at the very end, so a failed import
// leaves the datasets folder exactly as it was.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { currentProcessOwner, ownerState } from '../store/process-owner'
import { datasetDescriptorSchema, type DatasetDescriptor, type SplitName, type Task } from '../../shared/dataset'

export const SPLIT_ORDER: readonly SplitName[] = ['train', 'validation', 'test']
export const DESCRIPTOR_FILE = 'descriptor.json'
const TEMP_PREFIX = '.tmp-'

export type StoredArray = Float32Array | Uint8Array

export interface SplitTensors {
  x: StoredArray
  y: StoredArray
  count: number
}

export type DescriptorDraft = Omit<DatasetDescriptor, 'fingerprint' | 'created_at' | 'splits'> & {
  splits: DatasetDescriptor['splits']
}

export function datasetsRoot(dataDir: string): string {
  return join(dataDir, 'datasets')
}

export function tensorFileName(kind: 'x' | 'y', split: SplitName): string {
  return `${kind}_${split}.bin`
}

function bytesOf(array: StoredArray): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength)
}

/**
 * sha256 over the storage layout and every tensor file, splits in train/validation/test order,
 * x before y; each file contributes its name and length before its bytes, so two sets with the
 * same bytes but a different scaling or split boundary never share a fingerprint.
 */
export function fingerprintTensors(files: { name: string; bytes: Uint8Array }[], layout: string): string {
  const hash = createHash('sha256')
  hash.update(`model-workbench/dataset-tensors/1\0${layout}\0`)
  for (const file of files) {
    hash.update(`${file.name}\0${file.bytes.byteLength}\0`)
    hash.update(file.bytes)
  }
  return hash.digest('hex')
}

function layoutOf(descriptor: Pick<DatasetDescriptor, 'storage' | 'preprocessing'>): string {
  const storage = descriptor.storage ?? { x_dtype: 'float32', y_dtype: 'float32' }
  return `x=${storage.x_dtype};y=${storage.y_dtype};scaling=${descriptor.preprocessing.scaling}`
}

/** Class counts per split for classification sets (index = class). */
export function classCounts(labels: StoredArray, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0)
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++
  return counts
}

export type TempKind = 'import' | 'delete'

/**
 * `.tmp-<kind>-<host>-<pid>-<start>-<random>`: a temp folder names the process that owns it
 * (a hash of the host name, the pid, and the process start time or `x` where unknown), so that
 * a process opening the data folder removes only the temp folders of owners that are gone, never
 * an import another process is still writing.
 */
export function ownedTempName(kind: TempKind): string {
  const owner = currentProcessOwner()
  return `${TEMP_PREFIX}${kind}-${hostTag(owner.host)}-${owner.pid}-${owner.start ?? 'x'}-${randomBytes(6).toString('hex')}`
}

function hostTag(host: string): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 8)
}

const OWNED_TEMP = /^\.tmp-(import|delete)-([0-9a-f]{8})-(\d+)-(\d+|x)-[0-9a-f]+$/

/** Who owns a temp folder: 'gone' (remove it), 'alive' (leave it), or 'foreign' (another host: leave it). */
export function tempOwnerState(name: string): 'gone' | 'alive' | 'foreign' {
  const match = OWNED_TEMP.exec(name)
  // Temp folders from before owners were named (`.tmp-<random>`): nothing can claim them.
  if (!match) return 'gone'
  const [, , host, pid, start] = match
  if (host !== hostTag(currentProcessOwner().host)) return 'foreign'
  return ownerState({ host: null, pid: Number(pid), start: start === 'x' ? null : start }) === 'dead' ? 'gone' : 'alive'
}

export async function makeTempDir(dataDir: string, kind: TempKind = 'import'): Promise<string> {
  const root = datasetsRoot(dataDir)
  await mkdir(root, { recursive: true })
  const dir = join(root, ownedTempName(kind))
  await mkdir(dir)
  return dir
}

/**
 * Runs `build` in a fresh temp folder and renames the folder to <id> when it succeeds; removes
 * the temp folder whatever goes wrong.
 */
export async function writeAtomically<T>(dataDir: string, id: string, build: (tempDir: string) => Promise<T>): Promise<T> {
  const tempDir = await makeTempDir(dataDir)
  try {
    const result = await build(tempDir)
    await rename(tempDir, join(datasetsRoot(dataDir), id))
    return result
  } catch (error) {
    await rm(tempDir, { recursive: true, force: true })
    throw error
  }
}

/** Writes the tensors and the descriptor (with fingerprint and class counts) into `dir`. */
export async function writeTensors(dir: string, draft: DescriptorDraft, splits: Partial<Record<SplitName, SplitTensors>>, createdAt = new Date()): Promise<DatasetDescriptor> {
  const files: { name: string; bytes: Uint8Array }[] = []
  const splitInfo: DatasetDescriptor['splits'] = { train: { count: 0 } }
  const numClasses = draft.task === 'regression' ? 0 : draft.classes.length
  for (const split of SPLIT_ORDER) {
    const tensors = splits[split]
    if (!tensors) continue
    for (const kind of ['x', 'y'] as const) files.push({ name: tensorFileName(kind, split), bytes: bytesOf(tensors[kind]) })
    splitInfo[split] = numClasses > 0 ? { count: tensors.count, class_counts: classCounts(tensors.y, numClasses) } : { count: tensors.count }
  }
  for (const file of files) await writeFile(join(dir, file.name), file.bytes, { mode: 0o600 })
  const descriptor = datasetDescriptorSchema.parse({
    ...draft,
    splits: splitInfo,
    fingerprint: fingerprintTensors(files, layoutOf(draft)),
    created_at: createdAt.toISOString()
  })
  await writeFile(join(dir, DESCRIPTOR_FILE), JSON.stringify(descriptor, null, 2) + '\n', { mode: 0o600 })
  return descriptor
}

export async function readDescriptor(dataDir: string, id: string): Promise<DatasetDescriptor> {
  if (!/^[A-Za-z0-9_.:-]+$/.test(id) || id.startsWith('.')) throw new Error(`data set "${id}" not found (not a valid id)`)
  let text: string
  try {
    text = await readFile(join(datasetsRoot(dataDir), id, DESCRIPTOR_FILE), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`data set "${id}" not found in ${datasetsRoot(dataDir)}`)
    throw error
  }
  const parsed = datasetDescriptorSchema.safeParse(JSON.parse(text))
  if (!parsed.success) throw new Error(`data set "${id}": descriptor.json is not valid (${parsed.error.issues[0]?.message ?? 'unknown problem'}); delete and re-import it`)
  return parsed.data
}

/** Descriptors of every stored set (temp folders and broken folders are skipped). */
export async function listDescriptors(dataDir: string): Promise<DatasetDescriptor[]> {
  let names: string[]
  try {
    names = await readdir(datasetsRoot(dataDir))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const descriptors: DatasetDescriptor[] = []
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue
    try {
      descriptors.push(await readDescriptor(dataDir, name))
    } catch {
      // A folder without a readable descriptor is not a data set (yet); list the rest.
    }
  }
  return descriptors
}

export function samplesPerRow(descriptor: DatasetDescriptor): { xWidth: number; yWidth: number } {
  return { xWidth: descriptor.feature_shape.reduce((a, b) => a * b, 1), yWidth: descriptor.target_size }
}

function bytesPerValue(dtype: 'float32' | 'uint8'): number {
  return dtype === 'uint8' ? 1 : 4
}

/** Raw bytes → float32 values, scaling uint8 storage as the descriptor says. */
function decode(bytes: Buffer, dtype: 'float32' | 'uint8', divideBy255: boolean): Float32Array {
  if (dtype === 'uint8') {
    const out = new Float32Array(bytes.length)
    if (divideBy255) for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255
    else for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]
    return out
  }
  // Copy into a fresh buffer: a Buffer from the pool may not be 4-byte aligned.
  const out = new Float32Array(bytes.length / 4)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

export interface StoredSplit {
  x: Float32Array
  y: Float32Array
  count: number
}

/** Reads rows [offset, offset + count) of a split (all rows when count is undefined). */
export async function readSplitRows(dataDir: string, descriptor: DatasetDescriptor, split: SplitName, offset = 0, count?: number): Promise<StoredSplit> {
  const info = descriptor.splits[split]
  if (!info) throw new Error(`data set "${descriptor.id}" has no ${split} split`)
  const total = info.count
  const start = Math.min(Math.max(0, offset), total)
  const rows = Math.min(count ?? total - start, total - start)
  const storage = descriptor.storage ?? { x_dtype: 'float32', y_dtype: 'float32' }
  const { xWidth, yWidth } = samplesPerRow(descriptor)
  const dir = join(datasetsRoot(dataDir), descriptor.id)
  const divideBy255 = descriptor.preprocessing.scaling === 'divide255'
  async function readRange(name: string, width: number, dtype: 'float32' | 'uint8', scale: boolean): Promise<Float32Array> {
    const rowBytes = width * bytesPerValue(dtype)
    const expected = total * rowBytes
    const file = join(dir, name)
    const size = (await stat(file)).size
    if (size !== expected) throw new Error(`data set "${descriptor.id}": ${name} has ${size} bytes, expected ${expected}; the stored set is damaged — delete and re-import it`)
    const handle = await open(file, 'r')
    try {
      const bytes = Buffer.alloc(rows * rowBytes)
      if (bytes.length > 0) await handle.read(bytes, 0, bytes.length, start * rowBytes)
      return decode(bytes, dtype, scale)
    } finally {
      await handle.close()
    }
  }
  const x = await readRange(tensorFileName('x', split), xWidth, storage.x_dtype, divideBy255)
  const y = await readRange(tensorFileName('y', split), yWidth, storage.y_dtype, false)
  return { x, y, count: rows }
}

/**
 * Removes temp folders left by a process that died mid-import or mid-delete (never a finished
 * set, never the temp folder of a live process: another window or command may be importing).
 * Returns the names it removed.
 */
export async function removeStaleTempDirs(dataDir: string): Promise<string[]> {
  let names: string[] = []
  try {
    names = await readdir(datasetsRoot(dataDir))
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX) || tempOwnerState(name) !== 'gone') continue
    await rm(join(datasetsRoot(dataDir), name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}

export function taskForClasses(numClasses: number): Task {
  return numClasses === 2 ? 'binary' : 'multiclass'
}
