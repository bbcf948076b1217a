// Every native addon the main process or a trainer may load must be Node-API, so that the one
// file in node_modules loads under Node 22 (CLI, browser host, tests) and under Electron 45 (the
// desktop app) without a rebuild. better-sqlite3 12 was not (node_register_module_v115: Node 20
// only) and the desktop app could not open its store; this test walks the production tree and
// reads each addon's symbols, and fixtures built here against Node 20's headers prove it fails on
// such an addon.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addonReports, adviceFor, classifyAddon, productionPackages, readElfSymbols } from './native-addons'

const root = join(__dirname, '..')
const hasNm = spawnSync('nm', ['--version']).status === 0
const compilers = { c: spawnSync('cc', ['--version']).status === 0, cxx: spawnSync('g++', ['--version']).status === 0 }
// Debian's libnode-dev / nodejs headers: Node 20's node.h, NODE_MODULE_VERSION 115 (what better-sqlite3 12 was built against here).
const nodeHeaders = ['/usr/include/node', '/usr/local/include/node'].find((dir) => existsSync(join(dir, 'node.h')) && existsSync(join(dir, 'node_api.h')))

describe('native addons of the production dependencies', () => {
  const reports = addonReports(root)

  it('finds the addons we ship: better-sqlite3 and onnxruntime-node for Linux x64, and every other .node file', () => {
    const linuxX64 = reports.filter((r) => r.format === 'elf' && r.symbols?.machineName === 'x86-64').map((r) => r.file.path)
    expect(linuxX64).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/prebuilds/linux-x64.node', 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node']))
    // Dev-only addons (the bundler's, Electron's unzip) are not shipped and not checked.
    expect(reports.some((r) => r.file.path.includes('rolldown') || r.file.path.includes('extract-zip'))).toBe(false)
    // Every package known to carry an addon is checked when it is installed (tfjs-node cannot install here: optional).
    const installed = new Set(productionPackages(root).filter((p) => p.installed).map((p) => p.name))
    for (const name of ['better-sqlite3', 'onnxruntime-node', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
      if (installed.has(name)) expect(reports.some((r) => r.file.packageName === name), name).toBe(true)
    }
  })

  it('every addon is Node-API (one binary for Node and Electron)', () => {
    const problems = reports.filter((r) => r.abi && r.abi.kind !== 'node-api').map((r) => `${r.file.path}: ${adviceFor(r.file.packageName, r.abi!)}`)
    expect(problems).toEqual([])
    const unread = reports.filter((r) => !r.abi).map((r) => `${r.file.path} (${r.format})`)
    expect(unread, 'every .node file should be a binary we can read').toEqual([])
    for (const report of reports) console.log(`${report.file.path}: ${report.format} ${report.symbols!.machineName}, ${report.abi!.detail}`)
  })

  it.skipIf(!hasNm)('our ELF reader agrees with nm -D on the shipped Linux x64 addons', async () => {
    const run = promisify(execFile)
    for (const report of reports.filter((r) => r.format === 'elf' && r.symbols?.machineName === 'x86-64')) {
      const names = async (flag: string) =>
        (await run('nm', ['-D', flag, report.file.absolute], { maxBuffer: 64 * 1024 * 1024 })).stdout
          .split('\n')
          .map((line) => line.trim().split(/\s+/).pop()!.replace(/@.*$/, ''))
          .filter(Boolean)
      const elf = readElfSymbols(report.file.absolute)
      expect(new Set(elf.exported), report.file.path).toEqual(new Set(await names('--defined-only')))
      expect(new Set(elf.imported), report.file.path).toEqual(new Set(await names('--undefined-only')))
    }
  })
})

describe('the Node-API classifier on addons built here', () => {
  let dir = ''
  const built: Record<string, string> = {}
  const sources: Record<string, { file: string; code: string; cxx: boolean }> = {
    // What better-sqlite3 12 does: NODE_MODULE_INIT exports node_register_module_v<NODE_MODULE_VERSION>.
    legacy: { file: 'legacy.cc', cxx: true, code: '#include <node.h>\nNODE_MODULE_INIT() { (void)exports; (void)module; (void)context; }\n' },
    // The older NODE_MODULE macro: a static constructor calling node_module_register.
    classic: { file: 'classic.cc', cxx: true, code: '#include <node.h>\nstatic void Init(v8::Local<v8::Object> exports) { (void)exports; }\nNODE_MODULE(classic, Init)\n' },
    napi: { file: 'napi.c', cxx: false, code: '#include <node_api.h>\nNAPI_MODULE_INIT() { (void)env; return exports; }\n' },
    // Node-API entry, but V8 called directly: bound to one V8 again.
    mixed: { file: 'mixed.cc', cxx: true, code: '#include <node_api.h>\n#include <v8.h>\nNAPI_MODULE_INIT() { (void)env; (void)v8::Isolate::GetCurrent(); return exports; }\n' }
  }

  beforeAll(async () => {
    if (!nodeHeaders || !compilers.c || !compilers.cxx) return
    dir = mkdtempSync(join(tmpdir(), 'mw-addons-'))
    const run = promisify(execFile)
    await Promise.all(
      Object.entries(sources).map(async ([name, source]) => {
        writeFileSync(join(dir, source.file), source.code)
        const output = join(dir, `${name}.node`)
        await run(source.cxx ? 'g++' : 'cc', ['-shared', '-fPIC', '-O0', `-I${nodeHeaders}`, '-o', output, join(dir, source.file)])
        built[name] = output
      })
    )
  })
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('fails an addon built against Node 20 like better-sqlite3 12, and says what to do', (context) => {
    if (!built.legacy) context.skip(`needs cc, g++ and Node's headers (node.h, node_api.h) to build the fixtures; found headers: ${nodeHeaders ?? 'none'}, cc: ${compilers.c}, g++: ${compilers.cxx}`)
    const symbols = readElfSymbols(built.legacy)
    expect(symbols.exported).toContain('node_register_module_v115')
    const abi = classifyAddon(symbols)
    expect(abi).toMatchObject({ kind: 'node-abi', moduleVersion: 115 })
    const advice = adviceFor('better-sqlite3', abi)
    expect(advice).toContain('better-sqlite3 is not a Node-API addon (built against NODE_MODULE_VERSION 115')
    expect(advice).toMatch(/Electron 45 wants NODE_MODULE_VERSION \d+/)
    expect(advice).toContain('@electron/rebuild')
  })

  it('fails the NODE_MODULE macro and a Node-API entry that calls V8; passes a plain Node-API addon', (context) => {
    if (!built.classic) context.skip('the fixtures could not be built here (see the test above)')
    expect(classifyAddon(readElfSymbols(built.classic))).toMatchObject({ kind: 'node-abi', detail: expect.stringContaining('node_module_register') })
    const mixed = classifyAddon(readElfSymbols(built.mixed))
    expect(mixed.kind).toBe('node-abi')
    expect(mixed.detail).toContain('_ZN2v87Isolate10GetCurrentEv')
    expect(classifyAddon(readElfSymbols(built.napi))).toEqual({ kind: 'node-api', detail: 'Node-API (exports napi_register_module_v1)' })
  })

  it('knows a file with no registration symbol is not a Node addon it can vouch for', () => {
    expect(classifyAddon({ exported: ['sqlite3_open'], imported: ['malloc'] }).kind).toBe('unknown')
    expect(classifyAddon({ exported: [], imported: ['napi_module_register', 'napi_create_function'] }).kind).toBe('node-api')
  })
})
