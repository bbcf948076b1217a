// The service end to end under plain Node: runs train in real child processes, the store records
// them, and crashes of a trainer or of the process that owns the database are survived.
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../src/shared/examples'
import type { ProgressEvent } from '../src/shared/run'
import type { TrainingConfigInput } from '../src/shared/training'
import { trainingConfigSchema } from '../src/shared/training'
import type { ForkTrainer } from '../src/main/engine/supervisor'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

const root = join(__dirname, '..')
const s7 = EXAMPLES.find((e) => e.id === 'S7')!
const s5 = EXAMPLES.find((e) => e.id === 'S5')!

function config(input: Partial<TrainingConfigInput> & Pick<TrainingConfigInput, 'loss'>) {
  return trainingConfigSchema.parse(input)
}

function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = check()
      if (value) return resolve(value)
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 50)
    }
    tick()
  })
}

describe('workbench service', () => {
  let dataDir: string
  let service: WorkbenchService
  let call: ReturnType<typeof createDispatcher>
  const children: ChildProcess[] = []
  const forkAndKeep: ForkTrainer = (entry, args) => {
    const { execArgv } = { execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [] }
    const child = fork(entry, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.push(child)
    return {
      send: (message) => child.send(message as object),
      on: (event: 'message' | 'exit', listener: (...args: never[]) => void) => {
        child.on(event, listener as (...args: unknown[]) => void)
      },
      kill: () => child.kill()
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-service-'))
    service = await openWorkbench({ dataDir, host: 'browser', fork: forkAndKeep })
    call = createDispatcher(service.handlers)
  })
  afterAll(async () => {
    await service?.close()
    for (const child of children) child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('trains a run in a child process and records backend, versions, status and metrics', async () => {
    const events: ProgressEvent[] = []
    const off = service.onEvent((event, payload) => {
      if (event === 'run.progress') events.push(payload as ProgressEvent)
    })
    const started = await call('runs.start', { spec: s7.spec, config: config({ ...s7.config, budget: { kind: 'epochs', epochs: 30 } }), dataset_id: 'linear-2x' })
    expect(started.ok).toBe(true)
    const runId = (started as { result: { run_id: string } }).result.run_id
    await service.waitForRun(runId)
    off()
    const detail = service.store.getRun(runId)
    expect(detail.status).toBe('finished')
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(detail.backend)
    // The better backends that could not load are named with a reason.
    if (detail.backend === 'wasm') expect(detail.backend_info?.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu'])
    for (const skipped of detail.backend_info?.skipped ?? []) expect(skipped.reason.length).toBeGreaterThan(10)
    expect(detail.versions.tfjs).toMatch(/^\d+\.\d+\.\d+/)
    expect(detail.dataset_fingerprint).toMatch(/^[a-f0-9]{64}$/)
    expect(events.some((e) => e.type === 'started')).toBe(true)
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(30)
    const series = service.store.series(runId, 1000)
    expect(series.loss?.value).toHaveLength(30)
    expect(series.loss.value.at(-1)!).toBeLessThan(series.loss.value[0])
    expect(detail.final_metrics.loss).toBeCloseTo(series.loss.value.at(-1)!, 6)
  })

  it('refuses an invalid model with the layer and field at fault, and a model whose input does not fit the data', async () => {
    const bad = structuredClone(s7.spec)
    ;(bad.layers[0].config as { units: number }).units = 0
    const refused = await call('runs.start', { spec: bad, config: s7.config, dataset_id: 'linear-2x' })
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad_input' } })
    expect((refused as { error: { message: string } }).error.message).toContain('layer 1 (Dense): units must be a positive integer, got 0')
    const mismatch = await call('runs.start', { spec: s7.spec, config: s7.config, dataset_id: 'mnist' })
    expect(mismatch).toMatchObject({ ok: false, error: { code: 'bad_input' } })
    expect((mismatch as { error: { message: string } }).error.message).toMatch(/expects inputs of shape \(1\).*\(784\)/)
    expect(service.store.listRuns().filter((r) => r.status !== 'finished')).toHaveLength(0)
  })

  it('records a trainer killed with SIGKILL as failed, with the reason, keeping the metrics flushed before', async () => {
    const before = children.length
    const { result } = (await call('runs.start', { spec: s5.spec, config: config({ ...s5.config, budget: { kind: 'epochs', epochs: 3 } }), dataset_id: 'mnist' })) as { result: { run_id: string } }
    const runId = result.run_id
    await waitFor(() => service.store.series(runId, 10)['batch/loss'], 90_000, 'batch metrics')
    const trainer = children[before]
    trainer.kill('SIGKILL')
    await service.waitForRun(runId)
    const detail = service.store.getRun(runId)
    expect(detail.status).toBe('failed')
    expect(detail.error).toMatch(/SIGKILL/)
    expect(service.store.series(runId, 10)['batch/loss'].value.length).toBeGreaterThan(0)
  })

  it('refuses to evaluate, predict or read weights of a run that saved no model, saying why', async () => {
    const run = service.store.createRun({ name: 'never trained', model_name: s7.spec.name, dataset: { id: 'linear-2x', name: 'y = 2x', fingerprint: 'f'.repeat(64) }, spec: s7.spec, config: config(s7.config) })
    for (const [method, request] of [['runs.evaluate', { run_id: run.id }], ['runs.predict', { run_id: run.id, inputs: [[1]] }], ['runs.weights', { run_id: run.id }]] as const) {
      const result = await call(method, request)
      expect(result, method).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect((result as { error: { message: string } }).error.message).toMatch(/"never trained" has no saved weights yet/)
    }
    service.store.finishRun(run.id, { status: 'failed', final_metrics: {}, best_metrics: {}, best_epoch: null, error: 'test run', diverged_at_step: null })
  })

  it('keeps a checkpoint of a run that crashes after its first epoch, so its weights can still be read', async () => {
    const before = children.length
    const { result } = (await call('runs.start', { spec: s7.spec, config: config({ ...s7.config, budget: { kind: 'epochs', epochs: 100_000 } }), dataset_id: 'linear-2x' })) as { result: { run_id: string } }
    await waitFor(() => service.store.series(result.run_id, 10).loss, 60_000, 'an epoch')
    await new Promise((resolve) => setTimeout(resolve, 300))
    children[before].kill('SIGKILL')
    await service.waitForRun(result.run_id)
    expect(service.store.getRun(result.run_id).status).toBe('failed')
    const weights = (await call('runs.weights', { run_id: result.run_id })) as { ok: true; result: { shape: number[] }[] }
    expect(weights.ok).toBe(true)
    expect(weights.result.map((w) => w.shape)).toEqual([[1, 3], [3], [3, 1], [1]])
  })

  it('imports an uploaded CSV and then discards the upload', async () => {
    const csv = Buffer.from('a,b,label\n' + Array.from({ length: 30 }, (_, i) => `${i},${i % 5},${i % 2}`).join('\n') + '\n')
    const begun = (await call('uploads.begin', { name: 'points.csv', size: csv.length })) as { ok: true; result: { file: string } }
    const { file } = begun.result
    expect(await call('uploads.chunk', { file, offset: 0, data_base64: csv.toString('base64') })).toMatchObject({ ok: true, result: { received: csv.length } })
    expect(await call('uploads.finish', { file })).toMatchObject({ ok: true })
    const imported = await call('datasets.importCsv', { file })
    expect(imported).toMatchObject({ ok: true, result: { task: 'binary', feature_shape: [2] } })
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual([])
    expect(await call('datasets.previewCsv', { file })).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('stops a run on request and records it as stopped; runs.active shows it with its progress until it ends', async () => {
    const { result } = (await call('runs.start', { spec: s5.spec, config: config({ ...s5.config, budget: { kind: 'epochs', epochs: 3 } }), dataset_id: 'mnist' })) as { result: { run_id: string } }
    await waitFor(() => service.store.getRun(result.run_id).status === 'running', 60_000, 'running')
    type Active = { ok: true; result: { run_id: string; status: string; stopping: boolean; step: number; total_steps: number | null; backend: { name: string } | null }[] }
    let live: Active['result'][number] | undefined
    for (const until = Date.now() + 60_000; !live && Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) {
      live = ((await call('runs.active', {})) as Active).result.find((r) => r.step > 0)
    }
    if (!live) throw new Error('timed out waiting for a batch event')
    expect(live).toMatchObject({ run_id: result.run_id, status: 'running', stopping: false })
    expect(live.total_steps).toBeGreaterThan(live.step)
    expect(live.backend?.name).toBeTruthy()
    // batch/loss holds every step's own loss: consecutive steps from 1
    const series = (await call('runs.series', { run_id: result.run_id, max_points: 100_000 })) as { ok: true; result: Record<string, { step: number[] }> }
    const steps = series.result['batch/loss'].step
    expect(steps.slice(0, 5)).toEqual([1, 2, 3, 4, 5].slice(0, Math.min(5, steps.length)))
    expect(steps.every((step, i) => step === i + 1)).toBe(true)
    expect(await call('runs.stop', { run_id: result.run_id })).toEqual({ ok: true, result: { ok: true } })
    expect(((await call('runs.active', {})) as Active).result.find((r) => r.run_id === result.run_id)?.stopping).toBe(true)
    await service.waitForRun(result.run_id)
    expect(service.store.getRun(result.run_id).status).toBe('stopped')
    expect(((await call('runs.active', {})) as Active).result).toEqual([])
  })
})

describe('a killed database owner', () => {
  it('leaves an intact database, the run interrupted, its flushed metrics kept, and new runs working', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mw-owner-'))
    try {
      const cli = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/main.ts'), 'train', 'S5', '--epochs', '3', '--data-dir', dataDir, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      cli.stdout.on('data', (chunk) => (output += String(chunk)))
      cli.stderr.on('data', (chunk) => (output += String(chunk)))
      const dbPath = join(dataDir, 'workbench.db')
      const flushed = await waitFor(
        () => {
          try {
            const db = new Database(dbPath, { readonly: true, fileMustExist: true })
            try {
              const row = db.prepare("SELECT COUNT(*) AS n FROM metrics WHERE name = 'batch/loss'").get() as { n: number }
              return row.n >= 3 ? row.n : undefined
            } finally {
              db.close()
            }
          } catch {
            return undefined
          }
        },
        120_000,
        `metrics from the CLI (output so far: ${output.slice(-300)})`
      )
      cli.kill('SIGKILL')
      await new Promise((resolve) => cli.once('exit', resolve))

      const db = new Database(join(dataDir, 'workbench.db'))
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      db.close()
      const service = await openWorkbench({ dataDir, host: 'browser' })
      try {
        const [run] = service.store.listRuns()
        expect(run?.status).toBe('interrupted')
        expect(service.store.series(run.id, 100_000)['batch/loss'].value.length).toBeGreaterThanOrEqual(flushed)
        const call = createDispatcher(service.handlers)
        const next = (await call('runs.start', { spec: s7.spec, config: config({ ...s7.config, budget: { kind: 'epochs', epochs: 5 } }), dataset_id: 'linear-2x' })) as { ok: true; result: { run_id: string } }
        await service.waitForRun(next.result.run_id)
        expect(service.store.getRun(next.result.run_id).status).toBe('finished')
      } finally {
        await service.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
