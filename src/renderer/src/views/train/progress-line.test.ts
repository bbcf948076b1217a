import { describe, expect, it } from 'vitest'
import { progressFill, progressParts, type ProgressState } from './progress-line'

const base: ProgressState = { phase: 'running', attaching: false, step: 365, totalSteps: 3750, epoch: 1, epochs: 2, epochsDone: 0, samplesPerS: 4321.4, etaS: 30 }
const duration = (s: number) => `${s}s`

describe('progress line', () => {
  it('while running: step and epoch of the totals, samples/s and ETA', () => {
    expect(progressParts(base, duration).map((p) => p.key)).toEqual(['train.stepOf', 'train.epochOf', 'train.samplesPerS', 'train.eta'])
    expect(progressParts({ ...base, phase: 'paused' }, duration).map((p) => p.key)).not.toContain('train.eta')
  })
  it('finished: epochs trained and steps done, never the last live step of the total', () => {
    const parts = progressParts({ ...base, phase: 'finished', step: 1600, totalSteps: 1600, epochsDone: 10, epochs: 10 }, duration)
    expect(parts).toEqual([{ key: 'train.done.epochs', params: { epochs: 10, total: 10 } }, { key: 'train.done.steps', params: { steps: (1600).toLocaleString() } }])
    expect(progressParts({ ...base, phase: 'finished', epochs: null, step: 500 }, duration).map((p) => p.key)).toEqual(['train.done.steps'])
  })
  it('stopped or failed: where it ended', () => {
    expect(progressParts({ ...base, phase: 'stopped', epochsDone: 0 }, duration)).toEqual([
      { key: 'train.endedAt', params: { step: (365).toLocaleString(), total: (3750).toLocaleString() } },
      { key: 'train.endedInEpoch', params: { epoch: 1, total: 2 } }
    ])
  })
  it('before a run: connecting while the back end is asked, else not started', () => {
    expect(progressParts({ ...base, phase: 'idle', attaching: true }, duration)).toEqual([{ key: 'train.connecting' }])
    expect(progressParts({ ...base, phase: 'idle' }, duration)).toEqual([{ key: 'train.notStarted' }])
    expect(progressParts({ ...base, phase: 'queued' }, duration)).toEqual([{ key: 'train.preparing' }])
  })
  it('fills the bar with the steps done, all of it once finished, unknown while preparing', () => {
    expect(progressFill(base)).toBeCloseTo(365 / 3750, 12)
    expect(progressFill({ ...base, phase: 'stopped' })).toBeCloseTo(365 / 3750, 12)
    expect(progressFill({ ...base, phase: 'finished' })).toBe(1)
    expect(progressFill({ ...base, phase: 'starting' })).toBeNull()
    expect(progressFill({ ...base, phase: 'idle' })).toBe(0)
  })
})
