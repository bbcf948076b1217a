// The bad-file table: every hostile or broken file we know of, as bytes, with the contract error
// code and the words the person must see (Netron-style: one row per file, kept forever). Each row
// goes the way a user's file goes — uploads.begin/chunk/finish, then datasets.importCsv or
// importIdx through the dispatcher of a real workbench — except the rows that name a path no
// upload can produce (a folder). Rows that must import are in the table too ("ok").
// The bombs are bounded in time and memory: each is refused before it can allocate its size.
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ContractError } from '../src/shared/contract'
import { DataImportError } from '../src/main/data/errors'
import { MAX_COLUMNS, MAX_ROW_CHARS } from '../src/main/data/csv-reader'
import { MAX_IDX_BYTES } from '../src/main/data/idx'
import { createDispatcher } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

type Bytes = Buffer | string

interface Row {
  name: string
  /** CSV file, or IDX images + labels. */
  csv?: Bytes
  csvOptions?: Record<string, unknown>
  idx?: { images: Bytes; labels: Bytes }
  /** A server-side path instead of an upload (what no upload can be: a folder). */
  path?: 'folder-csv' | 'folder-idx'
  /** A model file for models.import (spec JSON, .keras, .h5, TF.js). */
  model?: { name: string; bytes: Bytes }
  code: ContractError['code'] | 'ok'
  /** The reason key the views translate (src/shared/errors.ts), for every refusal. */
  reason?: string
  text: string[]
  /** Bound on the time the refusal may take (bombs). */
  maxMs?: number
}

function idxImages(count: number, rows: number, cols: number, pixels = count * rows * cols): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x803, 0)
  header.writeUInt32BE(count, 4)
  header.writeUInt32BE(rows, 8)
  header.writeUInt32BE(cols, 12)
  return Buffer.concat([header, Buffer.alloc(pixels, 7)])
}

function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(0x801, 0)
  header.writeUInt32BE(labels.length, 4)
  return Buffer.concat([header, Buffer.from(labels)])
}

const labels4 = idxLabels([0, 1, 0, 1])
const table = (rows: number, header = 'x,y,label') => [header, ...Array.from({ length: rows }, (_, i) => `${i},${i * 2},${i % 2 ? 'b' : 'a'}`)].join('\n') + '\n'
const utf16le = (text: string) => Buffer.from(text, 'utf16le')
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16()
/** 1 MiB of zeros, gzipped once: repeated, a multi-member gzip that inflates 1 000:1. */
const zerosMember = gzipSync(Buffer.alloc(1 << 20))
const wideHeader = Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(',')

