// NumPy's .npy format, version 1.0: the magic "\x93NUMPY", version bytes 1 0, a little-endian
// uint16 header length, an ASCII Python-dict header ({'descr': '<f4', 'fortran_order': False,
// 'shape': (…), }) padded with spaces and a newline so the data starts at a multiple of 64, then
// the C-order little-endian data.

export function encodeNpy(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new Error(`npy: ${data.length} values do not fill shape [${shape.join(', ')}]`)
  const descr = data instanceof Float32Array ? '<f4' : '<i4'
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`
  const unpadded = 10 + header.length + 1
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  if (header.length > 65535) throw new Error('npy: header too long for format version 1.0')
  const out = new Uint8Array(10 + header.length + 4 * data.length)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0)
  const view = new DataView(out.buffer)
  view.setUint16(8, header.length, true)
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i)
  const at = 10 + header.length
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true)
  else for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true)
  return out
}
