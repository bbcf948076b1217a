#!/usr/bin/env node
// `npm run test:electron`: the real desktop app, end to end. Where Electron's binary and a display
// (or xvfb-run) exist, it starts the app on a temporary data folder with MODEL_WORKBENCH_SMOKE=1:
// the main process then drives its own window (src/main/electron/smoke.ts) — window and preload
// bridge, app.info and datasets.list through real IPC, example S7 trained to `finished` in a
// utility process, the run in the store, Evaluate opened, a second run started and the app quit
// mid-run. This script then reopens the store and checks that the second run ended `interrupted`
// or `stopped`, never `running`. Where Electron cannot run it says why and exits 2.
// Not part of `npm test` (vitest only collects *.test.ts).
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { installedElectron, electronPackageDir, displayMissing } = require('../../bin/start.cjs')

const root = path.join(__dirname, '..', '..')
const TIMEOUT_MS = Number(process.env.MODEL_WORKBENCH_SMOKE_TIMEOUT_MS || 8 * 60_000)
const REQUIRED_STEPS = ['window', 'app.info', 'datasets.list', 'runs.start', 'trained', 'evaluate', 'quitting']

function cannotRun(reason) {
  console.error(`npm run test:electron cannot run here: ${reason}.`)
  process.exit(2)
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

function buildIfNeeded() {
  const built = ['out/main/index.js', 'out/main/trainer.js', 'out/preload/index.js', 'out/renderer/index.html'].every((file) => fs.existsSync(path.join(root, file)))
  if (built && process.env.MODEL_WORKBENCH_SKIP_BUILD === '1') return
  console.log('Building: npx electron-vite build')
  const result = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) {
    console.error('The build failed (see above).')
    process.exit(1)
  }
}

function readReport(file) {
  if (!fs.existsSync(file)) return []
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

function checkStore(dataDir, report) {
  const Database = require('better-sqlite3')
  const db = new Database(path.join(dataDir, 'workbench.db'), { readonly: true, fileMustExist: true })
  try {
    const runs = db.prepare('SELECT id, name, status, error FROM runs ORDER BY created_at').all()
    console.log('Runs in the store after quitting:')
    for (const run of runs) console.log(`  ${run.id}  ${run.status.padEnd(11)} ${run.name}${run.error ? `  (${run.error})` : ''}`)
    const trained = report.find((step) => step.step === 'trained')
    const quitting = report.find((step) => step.step === 'quitting')
    const first = runs.find((run) => run.id === trained.run_id)
    const second = runs.find((run) => run.id === quitting.run_id)
    const problems = []
    if (!first || first.status !== 'finished') problems.push(`the trained run ${trained.run_id} is ${first ? first.status : 'missing'} in the store, not finished`)
    if (!second) problems.push(`the run quit mid-way (${quitting.run_id}) is missing from the store`)
    else if (!['interrupted', 'stopped'].includes(second.status)) problems.push(`the run quit mid-way (${second.id}) is ${second.status}; it must be interrupted or stopped`)
    return problems
  } finally {
    db.close()
  }
}

async function main() {
  const packageDir = electronPackageDir()
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) cannotRun('the electron package is not installed (run npm ci)')
  const executable = installedElectron(packageDir)
  if (!executable) cannotRun("Electron's binary is not downloaded (node_modules/electron/path.txt is missing); run `npx install-electron` or `npm start` once on a machine that can reach github.com (or set ELECTRON_MIRROR)")
  let command = executable
  let prefix = []
  const noDisplay = displayMissing()
  if (noDisplay) {
    if (!hasCommand('xvfb-run')) cannotRun(`${noDisplay} and xvfb-run is not installed (apt-get install -y xvfb)`)
    command = 'xvfb-run'
    prefix = ['-a', '-s', '-screen 0 1440x900x24', executable]
  }
  buildIfNeeded()

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-electron-smoke-'))
  const dataDir = path.join(scratch, 'data')
  const reportFile = path.join(scratch, 'report.jsonl')
  const env = { ...process.env, MODEL_WORKBENCH_SMOKE: '1', MODEL_WORKBENCH_SMOKE_REPORT: reportFile, ELECTRON_ENABLE_LOGGING: '1' }
  delete env.ELECTRON_RUN_AS_NODE
  delete env.ELECTRON_RENDERER_URL
  // Chromium's own sandbox refuses to start as root (containers, CI); the page's sandbox option stays on.
  const chromiumFlags = typeof process.getuid === 'function' && process.getuid() === 0 ? ['--no-sandbox'] : []
  const args = [...prefix, root, `--data-dir=${dataDir}`, ...chromiumFlags]
  console.log(`Starting ${[command, ...args].join(' ')}`)
  const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' })
  const timer = setTimeout(() => {
    console.error(`The app did not finish its self-test within ${TIMEOUT_MS / 1000} s; killing it.`)
    child.kill('SIGKILL')
  }, TIMEOUT_MS)
  const { code, signal } = await new Promise((resolve) => child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal })))
  clearTimeout(timer)

  const report = readReport(reportFile)
  const problems = []
  const failed = report.find((step) => step.step === 'failed')
  if (failed) problems.push(`the self-test failed: ${failed.error}`)
  const missing = REQUIRED_STEPS.filter((step) => !report.some((line) => line.step === step))
  if (missing.length && !failed) problems.push(`the self-test did not reach: ${missing.join(', ')}`)
  if (code !== 0) problems.push(`Electron exited with ${signal ?? `code ${code}`}`)
  if (!missing.length && fs.existsSync(path.join(dataDir, 'workbench.db'))) problems.push(...checkStore(dataDir, report))

  fs.rmSync(scratch, { recursive: true, force: true })
  if (problems.length) {
    console.error(`npm run test:electron FAILED:\n  ${problems.join('\n  ')}`)
    process.exit(1)
  }
  console.log(`npm run test:electron passed: ${REQUIRED_STEPS.join(' → ')}, and the run quit mid-way is not left running.`)
}

main().catch((error) => {
  console.error(error.stack ?? error)
  process.exit(1)
})
