// The one owner of a run's folder layout: <dataDir>/runs/<id>/ with best/ and last/ (TF.js layers
// models written by the trainer) and exports/ (what the export job wrote and verified).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { WEIGHT_FOLDERS, type WeightFolder } from '../engine/weights-store'

export class RunFolders {
  constructor(readonly dataDir: string) {}

  /** <dataDir>/runs */
  get root(): string {
    return join(this.dataDir, 'runs')
  }

  dir(runId: string): string {
    return join(this.root, runId)
  }

  /** The saved model folder for `which`, or null when the trainer has not written it. */
  weights(runId: string, which: WeightFolder): string | null {
    const folder = join(this.dir(runId), which)
    return existsSync(join(folder, 'model.json')) ? folder : null
  }

  /** Which saved weights exist for the run, in preference order (best, then last). */
  available(runId: string): WeightFolder[] {
    return WEIGHT_FOLDERS.filter((which) => this.weights(runId, which) !== null)
  }

  exports(runId: string): string {
    return join(this.dir(runId), 'exports')
  }
}
