// The shape of the desktop bridge (what the preload exposes as `window.workbench`) and its IPC
// channel names. Kept free of zod at run time so that the sandboxed preload bundle imports
// nothing but `electron`: the method list below is a literal that the type checker holds equal
// to the contract's methods (a missing or extra key is a compile error).
import type { ContractError, EventName, EventPayload, MethodName, Request, Response } from './contract'

/** Every contract method, as a literal (the compiler checks it against `methods` in contract.ts). */
const bridgedMethods: Record<MethodName, true> = {
  'app.info': true,
  'datasets.list': true,
  'datasets.get': true,
  'datasets.samples': true,
  'datasets.previewCsv': true,
  'datasets.rows': true,
  'datasets.importCsv': true,
  'datasets.importIdx': true,
  'datasets.delete': true,
  'uploads.begin': true,
  'uploads.chunk': true,
  'uploads.finish': true,
  'examples.list': true,
  'models.list': true,
  'models.save': true,
  'models.import': true,
  'runs.start': true,
  'runs.stop': true,
  'runs.pause': true,
  'runs.resume': true,
  'runs.list': true,
  'runs.active': true,
  'runs.get': true,
  'runs.series': true,
  'runs.update': true,
  'runs.delete': true,
  'runs.evaluate': true,
  'runs.predict': true,
  'runs.setThreshold': true,
  'runs.weights': true,
  'runs.distributions': true,
  'runs.findLearningRate': true,
  'runs.export': true,
  'runs.gradientCheck': true,
  'sweeps.create': true,
  'sweeps.list': true,
  'sweeps.get': true,
  'sweeps.pause': true,
  'sweeps.resume': true,
  'sweeps.cancel': true,
  'sweeps.retry': true
}

const bridgedEvents: Record<EventName, true> = {
  'run.progress': true,
  'runs.changed': true,
  'sweeps.changed': true,
  'datasets.changed': true,
  'job.progress': true,
  'menu.command': true
}

export const BRIDGE_METHOD_NAMES = Object.freeze(Object.keys(bridgedMethods) as MethodName[])
export const BRIDGE_EVENT_NAMES = Object.freeze(Object.keys(bridgedEvents) as EventName[])

/** The one IPC channel that carries a method's requests (a fixed name per method, never caller-chosen). */
export function methodChannel(method: MethodName): string {
  return `workbench:call:${method}`
}

/** The IPC channel on which the main process pushes every contract event. */
export const EVENT_CHANNEL = 'workbench:event'

export function isBridgedMethod(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(bridgedMethods, name)
}

export function isBridgedEvent(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(bridgedEvents, name)
}

/**
 * A method's outcome as it crosses IPC. Errors travel as values because Electron keeps only the
 * message of a thrown Error, and the renderer needs the contract's error code.
 */
export type BridgeResult<M extends MethodName> = { ok: true; result: Response<M> } | { ok: false; error: ContractError }

/** An event as pushed on EVENT_CHANNEL. */
export interface BridgeEventMessage {
  event: EventName
  payload: unknown
}

/** What the preload exposes to the page as `window.workbench`. */
export type WorkbenchBridge = {
  readonly [M in MethodName]: (request: Request<M>) => Promise<BridgeResult<M>>
} & {
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) => () => void
}
