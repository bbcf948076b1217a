// What the Designer's "Open file…" uploads for the files the user picked. The back end reads one
// file (models.import): a .keras, .h5, TF.js .tfjs.tar, model.json or spec JSON. The user may also
// pick the zip the Evaluate view's export downloads (model.keras, model.h5 or model.json with its
// weights inside), or a TF.js model.json together with its weight files: those are unpacked here
// and the model file inside (or a tar of model.json and its weights) goes up instead.
import { unzipSync } from 'fflate'

export interface NamedBytes {
  name: string
  data: Uint8Array<ArrayBuffer>
}

export interface ModelUpload extends NamedBytes {
  /** The file inside the picked zip or the files packed together, for the dialog to say; null when the picked file goes up as it is. */
  inside: string | null
}

/** Why the picked files cannot be opened; `code` names the message (designer.openFile.problem.<code>). */
export class ModelFileProblem extends Error {
  constructor(
    readonly code: 'several' | 'zipWithoutModel' | 'damagedZip',
    readonly params: Record<string, string>
  ) {
    super(`${code}: ${JSON.stringify(params)}`)
    this.name = 'ModelFileProblem'
  }
}

export const MODEL_FILE_ACCEPT = '.keras,.h5,.hdf5,.json,.tar,.zip,.bin'

function isZip(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function stem(name: string): string {
  return name.replace(/(\.(keras|tfjs|zip|tar|json|h5))+$/i, '') || 'model'
}

/** A ustar archive of `files` (the layout the back end's TF.js reader takes). */
export function tarOf(files: readonly NamedBytes[]): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder()
  const blocks = files.reduce((n, f) => n + 1 + Math.ceil(f.data.length / 512), 2)
  const out = new Uint8Array(blocks * 512)
  let at = 0
  const put = (text: string, offset: number, length: number): void => {
    out.set(encoder.encode(text).subarray(0, length), at + offset)
  }
  for (const file of files) {
    put(baseName(file.name), 0, 99)
    put('0000644\0', 100, 8)
    put('0000000\0', 108, 8)
    put('0000000\0', 116, 8)
    put(`${file.data.length.toString(8).padStart(11, '0')}\0`, 124, 12)
    put(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 12)
    put('        ', 148, 8)
    put('0', 156, 1)
    put('ustar\0', 257, 6)
    put('00', 263, 2)
    let sum = 0
    for (let i = 0; i < 512; i++) sum += out[at + i]!
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8)
    out.set(file.data, at + 512)
    at += 512 * (1 + Math.ceil(file.data.length / 512))
  }
  return out
}

/** A TF.js model.json and the files beside it, packed as the .tfjs.tar the back end reads. */
function tfjsTar(modelJson: NamedBytes, others: readonly NamedBytes[], name: string, inside: string): ModelUpload {
  const files = [{ name: 'model.json', data: modelJson.data }, ...others.filter((f) => f !== modelJson).map((f) => ({ name: baseName(f.name), data: f.data }))]
  return { name: `${stem(name)}.tfjs.tar`, data: tarOf(files), inside }
}

function isTfjsManifest(file: NamedBytes): boolean {
  if (!/\.json$/i.test(file.name)) return false
  try {
    const json = JSON.parse(new TextDecoder().decode(file.data)) as { modelTopology?: unknown; weightsManifest?: unknown }
    return typeof json === 'object' && json !== null && json.modelTopology !== undefined && Array.isArray(json.weightsManifest)
  } catch {
    return false
  }
}

/** Picks the model inside an export zip (ours, or any zip holding one model file). */
function fromZip(picked: NamedBytes): ModelUpload {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(picked.data)
  } catch (error) {
    throw new ModelFileProblem('damagedZip', { name: picked.name, reason: (error as Error).message })
  }
  // A .keras archive (config.json at its root) goes up as it is, whatever it is called.
  if (entries['config.json']) return { ...picked, inside: null }
  const files: NamedBytes[] = Object.entries(entries)
    .filter(([path, data]) => !path.endsWith('/') && !path.startsWith('__MACOSX/') && data.length > 0)
    .map(([path, data]) => ({ name: path, data: new Uint8Array(data) }))
  const byExtension = (pattern: RegExp): NamedBytes | undefined => files.find((f) => pattern.test(f.name))
  const single = byExtension(/\.keras$/i) ?? byExtension(/\.(h5|hdf5)$/i) ?? byExtension(/\.tar$/i)
  if (single) return { name: baseName(single.name), data: single.data, inside: single.name }
  const manifest = files.find(isTfjsManifest)
  if (manifest) return tfjsTar(manifest, files, picked.name, manifest.name)
  const json = files.filter((f) => /\.json$/i.test(f.name) && !/^(export|preprocessing)\.json$/i.test(baseName(f.name)))
  if (json.length === 1) return { name: baseName(json[0]!.name), data: json[0]!.data, inside: json[0]!.name }
  throw new ModelFileProblem('zipWithoutModel', { name: picked.name, files: files.map((f) => f.name).join(', ') || '—' })
}

/** The one file to upload for the files the user picked (see the module comment). */
export function modelUploadFor(picked: readonly NamedBytes[]): ModelUpload {
  if (picked.length === 0) throw new ModelFileProblem('several', { count: '0' })
  if (picked.length > 1) {
    const manifest = picked.find(isTfjsManifest)
    if (!manifest) throw new ModelFileProblem('several', { count: String(picked.length) })
    return tfjsTar(manifest, picked, manifest.name, picked.map((f) => f.name).join(' + '))
  }
  const file = picked[0]!
  if (isZip(file.data) && !/\.keras$/i.test(file.name)) return fromZip(file)
  return { ...file, inside: null }
}
