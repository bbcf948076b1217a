// The desktop app's scripted self-test (MODEL_WORKBENCH_SMOKE=1, run by `npm run test:electron`):
// everything goes through the real window, the real preload bridge and real IPC, as a user's
// clicks would. It waits for the window and `window.workbench`, calls app.info and datasets.list,
// trains example S7 to `finished` in a utility process, checks the run as the store reports it,
// opens Evaluate, starts another run and quits while it is running. The outside script then
// reopens the store and checks that the second run ended `stopped` or `interrupted`.
// Each step is appended to the report file as a JSON line; the last line is `quitting` or `failed`.
import { appendFileSync } from 'node:fs'
import { BRIDGE_METHOD_NAMES } from '../../shared/bridge'

/** The parts of a BrowserWindow the self-test uses (a structural type, so no `electron` import here). */
export interface SmokeWindow {
  isDestroyed(): boolean
  webContents: {
    isLoading(): boolean
    once(event: 'did-finish-load', listener: () => void): unknown
    executeJavaScript(code: string): Promise<unknown>
  }
}

export interface SmokeOptions {
  window: SmokeWindow
  dataDir: string
  reportFile: string | null
  /** Sends a desktop menu command to the page, as the native menu does. */
  menuCommand(command: 'view-evaluate'): void
  /** Quits the app the normal way (before-quit stops the trainers and closes the store). */
  quit(): void
  /** Ends the app at once with a failure. */
  fail(): void
  /** Run timeouts; the defaults fit a slow CI machine. */
  timeouts?: { trainMs?: number; stepMs?: number }
}

type Dispatched<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } }

