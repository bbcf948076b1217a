// End-to-end harness: starts the browser host (`model-workbench serve`) as a child process on a
// fresh data folder and a free loopback port, opens Debian's Chromium through playwright-core,
// and tears both down. The server lives in its own process so that training and database work
// never stall the test process that drives the browser.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { PAGE_PROBE_SCRIPT } from './page-probes'

export const REPO_ROOT = resolve(__dirname, '..', '..')
export const RESULTS_DIR = join(REPO_ROOT, 'test-results', 'e2e')
export const CHROMIUM_PATH = process.env.MODEL_WORKBENCH_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface ServedWorkbench {
  /** The tokenized URL the server printed. */
  url: string
  /** The same URL without its token (query and fragment removed). */
  bareUrl: string
  port: number
  dataDir: string
  /** Everything the server wrote to stderr so far, for failure messages. */
  log(): string
  close(): Promise<void>
}

/** Fails with a readable message when the views have not been built (the e2e tests serve out/renderer). */
export function requireBuiltRenderer(): void {
  const index = join(REPO_ROOT, 'out', 'renderer', 'index.html')
  if (!existsSync(index)) throw new Error(`${index} is missing: the end-to-end tests serve the built views; run \`npm run build\` first.`)
}

export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: install Debian's Chromium (\`apt-get install -y chromium\`) or set MODEL_WORKBENCH_CHROMIUM.`)
}

/** A fresh, empty data folder under the system temp folder. */
export function freshDataDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `mw-e2e-${label}-`))
}

export interface ServeOptions {
  /** An existing data folder to serve (it is removed on close only when `keepDataDir` is false). */
  dataDir?: string
  keepDataDir?: boolean
  label?: string
  startTimeoutMs?: number
}

/** Starts `model-workbench serve --port 0 --json` and resolves once it printed its URL. */
export async function serveWorkbench(options: ServeOptions = {}): Promise<ServedWorkbench> {
  const dataDir = options.dataDir ?? freshDataDir(options.label ?? 'serve')
  const removeDataDir = !options.keepDataDir
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'model-workbench.cjs'), 'serve', '--data-dir', dataDir, '--port', '0', '--json'], {
    cwd: REPO_ROOT,
    // Its own process group, so that teardown also reaches the trainers the server forked.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' }
  })
  let stderr = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000)
  })
  // Quoted line by line: vitest would otherwise read the server's stack frames as the test's own.
  const log = () =>
    stderr
      .slice(-6_000)
      .split('\n')
      .map((line) => `  | ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`)
      .join('\n')
  const close = async () => {
    await stopProcessGroup(child)
    if (removeDataDir) rmSync(dataDir, { recursive: true, force: true })
  }

  try {
    const line = await firstStdoutLine(child, options.startTimeoutMs ?? 60_000, log)
    let printed: { url?: unknown; port?: unknown }
    try {
      printed = JSON.parse(line) as { url?: unknown; port?: unknown }
    } catch {
      throw new Error(`serve --json printed ${JSON.stringify(line)}, not a JSON line with url and port`)
    }
    if (typeof printed.url !== 'string' || typeof printed.port !== 'number') throw new Error(`serve --json printed ${line}; expected {url, port, data_dir}`)
    const bare = new URL(printed.url)
    bare.search = ''
    bare.hash = ''
    return { url: printed.url, bareUrl: bare.toString(), port: printed.port, dataDir, log, close }
  } catch (error) {
    await close()
    throw error
  }
}

function firstStdoutLine(child: ChildProcess, timeoutMs: number, log: () => string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => fail(new Error(`the server printed no URL within ${timeoutMs} ms; its stderr:\n${log()}`)), timeoutMs)
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`the server exited (code ${code}, signal ${signal}) before printing its URL; its stderr:\n${log()}`))
    function fail(error: Error) {
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.close()
      reject(error)
    }
    child.once('exit', onExit)
    lines.on('line', (line) => {
      if (line.trim() === '') return
      clearTimeout(timer)
      child.off('exit', onExit)
      // Keep draining stdout so the server never blocks on a full pipe.
      lines.removeAllListeners('line')
      resolveLine(line.trim())
    })
  })
}

/** SIGTERM (the server closes its runs and database), then SIGKILL to the whole group after 5 s. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid
  if (pid === undefined) return
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()))
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    // already gone
  }
  const inTime = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
  try {
    // Trainers forked by the server share its group; make sure none outlives the test.
    process.kill(-pid, 'SIGKILL')
  } catch {
    // the group is empty
  }
  if (!inTime) await Promise.race([exited, sleep(2_000)])
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export interface BrowserSession {
  browser: Browser
  context: BrowserContext
  page: Page
  /** Saves a full-page screenshot to test-results/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>
  close(): Promise<void>
}

/** Launches Chromium headless with a fresh context (page probes installed) and one 1440x900 page. */
export async function openBrowser(options: { initScripts?: string[] } = {}): Promise<BrowserSession> {
  requireChromium()
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    for (const script of [PAGE_PROBE_SCRIPT, ...(options.initScripts ?? [])]) await context.addInitScript(script)
    const page = await context.newPage()
    mkdirSync(RESULTS_DIR, { recursive: true })
    return {
      browser,
      context,
      page,
      async screenshot(name) {
        const path = join(RESULTS_DIR, `${name}.png`)
        await page.screenshot({ path, fullPage: true })
        return path
      },
      async close() {
        await context.close().catch(() => undefined)
        await browser.close()
      }
    }
  } catch (error) {
    await browser.close()
    throw error
  }
}

/** Collects page errors and console errors, so a failing test can say what the page reported. */
export function recordPageProblems(page: Page): () => string[] {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`)
  })
  return () => problems
}
