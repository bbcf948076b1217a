// Who owns something in the data folder (an active run, an import's temp folder): a process
// named by host, pid and start time. The start time tells a live owner from a new process that
// got the same pid (containers start their app as pid 1 every time); on Linux it is field 22
// of /proc/<pid>/stat, elsewhere it is unknown and only the pid is checked.
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

export interface ProcessOwner {
  host: string
  pid: number
  /** Process start time as the kernel counts it (clock ticks since boot), or null where unknown. */
  start: string | null
}

/** What a liveness check needs to know about processes; tests pass their own. */
export interface ProcessProbe {
  readonly self: ProcessOwner
  /** Whether a process with this pid exists and is not a zombie. */
  isAlive(pid: number): boolean
  /** The start time of a live process, or null where it cannot be read. */
  startTime(pid: number): string | null
}

interface ProcStat {
  state: string
  start: string
}

/** Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses, so count from the last ')'. */
function readProcStat(pid: number): ProcStat | null | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // ENOENT on Linux: no such process. No /proc at all (macOS, Windows): unknown.
    return code === 'ENOENT' && hasProc() ? null : undefined
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state); field 22 is fields[19].
  return { state: fields[0] ?? '?', start: fields[19] ?? '' }
}

let procChecked: boolean | null = null
function hasProc(): boolean {
  if (procChecked === null) {
    try {
      readFileSync('/proc/self/stat', 'utf8')
      procChecked = true
    } catch {
      procChecked = false
    }
  }
  return procChecked
}

/** Whether a process with this id exists (signal 0 tests without sending anything); zombies count as gone. */
export function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = readProcStat(pid)
  if (stat === null) return false
  // A killed child that its parent has not reaped yet still answers signal 0.
  return stat === undefined || (stat.state !== 'Z' && stat.state !== 'X')
}

export function processStartTime(pid: number): string | null {
  const stat = readProcStat(pid)
  return stat ? stat.start || null : null
}

let selfOwner: ProcessOwner | null = null
/** This process, as it records itself as an owner. */
export function currentProcessOwner(): ProcessOwner {
  if (selfOwner === null || selfOwner.pid !== process.pid) selfOwner = { host: hostname(), pid: process.pid, start: processStartTime(process.pid) }
  return selfOwner
}

export const systemProbe: ProcessProbe = {
  get self() {
    return currentProcessOwner()
  },
  isAlive: processIsAlive,
  startTime: processStartTime
}

export type OwnerState = 'alive' | 'dead' | 'unknown'

/**
 * Whether the recorded owner still runs: 'dead' when it is on this host and its pid is gone or
 * now belongs to a process started at another time; 'unknown' for an owner on another host
 * (only a heartbeat can tell then) or one recorded without a pid.
 */
export function ownerState(owner: { host: string | null; pid: number | null; start: string | null }, probe: ProcessProbe = systemProbe): OwnerState {
  if (owner.pid === null) return 'unknown'
  if (owner.host !== null && owner.host !== probe.self.host) return 'unknown'
  if (!probe.isAlive(owner.pid)) return 'dead'
  if (owner.start !== null) {
    const now = probe.startTime(owner.pid)
    if (now !== null && now !== owner.start) return 'dead'
  }
  return 'alive'
}

/** "process 1234 on host box" for messages. */
export function describeOwner(owner: { host: string | null; pid: number | null }): string {
  if (owner.pid === null) return 'an unknown process'
  return `process ${owner.pid}${owner.host ? ` on host ${owner.host}` : ''}`
}
