// The native addons the app ships, and which Node ABI each one is bound to. Used by
// test/native-addons.test.ts (every addon must be Node-API, so the same file loads under Node and
// under Electron) and test/packaging.test.ts (every addon must be unpacked from the asar).
//
// An addon's ABI is in its dynamic symbol table: a Node-API addon exports
// `napi_register_module_v1` (or calls `napi_module_register`), one built against Node's C++ API
// exports `node_register_module_v<NODE_MODULE_VERSION>` (115 for Node 20, 127 for Node 22; 150
// for Electron 45, see `node_modules/electron/abi_version`) and loads only there. The readers
// (ELF for Linux, PE for Windows, Mach-O for macOS) are our own, so the test needs no binutils;
// `nm -D` cross-checks the ELF reader where it is installed.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

/** One production package from package-lock.json, and where it is installed. */
export interface ProductionPackage {
  name: string
  /** node_modules/… as the lock file names it. */
  lockPath: string
  dir: string
  installed: boolean
  optional: boolean
}

/**
 * Every package of the production tree (the lock file's entries that are not dev-only): what
 * `npm ci --omit=dev` installs and electron-builder copies into the app.
 */
export function productionPackages(root: string): ProductionPackage[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; link?: boolean; name?: string }> }
  const found: ProductionPackage[] = []
  for (const [lockPath, entry] of Object.entries(lock.packages)) {
    if (lockPath === '' || entry.dev || entry.link) continue
    const name = entry.name ?? lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length)
    const dir = join(root, ...lockPath.split('/'))
    found.push({ name, lockPath, dir, installed: existsSync(join(dir, 'package.json')), optional: Boolean(entry.optional) })
  }
  return found
}

/** Files under a package folder (not its own node_modules: those are packages of their own). */
function walk(dir: string, accept: (name: string) => boolean, into: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    const full = join(dir, entry.name)
    if (entry.isDirectory()) walk(full, accept, into)
    else if (entry.isFile() && accept(entry.name)) into.push(full)
  }
  return into
}

export interface AddonFile {
  packageName: string
  /** Relative to the project root, with forward slashes (as electron-builder globs see it). */
  path: string
  absolute: string
}

/** Every file with the given ending in the installed production packages. */
export function productionFiles(root: string, ending: string): AddonFile[] {
  const files: AddonFile[] = []
  for (const pkg of productionPackages(root)) {
    if (!pkg.installed) continue
    for (const absolute of walk(pkg.dir, (name) => name.endsWith(ending))) {
      files.push({ packageName: pkg.name, absolute, path: relative(root, absolute).split(sep).join('/') })
    }
  }
  return files.sort((a, b) => a.path.localeCompare(b.path))
}

export interface ElfSymbols {
  /** e_machine: 62 x86-64, 183 AArch64, 40 ARM, 3 i386, … */
  machine: number
  machineName: string
  bits: 32 | 64
  /** Defined global/weak dynamic symbols (what the file exports). */
  exported: string[]
  /** Undefined dynamic symbols (what it expects the host to provide). */
  imported: string[]
}

const MACHINES: Record<number, string> = { 3: 'i386', 40: 'arm', 62: 'x86-64', 183: 'aarch64', 243: 'riscv64' }
const SHT_DYNSYM = 11

/** Reads the start of a file: enough to tell ELF from Mach-O and PE. */
export function fileMagic(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(4)
    readSync(fd, head, 0, 4, 0)
    return head
  } finally {
    closeSync(fd)
  }
}

export function isElf(file: string): boolean {
  return fileMagic(file).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
}

