// The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length N,
// N bytes of JSON header ({name: {dtype, shape, data_offsets: [start, end]}, __metadata__: {string:
// string}}) padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, one
// after another, offsets relative to the end of the header. Only float32 ('F32') is written here.

export interface NamedTensor {
  name: string
  shape: number[]
  data: Float32Array
}

const HEADER_ALIGN = 8
/** The header size the reference reader accepts (100 MB). */
const MAX_HEADER = 100_000_000

/** The file's bytes: tensors in the given order, contiguous, with string metadata. */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata
  let offset = 0
  const seen = new Set<string>()
  for (const tensor of tensors) {
    if (seen.has(tensor.name)) throw new Error(`safetensors: the tensor name "${tensor.name}" appears twice`)
    seen.add(tensor.name)
    const count = tensor.shape.reduce((a, b) => a * b, 1)
    if (count !== tensor.data.length) throw new Error(`safetensors: "${tensor.name}" has ${tensor.data.length} values but shape [${tensor.shape.join(', ')}]`)
    header[tensor.name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + 4 * count] }
    offset += 4 * count
  }
  let json = JSON.stringify(header)
  const jsonBytes = new TextEncoder().encode(json)
  const padded = Math.ceil(jsonBytes.length / HEADER_ALIGN) * HEADER_ALIGN
  json += ' '.repeat(padded - jsonBytes.length)
  const headerBytes = new TextEncoder().encode(json)
  const out = new Uint8Array(8 + headerBytes.length + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerBytes.length), true)
  out.set(headerBytes, 8)
  let at = 8 + headerBytes.length
  for (const tensor of tensors) {
    for (let i = 0; i < tensor.data.length; i++) view.setFloat32(at + 4 * i, tensor.data[i], true)
    at += 4 * tensor.data.length
  }
  return out
}

export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>
  /** Names in file order (by data offset). */
  order: string[]
  metadata: Record<string, string>
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 }

/** Reads a safetensors file; F32, F64 and the integer types become Float32Array. Throws for a malformed file. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new Error('not a safetensors file: shorter than its 8-byte header length')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = Number(view.getBigUint64(0, true))
  if (length > MAX_HEADER || 8 + length > bytes.length) throw new Error(`not a safetensors file: header length ${length} does not fit the file (${bytes.length} bytes)`)
  let header: Record<string, unknown>
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>
  } catch (error) {
    throw new Error(`not a safetensors file: its header is not JSON (${(error as Error).message})`)
  }
  const base = 8 + length
  const metadata: Record<string, string> = {}
  const tensors = new Map<string, NamedTensor>()
  const entries: Array<{ name: string; start: number }> = []
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [key, text] of Object.entries((value ?? {}) as Record<string, unknown>)) if (typeof text === 'string') metadata[key] = text
      continue
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    const dtype = String(info.dtype)
    const shape = info.shape as number[]
    const offsets = info.data_offsets as [number, number]
    const width = BYTES[dtype]
    if (!width || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw new Error(`safetensors: tensor "${name}" has an unreadable entry (dtype ${dtype})`)
    const count = shape.reduce((a, b) => a * b, 1)
    const [start, end] = offsets
    if (end - start !== count * width || base + end > bytes.length) throw new Error(`safetensors: tensor "${name}" (${dtype} [${shape.join(', ')}]) does not match its data offsets [${start}, ${end}]`)
    const data = new Float32Array(count)
    const at = base + start
    for (let i = 0; i < count; i++) {
      const p = at + i * width
      switch (dtype) {
        case 'F32': data[i] = view.getFloat32(p, true); break
        case 'F64': data[i] = view.getFloat64(p, true); break
        case 'I64': data[i] = Number(view.getBigInt64(p, true)); break
        case 'I32': data[i] = view.getInt32(p, true); break
        case 'I16': data[i] = view.getInt16(p, true); break
        case 'I8': data[i] = view.getInt8(p); break
        case 'U8': case 'BOOL': data[i] = view.getUint8(p); break
        default: throw new Error(`safetensors: tensor "${name}" is ${dtype}; only float32/float64 and integer tensors are read`)
      }
    }
    tensors.set(name, { name, shape: [...shape], data })
    entries.push({ name, start })
  }
  entries.sort((a, b) => a.start - b.start)
  return { tensors, order: entries.map((e) => e.name), metadata }
}
