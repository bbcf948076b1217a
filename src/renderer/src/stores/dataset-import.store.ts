// Imports of data files: uploads, the CSV preview, CSV and IDX imports with their progress, and
// the raw rows of a tabular set. The wizards and the Datasets view call these actions, never the
// client; the back end holds the truth, so the store keeps only the last preview and import.
import { defineStore } from 'pinia'
import type { Request } from '../../../shared/contract'
import type { CsvPreview, DatasetDescriptor, DatasetRows, SplitName } from '../../../shared/dataset'
import { client, uploadFile } from '../api'

export type Progress = (done: number, total: number, label: string) => void

/** Runs `work` while forwarding 'job.progress' events of `job` to `onProgress`. */
async function withProgress<T>(job: string, onProgress: Progress | undefined, work: () => Promise<T>): Promise<T> {
  const stop = onProgress ? client.on('job.progress', (p) => p.job === job && onProgress(p.done, p.total, p.label)) : null
  try {
    return await work()
  } finally {
    stop?.()
  }
}

export const useDatasetImportStore = defineStore('datasetImport', {
  state: () => ({
    preview: null as CsvPreview | null,
    lastImported: null as DatasetDescriptor | null
  }),
  actions: {
    /** Sends a file to the back end in chunks; returns its upload id for the importers. */
    upload(file: File, onProgress?: (sent: number, total: number) => void): Promise<string> {
      return uploadFile(file, onProgress)
    },
    async previewCsv(request: Request<'datasets.previewCsv'>): Promise<CsvPreview> {
      const preview = await client.call('datasets.previewCsv', request)
      this.preview = preview
      return preview
    },
    async importCsv(request: Request<'datasets.importCsv'>, onProgress?: Progress): Promise<DatasetDescriptor> {
      const descriptor = await withProgress(`import:${request.file}`, onProgress, () => client.call('datasets.importCsv', request))
      this.lastImported = descriptor
      return descriptor
    },
    async importIdx(request: Request<'datasets.importIdx'>, onProgress?: Progress): Promise<DatasetDescriptor> {
      const descriptor = await withProgress(`import:${request.train_images}`, onProgress, () => client.call('datasets.importIdx', request))
      this.lastImported = descriptor
      return descriptor
    },
    /** A page of a tabular set's rows as the file had them. */
    rows(id: string, split: SplitName, offset: number, limit: number): Promise<DatasetRows> {
      return client.call('datasets.rows', { id, split, offset, limit })
    }
  }
})
