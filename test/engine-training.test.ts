// The training loop in-process on small synthetic data (wasm backend): learning, determinism,
// optimizers, schedules, early stopping, divergence, step budgets, tensor hygiene, the callback
// seam (Keras's hook order) and Stop at the next read.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor } from '@tensorflow/tfjs'
import { selectBackend, type SelectedBackend } from '../src/main/engine/backend'
import type { TrainingCallback } from '../src/main/engine/callbacks/callback'
import { TrainingControl, trainModel, type TrainOptions } from '../src/main/engine/training-loop'
import type { ProgressEvent } from '../src/shared/run'
import { OPTIMIZER_NAMES, type ScheduleConfig } from '../src/shared/training'
import { blobData, config, denseModel, linearData, xorData } from './engine-fixtures'

let backend: SelectedBackend

beforeAll(async () => {
  backend = await selectBackend('wasm')
})

function run(options: Omit<TrainOptions, 'tf' | 'runId' | 'backend' | 'emit'> & { emit?: TrainOptions['emit'] }) {
  const events: ProgressEvent[] = []
  const promise = trainModel({
    tf: backend.tf,
    runId: 'test-run',
    backend: backend.info,
    recordSteps: true,
    emit: (event) => {
      events.push(event)
      options.emit?.(event)
    },
    ...options
  })
  return { events, promise }
}

