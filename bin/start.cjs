#!/usr/bin/env node
// `npm start`: builds when out/ is missing or older than src/, then opens the desktop app where
// Electron can start; where it cannot (no Electron binary, no display) it says why in one line and
// serves the same workbench in the browser host instead (`--browser` asks for that outright).
// Passes --data-dir, --port, --host through.
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

/**
 * The Electron executable, or why there is none. Reads node_modules/electron/path.txt itself:
 * require('electron') would try to download the binary.
 */
function findElectron() {
  const packageDir = path.join(root, 'node_modules', 'electron')
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) return { reason: 'the electron package is not installed (node_modules/electron is missing)' }
  const pathFile = path.join(packageDir, 'path.txt')
  if (!fs.existsSync(pathFile)) return { reason: "Electron's binary was never downloaded (node_modules/electron/path.txt and dist/ are missing, and this machine cannot fetch it)" }
  const executable = path.join(packageDir, 'dist', fs.readFileSync(pathFile, 'utf8').trim())
  if (!fs.existsSync(executable)) return { reason: `Electron's binary is missing (${path.relative(root, executable)} does not exist)` }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' }
  return { executable }
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' })
  // Ctrl+C reaches the child through the terminal's process group; forwarding it too would make
  // the child's graceful shutdown see a second interrupt. Stay alive until the child has finished.
  process.on('SIGINT', () => undefined)
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

function main() {
  let passed, browser
  try {
    ;({ passed, browser } = parseArguments(process.argv.slice(2)))
  } catch (error) {
    console.error(`npm start: ${error.message}`)
    process.exit(2)
  }
  build()
  const electron = browser ? { reason: 'you asked for the browser (--browser)' } : findElectron()
  if (electron.executable) {
    const dataDir = passed.indexOf('--data-dir')
    run(electron.executable, [root, ...(dataDir >= 0 ? [`--data-dir=${path.resolve(passed[dataDir + 1])}`] : [])])
    return
  }
  console.log(browser ? 'Serving the workbench in the browser (--browser).' : `The desktop app cannot start here: ${electron.reason}. Serving the workbench in the browser instead.`)
  run(process.execPath, [path.join(root, 'bin', 'model-workbench.cjs'), 'serve', ...passed])
}

main()
