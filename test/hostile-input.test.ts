// The attacks of issue 8 (§3, §4) kept as tests, against a real workbench on a temp folder:
// hostile specs (Object member names, 10 000 layers, Dense(1e9), a batch too big for memory),
// racing and malformed upload chunks, upload caps and names, stale upload folders of dead
// owners, error codes that must not be `internal`, and the data folder's file modes.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { validateSpec, type ModelSpec } from '../src/shared/model-spec'
import { checkSpecLimits, MAX_ACTIVATION_BYTES, MAX_LAYERS, MAX_PARAMS } from '../src/shared/model-spec/limits'
import { trainingConfigSchema } from '../src/shared/training'
import type { ForkTrainer } from '../src/main/engine/supervisor'
import { createDispatcher } from '../src/main/services/dispatcher'
import { MAX_OPEN_UPLOADS, MAX_UPLOAD_BYTES, OWNER_FILE } from '../src/main/services/uploads'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

const isWindows = process.platform === 'win32'

function spec(layers: ModelSpec['layers'], inputShape = [2]): ModelSpec {
  return { format: 'model-workbench/spec', version: 1, name: 'hostile', input_shape: inputShape, layers }
}

const dense = (units: number, extra: Record<string, unknown> = {}) => ({ class_name: 'Dense', config: { units, ...extra } })

/** A trainer that starts, never trains, and exits when told to stop: a run that stays active. */
const idleTrainer: ForkTrainer = () => {
  const exits: ((code: number | null, signal: string | null) => void)[] = []
  const exit = (code: number | null, signal: string | null) => setTimeout(() => exits.forEach((cb) => cb(code, signal)), 5)
  const channel = {
    send: (message: unknown) => {
      if ((message as { type?: string }).type === 'stop') exit(0, null)
    },
    on: (event: string, cb: (...args: never[]) => void) => {
      if (event === 'exit') exits.push(cb as (code: number | null, signal: string | null) => void)
    },
    kill: () => exit(null, 'SIGKILL')
  }
  return channel
}

describe('hostile specs', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])('class_name %s is an unknown layer, never a throw', (name) => {
    const result = validateSpec(spec([{ class_name: name, config: {} }]))
    expect(result.ok).toBe(false)
    expect(result.errors[0]?.message).toContain(`layer 1 (${name}): unknown layer class "${name}"`)
  })

  it.each(['__proto__', 'constructor', 'toString'])('initializer and regularizer %s are refused with the known names', (name) => {
    for (const config of [{ kernel_initializer: name }, { kernel_initializer: { class_name: name, config: {} } }, { kernel_regularizer: name }, { kernel_regularizer: { class_name: name } }]) {
      const result = validateSpec(spec([dense(2, config)]))
      expect(result.ok, JSON.stringify(config)).toBe(false)
      expect(result.errors[0]?.message).toMatch(/must be (null or )?one of|unknown initializer class|unknown regularizer class/)
    }
  })

  it('a config key named like an Object member is an unknown field', () => {
    const result = validateSpec(spec([dense(2, { constructor: 1, toString: 2 })]))
    expect(result.errors.map((e) => e.message)).toEqual([expect.stringContaining('unknown field "constructor"'), expect.stringContaining('unknown field "toString"')])
  })

  it(`a 10 000-layer spec is refused at once (limit ${MAX_LAYERS}); ${MAX_LAYERS} layers validate in linear time`, () => {
    const huge = spec(Array.from({ length: 10_000 }, () => dense(2)))
    let started = performance.now()
    const refused = validateSpec(huge)
    const refusedMs = performance.now() - started
    expect(refused.ok).toBe(false)
    expect(refused.errors[0]?.message).toBe('the model has 10 000 layers, more than the 2 000 the workbench accepts; use fewer layers')
    expect(refusedMs).toBeLessThan(50)

    started = performance.now()
    const atLimit = validateSpec(spec(Array.from({ length: MAX_LAYERS }, () => dense(2))))
    const limitMs = performance.now() - started
    expect(atLimit.ok).toBe(true)
    expect(atLimit.layers.at(-1)?.name).toBe(`dense_${MAX_LAYERS}`)
    expect(limitMs).toBeLessThan(1000)
  })

  it('Dense(1e9) and a batch beyond memory are refused with their numbers', () => {
    const giant = validateSpec(spec([dense(1e9)], [784]))
    expect(giant.ok).toBe(true)
    expect(checkSpecLimits(giant.summary, 32)).toBe(
      `the model has 785 000 000 000 parameters (layer 1 (Dense) "dense_1" alone has 785 000 000 000), more than the limit of 50 000 000 (training would need about 11.4 TiB for the weights alone); use fewer units or filters, or pool before a Dense layer`
    )
    const wide = validateSpec(spec([{ class_name: 'Conv2D', config: { filters: 64, kernel_size: 3, padding: 'same' } }, { class_name: 'Flatten', config: {} }, dense(1)], [256, 256, 3]))
    expect(wide.ok).toBe(true)
    expect(checkSpecLimits(wide.summary, 32)).toBeNull()
    const message = checkSpecLimits(wide.summary, 4096)
    expect(message).toMatch(/^one batch of 4 096 samples needs about [\d.]+ GiB for the layers' outputs and their gradients, more than the limit of 4\.0 GiB; use a batch size of at most \d+/)
    expect(MAX_ACTIVATION_BYTES).toBe(4 * 1024 ** 3)
    expect(MAX_PARAMS).toBe(50_000_000)
  })
})