interface RunView {
  id: string
  status: string
  backend?: string | null
  final_metrics?: Record<string, number>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function runSmokeTest(options: SmokeOptions): Promise<void> {
  const { window, reportFile } = options
  const trainMs = options.timeouts?.trainMs ?? 240_000
  const stepMs = options.timeouts?.stepMs ?? 30_000
  const record = (step: string, detail: Record<string, unknown> = {}): void => {
    const line = JSON.stringify({ step, time: new Date().toISOString(), ...detail })
    console.log(`[smoke] ${line}`)
    if (reportFile) appendFileSync(reportFile, line + '\n')
  }
  const page = (code: string): Promise<unknown> => window.webContents.executeJavaScript(code)
  /** One contract call from the page, through window.workbench → ipcRenderer.invoke → ipcMain. */
  const call = async <T>(method: string, request: unknown): Promise<T> => {
    const reply = (await page(`window.workbench[${JSON.stringify(method)}](${JSON.stringify(request)})`)) as Dispatched<T>
    if (!reply || typeof reply !== 'object') throw new Error(`${method}: the bridge answered ${JSON.stringify(reply)}`)
    if (!reply.ok) throw new Error(`${method}: ${reply.error.code}: ${reply.error.message}`)
    return reply.result
  }
  const waitFor = async <T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> => {
    const deadline = Date.now() + ms
    let last: unknown = null
    for (;;) {
      try {
        const value = await probe()
        if (value) return value
      } catch (error) {
        last = error
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`)
      await sleep(250)
    }
  }

  try {
    if (window.webContents.isLoading()) await new Promise<void>((resolve) => window.webContents.once('did-finish-load', resolve))
    const location = await page('location.href')
    const bridgeKeys = await waitFor('window.workbench', stepMs, async () => (await page('window.workbench && Object.keys(window.workbench).sort()')) as string[] | null)
    const expectedKeys = ['on', ...BRIDGE_METHOD_NAMES].sort()
    if (JSON.stringify(bridgeKeys) !== JSON.stringify(expectedKeys)) throw new Error(`the bridge exposes ${bridgeKeys.join(', ')}; expected ${expectedKeys.join(', ')}`)
    const leaks = await page('[typeof require, typeof process, typeof window.ipcRenderer, typeof window.electron]')
    if (JSON.stringify(leaks) !== JSON.stringify(['undefined', 'undefined', 'undefined', 'undefined'])) throw new Error(`Node or Electron leaks into the page: ${JSON.stringify(leaks)}`)
    record('window', { location, bridge_methods: bridgeKeys.length })

    const info = await call<{ host: string; data_dir: string; version: string; backends: { name: string; available: boolean }[] }>('app.info', {})
    if (info.host !== 'electron') throw new Error(`app.info says host ${info.host}`)
    record('app.info', { host: info.host, data_dir: info.data_dir, version: info.version, backends: info.backends.filter((b) => b.available).map((b) => b.name) })

    const datasets = await call<{ id: string }[]>('datasets.list', {})
    if (!Array.isArray(datasets)) throw new Error('datasets.list did not answer a list')
    record('datasets.list', { count: datasets.length, ids: datasets.map((d) => d.id) })

    const examples = await call<{ id: string; spec: unknown; config: { budget?: Record<string, unknown> } & Record<string, unknown>; dataset_id: string }[]>('examples.list', {})
    const s7 = examples.find((example) => example.id === 'S7')
    if (!s7) throw new Error(`examples.list has no S7 (got ${examples.map((e) => e.id).join(', ')})`)
    const { run_id: firstRun } = await call<{ run_id: string }>('runs.start', { name: 'smoke S7', spec: s7.spec, config: s7.config, dataset_id: s7.dataset_id })
    record('runs.start', { run_id: firstRun })
    const finished = await waitFor(`run ${firstRun} to end`, trainMs, async () => {
      const run = await call<RunView>('runs.get', { run_id: firstRun })
      return ['queued', 'running', 'paused'].includes(run.status) ? null : run
    })
    if (finished.status !== 'finished') throw new Error(`run ${firstRun} ended ${finished.status}: ${JSON.stringify(finished)}`)
    const listed = await call<RunView[]>('runs.list', {})
    const inList = listed.find((run) => run.id === firstRun)
    if (!inList || inList.status !== 'finished') throw new Error(`runs.list shows run ${firstRun} as ${inList?.status ?? 'missing'}`)
    const series = await call<Record<string, { step: number[] }>>('runs.series', { run_id: firstRun, max_points: 100 })
    if (!series.loss?.step.length) throw new Error(`run ${firstRun} has no stored loss series (got ${Object.keys(series).join(', ') || 'none'})`)
    record('trained', { run_id: firstRun, status: finished.status, backend: finished.backend ?? null, final_metrics: finished.final_metrics ?? null, series: Object.keys(series).sort(), loss_points: series.loss.step.length })

    options.menuCommand('view-evaluate')
    await waitFor('the Evaluate view', stepMs, async () => page(`Boolean(document.querySelector('[data-testid="evaluate-run"]'))`))
    const options_ = await waitFor<string[]>('the finished run in Evaluate', stepMs, async () => {
      const values = (await page(`Array.from(document.querySelectorAll('[data-testid="evaluate-run"] option')).map((o) => o.value)`)) as string[]
      return values.includes(firstRun) ? values : null
    })
    const evaluation = await call<{ metrics: Record<string, number> }>('runs.evaluate', { run_id: firstRun, split: 'test' })
    record('evaluate', { runs_offered: options_.length, metrics: evaluation.metrics })

    const longConfig = { ...s7.config, budget: { kind: 'epochs', epochs: 100_000 } }
    const { run_id: secondRun } = await call<{ run_id: string }>('runs.start', { name: 'smoke S7 quit mid-run', spec: s7.spec, config: longConfig, dataset_id: s7.dataset_id })
    await waitFor(`run ${secondRun} to be running`, stepMs * 2, async () => (await call<RunView>('runs.get', { run_id: secondRun })).status === 'running')
    await sleep(1000)
    record('quitting', { run_id: secondRun, finished_run: firstRun })
    options.quit()
  } catch (error) {
    record('failed', { error: error instanceof Error ? error.message : String(error) })
    options.fail()
  }
}
