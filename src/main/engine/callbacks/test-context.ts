// A TrainingContext for the callbacks' unit tests: records events and ends, no loop around it.
import type { LayersModel } from '@tensorflow/tfjs'
import type { ProgressEvent } from '../../../shared/run'
import type { Tf } from '../backend'
import type { TrainingContext, TrainingParams } from './callback'

export interface FakeContext extends TrainingContext {
  step: number
  epoch: number
  stopRequested: boolean
  events: ProgressEvent[]
  status: 'running' | 'diverged' | 'failed'
  error: string | null
  divergedAt: number | null
  elapsedMs: number
}

export function fakeContext(tf: Tf, model: LayersModel, params: Partial<TrainingParams> = {}): FakeContext {
  const events: ProgressEvent[] = []
  const ctx: FakeContext = {
    tf,
    model,
    params: { runId: 'run', totalSteps: 100, stepsPerEpoch: 10, totalEpochs: 10, batchSize: 4, byEpochs: true, baseRate: 0.1, hasValidation: true, ...params },
    emit: (event) => events.push(event),
    events,
    step: 0,
    epoch: 0,
    learningRate: params.baseRate ?? 0.1,
    stopTraining: false,
    stopRequested: false,
    status: 'running',
    error: null,
    divergedAt: null,
    elapsedMs: 0,
    trainingMs: () => ctx.elapsedMs,
    end(status, error, divergedAtStep) {
      ctx.stopTraining = true
      if (ctx.ended) return
      ctx.status = status
      ctx.error = error
      ctx.divergedAt = divergedAtStep ?? null
    },
    get ended() {
      return ctx.status !== 'running'
    }
  }
  return ctx
}