describe('hostile contract calls on a real workbench', () => {
  let dataDir: string
  let service: WorkbenchService
  let call: ReturnType<typeof createDispatcher>

  beforeAll(async () => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'mw-hostile-')), 'data')
    service = await openWorkbench({ dataDir, host: 'browser', fork: idleTrainer })
    call = createDispatcher(service.handlers)
  })
  afterAll(async () => {
    await service.close()
    rmSync(join(dataDir, '..'), { recursive: true, force: true })
  })

  async function begin(name: string, size: number): Promise<string> {
    const answer = await call('uploads.begin', { name, size })
    if (!answer.ok) throw new Error(answer.error.message)
    return (answer.result as { file: string }).file
  }

  it('runs.start refuses a model past the limits before touching the data set', async () => {
    const config = trainingConfigSchema.parse({ loss: 'mean_squared_error' })
    const answer = await call('runs.start', { spec: spec([dense(1e9)], [784]), config, dataset_id: 'no-such-set' })
    expect(answer).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringContaining('the model is too big to train: the model has 785 000 000 000 parameters') } })
    const layers = await call('runs.start', { spec: spec(Array.from({ length: 10_000 }, () => dense(2))), config, dataset_id: 'xor' })
    expect(layers).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringContaining('10 000 layers') } })
  })

  it('two chunks sent together at one offset: one is written, the other refused (AAAA, never AAAABBBB)', async () => {
    const file = await begin('race.txt', 8)
    const [a, b] = await Promise.all([
      call('uploads.chunk', { file, offset: 0, data_base64: Buffer.from('AAAA').toString('base64') }),
      call('uploads.chunk', { file, offset: 0, data_base64: Buffer.from('BBBB').toString('base64') })
    ])
    expect(a).toMatchObject({ ok: true, result: { received: 4 } })
    expect(b).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringContaining('chunk at byte 0 but 4 bytes received so far') } })
    // Chunks sent together at consecutive offsets are taken in turn.
    const [c, d] = await Promise.all([
      call('uploads.chunk', { file, offset: 4, data_base64: Buffer.from('CC').toString('base64') }),
      call('uploads.chunk', { file, offset: 6, data_base64: Buffer.from('DD').toString('base64') })
    ])
    expect([c.ok, d.ok]).toEqual([true, true])
    const finished = await call('uploads.finish', { file })
    expect(finished).toMatchObject({ ok: true, result: { size: 8 } })
    const dir = join(dataDir, 'uploads', file)
    expect(readFileSync(join(dir, 'race.txt'), 'utf8')).toBe('AAAACCDD')
  })

  it.each(['QUJD\nREVG', 'QUJ', 'QU=J', 'QUJD!!!!', '====', 'QUJD REVG', 'QUJD-_'])('invalid base64 %j is bad_input', async (data) => {
    const file = await begin('b64.txt', 100)
    const answer = await call('uploads.chunk', { file, offset: 0, data_base64: data })
    expect(answer).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringContaining('not valid base64') } })
  })

  it('an 8 MiB chunk of valid base64 is checked without exhausting the stack', async () => {
    const bytes = Buffer.alloc(6 << 20, ',')
    const file = await begin('commas.csv', bytes.length)
    expect(await call('uploads.chunk', { file, offset: 0, data_base64: bytes.toString('base64') })).toMatchObject({ ok: true, result: { received: bytes.length } })
  })

  it.each(['.', '..', ' .. ', '\0'])('upload name %j is bad_input', async (name) => {
    expect(await call('uploads.begin', { name, size: 1 })).toMatchObject({ ok: false, error: { code: 'bad_input' } })
  })

  it('a name that would be the owner file or dots only never takes the path', async () => {
    for (const name of [OWNER_FILE, '...', '../../etc/passwd']) {
      const file = await begin(name, 0)
      const entries = readdirSync(join(dataDir, 'uploads', file)).sort()
      expect(entries).toHaveLength(2)
      expect(entries).toContain(OWNER_FILE)
      expect(JSON.parse(readFileSync(join(dataDir, 'uploads', file, OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid })
    }
  })

  it('datasets.delete of a missing id is not_found without the server folder', async () => {
    const answer = await call('datasets.delete', { id: 'never-imported' })
    expect(answer).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('data set "never-imported" not found') } })
    expect(JSON.stringify(answer)).not.toContain(dataDir)
  })

  it('runs.delete of an active run is conflict', async () => {
    const config = trainingConfigSchema.parse({ loss: 'binary_crossentropy', epochs: 1 })
    const started = await call('runs.start', { spec: spec([dense(1, { activation: 'sigmoid' })]), config, dataset_id: 'xor' })
    expect(started, JSON.stringify(started)).toMatchObject({ ok: true })
    const runId = (started as { result: { run_id: string } }).result.run_id
    expect(await call('runs.delete', { run_id: runId })).toMatchObject({ ok: false, error: { code: 'conflict' } })
    await call('runs.stop', { run_id: runId })
    await service.waitForRun(runId)
    expect(await call('runs.delete', { run_id: runId })).toMatchObject({ ok: true })
  })

  it.skipIf(isWindows)('the data folder is 0700; the database, tensors, descriptor and upload files 0600', async () => {
    const mode = (path: string) => statSync(path).mode & 0o777
    const csv = Buffer.from('x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,1,a\n2,3,b\n')
    const file = await begin('perm.csv', csv.length)
    await call('uploads.chunk', { file, offset: 0, data_base64: csv.toString('base64') })
    await call('uploads.finish', { file })
    const uploadDir = join(dataDir, 'uploads', file)
    expect(mode(join(uploadDir, 'perm.csv'))).toBe(0o600)
    expect(mode(join(uploadDir, OWNER_FILE))).toBe(0o600)
    const imported = await call('datasets.importCsv', { file })
    expect(imported).toMatchObject({ ok: true })
    const id = (imported as { result: { id: string } }).result.id
    expect(mode(dataDir)).toBe(0o700)
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(join(dataDir, 'workbench.db' + suffix))) expect(mode(join(dataDir, 'workbench.db' + suffix)), suffix).toBe(0o600)
    for (const name of readdirSync(join(dataDir, 'datasets', id))) expect(mode(join(dataDir, 'datasets', id, name)), name).toBe(0o600)
  })
  it(`the announced size is capped (${MAX_UPLOAD_BYTES} bytes) and so are the uploads held at once (${MAX_OPEN_UPLOADS})`, async () => {
    expect(await call('uploads.begin', { name: 'huge.csv', size: MAX_UPLOAD_BYTES + 1 })).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringContaining('more than the 4 294 967 296 bytes (4 GiB)') } })
    // Uploads still receiving data are never dropped to make room: past the cap a new one is refused.
    const open: string[] = []
    let refused: unknown = null
    for (let i = 0; i < MAX_OPEN_UPLOADS + 1 && refused === null; i++) {
      const answer = await call('uploads.begin', { name: `part-${i}.csv`, size: 10 })
      if (answer.ok) open.push((answer.result as { file: string }).file)
      else refused = answer
    }
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(new RegExp(`^${MAX_OPEN_UPLOADS} uploads are .*the most the workbench holds at once`)) } })
    expect(readdirSync(join(dataDir, 'uploads')).length).toBeLessThanOrEqual(MAX_OPEN_UPLOADS)
    const realNow = Date.now
    try {
      // A minute later, complete uploads kept after failed imports make room (least recently used first)…
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2 * 60_000)
      expect(readdirSync(join(dataDir, 'uploads')).length).toBeGreaterThan(open.length)
      expect(await call('uploads.begin', { name: 'later.csv', size: 10 })).toMatchObject({ ok: true })
      // …and after ten idle minutes, abandoned half-received ones do too (not "later.csv", idle for 9).
      vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 11 * 60_000)
      for (let i = 0; i < MAX_OPEN_UPLOADS - 1; i++) expect(await call('uploads.begin', { name: `fresh-${i}.csv`, size: 10 })).toMatchObject({ ok: true })
      expect(await call('uploads.begin', { name: 'one-too-many.csv', size: 10 })).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect(readdirSync(join(dataDir, 'uploads')).length).toBe(MAX_OPEN_UPLOADS)
    } finally {
      vi.restoreAllMocks()
    }
  })
})

