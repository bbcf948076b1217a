// The webgpu rung: TensorFlow.js's WebGPU backend on Dawn (the `webgpu` npm package, Node-API,
// prebuilt for Linux, macOS and Windows). No CUDA toolkit is needed: Dawn drives the GPU through
// Vulkan, Metal or D3D12.
//
// Which adapter:
// * The ladder ('auto') takes the default adapter only when it is a real GPU. A software
//   renderer (Mesa's llvmpipe/lavapipe, SwiftShader, WARP) is slower than the wasm backend, so
//   the ladder skips webgpu there and says why.
// * Choosing `webgpu` by hand accepts a software adapter too and, on Linux when the default
//   request finds nothing, falls back to Dawn's OpenGL ES backend with a compatibility-mode
//   adapter (`backend=opengles`, `featureLevel: 'compatibility'`, `EGL_PLATFORM=surfaceless`
//   when the environment names no EGL platform). On a machine without a GPU that is Mesa's
//   llvmpipe: slow, but the same code path a GPU runs, which is how CI tests this rung.
//
// tfjs-backend-webgpu registers its backend only when `navigator.gpu` exists at import, and its
// factory requests an adapter without a feature level (a compatibility adapter is then never
// found). So navigator.gpu is set before the import, and the backend is registered again with
// the adapter and device chosen here (same required limits and features as tfjs's own factory).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import type * as TfjsModule from '@tensorflow/tfjs'
import type * as DawnPackage from 'webgpu'

type Tf = typeof TfjsModule

const nodeRequire = createRequire(__filename)

/** What a run records about the adapter it trained on. */
export interface WebgpuAdapterSummary {
  /** A one-line name for the run record and the badge: "llvmpipe (OpenGL ES 3.2 Mesa 22.3.6; opengles, compatibility)". */
  label: string
  vendor: string
  architecture: string
  device: string
  description: string
  /** A CPU renderer (llvmpipe, lavapipe, SwiftShader, WARP), not a GPU. */
  software: boolean
  /** Dawn's backend: 'default' (Vulkan, Metal or D3D12, Dawn's pick) or 'opengles' (the Linux fallback). */
  dawnBackend: 'default' | 'opengles'
  featureLevel: 'core' | 'compatibility'
}

export type WebgpuAttempt = { ok: true; adapter: WebgpuAdapterSummary; versions: Record<string, string> } | { ok: false; reason: string }

type DawnModule = typeof DawnPackage

