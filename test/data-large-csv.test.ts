// A CSV bigger than V8's longest string (2^29 - 24 characters) must import: the reader streams
// it and never holds the file as one string.
import { open, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DatasetLibrary, loadSplit } from '../src/main/data'

const MAX_STRING_LENGTH = 2 ** 29 - 24
let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'wb-large-csv-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

it('imports a CSV larger than the longest string V8 can hold', async () => {
  const path = join(root, 'large.csv')
  // Long ignored notes keep the row count (and the tensors) small while the file is huge.
  const note = '"' + 'lorem ipsum, dolor sit amet '.repeat(36) + '"'
  const rowsPerChunk = 4096
  const lines: string[] = []
  for (let i = 0; i < rowsPerChunk; i++) lines.push(`${i % 97},${(i % 13) * 0.25},${note},${i % 3 === 0 ? 'yes' : 'no'}\n`)
  const chunk = Buffer.from(lines.join(''))
  const chunks = Math.ceil((MAX_STRING_LENGTH + 1) / chunk.length)
  const file = await open(path, 'w')
  await file.write('a,b,note,label\n')
  for (let c = 0; c < chunks; c++) await file.write(chunk)
  await file.close()
  expect((await stat(path)).size).toBeGreaterThan(MAX_STRING_LENGTH)

  const dataDir = join(root, 'data')
  const library = new DatasetLibrary(dataDir)
  let lastProgress = [0, 0]
  const d = await library.importCsv(
    { path, roles: { note: 'ignore' }, missing: 'refuse', scaling: 'minmax', split: { validation: 0.1, test: 0.1 }, seed: 5 },
    (done, total) => (lastProgress = [done, total])
  )
  const rows = chunks * rowsPerChunk
  expect(d.splits.train.count + d.splits.validation!.count + d.splits.test!.count).toBe(rows)
  expect(d.classes).toEqual(['no', 'yes'])
  expect(d.columns.find((c) => c.name === 'a')!.max).toBe(96)
  expect(lastProgress[0]).toBe(lastProgress[1])
  const test = await loadSplit(dataDir, d.id, 'test')
  expect(test.featureShape).toEqual([2])
  expect(test.x.every((v) => v >= 0 && v <= 1)).toBe(true)
})
