// Best or last, said everywhere: which saved weights of a run a request uses, and their epoch.
// The default is the weights the run's recorded test metrics came from: the best epoch's when
// early stopping restored them, else the last epoch's.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WeightsChoice, WeightsUsed } from '../../shared/contract'
import type { RunDetail } from '../../shared/run'
import { WorkbenchError } from './dispatcher'
import type { RunFolders } from './run-folders'

export interface ChosenWeights extends WeightsUsed {
  folder: string
}

/** The weights whose metrics the run recorded (see the trainer: it restores best weights only when early stopping asks). */
export function defaultWeights(run: Pick<RunDetail, 'config'>): WeightsChoice {
  return run.config.early_stopping?.restore_best_weights ? 'best' : 'last'
}

function savedEpoch(folder: string): number | null {
  try {
    const meta = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')) as { epoch?: unknown }
    return typeof meta.epoch === 'number' ? meta.epoch : null
  } catch {
    return null
  }
}

export function chooseWeights(run: Pick<RunDetail, 'id' | 'name' | 'config' | 'best_epoch'>, folders: RunFolders, requested?: WeightsChoice): ChosenWeights {
  const available = folders.available(run.id)
  if (!available.length) throw new WorkbenchError('conflict', `run "${run.name}" has no saved weights yet: weights are saved after the first epoch (or when a run ends); train it longer or re-run it`, { reason: 'run.no_weights', details: { run: run.name, run_id: run.id } })
  const preferred = defaultWeights(run)
  let which: WeightsChoice
  if (requested) {
    if (!available.includes(requested)) throw new WorkbenchError('conflict', `run "${run.name}" has no ${requested} weights saved (it has: ${available.join(', ')}); choose ${available.join(' or ')}`, { reason: 'run.weights_unavailable', details: { run: run.name, run_id: run.id, which: requested, available: available.join(', ') } })
    which = requested
  } else {
    which = available.includes(preferred) ? preferred : available[0]
  }
  const folder = folders.weights(run.id, which)!
  const epoch = savedEpoch(folder) ?? (which === 'best' ? run.best_epoch : null)
  return { which, epoch, default: which === preferred, folder }
}
