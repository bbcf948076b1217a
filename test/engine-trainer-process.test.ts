// The trainer as a real child process: progress events, pause / resume / stop, model files in
// the run folder, evaluate / predict / weights on the saved run, a SIGKILLed trainer reported as
// failed, and a parent whose event loop stays free while a run trains.
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatasetLibrary } from '../src/main/data'
import { evaluateRun, predictRun, readRunWeights, startTraining, type ForkTrainer, type TrainerChannel } from '../src/main/engine/supervisor'
import type { ProgressEvent } from '../src/shared/run'
import type { ModelSpec } from '../src/shared/model-spec'
import { trainingConfigSchema } from '../src/shared/training'

const spec = {
  format: 'model-workbench/spec',
  version: 1,
  name: 'blobs-mlp',
  input_shape: [2],
  layers: [
    { class_name: 'Dense', config: { units: 16, activation: 'relu' } },
    { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
  ]
} as ModelSpec

let dataDir: string
const children: ChildProcess[] = []

/** child_process.fork that remembers the child, so a test can SIGKILL it. */
const forkAndKeep: ForkTrainer = (entry, args): TrainerChannel => {
  const child = fork(entry, args, { execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  return {
    send: (message) => void (child.connected && child.send(message as object)),
    on: ((event: 'message' | 'exit', cb: (...a: never[]) => void) => void child.on(event, cb as (...a: unknown[]) => void)),
    kill: () => void child.kill('SIGKILL')
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mw-engine-'))
  await new DatasetLibrary(dataDir).ensureBuiltin('blobs')
})

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

const longConfig = trainingConfigSchema.parse({
  loss: 'sparse_categorical_crossentropy',
  optimizer: { name: 'sgd', learning_rate: 0.05 },
  batch_size: 4,
  budget: { kind: 'epochs', epochs: 500 },
  validation: { kind: 'split', fraction: 0.2 },
  backend: 'wasm',
  seed: 3
})

describe('trainer process', () => {
  it('streams events, pauses, resumes and stops; saves the model; evaluates, predicts and reads weights', async () => {
    const runDir = join(dataDir, 'runs', 'run-a')
    const handle = startTraining({ runId: 'run-a', runDir, dataDir, datasetId: 'blobs', spec, config: longConfig })
    const events: ProgressEvent[] = []
    let ticks = 0
    const ticker = setInterval(() => ticks++, 10)
    let batchesWhilePaused = -1
    handle.onEvent((event) => {
      events.push(event)
      if (event.type === 'epoch' && event.epoch === 2) handle.pause()
      if (event.type === 'status' && event.status === 'paused') {
        const before = events.filter((e) => e.type === 'batch').length
        setTimeout(() => {
          batchesWhilePaused = events.filter((e) => e.type === 'batch').length - before
          handle.resume()
        }, 400)
      }
      if (event.type === 'epoch' && event.epoch === 4) handle.stop()
    })
    const ended = await handle.done
    clearInterval(ticker)
    expect(ended.status).toBe('stopped')
    expect(ended.best_epoch).toBeGreaterThanOrEqual(1)
    const started = events.find((e) => e.type === 'started')
    expect(started).toMatchObject({ type: 'started', backend: { name: 'wasm', forced: true } })
    expect(events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.status)).toEqual(['running', 'paused', 'running'])
    expect(batchesWhilePaused).toBe(0)
    const batch = events.find((e) => e.type === 'batch')
    expect(batch).toMatchObject({ type: 'batch', metrics: { loss: expect.any(Number), lr: 0.05 }, samples_per_s: expect.any(Number) })
    const epochs = events.filter((e) => e.type === 'epoch')
    expect(Object.keys(epochs[0].type === 'epoch' ? epochs[0].metrics : {}).sort()).toEqual(['acc', 'loss', 'lr', 'val_acc', 'val_loss'])
    // The parent's event loop kept running (10 ms ticker) while the child trained.
    expect(ticks).toBeGreaterThan(20)
    expect(existsSync(join(runDir, 'last', 'model.json'))).toBe(true)
    expect(existsSync(join(runDir, 'best', 'weights.bin'))).toBe(true)

    const evaluation = await evaluateRun({ runDir, dataDir, datasetId: 'blobs', spec, config: longConfig, split: 'test' })
    expect(evaluation.metrics.acc).toBeGreaterThan(0.9)
    expect(evaluation.confusion).toHaveLength(3)
    const total = evaluation.confusion!.flat().reduce((a, b) => a + b, 0)
    expect(total).toBe(evaluation.per_class!.reduce((a, c) => a + c.support, 0))

    const prediction = await predictRun({ runDir, spec, config: longConfig, inputs: [[-2, -2], [2, -2], [0, 2]] })
    expect(prediction.classes).toEqual([0, 1, 2])
    expect(prediction.probabilities[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)

    const weights = await readRunWeights({ runDir })
    expect(weights.map((w) => w.shape)).toEqual([[2, 16], [16], [16, 3], [3]])
    expect(weights[0].values).toHaveLength(32)
  })

  it('reports a SIGKILLed trainer as failed with the signal', async () => {
    const handle = startTraining({ runId: 'run-b', runDir: join(dataDir, 'runs', 'run-b'), dataDir, datasetId: 'blobs', spec, config: longConfig }, { fork: forkAndKeep })
    const child = children[children.length - 1]
    handle.onEvent((event) => {
      if (event.type === 'batch') child.kill('SIGKILL')
    })
    const ended = await handle.done
    expect(ended).toMatchObject({ status: 'failed', error: 'trainer process exited with signal SIGKILL' })
  })

  it('reports a configuration error as a failed run with a readable reason', async () => {
    const badSpec = { ...spec, layers: [{ class_name: 'Dense', config: { units: 5, activation: 'softmax' } }] } as ModelSpec
    const handle = startTraining({ runId: 'run-c', runDir: join(dataDir, 'runs', 'run-c'), dataDir, datasetId: 'blobs', spec: badSpec, config: longConfig })
    const ended = await handle.done
    expect(ended.status).toBe('failed')
    expect(ended.error).toMatch(/3 classes but the output layer has 5 units/)
  })

  it('a trainer exits when its parent dies (no orphan)', async () => {
    // An intermediate parent starts a run, prints the trainer's pid, and is SIGKILLed.
    const script = `
      const { startTraining } = require(${JSON.stringify(join(__dirname, '..', 'src/main/engine/supervisor.ts'))})
      const cp = require('node:child_process')
      const realFork = cp.fork
      const handle = startTraining(${JSON.stringify({ runId: 'run-d', runDir: join(dataDir, 'runs', 'run-d'), dataDir, datasetId: 'blobs', spec, config: longConfig })}, {
        fork: (entry, args) => {
          const child = realFork(entry, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
          process.send({ trainerPid: child.pid })
          return { send: (m) => child.send(m), on: (e, cb) => child.on(e, cb), kill: () => child.kill('SIGKILL') }
        }
      })
      handle.onEvent((e) => { if (e.type === 'batch') process.send({ training: true }) })
    `
    const scriptPath = join(dataDir, 'dying-parent.cjs')
    writeFileSync(scriptPath, script)
    const parent = fork(scriptPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.push(parent)
    const trainerPid = await new Promise<number>((resolve, reject) => {
      parent.on('exit', (code) => reject(new Error(`the intermediate parent exited early (code ${code})`)))
      let pid = 0
      parent.on('message', (m: { trainerPid?: number; training?: boolean }) => {
        if (m.trainerPid) pid = m.trainerPid
        if (m.training && pid) resolve(pid)
      })
    })
    parent.kill('SIGKILL')
    const alive = (): boolean => {
      try {
        process.kill(trainerPid, 0)
        return true
      } catch {
        return false
      }
    }
    const deadline = Date.now() + 10_000
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(alive()).toBe(false)
  })
})
