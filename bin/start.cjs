#!/usr/bin/env node
// `npm start`: builds when out/ is missing or older than src/, then opens the desktop app. Electron
// 45 downloads its binary on first use, so when node_modules/electron/path.txt is missing this runs
// Electron's own download (node_modules/electron/install.js, progress shown) and then starts the
// app. Only where Electron really cannot start (no display, or the download failed) does it say why
// in one line and serve the same workbench in the browser host instead (`--browser` asks for that
// outright). Passes --data-dir, --port, --host through.
//
// For tests: MODEL_WORKBENCH_ELECTRON_PACKAGE names another electron package folder (path.txt,
// dist/), and MODEL_WORKBENCH_ELECTRON_INSTALL another download script (run with this Node, cwd
// the package folder), so the three paths (binary there, download works, download fails) can run
// without a network.
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const BUILT_FILES = ['out/main/index.js', 'out/main/cli.js', 'out/main/trainer.js', 'out/preload/index.js', 'out/renderer/index.html'].map((file) => path.join(root, file))
const PASSED_OPTIONS = ['--data-dir', '--port', '--host']

/** --data-dir/--port/--host (as `--x v` or `--x=v`); anything else is refused so typos do not pass silently. */
function parseArguments(argv) {
  const passed = []
  let browser = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--browser') {
      browser = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (!PASSED_OPTIONS.includes(name)) {
      throw new Error(`unknown option ${arg}; npm start accepts ${[...PASSED_OPTIONS, '--browser'].join(', ')} (e.g. npm start -- --port 8080)`)
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || value === '') throw new Error(`${name} needs a value`)
    passed.push(name, value)
  }
  return { passed, browser }
}

function newestMtime(dir) {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full))
    else if (!/\.test\.ts$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

function buildIsStale() {
  if (!BUILT_FILES.every((file) => fs.existsSync(file))) return 'out/ is incomplete'
  const oldestBuilt = Math.min(...BUILT_FILES.map((file) => fs.statSync(file).mtimeMs))
  const sources = [path.join(root, 'src'), ...['electron.vite.config.ts', 'package.json'].map((f) => path.join(root, f))]
  const newestSource = Math.max(...sources.filter((p) => fs.existsSync(p)).map((p) => (fs.statSync(p).isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs)))
  return newestSource > oldestBuilt ? 'src/ changed since the last build' : null
}

function build() {
  const reason = buildIsStale()
  if (!reason) return
  // Tests of this script run beside others that read out/; they must not rebuild it under them.
  if (process.env.MODEL_WORKBENCH_SKIP_BUILD === '1' && BUILT_FILES.every((file) => fs.existsSync(file))) return
  console.log(`Building (${reason}): npx electron-vite build`)
  const result = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) {
    console.error('The build failed (see above); fix it and run npm start again.')
    process.exit(result.status ?? 1)
  }
}

function electronPackageDir() {
  const override = process.env.MODEL_WORKBENCH_ELECTRON_PACKAGE
  return override ? path.resolve(override) : path.join(root, 'node_modules', 'electron')
}

/**
 * The downloaded Electron executable (named by path.txt, as the electron package itself reads
 * it), or null. Reads the files itself: require('electron') would start the download silently.
 */
function installedElectron(packageDir) {
  const pathFile = path.join(packageDir, 'path.txt')
  if (!fs.existsSync(pathFile)) return null
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(packageDir, 'dist')
  const executable = path.join(distDir, fs.readFileSync(pathFile, 'utf8').trim())
  return fs.existsSync(executable) ? executable : null
}

function displayMissing() {
  if (process.platform !== 'linux') return null
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return null
  return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)'
}

/** The first line of an error print-out that is not a stack frame ("TypeError: fetch failed"). */
function errorLine(text) {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('at '))
  return lines.find((line) => /error/i.test(line)) ?? lines[0] ?? ''
}

/** The host Electron downloads from (its mirror settings, else GitHub). */
function downloadHost() {
  const mirror = process.env.ELECTRON_MIRROR || process.env.electron_config_mirror || process.env.npm_config_electron_mirror
  try {
    return mirror ? new URL(mirror).hostname : 'github.com'
  } catch {
    return 'github.com'
  }
}

