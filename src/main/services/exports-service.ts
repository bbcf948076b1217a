// The export method: a run's trained model, script, spec or metrics as a file to download.
import { exportRun } from './exports'
import { notFound, type ServiceContext } from './context'
import type { Handlers } from './dispatcher'

export function createExports(ctx: ServiceContext): { handlers: Pick<Handlers, 'runs.export'> } {
  const { store, folders } = ctx
  return {
    handlers: {
      'runs.export': async ({ run_id, format }) => {
        const run = notFound(() => store.getRun(run_id))
        const file = await exportRun({ run, runDir: folders.dir(run_id), store, format })
        return { file_name: file.file_name, mime: file.mime, data_base64: file.data.toString('base64') }
      }
    }
  }
}
