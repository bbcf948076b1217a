// The data set methods: built-ins materialised on first use, CSV and IDX imports from uploads,
// samples for the views. Every descriptor a caller sees is registered in the store.
import type { DatasetDescriptor } from '../../shared/dataset'
import type { ServiceContext } from './context'
import { WorkbenchError, type Handlers } from './dispatcher'
import type { Uploads } from './uploads'

// A bad file is the caller's input: DataImportErrors (file, line and what to do) answer bad_input
// with their reason and details as they are, since the dispatcher maps every TypedError.

type DatasetMethods = 'datasets.list' | 'datasets.get' | 'datasets.samples' | 'datasets.rows' | 'datasets.previewCsv' | 'datasets.importCsv' | 'datasets.importIdx' | 'datasets.delete'

export interface Datasets {
  handlers: Pick<Handlers, DatasetMethods>
  /** A data set's descriptor, materialising a built-in on first use; not_found for an unknown id. */
  get(id: string): Promise<DatasetDescriptor>
}

export function createDatasets(ctx: ServiceContext, uploads: Uploads): Datasets {
  const { library, store, emit } = ctx

  async function get(id: string): Promise<DatasetDescriptor> {
    const builtin = library.builtins().find((b) => b.id === id)
    try {
      const descriptor = builtin
        ? await library.ensureBuiltin(id, (done, total) => emit('job.progress', { job: `dataset:${id}`, label: `Preparing ${builtin.name}`, done, total }))
        : await library.get(id)
      store.registerDataset(descriptor)
      return descriptor
    } catch (error) {
      if (error instanceof Error && /not found|ENOENT/i.test(error.message)) throw new WorkbenchError('not_found', `data set "${id}" not found; import it first or pick one from the Data sets view`, { reason: 'dataset.not_found', details: { dataset_id: id } })
      throw error
    }
  }

  let builtinsReady: Promise<void> | null = null
  function ensureBuiltins(): Promise<void> {
    builtinsReady ??= (async () => {
      for (const builtin of library.builtins()) await get(builtin.id)
    })().catch((error) => {
      builtinsReady = null
      throw error
    })
    return builtinsReady
  }

  return {
    get,
    handlers: {
      'datasets.list': async () => {
        await ensureBuiltins()
        return library.list()
      },
      'datasets.get': async ({ id }) => get(id),
      'datasets.samples': async ({ id, split, offset, count }) => {
        const descriptor = await get(id)
        if (!descriptor.splits[split]) {
          const present = (['train', 'validation', 'test'] as const).filter((name) => descriptor.splits[name])
          throw new WorkbenchError('not_found', `data set "${descriptor.name}" has no ${split} split (it has ${present.join(', ')})`, { reason: 'dataset.no_split', details: { name: descriptor.name, split, present: present.join(', ') } })
        }
        return library.samples(id, split, offset, count)
      },
      'datasets.rows': async ({ id, split, offset, limit }) => {
        const descriptor = await get(id)
        if (!descriptor.splits[split]) {
          const present = (['train', 'validation', 'test'] as const).filter((name) => descriptor.splits[name])
          throw new WorkbenchError('not_found', `data set "${descriptor.name}" has no ${split} split (it has ${present.join(', ')})`, { reason: 'dataset.no_split', details: { name: descriptor.name, split, present: present.join(', ') } })
        }
        return library.rows(id, split, offset, limit)
      },
      'datasets.previewCsv': async ({ file, ...options }) => uploads.holding([file], () => library.previewCsv(uploads.path(file), options)),
      'datasets.importCsv': async ({ file, ...rest }) => {
        const name = uploads.name(file)
        const descriptor = await uploads.holding([file], () =>
          library.importCsv({ ...rest, name: rest.name ?? name?.replace(/\.[^.]+$/, ''), path: uploads.path(file) }, (done, total) =>
            emit('job.progress', { job: `import:${file}`, label: `Importing ${name ?? file}`, done, total })
          )
        )
        store.registerDataset(descriptor)
        await uploads.discard([file])
        emit('datasets.changed', { id: descriptor.id })
        return descriptor
      },
      'datasets.importIdx': async (request) => {
        const files = [request.train_images, request.train_labels, request.test_images, request.test_labels]
        const descriptor = await uploads.holding(files, () => library.importIdx(
          {
            ...request,
            train_images: uploads.path(request.train_images),
            train_labels: uploads.path(request.train_labels),
            test_images: request.test_images ? uploads.path(request.test_images) : undefined,
            test_labels: request.test_labels ? uploads.path(request.test_labels) : undefined
          },
          (done, total) => emit('job.progress', { job: `import:${request.train_images}`, label: 'Importing IDX files', done, total })
        ))
        store.registerDataset(descriptor)
        await uploads.discard(files)
        emit('datasets.changed', { id: descriptor.id })
        return descriptor
      },
      'datasets.delete': async ({ id }) => {
        if (library.builtins().some((b) => b.id === id)) throw new WorkbenchError('conflict', `"${id}" is a built-in data set and cannot be deleted`, { reason: 'dataset.builtin', details: { dataset_id: id } })
        try {
          await library.delete(id)
        } catch (error) {
          // Never the server's folder in the answer: the id is all the caller named.
          if (error instanceof Error && /not found|ENOENT/i.test(error.message)) throw new WorkbenchError('not_found', `data set "${id}" not found; it may have been deleted already — refresh the Data sets view`, { reason: 'dataset.not_found', details: { dataset_id: id } })
          throw error
        }
        // The store may never have seen a set that was imported by another process and not yet listed.
        try {
          store.deleteDataset(id)
        } catch (error) {
          if (!(error instanceof Error && /not found/i.test(error.message))) throw error
        }
        emit('datasets.changed', { id })
        return { ok: true as const }
      }
    }
  }
}