/** Why the download host cannot be reached by name, or null when it resolves (5 s at most). */
function lookupProblem(host) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(`${host} did not resolve within 5 s`), 5000)
    require('node:dns').lookup(host, (error) => {
      clearTimeout(timer)
      resolve(error ? `${host} cannot be reached: ${error.message}` : null)
    })
  })
}

/**
 * Runs Electron's own download (the electron package's install.js, as `npx install-electron`
 * does) in a child process. Its progress bar draws only on a terminal, so on a terminal its stderr
 * is the terminal's; otherwise stderr is passed through and kept for the reason line.
 * Resolves with the executable, or with why the download did not give one.
 */
async function downloadElectron(packageDir) {
  const script = process.env.MODEL_WORKBENCH_ELECTRON_INSTALL ? path.resolve(process.env.MODEL_WORKBENCH_ELECTRON_INSTALL) : path.join(packageDir, 'install.js')
  if (!fs.existsSync(script)) return { reason: `Electron's download script ${script} is missing; reinstall with npm ci` }
  console.log(`Electron's binary is not downloaded yet; downloading it now (node ${path.relative(root, script) || script}) …`)
  const onTerminal = Boolean(process.stderr.isTTY)
  const env = { ...process.env }
  delete env.ELECTRON_RUN_AS_NODE
  const child = spawn(process.execPath, [script], { cwd: packageDir, env, stdio: ['ignore', 'inherit', onTerminal ? 'inherit' : 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    process.stderr.write(chunk)
    stderr = (stderr + chunk.toString()).slice(-8000)
  })
  const outcome = await new Promise((resolve) => {
    child.once('error', (error) => resolve({ error: error.message }))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const executable = installedElectron(packageDir)
  if (outcome.code === 0 && executable) return { executable }
  const how = outcome.error
    ? `could not run: ${outcome.error}`
    : outcome.code === 0
      ? 'ended without leaving a binary (path.txt or dist/ missing)'
      : `exited with ${outcome.signal ?? `code ${outcome.code}`}`
  const said = onTerminal ? 'its error is above' : errorLine(stderr)
  const network = outcome.code === 0 ? null : await lookupProblem(downloadHost())
  return { reason: `Electron's download failed (${how}${said ? `: ${said}` : ''}${network ? `; ${network}` : ''})` }
}

/** The Electron executable, downloading it when it is missing, or why there is none. */
async function findElectron() {
  const packageDir = electronPackageDir()
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) return { reason: `the electron package is not installed (${path.relative(root, packageDir) || packageDir} is missing); run npm ci` }
  const executable = installedElectron(packageDir)
  const noDisplay = displayMissing()
  if (noDisplay) return { reason: executable ? noDisplay : `${noDisplay}; Electron's binary is not downloaded either (npm start fetches it where there is a display)` }
  if (executable) return { executable }
  return downloadElectron(packageDir)
}

function run(command, args) {
  const env = { ...process.env }
  // Set in the environment, it would make Electron run the app as a plain Node script.
  delete env.ELECTRON_RUN_AS_NODE
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env })
  // Ctrl+C reaches the child through the terminal's process group; forwarding it too would make
  // the child's graceful shutdown see a second interrupt. Stay alive until the child has finished.
  process.on('SIGINT', () => undefined)
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

async function main() {
  let passed, browser
  try {
    ;({ passed, browser } = parseArguments(process.argv.slice(2)))
  } catch (error) {
    console.error(`npm start: ${error.message}`)
    process.exit(2)
  }
  build()
  const electron = browser ? { reason: 'you asked for the browser (--browser)' } : await findElectron()
  if (electron.executable) {
    const dataDir = passed.indexOf('--data-dir')
    run(electron.executable, [root, ...(dataDir >= 0 ? [`--data-dir=${path.resolve(passed[dataDir + 1])}`] : [])])
    return
  }
  console.log(browser ? 'Serving the workbench in the browser (--browser).' : `The desktop app cannot start here: ${electron.reason}. Serving the workbench in the browser instead.`)
  run(process.execPath, [path.join(root, 'bin', 'model-workbench.cjs'), 'serve', ...passed])
}

module.exports = { installedElectron, electronPackageDir, displayMissing, errorLine }

if (require.main === module) {
  main().catch((error) => {
    console.error(`npm start: ${error.stack ?? error}`)
    process.exit(1)
  })
}
