// The Checkpoint callback: saves after the first epoch, then at an epoch's end only once
// everyMs have passed; never for an epoch that ends training (the trainer saves that one).
import { describe, expect, it } from 'vitest'
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../backend'
import { Checkpoint } from './checkpoint'
import { fakeContext } from './test-context'

describe('Checkpoint callback', () => {
  it('saves after the first epoch and then at most every everyMs', async () => {
    let now = 0
    const saved: number[] = []
    const ctx = fakeContext({} as Tf, {} as LayersModel)
    const checkpoint = new Checkpoint({ everyMs: 5000, now: () => now, save: async (epoch) => void saved.push(epoch) })
    for (let epoch = 0; epoch < 8; epoch++) {
      await checkpoint.onEpochEnd(epoch, {}, ctx)
      now += 2000
    }
    // at 0 ms (epoch 1), 6000 ms (epoch 4), 12 000 ms (epoch 7)
    expect(saved).toEqual([1, 4, 7])
  })

  it('skips the epoch that ends training: early stopping, Stop, or a failed run', async () => {
    const saved: number[] = []
    const checkpoint = new Checkpoint({ save: async (epoch) => void saved.push(epoch) })
    const stopping = fakeContext({} as Tf, {} as LayersModel)
    stopping.stopTraining = true
    await checkpoint.onEpochEnd(0, {}, stopping)
    const stopped = fakeContext({} as Tf, {} as LayersModel)
    stopped.stopRequested = true
    await checkpoint.onEpochEnd(0, {}, stopped)
    const failed = fakeContext({} as Tf, {} as LayersModel)
    failed.end('failed', 'missing monitor')
    await checkpoint.onEpochEnd(0, {}, failed)
    expect(saved).toEqual([])
    await checkpoint.onEpochEnd(1, {}, fakeContext({} as Tf, {} as LayersModel))
    expect(saved).toEqual([2])
  })
})