const rows: Row[] = [
  { name: 'well-formed table', csv: table(20), code: 'ok', text: [] },
  { name: 'header names that are Object members (__proto__, constructor, toString)', csv: table(20, '__proto__,constructor,toString'), csvOptions: { roles: { constructor: 'feature' } }, code: 'ok', text: [] },
  { name: 'duplicate header names (a,a,label)', reason: 'csv.duplicate_name', csv: 'a,a,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n', code: 'bad_input', text: ['columns 1 and 2 are both named "a"', 'rename one'] },
  { name: 'duplicate header names chosen as target', reason: 'csv.duplicate_name', csv: 'a,b,a\n1,2,x\n3,4,y\n', csvOptions: { roles: { a: 'target' } }, code: 'bad_input', text: ['columns 1 and 3 are both named "a"'] },
  { name: 'UTF-16 LE with byte-order mark', reason: 'csv.not_utf8', csv: Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(table(60))]), code: 'bad_input', text: ['UTF-16 text (little-endian, byte-order mark FF FE)', 'save it as UTF-8'] },
  { name: 'UTF-16 BE with byte-order mark', reason: 'csv.not_utf8', csv: Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(table(60))]), code: 'bad_input', text: ['UTF-16 text (big-endian, byte-order mark FE FF)'] },
  { name: 'UTF-16 LE without byte-order mark', reason: 'csv.not_utf8', csv: utf16le(table(60)), code: 'bad_input', text: ['looks like UTF-16 text (little-endian, no byte-order mark'] },
  { name: 'UTF-32 LE with byte-order mark', reason: 'csv.not_utf8', csv: Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from(Uint32Array.from([...table(10)].map((c) => c.charCodeAt(0))).buffer)]), code: 'bad_input', text: ['UTF-32 text (little-endian'] },
  { name: 'binary file (zip) named .csv', reason: 'csv.binary', csv: Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x08\x00', 'latin1'), Buffer.from('lorem ipsum dolor sit amet '.repeat(40))]), code: 'bad_input', text: ['holds a NUL byte at byte 5', 'binary file'] },
  { name: `more than ${MAX_COLUMNS} columns`, reason: 'csv.too_many_fields', csv: `${wideHeader}\n${wideHeader}\n`, code: 'bad_input', text: ['line 1: more than 10 000 fields in one row', 'at most 10 000 columns'], maxMs: 3000 },
  { name: 'a row longer than 1 MiB', reason: 'csv.row_too_long', csv: `x,label\n${'9'.repeat(MAX_ROW_CHARS + 10)},a\n1,b\n`, code: 'bad_input', text: ['line 2: a row longer than 1 MiB'], maxMs: 3000 },
  { name: 'a quote opened and never closed in a 3 MiB file', reason: 'csv.row_too_long', csv: `x,label\n1,"a\n${'2,b\n'.repeat(800_000)}`, code: 'bad_input', text: ['line 2: a row longer than 1 MiB', 'is a quote left open'], maxMs: 5000 },
  { name: 'one 4 MiB line of commas', reason: 'csv.too_many_fields', csv: ','.repeat(4 << 20), code: 'bad_input', text: ['line 1: more than 10 000 fields'], maxMs: 3000 },
  {
    name: 'text target with 5 000 distinct values', reason: 'csv.too_many_classes_text',
    csv: ['x,name', ...Array.from({ length: 5000 }, (_, i) => `${i},person-${i}`)].join('\n'),
    code: 'bad_input',
    text: ['more than 1000 distinct target values: too many to be classes', 'text cannot be a regression target either', 'pick another target column']
  },
  {
    name: 'text target with 5 000 distinct values, asked as regression', reason: 'csv.regression_text_many',
    csv: ['x,name', ...Array.from({ length: 5000 }, (_, i) => `${i},person-${i}`)].join('\n'),
    csvOptions: { target_kind: 'regression' },
    code: 'bad_input',
    text: ['a regression target must be numeric', 'too many to be classes as well', 'pick another target column']
  },
  {
    name: 'integer target with 5 000 distinct values, asked as classes', reason: 'csv.too_many_classes',
    csv: ['x,y', ...Array.from({ length: 5000 }, (_, i) => `${i},${i}`)].join('\n'),
    csvOptions: { target_kind: 'classes' },
    code: 'bad_input',
    text: ['too many to be classes', 'import it as a regression target']
  },
  { name: 'a folder instead of a CSV file', reason: 'file.is_folder', path: 'folder-csv', code: 'bad_input', text: ['some-folder.csv: this is a folder, not a CSV file'] },
  { name: 'a folder instead of an IDX file', reason: 'file.is_folder', path: 'folder-idx', code: 'bad_input', text: ['some-folder.idx: this is a folder, not an IDX image file'] },
  {
    name: 'gzip bomb: header announcing 1 GiB of pixels', reason: 'idx.header_too_large',
    idx: { images: gzipSync(idxImages(1 << 20, 32, 32, 1 << 20)), labels: labels4 },
    code: 'bad_input',
    text: ['the header announces 1 073 741 824 bytes of data, more than the 512 MiB'],
    maxMs: 2000
  },
  {
    name: `gzip bomb: 4 small images, then ${MAX_IDX_BYTES / (1 << 20) + 88} MiB of zeros (multi-member gzip)`, reason: 'idx.too_large_data',
    idx: { images: Buffer.concat([gzipSync(idxImages(4, 2, 2)), ...Array.from({ length: MAX_IDX_BYTES / (1 << 20) + 88 }, () => zerosMember)]), labels: labels4 },
    code: 'bad_input',
    text: ['the data is larger than the 512 MiB (536 870 912 bytes)', 'after decompression'],
    maxMs: 8000
  },
  { name: 'gzip of 64 MiB of zeros (no IDX header)', reason: 'idx.bad_magic', idx: { images: Buffer.concat(Array.from({ length: 64 }, () => zerosMember)), labels: labels4 }, code: 'bad_input', text: ['wrong magic number 0x00000000'], maxMs: 2000 },
  { name: 'raw IDX header announcing 10⁹ images', reason: 'idx.header_too_large', idx: { images: idxImages(1_000_000_000, 28, 28, 10), labels: labels4 }, code: 'bad_input', text: ['the header announces 784 000 000 000 bytes'], maxMs: 1000 },
  { name: 'IDX cut inside its header', reason: 'idx.header_cut', idx: { images: idxImages(4, 2, 2).subarray(0, 10), labels: labels4 }, code: 'bad_input', text: ['the IDX header is cut off after 10 bytes (expected 16)'] },
  { name: 'well-formed IDX pair', idx: { images: idxImages(4, 2, 2), labels: labels4 }, code: 'ok', text: [] }
]

