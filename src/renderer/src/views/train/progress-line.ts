// The Train view's progress line: while a run goes on, where it is (step and epoch of the
// totals, samples/s, ETA); once it has ended, what it did (epochs trained and steps done, or where
// it stopped), never the last live figure left standing.
import type { TrainPhase } from '../../stores/training.store'

export interface ProgressState {
  phase: TrainPhase
  attaching: boolean
  step: number
  totalSteps: number
  epoch: number
  epochs: number | null
  epochsDone: number
  samplesPerS: number | null
  etaS: number | null
}

export interface ProgressPart {
  key: string
  params?: Record<string, string | number>
}

const ENDED_EARLY: readonly TrainPhase[] = ['stopped', 'failed', 'diverged', 'interrupted']

function count(value: number): string {
  return value.toLocaleString()
}

/** The parts of the line as i18n keys with their parameters, in order; the view joins them with " · ". */
export function progressParts(state: ProgressState, formatDuration: (seconds: number) => string): ProgressPart[] {
  if (state.phase === 'idle') return [{ key: state.attaching ? 'train.connecting' : 'train.notStarted' }]
  if (state.phase === 'starting' || state.phase === 'queued') return [{ key: 'train.preparing' }]
  if (state.phase === 'finished') {
    const parts: ProgressPart[] = []
    if (state.epochs !== null) parts.push({ key: 'train.done.epochs', params: { epochs: state.epochsDone, total: state.epochs } })
    parts.push({ key: 'train.done.steps', params: { steps: count(state.step) } })
    return parts
  }
  if (ENDED_EARLY.includes(state.phase)) {
    const parts: ProgressPart[] = [{ key: 'train.endedAt', params: { step: count(state.step), total: count(state.totalSteps) } }]
    if (state.epochs !== null) parts.push({ key: 'train.endedInEpoch', params: { epoch: Math.max(state.epoch, 1), total: state.epochs } })
    return parts
  }
  const parts: ProgressPart[] = []
  if (state.totalSteps) parts.push({ key: 'train.stepOf', params: { step: count(state.step), total: count(state.totalSteps) } })
  if (state.epochs) parts.push({ key: 'train.epochOf', params: { epoch: state.epoch, total: state.epochs } })
  if (state.samplesPerS !== null) parts.push({ key: 'train.samplesPerS', params: { value: Math.round(state.samplesPerS).toLocaleString() } })
  if (state.etaS !== null && state.phase === 'running') parts.push({ key: 'train.eta', params: { value: formatDuration(state.etaS) } })
  return parts
}

/** The bar's fill: unknown (null) while preparing, the steps done of the total otherwise (1 once finished). */
export function progressFill(state: Pick<ProgressState, 'phase' | 'step' | 'totalSteps'>): number | null {
  if (state.phase === 'starting' || state.phase === 'queued') return null
  if (state.phase === 'finished') return 1
  if (state.phase === 'idle' || !state.totalSteps) return 0
  return Math.min(1, state.step / state.totalSteps)
}
