// Ctrl-C in a real terminal while `model-workbench train` runs: the terminal sends SIGINT to its
// whole foreground process group. The trainer runs in its own group (and ignores SIGINT), so only
// the command receives it: it asks the trainer to stop, and the run is recorded `stopped`, not
// `failed: trainer process exited with signal SIGINT`. Driven through a pseudo-terminal.
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../src/shared/examples'
import { trainingConfigSchema } from '../src/shared/training'
import type { ForkTrainer, TrainerChannel } from '../src/main/engine/supervisor'
import { createDispatcher } from '../src/main/services/dispatcher'
import { FORCE_STOP_AFTER_MS } from '../src/main/services/runs-service'
import { openWorkbench } from '../src/main/services/workbench'
import { WorkbenchStore } from '../src/main/store'

const root = join(__dirname, '..')
const python = '/usr/bin/python3'
const ptyDriver = join(root, 'test/fixtures/pty/ctrl-c.py')
const scratch = mkdtempSync(join(tmpdir(), 'mw-ctrl-c-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const havePty = existsSync(python) && (() => {
  try {
    execFileSync(python, ['-c', 'import pty'])
    return true
  } catch {
    return false
  }
})()
if (!havePty) console.warn(`ctrl-c.test: skipped: ${python} with the pty module is needed to drive a pseudo-terminal`)

describe.skipIf(!havePty)('Ctrl-C through a pseudo-terminal', () => {
  async function trainAndPress(name: string, presses: number, gapS: number): Promise<{ stdout: string; dataDir: string }> {
    const dataDir = join(scratch, name)
    // The sources (not a possibly stale build in out/): bin/model-workbench.cjs runs them through tsx.
    const { stdout } = await promisify(execFile)(
      python,
      [ptyDriver, 'samples/s', String(presses), String(gapS), '90', '--', process.execPath, join(root, 'bin/model-workbench.cjs'), 'train', 'S7', '--epochs', '1000000', '--data-dir', dataDir],
      { cwd: root, env: { ...process.env, MODEL_WORKBENCH_FROM_SOURCE: '1' }, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }
    )
    return { stdout, dataDir }
  }

  function recordedRun(dataDir: string) {
    const store = WorkbenchStore.open(join(dataDir, 'workbench.db'))
    try {
      const runs = store.listRuns()
      expect(runs).toHaveLength(1)
      return { detail: store.getRun(runs[0].id), metrics: store.countMetrics(runs[0].id) }
    } finally {
      store.close()
    }
  }

  it('one Ctrl-C while training: the run is recorded stopped (with its metrics), the command exits 0', async () => {
    const { stdout, dataDir } = await trainAndPress('once', 1, 1)
    const tail = stdout.slice(-2000)
    expect(stdout, tail).toMatch(/PRESSED 1\n/)
    expect(stdout, tail).toMatch(/stopping after this batch/)
    expect(stdout, tail).toMatch(/run run-\S+ stopped\r?\n/)
    expect(stdout, tail).not.toMatch(/SIGINT/)
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('EXIT 0')
    const { detail, metrics } = recordedRun(dataDir)
    expect(detail.status).toBe('stopped')
    expect(detail.error).toBeNull()
    expect(detail.ended_at).not.toBeNull()
    expect(metrics).toBeGreaterThan(0)
    expect(Object.keys(detail.final_metrics)).toContain('loss')
  })

  it('Ctrl-C twice in quick succession: still recorded stopped, never failed of SIGINT, and the command exits', async () => {
    const { stdout, dataDir } = await trainAndPress('twice', 2, 0.2)
    const tail = stdout.slice(-2000)
    expect(stdout, tail).toMatch(/PRESSED 2\n/)
    expect(stdout, tail).not.toMatch(/SIGINT/)
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('EXIT 0')
    const { detail } = recordedRun(dataDir)
    expect(detail.status).toBe('stopped')
  })
})

/** A trainer that starts and then ignores Stop (as one busy building a huge model would); killing it ends it. */
function deafTrainer(): { fork: ForkTrainer; kills: () => number; messages: string[] } {
  let kills = 0
  const messages: string[] = []
  const fork: ForkTrainer = () => {
    const listeners: { message: ((m: unknown) => void)[]; exit: ((code: number | null, signal: string | null) => void)[] } = { message: [], exit: [] }
    const channel: TrainerChannel = {
      send(raw) {
        const message = raw as { type: string; runId?: string }
        messages.push(message.type)
        if (message.type === 'start') {
          setTimeout(() => {
            for (const cb of listeners.message) cb({ type: 'started', run_id: message.runId, backend: { name: 'cpu', skipped: [], forced: true }, total_steps: 1e9, steps_per_epoch: 1, epochs: null, versions: {} })
          }, 10)
        }
      },
      on: ((event: 'message' | 'exit', cb: never) => void (listeners[event] as unknown[]).push(cb)),
      kill() {
        kills++
        setTimeout(() => {
          for (const cb of listeners.exit) cb(null, 'SIGKILL')
        }, 10)
      }
    }
    return channel
  }
  return { fork, kills: () => kills, messages }
}

describe('Stop twice', () => {
  it('a second Stop at least a second after the first kills a trainer that does not stop; the run is recorded stopped, saying it was forced; a double click is one Stop', async () => {
    const trainer = deafTrainer()
    const service = await openWorkbench({ dataDir: join(scratch, 'twice'), host: 'browser', fork: trainer.fork })
    const call = createDispatcher(service.handlers)
    try {
      const s7 = EXAMPLES.find((e) => e.id === 'S7')!
      const started = (await call('runs.start', { spec: s7.spec, config: trainingConfigSchema.parse(s7.config), dataset_id: 'linear-2x' })) as { ok: true; result: { run_id: string } }
      const runId = started.result.run_id
      const until = Date.now() + 5_000
      while (service.store.getRun(runId).status !== 'running' && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      expect(service.store.getRun(runId).status).toBe('running')
      expect(await call('runs.stop', { run_id: runId })).toMatchObject({ ok: true })
      expect(await call('runs.stop', { run_id: runId })).toMatchObject({ ok: true })
      await new Promise((r) => setTimeout(r, 200))
      // A double click: the trainer was asked twice, not killed.
      expect(trainer.kills()).toBe(0)
      expect(trainer.messages.filter((m) => m === 'stop')).toHaveLength(2)
      expect(service.store.getRun(runId).status).toBe('running')
      await new Promise((r) => setTimeout(r, FORCE_STOP_AFTER_MS))
      expect(await call('runs.stop', { run_id: runId })).toMatchObject({ ok: true })
      await service.waitForRun(runId)
      expect(trainer.kills()).toBe(1)
      const run = service.store.getRun(runId)
      expect(run.status).toBe('stopped')
      expect(run.error).toMatch(/Stopped by force \(Stop asked for twice\)/)
      expect(await call('runs.stop', { run_id: runId })).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(/not running anywhere: it has already ended as stopped/) } })
    } finally {
      await service.close()
    }
  })
})