describe('training loop', () => {
  it('learns y = 2x and XOR', async () => {
    const { tf } = backend
    const linear = denseModel(tf, 1, [{ units: 3, activation: 'relu' }, { units: 1, activation: 'linear' }], 5)
    const lin = await run({ model: linear, data: linearData(), config: config({ loss: 'mean_squared_error', metrics: ['mae'], optimizer: { name: 'adam', learning_rate: 0.05 }, batch_size: 16, budget: { kind: 'epochs', epochs: 150 } }) }).promise
    expect(lin.ended.status).toBe('finished')
    expect(lin.ended.final_metrics.loss).toBeLessThan(0.01)
    const prediction = (linear.predict(tf.tensor2d([[0.5]])) as Tensor).dataSync()[0]
    expect(prediction).toBeCloseTo(1, 0)

    const xor = denseModel(tf, 2, [{ units: 8, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], 2)
    const x = await run({ model: xor, data: xorData(), config: config({ loss: 'binary_crossentropy', optimizer: { name: 'adam', learning_rate: 0.05 }, batch_size: 16, budget: { kind: 'epochs', epochs: 40 } }) }).promise
    expect(x.ended.final_metrics.acc).toBe(1)
  })

  it('applies kernel regularizers to the gradient (L2 shrinks the weights as Keras does)', async () => {
    const { tf } = backend
    const { buildModel } = await import('../src/main/engine/model-builder')
    const build = (l2: number) =>
      buildModel(tf, { format: 'model-workbench/spec', version: 1, name: 'reg', input_shape: [1], layers: [{ class_name: 'Dense', config: { units: 1, ...(l2 ? { kernel_regularizer: { class_name: 'L2', config: { l2 } } } : {}) } }] }, { seed: 4 })
    const kernelAfter = async (l2: number): Promise<number> => {
      const model = build(l2)
      await run({ model, data: linearData(), config: config({ loss: 'mean_squared_error', metrics: ['mae'], optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 64, budget: { kind: 'epochs', epochs: 200 } }) }).promise
      return model.getWeights()[0].dataSync()[0]
    }
    const plain = await kernelAfter(0)
    const penalised = await kernelAfter(1)
    expect(plain).toBeCloseTo(2, 1)
    // Minimising mean((wx − 2x)²) + w² over x uniform on [−1, 1] (E[x²] ≈ 1/3) gives w = 2·(1/3)/(1/3 + 1) = 0.5.
    expect(penalised).toBeGreaterThan(0.35)
    expect(penalised).toBeLessThan(0.65)
  })

  it('gives the same loss curve for the same seed and a different one for another seed', async () => {
    const { tf } = backend
    const curve = async (seed: number) => {
      const model = denseModel(tf, 2, [{ units: 6, activation: 'relu' }, { units: 3, activation: 'softmax' }], 9)
      const outcome = await run({ model, data: blobData(), config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.05 }, batch_size: 8, seed, budget: { kind: 'epochs', epochs: 3 }, validation: { kind: 'split', fraction: 0.2 } }) }).promise
      return { steps: outcome.stepLosses, epochs: outcome.epochs }
    }
    const first = await curve(123)
    const again = await curve(123)
    const other = await curve(456)
    expect(first.steps.length).toBe(36)
    expect(again.steps).toEqual(first.steps)
    expect(again.epochs).toEqual(first.epochs)
    expect(other.steps).not.toEqual(first.steps)
  })

  it.each(OPTIMIZER_NAMES)('%s reduces the loss', async (name) => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }], 4)
    const rates: Record<string, number> = { sgd: 0.1, rmsprop: 0.01, adam: 0.01, adagrad: 0.1, adadelta: 1, adamax: 0.02 }
    const optimizer = { name, learning_rate: rates[name] } as never
    const outcome = await run({ model, data: blobData(), config: config({ loss: 'categorical_crossentropy', optimizer, batch_size: 16, budget: { kind: 'epochs', epochs: 8 } }) }).promise
    const losses = outcome.epochs.map((e) => e.loss)
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8)
  })

  const schedules: ScheduleConfig[] = [
    { kind: 'constant' },
    { kind: 'time_decay', decay: 0.01 },
    { kind: 'step_decay', drop: 0.5, every_epochs: 3 },
    { kind: 'exponential', decay_rate: 0.9, decay_steps: 10 },
    { kind: 'reduce_on_plateau', monitor: 'loss', factor: 0.5, patience: 0, min_delta: 0.05, cooldown: 0, min_lr: 0 }
  ]
  it.each(schedules)('schedule $kind reduces the loss', async (schedule) => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }], 4)
    const outcome = await run({ model, data: blobData(), config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.2 }, schedule, batch_size: 16, budget: { kind: 'epochs', epochs: 8 } }) }).promise
    const losses = outcome.epochs.map((e) => e.loss)
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8)
    if (schedule.kind !== 'constant') expect(outcome.epochs[7].lr).toBeLessThan(0.2)
  })

  it('applies time decay per step as lr0 / (1 + decay * step)', async () => {
    const { tf } = backend
    const model = denseModel(tf, 1, [{ units: 1, activation: 'linear' }])
    const outcome = await run({ model, data: linearData(40), config: config({ loss: 'mean_squared_error', optimizer: { name: 'sgd', learning_rate: 0.05 }, schedule: { kind: 'time_decay', decay: 0.001 }, batch_size: 4, budget: { kind: 'steps', steps: 1000, eval_every: 500 } }) }).promise
    const rates = outcome.stepLearningRates
    for (const step of [0, 1, 10, 500, 999]) expect(rates[step]).toBeCloseTo(0.05 / (1 + 0.001 * step), 12)
    const optimizer = outcome.epochs[1].lr
    expect(optimizer).toBeCloseTo(0.05 / (1 + 0.999), 12)
  })

  it('honours a step budget with evaluation every eval_every steps', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const { events, promise } = run({ model, data: blobData(), config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 10, budget: { kind: 'steps', steps: 37, eval_every: 10 } }) })
    const outcome = await promise
    expect(outcome.stepLosses).toHaveLength(37)
    const epochEvents = events.filter((e) => e.type === 'epoch')
    expect(epochEvents.map((e) => e.step)).toEqual([10, 20, 30, 37])
    const started = events.find((e) => e.type === 'started')
    expect(started).toMatchObject({ total_steps: 37, steps_per_epoch: 10, epochs: null })
  })

  it('stops early on a monitor that stops improving and restores the best weights', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    // min_delta larger than any possible gain: epoch 1 stays the best, so patience 2 ends after
    // epoch 3 (Keras: wait >= patience, as tfjs's EarlyStopping; it was one epoch later before).
    const { events, promise } = run({ model, data: blobData(), config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 16, budget: { kind: 'epochs', epochs: 20 }, validation: { kind: 'split', fraction: 0.25 }, early_stopping: { monitor: 'val_loss', patience: 2, min_delta: 100, restore_best_weights: true } }) })
    const outcome = await promise
    expect(outcome.epochs).toHaveLength(3)
    expect(outcome.ended.best_epoch).toBe(1)
    expect(outcome.ended.status).toBe('finished')
    expect(events.some((e) => e.type === 'status' && /Early stopping/.test(e.message ?? ''))).toBe(true)
    const current = model.getWeights().map((w) => Array.from(w.dataSync()))
    expect(current).toEqual(outcome.bestWeights!.map((w) => Array.from(w.dataSync())))
    expect(current).not.toEqual(outcome.lastWeights.map((w) => Array.from(w.dataSync())))
  })

  it('ends as diverged at the step where the loss became NaN/Inf', async () => {
    const { tf } = backend
    const model = denseModel(tf, 1, [{ units: 8, activation: 'linear' }, { units: 1, activation: 'linear' }])
    const data = linearData(64)
    for (let i = 0; i < data.train.count; i++) data.train.y[i] *= 1e3
    const outcome = await run({ model, data, config: config({ loss: 'mean_squared_error', optimizer: { name: 'sgd', learning_rate: 1e3 }, batch_size: 8, shuffle: false, budget: { kind: 'epochs', epochs: 50 } }) }).promise
    expect(outcome.ended.status).toBe('diverged')
    const step = outcome.ended.diverged_at_step!
    expect(step).toBeGreaterThan(1)
    // every step before it had a finite loss; that step's did not
    expect(outcome.stepLosses).toHaveLength(step - 1)
    expect(outcome.stepLosses.every(Number.isFinite)).toBe(true)
    expect(outcome.ended.error).toMatch(new RegExp(`step ${step}\\b`))
  })

  it('accepts the Keras name val_accuracy for val_acc and refuses a monitor the run does not report', async () => {
    const { tf } = backend
    const base = { loss: 'sparse_categorical_crossentropy' as const, optimizer: { name: 'sgd' as const, learning_rate: 0.1 }, batch_size: 16, budget: { kind: 'epochs' as const, epochs: 20 } }
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    // val_acc can only stay or rise by 1/30 steps: min_delta 2 makes epoch 1 the best, so patience 1 stops after epoch 2.
    const keras = await run({ model, data: blobData(), config: config({ ...base, validation: { kind: 'split', fraction: 0.25 }, early_stopping: { monitor: 'val_accuracy', patience: 1, min_delta: 2 } }) }).promise
    expect(keras.ended.status).toBe('finished')
    expect(keras.epochs).toHaveLength(2)
    expect(keras.ended.best_metrics.val_acc).toBe(keras.epochs[0].val_acc)

    // No validation data: val_loss does not exist; the run is refused before the first step with the names that do.
    const events: ProgressEvent[] = []
    await expect(run({ model, data: blobData(), emit: (e) => events.push(e), config: config({ ...base, early_stopping: { monitor: 'val_loss', patience: 1 } }) }).promise).rejects.toThrow(/Early stopping monitors "val_loss".*no validation data.*Metrics it reports: loss, acc\b/)
    expect(events.filter((e) => e.type === 'batch' || e.type === 'epoch')).toHaveLength(0)
    await expect(run({ model, data: blobData(), config: config({ ...base, schedule: { kind: 'reduce_on_plateau', monitor: 'auc' } }) }).promise).rejects.toThrow(/Reduce-on-plateau monitors "auc".*add it/)
  })

  it('reduces the rate on a plateau after exactly `patience` epochs, then waits `cooldown` epochs (Keras)', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    // min_delta 100: only epoch 1 improves. Patience 2 reduces after epoch 3; with cooldown 2 the counter
    // runs down over epochs 4 and 5, and as in Keras the epoch that brings it to 0 already counts
    // (epoch 5: wait 1, epoch 6: wait 2), so the next reductions follow epochs 6 and 9.
    const schedule: ScheduleConfig = { kind: 'reduce_on_plateau', monitor: 'loss', factor: 0.5, patience: 2, min_delta: 100, cooldown: 2, min_lr: 0 }
    const outcome = await run({ model, data: blobData(), config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, schedule, batch_size: 64, budget: { kind: 'epochs', epochs: 9 } }) }).promise
    // `lr` of an epoch is the rate its steps used: the reductions after epochs 3 and 6 show from epochs 4 and 7.
    expect(outcome.epochs.map((e) => e.lr)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025])
  })

  it('ends as diverged when the weights overflow although the loss stays finite (learning rate 1e308)', async () => {
    const { tf } = backend
    for (const [name, layers, data, loss] of [
      ['binary', [{ units: 4, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], xorData(4), 'binary_crossentropy'],
      ['softmax', [{ units: 4, activation: 'relu' }, { units: 3, activation: 'softmax' }], blobData(5), 'sparse_categorical_crossentropy']
    ] as const) {
      const model = denseModel(tf, 2, layers.map((l) => ({ ...l })))
      const outcome = await run({ model, data, config: config({ loss, optimizer: { name: 'sgd', learning_rate: 1e308 }, batch_size: 4, budget: { kind: 'epochs', epochs: 5 } }) }).promise
      expect(outcome.ended.status, name).toBe('diverged')
      // The clipped cross-entropy stays finite; the first update makes the weights NaN, and step 2's outputs show it.
      expect(outcome.ended.diverged_at_step, name).toBe(2)
      expect(outcome.stepLosses.every(Number.isFinite), name).toBe(true)
      expect(outcome.ended.error, name).toMatch(/outputs became NaN at step 2\b/)
      expect(outcome.ended.final_metrics.test_loss, name).toBeUndefined()
      tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
    }
  })

  it('keeps the tensor count flat across epochs', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 16, activation: 'relu' }, { units: 3, activation: 'softmax' }])
    const counts: number[] = []
    const outcome = await run({
      model, data: blobData(), emit: (e) => { if (e.type === 'epoch') counts.push(tf.memory().numTensors) },
      config: config({ loss: 'categorical_crossentropy', metrics: ['accuracy', 'precision', 'recall', 'auc', 'mse', 'mae'], optimizer: { name: 'adam' }, batch_size: 16, budget: { kind: 'epochs', epochs: 8 }, validation: { kind: 'split', fraction: 0.2 }, early_stopping: { monitor: 'val_loss', patience: 100 } })
    }).promise
    expect(counts).toHaveLength(8)
    expect(new Set(counts.slice(1)).size).toBe(1)
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  })

  it('calls the callbacks in Keras order, each step once, onBatchEnd in step order with the read values', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const calls: string[] = []
    const ended: Array<{ step: number; loss: number }> = []
    let reads = 0
    const recorder: TrainingCallback = {
      onTrainBegin: () => void calls.push('train_begin'),
      onEpochBegin: (epoch) => void calls.push(`epoch_begin ${epoch}`),
      onBatchBegin: (step, ctx) => {
        calls.push(`batch_begin ${step}`)
        expect(ctx.step).toBe(step - 1)
      },
      onBatchEnd: (step, logs, ctx) => {
        ended.push({ step, loss: logs.loss })
        // delivered after the step ran and before any later step is begun twice
        expect(step).toBeLessThanOrEqual(ctx.step)
      },
      onRead: () => void reads++,
      onEpochEnd: async (epoch, metrics) => {
        calls.push(`epoch_end ${epoch} lr=${metrics.lr}`)
      },
      onTrainEnd: () => void calls.push('train_end')
    }
    const outcome = await run({ model, data: blobData(10), readEveryMs: 0, callbacks: [recorder], config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 10, budget: { kind: 'epochs', epochs: 2 }, validation: { kind: 'none' } }) }).promise
    const steps = (from: number) => [1, 2, 3].map((i) => `batch_begin ${from + i}`)
    expect(calls).toEqual(['train_begin', 'epoch_begin 0', ...steps(0), 'epoch_end 0 lr=0.1', 'epoch_begin 1', ...steps(3), 'epoch_end 1 lr=0.1', 'train_end'])
    expect(ended.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6])
    expect(ended.map((e) => e.loss)).toEqual(outcome.stepLosses)
    // readEveryMs 0: one read per step
    expect(reads).toBe(6)
  })

  it('ends after the epoch in which a callback sets stopTraining, as finished', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const stopper: TrainingCallback = { onEpochEnd: (epoch, _metrics, ctx) => void (epoch === 1 && (ctx.stopTraining = true)) }
    const outcome = await run({ model, data: { ...blobData(), test: blobData(10, 9).train }, callbacks: [stopper], config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 16, budget: { kind: 'epochs', epochs: 10 }, evaluate_test: true }) }).promise
    expect(outcome.epochs).toHaveLength(2)
    expect(outcome.ended.status).toBe('finished')
    expect(outcome.ended.final_metrics.test_loss).toEqual(expect.any(Number))
    tf.dispose([...outcome.lastWeights, ...(outcome.bestWeights ?? [])])
  })

  it('takes Stop at the next read: no step runs after it, and the run ends stopped', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const control = new TrainingControl()
    let stoppedAt = 0
    const { promise } = run({
      model, control, data: blobData(200), readEveryMs: 0, progressEveryMs: 0,
      config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 4, budget: { kind: 'epochs', epochs: 1000 } }),
      emit: (e) => {
        if (e.type === 'batch' && e.step === 37) {
          stoppedAt = e.step
          control.stop()
        }
      }
    })
    const outcome = await promise
    expect(outcome.ended.status).toBe('stopped')
    expect(stoppedAt).toBe(37)
    expect(outcome.stepLosses).toHaveLength(37)
  })

  it('sees Stop between device reads and reads the steps it ran before ending', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const control = new TrainingControl()
    // Reads only every 10 minutes: Stop must be seen at the ~20 ms yields between reads.
    const { promise } = run({ model, control, data: blobData(4000), readEveryMs: 600_000, config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 4, budget: { kind: 'epochs', epochs: 1000 } }) })
    setTimeout(() => control.stop(), 300)
    const outcome = await promise
    expect(outcome.ended.status).toBe('stopped')
    // 3 000 steps per epoch: stopped inside the first one, not at its end-of-epoch read
    expect(outcome.epochs).toHaveLength(0)
    expect(outcome.stepLosses.length).toBeGreaterThan(0)
    // every step that ran was read back (and checked) before the run ended
    expect(outcome.stepLosses).toHaveLength(outcome.stepLearningRates.length)
    expect(outcome.stepLosses.every(Number.isFinite)).toBe(true)
  })

  it('pauses, resumes and stops between steps', async () => {
    const { tf } = backend
    const model = denseModel(tf, 2, [{ units: 3, activation: 'softmax' }])
    const control = new TrainingControl()
    const statuses: string[] = []
    let sawPause = false
    const { promise } = run({
      model, control, data: blobData(200), readEveryMs: 0,
      config: config({ loss: 'sparse_categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 }, batch_size: 4, budget: { kind: 'epochs', epochs: 1000 } }),
      emit: (e) => {
        if (e.type === 'status') statuses.push(e.status)
        if (e.type === 'batch' && e.step > 20 && !sawPause) {
          sawPause = true
          control.pause()
          setTimeout(() => control.resume(), 50)
        }
        if (e.type === 'batch' && e.step > 400) control.stop()
      }
    })
    const outcome = await promise
    expect(statuses).toEqual(['running', 'paused', 'running'])
    expect(outcome.ended.status).toBe('stopped')
  })
})
