import { describe, expect, it } from 'vitest'
import { strToU8, zipSync } from 'fflate'
import { ModelFileProblem, modelUploadFor, tarOf } from './model-file'

/** A ustar reader written from the format (POSIX pax/ustar): names, octal sizes, checksums, 512-byte blocks. */
function readTar(data: Uint8Array, what: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>()
  const text = (from: number, length: number): string => new TextDecoder().decode(data.subarray(from, from + length)).replace(/\0.*$/s, '')
  for (let at = 0; at + 512 <= data.length; ) {
    const header = data.subarray(at, at + 512)
    if (header.every((b) => b === 0)) break
    expect(text(at + 257, 5), `${what}: ustar magic`).toBe('ustar')
    const sum = header.reduce((n, b, i) => n + (i >= 148 && i < 156 ? 32 : b), 0)
    expect(parseInt(text(at + 148, 8).trim(), 8), `${what}: header checksum`).toBe(sum)
    const size = parseInt(text(at + 124, 12), 8)
    files.set(text(at, 100), data.subarray(at + 512, at + 512 + size))
    at += 512 * (1 + Math.ceil(size / 512))
  }
  return files
}

const bytes = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(strToU8(text))
const manifest = JSON.stringify({ modelTopology: { class_name: 'Sequential' }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] })

describe('model files for Open file…', () => {
  it('packs files as a ustar archive the back end reads back byte for byte', () => {
    const weights = new Uint8Array(1300).map((_, i) => i % 251)
    const files = readTar(tarOf([{ name: 'model.json', data: bytes(manifest) }, { name: 'dir/weights.bin', data: weights }]), 'test.tar')
    expect([...files.keys()]).toEqual(['model.json', 'weights.bin'])
    expect(new TextDecoder().decode(files.get('model.json'))).toBe(manifest)
    expect([...files.get('weights.bin')!]).toEqual([...weights])
  })

  it('sends a .keras, .h5 or JSON file as it is', () => {
    const keras = { name: 'm.keras', data: new Uint8Array(zipSync({ 'config.json': bytes('{}') })) }
    expect(modelUploadFor([keras])).toEqual({ ...keras, inside: null })
    const spec = { name: 'spec.json', data: bytes('{"format":"model-workbench/spec"}') }
    expect(modelUploadFor([spec]).inside).toBeNull()
  })

  it('takes model.keras out of a Keras export zip, and a renamed .keras archive as it is', () => {
    const keras = new Uint8Array(zipSync({ 'config.json': bytes('{}'), 'metadata.json': bytes('{}') }))
    const exported = new Uint8Array(zipSync({ 'model.keras': keras, 'preprocessing.json': bytes('{}'), 'export.json': bytes('{}') }))
    const upload = modelUploadFor([{ name: 'iris.keras.zip', data: exported }])
    expect(upload).toMatchObject({ name: 'model.keras', inside: 'model.keras' })
    expect([...upload.data]).toEqual([...keras])
    expect(modelUploadFor([{ name: 'copy.zip', data: keras }]).inside).toBeNull()
  })

  it('turns a TF.js export zip, or model.json picked with its weights, into a .tfjs.tar', () => {
    const zip = new Uint8Array(zipSync({ 'model.json': bytes(manifest), 'weights.bin': new Uint8Array([1, 2, 3]), 'export.json': bytes('{}') }))
    const upload = modelUploadFor([{ name: 'iris.tfjs.zip', data: zip }])
    expect(upload.name).toBe('iris.tfjs.tar')
    expect([...readTar(upload.data, 'x').keys()].sort()).toEqual(['export.json', 'model.json', 'weights.bin'])
    const picked = modelUploadFor([{ name: 'weights.bin', data: new Uint8Array([4]) }, { name: 'model.json', data: bytes(manifest) }])
    expect(picked.name).toBe('model.tfjs.tar')
    expect(readTar(picked.data, 'x').get('weights.bin')).toEqual(new Uint8Array([4]))
  })

  it('says what is wrong with a zip without a model, a damaged zip, or several files that are not one TF.js model', () => {
    const empty = new Uint8Array(zipSync({ 'notes.txt': bytes('hello') }))
    expect(() => modelUploadFor([{ name: 'notes.zip', data: empty }])).toThrow(expect.objectContaining({ code: 'zipWithoutModel', params: { name: 'notes.zip', files: 'notes.txt' } }))
    const damaged = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])
    expect(() => modelUploadFor([{ name: 'bad.zip', data: damaged }])).toThrow(ModelFileProblem)
    expect(() => modelUploadFor([{ name: 'a.h5', data: bytes('x') }, { name: 'b.h5', data: bytes('y') }])).toThrow(expect.objectContaining({ code: 'several' }))
  })
})
