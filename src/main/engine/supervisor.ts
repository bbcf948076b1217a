// The parent side of training: starts one trainer process per run (and a short-lived one per
// evaluate / predict / weights request), relays its events and turns a trainer that dies
// without saying goodbye into a `failed` run with the reason. Never blocks the event loop.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Evaluation } from '../../shared/contract'
import type { ProgressEvent } from '../../shared/run'
import { TypedError } from '../../shared/errors'
import type { EndedEvent } from './training-loop'
import type { LayerWeight, Prediction } from './run-analysis'
import type { ExportJob, ExportJobResult } from '../export/job'
import type { LrFinderJob } from './insights-jobs'
import type { LrFinderResult } from './lr-finder'
export type { ExportJob, ExportJobResult } from '../export/job'
import type { EvaluateJob, FromTrainer, GradientCheckJob, MaterialiseJob, PredictJob, ToTrainer, TrainingJob, WeightsJob } from './trainer-protocol'
import type { GradientCheckResult } from './gradient-check'

export type { EndedEvent } from './training-loop'
export type { TrainingJob, EvaluateJob, PredictJob, WeightsJob } from './trainer-protocol'
export type { LayerWeight, Prediction } from './run-analysis'

export interface TrainerChannel {
  send(msg: unknown): void
  on(event: 'message', cb: (m: unknown) => void): void
  on(event: 'exit', cb: (code: number | null, signal: string | null) => void): void
  kill(): void
}

/** Starts a trainer; the default is child_process.fork, the Electron host passes a utilityProcess adapter. */
export type ForkTrainer = (entry: string, args: string[]) => TrainerChannel

export interface TrainingHandle {
  runId: string
  onEvent(cb: (e: ProgressEvent) => void): () => void
  stop(): void
  /** Kills the trainer at once (a second Stop, a second Ctrl-C); the run ends `stopped` with `reason` as its error. */
  kill(reason: string): void
  pause(): void
  resume(): void
  /** The trainer's 'ended' event; a trainer that dies without one resolves as `failed`. */
  done: Promise<EndedEvent>
}

export interface SupervisorOptions {
  fork?: ForkTrainer
}

/**
 * The trainer's entry file: out/main/trainer.js when running built (the package is CommonJS,
 * so __dirname is the folder of the bundle or of its shared chunk, out/main/chunks), else the
 * TypeScript source run through tsx (sources under tsx or vitest).
 */
export function trainerEntry(): { path: string; execArgv: string[] } {
  for (const folder of [__dirname, dirname(__dirname)]) {
    const built = join(folder, 'trainer.js')
    if (existsSync(built)) return { path: built, execArgv: [] }
  }
  return { path: join(__dirname, 'trainer-process.ts'), execArgv: ['--import', 'tsx'] }
}

/**
 * A Node child in its own process group (`detached`), so that Ctrl-C in a terminal, which
 * signals the whole foreground group, reaches only the owner: the owner then stops the trainer
 * cleanly and records `stopped`. The trainer still ends with its owner: it exits when the IPC
 * channel disconnects, which happens however the owner dies.
 */
export const forkWithNode: ForkTrainer = (entry, args) => {
  const child = fork(entry, args, {
    execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true
  })
  return {
    send: (message) => {
      if (child.connected) child.send(message as object)
    },
    on: ((event: 'message' | 'exit', cb: (...args: never[]) => void) => {
      child.on(event, cb as (...args: unknown[]) => void)
    }),
    kill: () => {
      child.kill('SIGKILL')
    }
  }
}

function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `trainer process exited with signal ${signal}`
  return `trainer process exited with code ${code} before reporting an end`
}

/** Exit can overtake the last IPC message; wait this long before calling a silent exit a crash. */
const EXIT_GRACE_MS = 200

