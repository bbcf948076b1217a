// A fixed-seed fuzz of the contract through the dispatcher of a real workbench on a temp folder:
// a few thousand messages (valid requests, mutated requests, random JSON, Object-member names,
// hostile upload chunks sent concurrently), checking that nothing crashes or hangs, that every
// answer is a well-formed {ok, result} or {ok: false, error: {code, message}} that JSON can carry,
// that no answer shows the server's folder, and that the database passes integrity_check after.
// Trainers are a stand-in that dies at once (this is about the service, not about training).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { methods } from '../src/shared/contract'
import { errorDetailsSchema, isKnownReason } from '../src/shared/errors'
import { mulberry32 } from '../src/shared/random'
import type { ForkTrainer } from '../src/main/engine/supervisor'
import { createDispatcher, type DispatchResult } from '../src/main/services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

const SEED = 20_261_201
const MESSAGES = 5000
const CALL_TIMEOUT_MS = 10_000
const CODES = new Set(['invalid_request', 'not_found', 'conflict', 'bad_input', 'internal'])

/** A trainer that exits at once (training) or answers every job with an error. */
const deadTrainer: ForkTrainer = () => {
  const exits: ((code: number | null, signal: string | null) => void)[] = []
  const messages: ((message: unknown) => void)[] = []
  const channel = {
    send: (message: unknown) => {
      const type = (message as { type?: string }).type
      setTimeout(() => {
        if (type === 'start' || type === 'stop') exits.forEach((cb) => cb(1, null))
        else if (type && type !== 'pause' && type !== 'resume') messages.forEach((cb) => cb({ type: 'error', message: 'the fuzz trainer does not compute' }))
      }, 1)
    },
    on: (event: string, cb: (...args: never[]) => void) => {
      if (event === 'exit') exits.push(cb as (code: number | null, signal: string | null) => void)
      else messages.push(cb as (message: unknown) => void)
    },
    kill: () => setTimeout(() => exits.forEach((cb) => cb(null, 'SIGKILL')), 1)
  }
  return channel
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

describe('contract fuzz', () => {
  let root: string
  let dataDir: string
  let service: WorkbenchService
  let dispatch: ReturnType<typeof createDispatcher>

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mw-fuzz-'))
    dataDir = join(root, 'data')
    service = await openWorkbench({ dataDir, host: 'browser', fork: deadTrainer })
    dispatch = createDispatcher(service.handlers)
  })
  afterAll(() => {
    rmSync(root, { recursive: true, force: true })
  })

  it(`${MESSAGES} fuzzed messages and upload chunks (seed ${SEED}): no crash, no hang, well-formed answers, database intact`, async () => {
    const random = mulberry32(SEED)
    const int = (n: number) => Math.floor(random() * n)
    const pick = <T>(items: readonly T[]): T => items[int(items.length)]
    const chance = (p: number) => random() < p

    const names = Object.keys(methods)
    const nasty = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', '..', '.', 'a'.repeat(300), 'x\u0000y', '../../etc/passwd', 'upload-0000000000000000', '💥', 'runs.start ', 'RUNS.LIST']
    const ids: string[] = ['xor', 'iris', 'missing', 'upload-0123456789abcdef', '__proto__', 'constructor', 'run-1', '..']
    const uploads: { file: string; size: number; received: number }[] = []

    function randomString(): string {
      switch (int(6)) {
        case 0:
          return pick(nasty)
        case 1:
          return pick(ids)
        case 2:
          return String.fromCharCode(...Array.from({ length: int(20) }, () => int(0x2fff)))
        case 3:
          return Buffer.from(Array.from({ length: int(12) }, () => int(256))).toString('base64')
        default:
          return `s${int(1000)}`
      }
    }

    function randomJson(depth = 0): Json {
      const kind = depth > 3 ? int(4) : int(7)
      switch (kind) {
        case 0:
          return null
        case 1:
          return chance(0.5)
        case 2:
          return pick([0, -1, 1, 2.5, 1e308, -1e308, 2 ** 53, 1e-300, 255, 256, 10_000, 1e9])
        case 3:
          return randomString()
        case 4:
          return Array.from({ length: int(5) }, () => randomJson(depth + 1))
        default: {
          const object: { [key: string]: Json } = {}
          for (let i = 0; i < int(5); i++) object[chance(0.3) ? pick(nasty) : pick(['id', 'file', 'run_id', 'name', 'size', 'offset', 'spec', 'config', 'split', 'count'])] = randomJson(depth + 1)
          return object
        }
      }
    }

    const validSpec = (units: number) => ({ format: 'model-workbench/spec', version: 1, name: 'fuzz', input_shape: [2], layers: [{ class_name: chance(0.9) ? 'Dense' : pick(nasty), config: { units, activation: 'sigmoid' } }] })

    function mutate(value: Json): Json {
      if (value === null || typeof value !== 'object') return chance(0.5) ? randomJson(2) : value
      if (Array.isArray(value)) return chance(0.3) ? [] : value.map((item) => (chance(0.2) ? mutate(item) : item))
      const copy: { [key: string]: Json } = { ...value }
      const keys = Object.keys(copy)
      if (keys.length && chance(0.4)) copy[pick(keys)] = mutate(copy[pick(keys)])
      if (chance(0.2)) copy[pick(nasty)] = randomJson(2)
      if (keys.length && chance(0.2)) delete copy[pick(keys)]
      return copy
    }

    /** A plausible request for `method`, then maybe mutated. */
    function request(method: string): Json {
      const anyId = () => (chance(0.7) ? pick(ids) : randomString())
      const upload = () => (uploads.length && chance(0.8) ? pick(uploads).file : anyId())
      let base: Json
      switch (method) {
        case 'uploads.begin':
          base = { name: chance(0.8) ? pick(['data.csv', 'images.idx', 'x.gz']) : randomString(), size: chance(0.8) ? int(64) : (randomJson()) }
          break
        case 'uploads.chunk': {
          const target = uploads.length ? pick(uploads) : null
          const bytes = Buffer.from(Array.from({ length: int(24) }, () => (chance(0.9) ? pick([...'0123456789,.\n-abc']).charCodeAt(0) : int(256))))
          const data = chance(0.85) ? bytes.toString('base64') : pick(['@@@@', 'QUJ', 'QU=J', '====', 'QUJD\n', bytes.toString('base64url') + '-_'])
          base = { file: target?.file ?? anyId(), offset: target && chance(0.7) ? target.received : int(100), data_base64: data }
          break
        }
        case 'uploads.finish':
        case 'datasets.previewCsv':
          base = { file: upload() }
          break
        case 'datasets.importCsv':
          base = { file: upload(), ...(chance(0.3) ? { target_kind: pick(['classes', 'regression']) } : {}), ...(chance(0.2) ? { roles: { [pick(nasty)]: 'target' } } : {}) }
          break
        case 'datasets.importIdx':
          base = { train_images: upload(), train_labels: upload(), validation: pick([0, 0.1, 0.5]) }
          break
        case 'datasets.get':
        case 'datasets.delete':
          base = { id: chance(0.2) ? pick(['xor', 'iris']) : anyId() }
          break
        case 'datasets.samples':
          base = { id: pick(['xor', 'iris', 'missing', '__proto__']), split: pick(['train', 'test', 'validation']), offset: int(300), count: 1 + int(40) }
          break
        case 'models.save':
          base = { name: chance(0.8) ? `model-${int(5)}` : randomString(), spec: validSpec(1 + int(4)) }
          break
        case 'runs.start':
          base = { spec: validSpec(chance(0.95) ? 1 : 1e9), config: { loss: 'binary_crossentropy', epochs: 1, batch_size: chance(0.9) ? 8 : 1e6 }, dataset_id: chance(0.8) ? 'xor' : anyId() }
          break
        default:
          base = { run_id: anyId(), id: anyId(), file: upload() }
      }
      return chance(0.25) ? mutate(base) : base
    }

    const counts = new Map<string, number>()
    const problems: string[] = []
    const internals = new Set<string>()
    const unreasoned = new Set<string>()
    const reasons = new Set<string>()
    const okBy = new Map<string, number>()
    const importRefusals = new Set<string>()
    let calls = 0
    const started = performance.now()

    async function send(rawMethod: unknown, params: unknown): Promise<DispatchResult> {
      // Names for messages only: String() of {"toString": 1} throws.
      const method = typeof rawMethod === 'string' ? rawMethod : `(${typeof rawMethod})`
      calls++
      // Through JSON, as the wire carries it: "__proto__" keys become own properties.
      const wire = JSON.parse(JSON.stringify({ method: rawMethod, params: params ?? null })) as { method: unknown; params: unknown }
      let timer: NodeJS.Timeout | undefined
      const answer = await Promise.race([
        dispatch(wire.method, wire.params),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${method} did not answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS)))
      ]).finally(() => clearTimeout(timer))
      const text = JSON.stringify(answer)
      if (typeof answer.ok !== 'boolean') problems.push(`${method}: answer without ok: ${text.slice(0, 200)}`)
      else if (answer.ok && !('result' in answer)) problems.push(`${method}: ok without result`)
      else if (!answer.ok && (!CODES.has(answer.error?.code) || typeof answer.error.message !== 'string' || answer.error.message.length === 0)) problems.push(`${method}: malformed error ${text.slice(0, 200)}`)
      if (method !== 'app.info' && text.includes(dataDir)) problems.push(`${method}: the answer shows the server folder: ${text.slice(0, 300)}`)
      if (answer.ok) okBy.set(method, (okBy.get(method) ?? 0) + 1)
      const key = answer.ok ? 'ok' : answer.error.code
      counts.set(key, (counts.get(key) ?? 0) + 1)
      if (!answer.ok && answer.error.code === 'internal') internals.add(`${method}: ${answer.error.message.slice(0, 160)}`)
      // Errors are data: every refusal names its reason (registered, with details when it has any).
      if (!answer.ok && answer.error.code !== 'internal') {
        const { reason, details } = answer.error
        if (!isKnownReason(reason)) unreasoned.add(`${method}: ${String(reason)}: ${answer.error.message.slice(0, 120)}`)
        else reasons.add(reason)
        if (details !== undefined && !errorDetailsSchema.safeParse(details).success) problems.push(`${method}: details that do not cross the contract: ${JSON.stringify(details).slice(0, 200)}`)
      }
      // Keep track of the uploads, so chunks can aim at their real offsets.
      if (answer.ok && method === 'uploads.begin') uploads.push({ file: (answer.result as { file: string }).file, size: (wire.params as { size: number }).size, received: 0 })
      if (answer.ok && method === 'uploads.chunk') {
        const upload = uploads.find((u) => u.file === (wire.params as { file: string }).file)
        if (upload) upload.received = (answer.result as { received: number }).received
      }
      return answer
    }

    /** A whole upload of a mangled CSV (or IDX) and an import of it: reaches the importers' parsers. */
    async function uploadAndImport(): Promise<void> {
      const clean = chance(0.3)
      const rows = Array.from({ length: 4 + int(30) }, (_, i) => `${i},${int(9)}.${int(9)},${clean ? pick(['a', 'b']) : pick(['a', 'b', '"c,d"', '', 'NaN', 'x'])}`)
      let bytes = Buffer.from([pick(['x,y,label', 'a,a,label', '__proto__,constructor,toString', 'x;y;label', '"x","y"']), ...rows].join(pick(['\n', '\r\n', '\r'])))
      const mangle = clean ? -1 : int(6)
      if (mangle === 0) bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bytes.toString(), 'utf16le')])
      else if (mangle === 1) for (let i = 0; i < 1 + int(5); i++) bytes[int(bytes.length)] = int(256)
      else if (mangle === 2) bytes = bytes.subarray(0, int(bytes.length))
      else if (mangle === 3) bytes = Buffer.concat([bytes, Buffer.from('"unclosed\n1,2')])
      const begun = await send('uploads.begin', { name: pick(['fuzz.csv', 'fuzz.idx']), size: bytes.length })
      if (!begun.ok) return
      const file = (begun.result as { file: string }).file
      const half = int(bytes.length + 1)
      await send('uploads.chunk', { file, offset: 0, data_base64: bytes.subarray(0, half).toString('base64') })
      await send('uploads.chunk', { file, offset: half, data_base64: bytes.subarray(half).toString('base64') })
      await send('uploads.finish', { file })
      if (chance(0.3)) await send('datasets.previewCsv', { file })
      const imported = clean || chance(0.85)
        ? await send('datasets.importCsv', { file, ...(chance(0.3) ? { missing: pick(['drop', 'fill']) } : {}), ...(chance(0.2) ? { target_kind: pick(['classes', 'regression']) } : {}) })
        : await send('datasets.importIdx', { train_images: file, train_labels: file, validation: 0 })
      if (!imported.ok && imported.error.code === 'bad_input') importRefusals.add(imported.error.message.replace(/\d+/g, 'N').slice(0, 90))
      if (imported.ok && chance(0.5)) await send('datasets.delete', { id: (imported.result as { id: string }).id })
    }

    let sent = 0
    while (sent < MESSAGES) {
      // Batches run concurrently: chunks of one upload race each other, imports race deletes.
      const batch = Array.from({ length: 1 + int(8) }, () => {
        sent++
        const roll = random()
        if (roll < 0.04) return uploadAndImport()
        if (roll < 0.06) return send(chance(0.5) ? pick(nasty) : randomJson(), randomJson())
        if (roll < 0.1) return send(pick(names), randomJson())
        const method = roll < 0.45 ? pick(['uploads.begin', 'uploads.chunk', 'uploads.chunk', 'uploads.chunk', 'uploads.chunk', 'uploads.chunk', 'uploads.chunk', 'uploads.finish']) : pick(names.filter((name) => name !== 'app.info' && name !== 'datasets.list'))
        return send(method, request(method))
      })
      await Promise.all(batch as Promise<unknown>[])
    }
    // The two slow ones once each: they probe the backends and materialise every built-in.
    await send('app.info', {})
    await send('datasets.list', {})
    const elapsed = performance.now() - started
    console.log(`contract fuzz: ${calls} messages in ${Math.round(elapsed)} ms; answers ${JSON.stringify(Object.fromEntries([...counts].sort()))}; ok by method ${JSON.stringify(Object.fromEntries([...okBy].sort()))}; ${importRefusals.size} kinds of refused import, e.g. ${[...importRefusals].slice(0, 6).join(' | ')}`)

    expect(problems).toEqual([])
    // internal means a bug of ours, never a hostile input's fault.
    expect([...internals]).toEqual([])
    expect([...unreasoned]).toEqual([])
    expect(reasons.size).toBeGreaterThan(5)
    // The fuzz reaches the handlers, not only the schemas: chunks are written, runs start and end.
    expect(counts.get('ok') ?? 0).toBeGreaterThan(MESSAGES / 20)
    expect(okBy.get('uploads.chunk') ?? 0).toBeGreaterThan(50)
    expect(okBy.get('runs.start') ?? 0).toBeGreaterThan(0)
    expect(okBy.get('datasets.importCsv') ?? 0).toBeGreaterThan(0)
    expect(importRefusals.size).toBeGreaterThan(3)
    expect(counts.get('invalid_request') ?? 0).toBeGreaterThan(0)
    expect(counts.get('bad_input') ?? 0).toBeGreaterThan(0)

    // Every run the fuzz started has ended; the database is intact.
    for (const run of service.store.listRuns()) await service.waitForRun(run.id)
    await service.close()
    const db = new Database(join(dataDir, 'workbench.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
    } finally {
      db.close()
    }
  }, 60_000)
})