// Model files: a spec or a Keras / TF.js file as the Designer's "Open file…" and import-model send it.
const spec = (layers: unknown[]) => JSON.stringify({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [4], layers })
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
const modelRows: Row[] = [
  { name: 'model spec: a Dense layer with 0 units', model: { name: 'model.json', bytes: spec([{ class_name: 'Dense', config: { units: 0 } }]) }, code: 'bad_input', reason: 'model_file.invalid_spec', text: ['layer 1 (Dense): units must be a positive integer, got 0'] },
  { name: 'model spec: an unknown layer class', model: { name: 'model.json', bytes: spec([{ class_name: 'Transformer', config: {} }]) }, code: 'bad_input', reason: 'model_file.invalid_spec', text: ['layer 1 (Transformer): unknown layer class "Transformer"'] },
  { name: 'model spec: not JSON', model: { name: 'model.json', bytes: '{"format": "model-workbench/spec", "layers": [' }, code: 'bad_input', reason: 'model_file.not_json', text: ['model.json is not valid JSON'] },
  { name: 'model spec: well-formed', model: { name: 'model.json', bytes: spec([{ class_name: 'Dense', config: { units: 2 } }]) }, code: 'ok', text: [] },
  { name: '.keras of 0 bytes', model: { name: 'model.keras', bytes: Buffer.alloc(0) }, code: 'bad_input', reason: 'model_file.empty', text: ['model.keras is empty (0 bytes)'] },
  { name: '.keras that is not a zip', model: { name: 'model.keras', bytes: 'lorem ipsum '.repeat(20) }, code: 'bad_input', reason: 'model_file.wrong_container', text: ['model.keras is not a .keras archive (not a zip file)'] },
  { name: '.h5 without the HDF5 signature', model: { name: 'model.h5', bytes: 'lorem ipsum '.repeat(20) }, code: 'bad_input', reason: 'model_file.wrong_container', text: ['model.h5 is not an HDF5 file (no HDF5 signature)'] },
  { name: '.h5 cut after its signature', model: { name: 'model.h5', bytes: Buffer.concat([HDF5_SIGNATURE, Buffer.alloc(12)]) }, code: 'bad_input', reason: 'model_file.damaged', text: ['model.h5 is damaged'] }
]
rows.push(...modelRows)

describe('bad-file table', () => {
  let dataDir: string
  let service: WorkbenchService
  let call: ReturnType<typeof createDispatcher>

  // A fresh workbench per row on one folder: a refused import keeps its upload (for another try),
  // and a row's uploads must not fill the next rows' upload slots.
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-bad-files-'))
  })
  beforeEach(async () => {
    service = await openWorkbench({ dataDir, host: 'browser' })
    call = createDispatcher(service.handlers)
  })
  afterEach(async () => {
    await service.close()
  })
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function upload(name: string, bytes: Bytes): Promise<string> {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
    const begun = await call('uploads.begin', { name, size: data.length })
    if (!begun.ok) throw new Error(begun.error.message)
    const file = (begun.result as { file: string }).file
    const step = 6 << 20
    for (let offset = 0; offset < data.length || offset === 0; offset += step) {
      const chunk = await call('uploads.chunk', { file, offset, data_base64: data.subarray(offset, offset + step).toString('base64') })
      if (!chunk.ok) throw new Error(chunk.error.message)
      if (data.length === 0) break
    }
    const finished = await call('uploads.finish', { file })
    if (!finished.ok) throw new Error(finished.error.message)
    return file
  }

  it.each(rows)('$name', async (row) => {
    const started = performance.now()
    let answer: { ok: true } | { ok: false; error: ContractError }
    if (row.path) {
      // No upload is a folder: the library gets the path, as the command line passes it.
      const folder = join(dataDir, 'inputs', row.path === 'folder-csv' ? 'some-folder.csv' : 'some-folder.idx')
      await mkdir(folder, { recursive: true })
      try {
        if (row.path === 'folder-csv') await service.datasets.importCsv({ path: folder } as never)
        else await service.datasets.importIdx({ train_images: folder, train_labels: folder, validation: 0, seed: 1, scaling: 'divide255' } as never)
        answer = { ok: true }
      } catch (error) {
        expect(error).toBeInstanceOf(DataImportError)
        answer = { ok: false, error: (error as DataImportError).toContractError() }
      }
    } else if (row.model) {
      const file = await upload(row.model.name, row.model.bytes)
      answer = await call('models.import', { file })
    } else if (row.csv !== undefined) {
      const file = await upload('table.csv', row.csv)
      answer = await call('datasets.importCsv', { file, ...row.csvOptions })
    } else {
      const images = await upload('images.idx.gz', row.idx!.images)
      const labelsFile = await upload('labels.idx', row.idx!.labels)
      answer = await call('datasets.importIdx', { train_images: images, train_labels: labelsFile, validation: 0 })
    }
    const elapsed = performance.now() - started
    if (row.code === 'ok') {
      expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true })
    } else {
      expect(answer.ok, 'the import should have been refused').toBe(false)
      const error = (answer as { error: ContractError }).error
      expect(error.code).toBe(row.code)
      expect(error.reason, 'every refusal names its reason').toBe(row.reason)
      expect(error.details?.file, 'the details name the file').toBeTypeOf('string')
      for (const part of row.text) expect(error.message).toContain(part)
      // The user's file name, never the server's folder.
      expect(error.message).not.toContain(dataDir)
    }
    if (row.maxMs) expect(elapsed, `refused in ${Math.round(elapsed)} ms`).toBeLessThan(row.maxMs)
  })

  it('the bombs never grew the heap or the buffers by their size', () => {
    // Every row above has run in this process: a 1 GiB or 600 MiB allocation would still show in the peak RSS.
    const peakMiB = process.resourceUsage().maxRSS / 1024
    expect(peakMiB).toBeLessThan(900)
  })
})