describe('start-up', () => {
  it('removes upload folders whose owner is dead or unknown, keeps a live owner\'s, and tightens an open data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mw-stale-'))
    try {
      if (!isWindows) chmodSync(dataDir, 0o755)
      const uploads = join(dataDir, 'uploads')
      const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
      const folders = { 'upload-0000000000000001': null, 'upload-0000000000000002': Number(deadPid), 'upload-0000000000000003': process.pid }
      for (const [name, pid] of Object.entries(folders)) {
        mkdirSync(join(uploads, name), { recursive: true })
        writeFileSync(join(uploads, name, 'data.csv'), 'a,b\n1,2\n')
        if (pid !== null) writeFileSync(join(uploads, name, OWNER_FILE), JSON.stringify({ host: hostname(), pid, started_at: new Date().toISOString() }))
      }
      const service = await openWorkbench({ dataDir, host: 'browser' })
      try {
        await call(service)
        expect(readdirSync(uploads).sort()).toEqual(['upload-0000000000000003'])
        if (!isWindows) expect(statSync(dataDir).mode & 0o777).toBe(0o700)
      } finally {
        await service.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

/** One harmless call: the start-up sweep has finished once any upload call answers. */
async function call(service: WorkbenchService): Promise<void> {
  const answer = await createDispatcher(service.handlers)('uploads.finish', { file: 'upload-ffffffffffffffff' })
  expect(answer).toMatchObject({ ok: false, error: { code: 'not_found' } })
}