/** The dynamic symbol table of an ELF shared object (32/64-bit, either byte order), from its section headers. */
export function readElfSymbols(file: string): ElfSymbols {
  const data = readFileSync(file)
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`)
  const bits = data[4] === 2 ? 64 : data[4] === 1 ? 32 : null
  if (!bits) throw new Error(`${file}: unknown ELF class ${data[4]}`)
  const little = data[5] === 1
  const u16 = (at: number): number => (little ? data.readUInt16LE(at) : data.readUInt16BE(at))
  const u32 = (at: number): number => (little ? data.readUInt32LE(at) : data.readUInt32BE(at))
  const u64 = (at: number): number => Number(little ? data.readBigUInt64LE(at) : data.readBigUInt64BE(at))
  const word = bits === 64 ? u64 : u32
  const machine = u16(0x12)
  const shoff = word(bits === 64 ? 0x28 : 0x20)
  const shentsize = u16(bits === 64 ? 0x3a : 0x2e)
  const shnum = u16(bits === 64 ? 0x3c : 0x30)
  const section = (index: number) => {
    const at = shoff + index * shentsize
    return bits === 64
      ? { type: u32(at + 4), offset: u64(at + 0x18), size: u64(at + 0x20), link: u32(at + 0x28), entsize: u64(at + 0x38) }
      : { type: u32(at + 4), offset: u32(at + 0x10), size: u32(at + 0x14), link: u32(at + 0x18), entsize: u32(at + 0x24) }
  }
  const exported: string[] = []
  const imported: string[] = []
  for (let i = 0; i < shnum; i++) {
    const dynsym = section(i)
    if (dynsym.type !== SHT_DYNSYM) continue
    const strtab = section(dynsym.link)
    const entsize = dynsym.entsize || (bits === 64 ? 24 : 16)
    const nameAt = (offset: number): string => {
      const start = strtab.offset + offset
      const end = data.indexOf(0, start)
      return data.toString('latin1', start, end < 0 ? strtab.offset + strtab.size : end)
    }
    for (let at = dynsym.offset + entsize; at + entsize <= dynsym.offset + dynsym.size; at += entsize) {
      const name = nameAt(u32(at))
      const info = bits === 64 ? data[at + 4] : data[at + 12]
      const shndx = bits === 64 ? u16(at + 6) : u16(at + 14)
      const binding = info >> 4
      if (!name || binding === 0) continue // local
      if (shndx === 0) imported.push(name)
      else exported.push(name)
    }
  }
  return { machine, machineName: MACHINES[machine] ?? `machine ${machine}`, bits, exported: exported.sort(), imported: imported.sort() }
}

export type AddonAbi =
  | { kind: 'node-api'; detail: string }
  | { kind: 'node-abi'; moduleVersion: number | null; detail: string }
  | { kind: 'unknown'; detail: string }

/** Which ABI an addon is bound to, from its dynamic symbols. */
export function classifyAddon(symbols: Pick<ElfSymbols, 'exported' | 'imported'>): AddonAbi {
  const napiEntry = symbols.exported.includes('napi_register_module_v1')
  const napiLegacy = symbols.imported.includes('napi_module_register')
  const nodeEntries = symbols.exported.filter((name) => /^node_register_module_v\d+$/.test(name))
  // Node-API in name, but calling V8's or Node's C++ API directly binds it to one V8 again.
  const cxxImports = symbols.imported.filter((name) => name.startsWith('_ZN2v8') || name.startsWith('_ZN4node'))
  if ((napiEntry || napiLegacy) && cxxImports.length === 0) {
    return { kind: 'node-api', detail: napiEntry ? 'Node-API (exports napi_register_module_v1)' : 'Node-API (registers through napi_module_register)' }
  }
  if (nodeEntries.length > 0) {
    const version = Number(nodeEntries[0].slice('node_register_module_v'.length))
    return { kind: 'node-abi', moduleVersion: version, detail: `built against NODE_MODULE_VERSION ${version} (exports ${nodeEntries.join(', ')}, no napi_register_module_v1)` }
  }
  if (napiEntry || napiLegacy) {
    return { kind: 'node-abi', moduleVersion: null, detail: `Node-API entry point, but it calls V8/Node C++ symbols directly (${cxxImports.slice(0, 3).join(', ')}${cxxImports.length > 3 ? ', …' : ''})` }
  }
  if (symbols.imported.includes('node_module_register')) {
    return { kind: 'node-abi', moduleVersion: null, detail: 'registers through node_module_register (the pre-Node-API NODE_MODULE macro)' }
  }
  return { kind: 'unknown', detail: 'no addon registration symbol (napi_register_module_v1, node_register_module_v*) found' }
}

/** What to tell the person whose addon is not Node-API. */
export function adviceFor(packageName: string, abi: AddonAbi): string {
  if (abi.kind === 'node-api') return ''
  return `${packageName} is not a Node-API addon (${abi.detail}): it loads only under the one Node or Electron it was built for (Electron 45 wants NODE_MODULE_VERSION ${electronAbi()}). Move to a release of ${packageName} that ships Node-API binaries (as better-sqlite3 13 does), rebuild it for Electron with @electron/rebuild and ship that build, or keep it out of the main and trainer processes.`
}

function electronAbi(): string {
  try {
    return readFileSync(join(__dirname, '..', 'node_modules', 'electron', 'abi_version'), 'utf8').trim()
  } catch {
    return '(see node_modules/electron/abi_version)'
  }
}

export interface AddonReport {
  file: AddonFile
  format: 'elf' | 'mach-o' | 'pe' | 'other'
  /** The dynamic symbols (ELF), the export table (PE) or the external symbols (Mach-O). */
  symbols: { exported: string[]; imported: string[]; machineName: string } | null
  abi: AddonAbi | null
}

/**
 * The export names of a PE (Windows) DLL, from its export directory. Imports are not read: a
 * Windows addon imports Node's functions from the host executable by name, which says nothing
 * the exports do not.
 */
export function readPeExports(file: string): { exported: string[]; imported: string[]; machineName: string } {
  const data = readFileSync(file)
  const pe = data.readUInt32LE(0x3c)
  if (data.readUInt32BE(pe) !== 0x50450000) throw new Error(`${file} is not a PE file`)
  const machine = data.readUInt16LE(pe + 4)
  const sectionCount = data.readUInt16LE(pe + 6)
  const optionalSize = data.readUInt16LE(pe + 20)
  const optional = pe + 24
  const magic = data.readUInt16LE(optional)
  const directories = optional + (magic === 0x20b ? 112 : 96)
  const exportRva = data.readUInt32LE(directories)
  const sections = optional + optionalSize
  const toOffset = (rva: number): number => {
    for (let i = 0; i < sectionCount; i++) {
      const at = sections + i * 40
      const virtualAddress = data.readUInt32LE(at + 12)
      const size = Math.max(data.readUInt32LE(at + 8), data.readUInt32LE(at + 16))
      if (rva >= virtualAddress && rva < virtualAddress + size) return rva - virtualAddress + data.readUInt32LE(at + 20)
    }
    throw new Error(`${file}: RVA ${rva} is in no section`)
  }
  const exported: string[] = []
  if (exportRva !== 0) {
    const directory = toOffset(exportRva)
    const nameCount = data.readUInt32LE(directory + 0x18)
    const names = toOffset(data.readUInt32LE(directory + 0x20))
    for (let i = 0; i < nameCount; i++) {
      const start = toOffset(data.readUInt32LE(names + i * 4))
      exported.push(data.toString('latin1', start, data.indexOf(0, start)))
    }
  }
  const machines: Record<number, string> = { 0x8664: 'x86-64', 0xaa64: 'aarch64', 0x14c: 'i386' }
  return { exported: exported.sort(), imported: [], machineName: machines[machine] ?? `machine 0x${machine.toString(16)}` }
}

/** The external symbols of a Mach-O (macOS) image, from LC_SYMTAB; a fat file is read from its first slice. */
export function readMachOSymbols(file: string): { exported: string[]; imported: string[]; machineName: string } {
  let data = readFileSync(file)
  if (data.readUInt32BE(0) === 0xcafebabe) {
    const offset = data.readUInt32BE(8 + 8)
    const size = data.readUInt32BE(8 + 12)
    data = data.subarray(offset, offset + size)
  }
  const magic = data.readUInt32LE(0)
  if (magic !== 0xfeedfacf && magic !== 0xfeedface) throw new Error(`${file} is not a little-endian Mach-O file`)
  const is64 = magic === 0xfeedfacf
  const cpu = data.readUInt32LE(4)
  const commandCount = data.readUInt32LE(16)
  let at = is64 ? 32 : 28
  const exported: string[] = []
  const imported: string[] = []
  for (let i = 0; i < commandCount; i++) {
    const command = data.readUInt32LE(at)
    const size = data.readUInt32LE(at + 4)
    if (command === 0x2) {
      const symoff = data.readUInt32LE(at + 8)
      const nsyms = data.readUInt32LE(at + 12)
      const stroff = data.readUInt32LE(at + 16)
      const entry = is64 ? 16 : 12
      for (let s = 0; s < nsyms; s++) {
        const symbol = symoff + s * entry
        const type = data[symbol + 4]
        if ((type & 0xe0) !== 0 || (type & 0x01) === 0) continue // stabs, or not external
        const start = stroff + data.readUInt32LE(symbol)
        const name = data.toString('latin1', start, data.indexOf(0, start)).replace(/^_/, '')
        if ((type & 0x0e) === 0x0e) exported.push(name)
        else if ((type & 0x0e) === 0) imported.push(name)
      }
    }
    at += size
  }
  const machines: Record<number, string> = { 0x01000007: 'x86-64', 0x0100000c: 'arm64' }
  return { exported: exported.sort(), imported: imported.sort(), machineName: machines[cpu] ?? `cpu 0x${cpu.toString(16)}` }
}

export function binaryFormat(file: string): AddonReport['format'] {
  const magic = fileMagic(file)
  if (magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return 'elf'
  if (magic[0] === 0x4d && magic[1] === 0x5a) return 'pe'
  const word = magic.readUInt32BE(0)
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(word)) return 'mach-o'
  return 'other'
}

/** Every `.node` file of the production tree, with its symbols and ABI (ELF, PE and Mach-O binaries). */
export function addonReports(root: string): AddonReport[] {
  return productionFiles(root, '.node').map((file) => {
    const format = statSync(file.absolute).size > 0 ? binaryFormat(file.absolute) : 'other'
    const symbols = format === 'elf' ? readElfSymbols(file.absolute) : format === 'pe' ? readPeExports(file.absolute) : format === 'mach-o' ? readMachOSymbols(file.absolute) : null
    return { file, format, symbols, abi: symbols ? classifyAddon(symbols) : null }
  })
}