export function startTraining(job: TrainingJob, opts: SupervisorOptions = {}): TrainingHandle {
  const entry = trainerEntry()
  const channel = (opts.fork ?? forkWithNode)(entry.path, [])
  const listeners = new Set<(e: ProgressEvent) => void>()
  let ended: EndedEvent | null = null
  let killedBecause: string | null = null
  let resolveDone: (e: EndedEvent) => void = () => {}
  const done = new Promise<EndedEvent>((resolve) => (resolveDone = resolve))

  const deliver = (event: ProgressEvent): void => {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch {
        // one broken listener must not stop the others or the run
      }
    }
  }
  const finish = (event: EndedEvent): void => {
    if (ended) return
    ended = event
    deliver(event)
    resolveDone(event)
  }

  channel.on('message', (raw) => {
    const message = raw as FromTrainer
    if (!message || typeof message !== 'object') return
    if (message.type === 'ended') finish(message)
    else if (message.type === 'started' || message.type === 'batch' || message.type === 'epoch' || message.type === 'status') deliver(message)
  })
  channel.on('exit', (code, signal) => {
    setTimeout(() => {
      if (killedBecause !== null) finish({ type: 'ended', run_id: job.runId, status: 'stopped', final_metrics: {}, best_metrics: {}, best_epoch: null, error: killedBecause, diverged_at_step: null })
      else finish({ type: 'ended', run_id: job.runId, status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: describeExit(code, signal), diverged_at_step: null })
    }, EXIT_GRACE_MS)
  })
  const send = (message: ToTrainer): void => {
    if (!ended) channel.send(message)
  }
  send({ type: 'start', ...job })

  return {
    runId: job.runId,
    onEvent(cb) {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    stop: () => send({ type: 'stop' }),
    kill: (reason) => {
      if (ended || killedBecause !== null) return
      killedBecause = reason
      channel.kill()
    },
    pause: () => send({ type: 'pause' }),
    resume: () => send({ type: 'resume' }),
    done
  }
}

/** One request to a short-lived trainer process: its result, or its error as a thrown Error. */
function request<T>(message: ToTrainer, opts: SupervisorOptions, onProgress?: (done: number, total: number) => void): Promise<T> {
  const entry = trainerEntry()
  const channel = (opts.fork ?? forkWithNode)(entry.path, [])
  return new Promise<T>((resolve, reject) => {
    let settled = false
    channel.on('message', (raw) => {
      const reply = raw as FromTrainer
      if (settled || !reply || typeof reply !== 'object') return
      if (reply.type === 'job_progress') {
        onProgress?.(reply.done, reply.total)
      } else if (reply.type === 'result') {
        settled = true
        resolve(reply.result as T)
      } else if (reply.type === 'error') {
        settled = true
        // A failure raised on purpose comes back typed (code, reason, details); anything else as a plain Error.
        reject(reply.code ? new TypedError(reply.code, reply.message, { ...(reply.reason ? { reason: reply.reason } : {}), ...(reply.details ? { details: reply.details } : {}) }) : new Error(reply.message))
      }
    })
    channel.on('exit', (code, signal) => {
      setTimeout(() => {
        if (settled) return
        settled = true
        reject(new Error(describeExit(code, signal)))
      }, EXIT_GRACE_MS)
    })
    channel.send(message)
  })
}

export function evaluateRun(job: EvaluateJob, opts: SupervisorOptions = {}): Promise<Evaluation> {
  return request<Evaluation>({ type: 'evaluate', ...job }, opts)
}

export function predictRun(job: PredictJob, opts: SupervisorOptions = {}): Promise<Prediction> {
  return request<Prediction>({ type: 'predict', ...job }, opts)
}

export function exportRunJob(job: ExportJob, opts: SupervisorOptions = {}): Promise<ExportJobResult> {
  return request<ExportJobResult>({ type: 'export', ...job }, opts)
}

/** Saves a spec with explicit weights as a model folder (an imported model becoming a run). */
export function materialiseModel(job: MaterialiseJob, opts: SupervisorOptions = {}): Promise<{ folder: string }> {
  return request<{ folder: string }>({ type: 'materialise', ...job }, opts)
}

export function readRunWeights(job: WeightsJob, opts: SupervisorOptions = {}): Promise<LayerWeight[]> {
  return request<LayerWeight[]>({ type: 'weights', ...job }, opts)
}

/** The gradient check in a short-lived trainer; `onProgress` hears every weight compared (done of total). */
export function gradientCheckRun(job: GradientCheckJob, opts: SupervisorOptions = {}, onProgress?: (done: number, total: number) => void): Promise<GradientCheckResult & { rows: number[] }> {
  return request<GradientCheckResult & { rows: number[] }>({ type: 'gradient_check', ...job }, opts, onProgress)
}

/** The learning-rate finder in a short-lived trainer; `onProgress` hears the steps done of the steps planned. */
export function findLearningRateJob(job: LrFinderJob, opts: SupervisorOptions = {}, onProgress?: (done: number, total: number) => void): Promise<LrFinderResult> {
  return request<LrFinderResult>({ type: 'lr_finder', ...job }, opts, onProgress)
}