interface Found {
  gpu: GPU
  adapter: GPUAdapter
  summary: WebgpuAdapterSummary
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|\bwarp\b/i

/** Why a job that reads tensors synchronously does not run on webgpu. */
export const WEBGPU_SYNC_READS = 'the webgpu backend cannot read tensors synchronously in Node (tfjs reads them through OffscreenCanvas), and this job does'

const DAWN_MISSING = 'the webgpu package (Dawn) is not installed'
const NO_ADAPTER_AUTO =
  process.platform === 'linux'
    ? 'Dawn found no GPU adapter (Vulkan). Choose the webgpu backend by hand to try the OpenGL ES fallback (on a machine without a GPU that is Mesa llvmpipe: software, slower than wasm).'
    : 'Dawn found no GPU adapter'

/** Reads an adapter's info into the summary the run records. */
export function summariseAdapter(info: Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>, dawnBackend: WebgpuAdapterSummary['dawnBackend'], featureLevel: WebgpuAdapterSummary['featureLevel']): WebgpuAdapterSummary {
  const vendor = info.vendor ?? ''
  const architecture = info.architecture ?? ''
  const device = info.device ?? ''
  const description = info.description ?? ''
  const software = SOFTWARE.test([vendor, architecture, device, description].join(' '))
  const name = [vendor, architecture, device].filter(Boolean).join(' ').replace(/-+$/, '') || description || 'unnamed adapter'
  const details = [description && description !== name ? description : '', dawnBackend === 'opengles' ? 'opengles' : '', featureLevel === 'compatibility' ? 'compatibility' : '', software ? 'software' : ''].filter(Boolean)
  return { label: details.length ? `${name} (${details.join('; ')})` : name, vendor, architecture, device, description, software, dawnBackend, featureLevel }
}

let dawn: DawnModule | null = null

function loadDawn(): DawnModule | string {
  if (dawn) return dawn
  try {
    dawn = nodeRequire('webgpu') as DawnModule
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return DAWN_MISSING
    return `the webgpu package (Dawn) failed to load: ${(error as Error).message}`
  }
  // GPUBufferUsage, GPUMapMode, GPUShaderStage, …: the WebGPU globals tfjs expects.
  const scope = globalThis as Record<string, unknown>
  for (const [key, value] of Object.entries(dawn.globals as Record<string, unknown>)) if (!(key in scope)) scope[key] = value
  return dawn
}

async function requestAdapter(module: DawnModule, dawnBackend: WebgpuAdapterSummary['dawnBackend']): Promise<Found | null> {
  const featureLevel = dawnBackend === 'opengles' ? 'compatibility' : 'core'
  const gpu = module.create(dawnBackend === 'opengles' ? ['backend=opengles'] : [])
  const options: GPURequestAdapterOptions & { featureLevel?: string } = featureLevel === 'compatibility' ? { featureLevel } : { powerPreference: 'high-performance' }
  const adapter = await gpu.requestAdapter(options)
  if (!adapter) return null
  return { gpu, adapter, summary: summariseAdapter(adapter.info, dawnBackend, featureLevel) }
}

/** Mesa's EGL needs a platform when there is no display server; a desktop session has its own. */
function setEglPlatform(): void {
  if (!process.env.EGL_PLATFORM && !process.env.WAYLAND_DISPLAY && !process.env.DISPLAY) process.env.EGL_PLATFORM = 'surfaceless'
}

/**
 * The adapter the rung would use: the default one when it is a GPU, or, when software is
 * allowed, a software default or (Linux) the OpenGL ES compatibility fallback.
 */
async function findAdapter(module: DawnModule, allowSoftware: boolean): Promise<Found | string> {
  let found: Found | null
  try {
    found = await requestAdapter(module, 'default')
  } catch (error) {
    found = null
    if (!allowSoftware) return `Dawn's adapter request failed: ${(error as Error).message}`
  }
  if (found && !found.summary.software) return found
  if (!allowSoftware) {
    return found
      ? `Dawn's only adapter is a software renderer (${found.summary.label}), slower than wasm here. Choose the webgpu backend by hand to use it anyway.`
      : NO_ADAPTER_AUTO
  }
  if (found) return found
  if (process.platform !== 'linux') return 'Dawn found no GPU adapter'
  try {
    setEglPlatform()
    const fallback = await requestAdapter(module, 'opengles')
    if (fallback) return fallback
  } catch (error) {
    return `Dawn found no GPU adapter (Vulkan), and its OpenGL ES fallback failed: ${(error as Error).message}`
  }
  return 'Dawn found no GPU adapter: neither Vulkan nor OpenGL ES (install Mesa: libegl-mesa0, libgles2, libgl1-mesa-dri)'
}

interface Active {
  summary: WebgpuAdapterSummary
  device: GPUDevice
  versions: Record<string, string>
}

let active: Active | null = null

/** Drops tfjs's own webgpu factory (or ours). Not findBackend: that would initialise it. */
function removeWebgpuBackend(tf: Tf): void {
  try {
    tf.removeBackend('webgpu')
  } catch {
    // none registered
  }
}
let exitHookInstalled = false

/** Destroys the device and drops navigator.gpu (a live Dawn instance keeps Node from exiting). */
export function releaseWebgpu(tf?: Tf): void {
  if (!active) return
  const { device } = active
  active = null
  if (tf) removeWebgpuBackend(tf)
  try {
    device.destroy()
  } catch {
    // a lost device cannot be destroyed twice
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator
  if (nav && 'gpu' in nav) delete nav.gpu
}

function packageVersion(name: string): string {
  try {
    return (nodeRequire(`${name}/package.json`) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

/**
 * Initialise tfjs's webgpu backend on Dawn and make it the current backend. `allowSoftware`
 * is true when the user chose webgpu by hand; the ladder passes false.
 */
/**
 * On Linux Dawn needs the Vulkan loader for a real GPU. Without it, loading Dawn only prints
 * "Couldn't load Vulkan" warnings and finds nothing, so the ladder skips webgpu without loading it.
 */
export function linuxVulkanLoaderMissing(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux') return null
  const folders = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/lib/x86_64-linux-gnu', '/lib64']
  if (folders.some((folder) => existsSync(join(folder, 'libvulkan.so.1')))) return null
  return 'no Vulkan loader (libvulkan.so.1) on this machine, so Dawn cannot reach a GPU; install the GPU\'s Vulkan driver (Debian: apt install libvulkan1 and the vendor driver) to use webgpu'
}

export async function initWebgpu(tf: Tf, options: { allowSoftware: boolean }): Promise<WebgpuAttempt> {
  if (active) {
    if (active.summary.software && !options.allowSoftware) {
      return { ok: false, reason: `Dawn's only adapter is a software renderer (${active.summary.label}), slower than wasm here. Choose the webgpu backend by hand to use it anyway.` }
    }
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the webgpu backend did not initialise' }
    return { ok: true, adapter: active.summary, versions: active.versions }
  }
  const noLoader = options.allowSoftware ? null : linuxVulkanLoaderMissing()
  if (noLoader) return { ok: false, reason: noLoader }
  const module = loadDawn()
  if (typeof module === 'string') return { ok: false, reason: module }
  const found = await findAdapter(module, options.allowSoftware)
  if (typeof found === 'string') return { ok: false, reason: found }
  const { gpu, adapter, summary } = found

  // The backend registers itself only when navigator.gpu exists as it is imported.
  const nav = (globalThis as unknown as { navigator?: { gpu?: unknown } }).navigator
  if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true })
  else nav.gpu = gpu
  let WebGPUBackend: typeof import('@tensorflow/tfjs-backend-webgpu').WebGPUBackend
  try {
    ;({ WebGPUBackend } = nodeRequire('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { ok: false, reason: code === 'MODULE_NOT_FOUND' ? '@tensorflow/tfjs-backend-webgpu is not installed' : `@tensorflow/tfjs-backend-webgpu failed to load: ${(error as Error).message}` }
  }

  // The same device request as tfjs's own factory: the adapter's limits (workgroup sizes,
  // buffer sizes) rather than WebGPU's defaults, which its matmul and transpose shaders exceed.
  const limits = adapter.limits
  const requiredFeatures = (['timestamp-query', 'bgra8unorm-storage'] as GPUFeatureName[]).filter((name) => adapter.features.has(name))
  let device: GPUDevice
  try {
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup
      }
    })
  } catch (error) {
    return { ok: false, reason: `Dawn's adapter ${summary.label} refused a device: ${(error as Error).message}` }
  }
  // tfjs does not check the device for errors: a shader the adapter refuses leaves its output
  // unwritten. Say so once on stderr (the trainer's log) rather than train on silently.
  let reported = false
  device.addEventListener('uncapturederror', (event) => {
    if (reported) return
    reported = true
    process.stderr.write(`webgpu: ${summary.label} reported an error; results from this device may be wrong: ${(event).error.message}\n`)
  })
  void device.lost.then((info) => {
    if (active?.device === device && info.reason !== 'destroyed') process.stderr.write(`webgpu: the device was lost (${info.reason}): ${info.message}\n`)
  })

  removeWebgpuBackend(tf)
  tf.registerBackend('webgpu', () => {
    const backend = new WebGPUBackend(device, adapter.info)
    // tfjs's readSync (dataSync, arraySync) copies through an OffscreenCanvas, which Node lacks:
    // say what to do instead of "OffscreenCanvas is not defined".
    const readSync = backend.readSync.bind(backend)
    backend.readSync = (dataId) => {
      try {
        return readSync(dataId)
      } catch (error) {
        if (error instanceof ReferenceError && /OffscreenCanvas/.test(error.message)) throw new Error(`${WEBGPU_SYNC_READS}: read with await tensor.data() instead of dataSync()`)
        throw error
      }
    }
    return backend
  })
  try {
    if (!(await tf.setBackend('webgpu'))) {
      device.destroy()
      return { ok: false, reason: `the webgpu backend did not initialise on ${summary.label}` }
    }
  } catch (error) {
    device.destroy()
    return { ok: false, reason: `the webgpu backend did not initialise on ${summary.label}: ${(error as Error).message}` }
  }
  const versions = { 'webgpu-adapter': summary.label, webgpu: packageVersion('webgpu'), 'tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu') }
  active = { summary, device, versions }
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => releaseWebgpu())
  }
  return { ok: true, adapter: summary, versions }
}

export interface WebgpuProbe {
  /** Whether the ladder would use webgpu (a GPU adapter found). */
  available: boolean
  reason: string | null
  adapter: string | null
}

let probed: Promise<WebgpuProbe> | null = null

/**
 * What the ladder would find, for app.info: one default adapter request per process (cached),
 * no device, no EGL environment change. The instance is dropped afterwards.
 */
export function probeWebgpu(): Promise<WebgpuProbe> {
  probed ??= (async (): Promise<WebgpuProbe> => {
    if (active) return { available: !active.summary.software, reason: active.summary.software ? `only a software renderer (${active.summary.label}); chosen by hand it runs, slower than wasm` : null, adapter: active.summary.label }
    const noLoader = linuxVulkanLoaderMissing()
    if (noLoader) return { available: false, reason: noLoader, adapter: null }
    const module = loadDawn()
    if (typeof module === 'string') return { available: false, reason: module, adapter: null }
    const found = await findAdapter(module, false).catch((error: Error) => `Dawn's adapter request failed: ${error.message}`)
    if (typeof found === 'string') return { available: false, reason: found, adapter: null }
    return { available: true, reason: null, adapter: found.summary.label }
  })()
  return probed
}
