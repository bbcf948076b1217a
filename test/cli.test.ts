// The command line as a user runs it: real processes, real exit codes, --json output.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = join(__dirname, '..')

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

async function cli(dataDir: string, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/main.ts'), ...args, '--data-dir', dataDir], { cwd: root, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('model-workbench', () => {
  let dataDir: string
  const runIds: string[] = []
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-cli-'))
  })
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('trains an example with flags and reports the run as JSON', async () => {
    for (const lr of ['0.01', '0.02']) {
      const result = await cli(dataDir, 'train', 'S7', '--epochs', '20', '--lr', lr, '--json')
      expect(result.code, result.stderr).toBe(0)
      const lines = result.stdout.trim().split('\n')
      // Progress events first (one JSON object per line), then the run as a JSON document.
      const events = lines.filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as { type: string })
      expect(events.filter((e) => e.type === 'epoch')).toHaveLength(20)
      const detail = JSON.parse(lines.slice(lines.findIndex((l) => l === '{')).join('\n')) as { id: string; status: string; config: { optimizer: { learning_rate: number } } }
      expect(detail.status).toBe('finished')
      expect(detail.config.optimizer.learning_rate).toBe(Number(lr))
      runIds.push(detail.id)
    }
  })

  it('lists runs and compares two of them, showing the learning rate that differs', async () => {
    const list = await cli(dataDir, 'runs', 'list', '--json')
    expect(JSON.parse(list.stdout).map((r: { id: string }) => r.id).sort()).toEqual([...runIds].sort())
    const compare = await cli(dataDir, 'runs', 'compare', ...runIds)
    expect(compare.code).toBe(0)
    const diffLine = compare.stdout.split('\n').find((l) => l.includes('learning_rate'))
    expect(diffLine).toMatch(/0\.01\s+0\.02/)
    expect(compare.stdout).not.toMatch(/^\S*batch_size/m)
    expect(compare.stdout).toMatch(/Metrics \(final \/ best\)/)
  })

  it('imports a CSV, and refuses a broken one with the file, line and column, changing nothing', async () => {
    const good = join(dataDir, 'points.csv')
    writeFileSync(good, 'x1,x2,label\n' + Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n')
    const imported = await cli(dataDir, 'datasets', 'import', good, '--target', 'label', '--json')
    expect(imported.code, imported.stderr).toBe(0)
    expect(JSON.parse(imported.stdout)).toMatchObject({ task: 'binary', classes: ['even', 'odd'], feature_shape: [2] })

    const bad = join(dataDir, 'broken.csv')
    writeFileSync(bad, 'x1,x2,label\n1,2,a\n3,oops,b\n')
    const before = JSON.parse((await cli(dataDir, 'datasets', 'list', '--json')).stdout).length
    const refused = await cli(dataDir, 'datasets', 'import', bad)
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/broken\.csv line 3, column "x2": "oops" is not a number/)
    expect(JSON.parse((await cli(dataDir, 'datasets', 'list', '--json')).stdout)).toHaveLength(before)
  })

  it('predicts with a trained run and prints its weights', async () => {
    const predicted = await cli(dataDir, 'predict', runIds[0], '--input', '[[5],[6]]', '--json')
    expect(predicted.code, predicted.stderr).toBe(0)
    const { probabilities } = JSON.parse(predicted.stdout) as { probabilities: number[][] }
    expect(probabilities).toHaveLength(2)
    const weights = await cli(dataDir, 'weights', runIds[0], '--json')
    expect(JSON.parse(weights.stdout).map((w: { shape: number[] }) => w.shape)).toEqual([[1, 3], [3], [3, 1], [1]])
  })

  it('reproduces a seed experiment as {id, metric, reported, reproduced, floor, pass}', async () => {
    const result = await cli(dataDir, 'reproduce', 'S7', '--json')
    expect(result.code, result.stderr).toBe(0)
    const [row] = JSON.parse(result.stdout) as Record<string, unknown>[]
    expect(row).toMatchObject({ id: 'S7', pass: true })
    expect(Object.keys(row)).toEqual(expect.arrayContaining(['id', 'metric', 'reported', 'reproduced', 'floor', 'pass']))
  })

  it('trains a spec file with the loss that fits the data set when none is given', async () => {
    const specPath = join(dataDir, 'circles.json')
    const spec = { format: 'model-workbench/spec', version: 1, name: 'xor-net', input_shape: [2], layers: [{ class_name: 'Dense', config: { units: 4, activation: 'tanh' } }, { class_name: 'Dense', config: { units: 1, activation: 'sigmoid' } }] }
    writeFileSync(specPath, JSON.stringify(spec))
    const result = await cli(dataDir, 'train', specPath, '--dataset', 'circles', '--epochs', '3', '--json')
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trim().split('\n')
    const detail = JSON.parse(lines.slice(lines.findIndex((l) => l === '{')).join('\n')) as { status: string; config: { loss: string; metrics: string[] } }
    expect(detail).toMatchObject({ status: 'finished', config: { loss: 'binary_crossentropy', metrics: ['accuracy'] } })
  })

  it("saves a binary classifier's decision threshold with the run, predict uses it (or --threshold), a regression run refuses one", async () => {
    const trained = await cli(dataDir, 'train', 'S1', '--steps', '200', '--json')
    expect(trained.code, trained.stderr).toBe(0)
    const lines = trained.stdout.trim().split('\n')
    const binaryRun = (JSON.parse(lines.slice(lines.findIndex((l) => l === '{')).join('\n')) as { id: string }).id
    const row = JSON.stringify([Array.from({ length: 30 }, () => 0)])
    const saved = await cli(dataDir, 'runs', 'threshold', binaryRun, '0.9')
    expect(saved.code, saved.stderr).toBe(0)
    expect(saved.stdout).toContain('decision threshold 0.9')
    const withSaved = JSON.parse((await cli(dataDir, 'predict', binaryRun, '--input', row, '--json')).stdout) as { threshold: number; probabilities: number[][]; classes: number[] }
    expect(withSaved.threshold).toBe(0.9)
    const p = withSaved.probabilities[0].at(-1)!
    expect(withSaved.classes[0]).toBe(p > 0.9 ? 1 : 0)
    const human = await cli(dataDir, 'predict', binaryRun, '--input', row, '--threshold', '0.2')
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain('class 1 when its probability > 0.2')
    expect((await cli(dataDir, 'predict', binaryRun, '--input', row, '--threshold', '2')).stderr).toContain('--threshold must be a number between 0 and 1')
    const cleared = await cli(dataDir, 'runs', 'threshold', binaryRun, 'none')
    expect(cleared.stdout).toContain('0.5 (default)')
    const regression = await cli(dataDir, 'runs', 'threshold', runIds[0], '0.5')
    expect(regression.code).not.toBe(0)
    expect(regression.stderr).toMatch(/binary/i)
  }, 120_000)

  it('says what is wrong with bad usage and exits 2', async () => {
    const unknown = await cli(dataDir, 'train', 'no-such-model.json')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/neither an example id .* nor a spec file/)
    const badFlag = await cli(dataDir, 'train', 'S7', '--epochs', 'many')
    expect(badFlag.code).toBe(2)
    expect(badFlag.stderr).toMatch(/--epochs must be a number/)
  })

  it('gives each command its own options: unknown ones are refused with the command usage, bad values in one line', async () => {
    const stray = await cli(dataDir, 'runs', 'list', '--lr', '0.1', '--port', '9')
    expect(stray.code).toBe(2)
    expect(stray.stderr).toMatch(/runs list does not take the options --lr, --port/)
    expect(stray.stderr).toMatch(/Usage: model-workbench runs list/)
    expect(stray.stdout).toBe('')
    const scaling = await cli(dataDir, 'datasets', 'import', join(dataDir, 'points.csv'), '--scaling', 'bogus')
    expect(scaling.code).toBe(2)
    expect(scaling.stderr.split('\n')[0]).toBe('error: --scaling must be one of none, minmax, standard, divide255, got bogus')
    expect(scaling.stderr).not.toMatch(/ZodError|"code":|^\s*\[/m)
    // A value the request schema refuses is named by its flag, in one line.
    const small = join(dataDir, 'small.csv')
    writeFileSync(small, 'x,label\n' + Array.from({ length: 12 }, (_, i) => `${i},${i % 2}`).join('\n') + '\n')
    const fraction = await cli(dataDir, 'datasets', 'import', small, '--test', '2')
    expect(fraction.code).toBe(2)
    expect(fraction.stderr.trim()).toMatch(/^error: --test: .*1$/)
    const typed = await cli(dataDir, 'runs', 'show', '--port', '1', '--json')
    expect(typed.code).toBe(2)
    expect(JSON.parse(typed.stdout)).toMatchObject({ code: 'invalid_request', reason: 'cli.unknown_option', details: { command: 'runs show', options: '--port' } })
    const missing = await cli(dataDir, 'runs', 'show', 'no-such-run', '--json')
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toMatchObject({ code: 'not_found', reason: 'run.not_found', details: { run_id: 'no-such-run' } })
    const help = await cli(dataDir, 'train', '--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: model-workbench train <spec\.json \| example-id>[\s\S]*--epochs N/)
    const optimizer = await cli(dataDir, 'train', 'S7', '--optimizer', 'adamw')
    expect(optimizer.code).toBe(2)
    expect(optimizer.stderr).toMatch(/--optimizer must be one of sgd, rmsprop, adam, adagrad, adadelta, adamax, got adamw/)
  })

  it('imports a CSV with a count line, decimal commas and an id column through the CSV flags', async () => {
    const file = join(dataDir, 'wine-like.csv')
    const rows = Array.from({ length: 30 }, (_, i) => `${1000 + i};${(i / 10).toFixed(1).replace('.', ',')};${(i * 7) % 13},5;${i % 3 ? 'b' : 'a'}`)
    writeFileSync(file, `30;3;a;b\nid;alcohol;ash;kind\n${rows.join('\n')}\n`)
    const imported = await cli(dataDir, 'datasets', 'import', file, '--skip-lines', '1', '--delimiter', ';', '--decimal-comma', '--column', '0:type=ignore', '--column', '2:name=ash_g', '--target', 'kind', '--json')
    expect(imported.code, imported.stderr).toBe(0)
    const descriptor = JSON.parse(imported.stdout) as { feature_shape: number[]; classes: string[]; columns: Array<{ name: string; role: string; type: string; max: number | null }> }
    expect(descriptor).toMatchObject({ feature_shape: [2], classes: ['a', 'b'] })
    const features = descriptor.columns.filter((c) => c.role === 'feature')
    expect(features.map((c) => [c.name, c.type])).toEqual([['alcohol', 'numeric'], ['ash_g', 'numeric']])
    expect(features[0].max).toBeCloseTo(2.9)
    const headerless = join(dataDir, 'headerless.csv')
    writeFileSync(headerless, Array.from({ length: 20 }, (_, i) => `${i},${i % 4},${i % 2 ? 'x' : 'y'}`).join('\n') + '\n')
    const noHeader = await cli(dataDir, 'datasets', 'import', headerless, '--no-header', '--json')
    expect(noHeader.code, noHeader.stderr).toBe(0)
    expect(JSON.parse(noHeader.stdout)).toMatchObject({ feature_shape: [2], classes: ['x', 'y'] })
    const badColumn = await cli(dataDir, 'datasets', 'import', headerless, '--column', '1:type=text')
    expect(badColumn.code).toBe(2)
    expect(badColumn.stderr).toMatch(/--column 1:type=text: type must be one of numeric, categorical, ignore, got text/)
  })

  it('exports a run as ONNX into a folder and says which reader verified it', async () => {
    const out = join(dataDir, 'exported-onnx')
    const result = await cli(dataDir, 'export', runIds[0], '--format', 'onnx', '--out', out, '--json')
    expect(result.code, result.stderr).toBe(0)
    const answer = JSON.parse(result.stdout) as { files: string[]; format: string; weights: string; epoch: number; verified_by: string; max_abs_diff: number }
    expect(answer.format).toBe('onnx')
    expect(answer.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(expect.arrayContaining(['model.onnx', 'preprocessing.json', 'export.json']))
    expect(answer.verified_by).toMatch(/^onnxruntime-node /)
    expect(answer.max_abs_diff).toBeLessThan(1e-4)
    expect(answer).toMatchObject({ weights: 'last', epoch: 20 })
    const human = await cli(dataDir, 'export', runIds[0], '--format', 'spec', '--out', out)
    expect(human.code, human.stderr).toBe(0)
    const bad = await cli(dataDir, 'export', runIds[0], '--format', 'pickle', '--out', out)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/export needs --format tfjs\|keras\|h5\|onnx/)
  })

  it('predicts 200 rows from a JSON file (no argument-length limit) and re-imports its Keras export', async () => {
    const rows = join(dataDir, 'rows.json')
    writeFileSync(rows, JSON.stringify(Array.from({ length: 200 }, (_, i) => [i / 100])))
    const predicted = await cli(dataDir, 'predict', runIds[0], '--input-file', rows, '--json')
    expect(predicted.code, predicted.stderr).toBe(0)
    const answer = JSON.parse(predicted.stdout) as { probabilities: number[][]; weights: { which: string } }
    expect(answer.probabilities).toHaveLength(200)
    // S7 learns y = 2x: the trained model roughly doubles its input.
    expect(answer.probabilities[150][0]).toBeGreaterThan(2)
    const out = join(dataDir, 'exported-keras')
    expect((await cli(dataDir, 'export', runIds[0], '--format', 'keras', '--out', out)).code).toBe(0)
    const imported = await cli(dataDir, 'import-model', join(out, 'model.keras'), '--json')
    expect(imported.code, imported.stderr).toBe(0)
    const doc = JSON.parse(imported.stdout) as { source: string; weights_included: boolean; spec: { input_shape: number[] } }
    expect(doc).toMatchObject({ source: 'keras', weights_included: true, spec: { input_shape: [1] } })
    const missing = await cli(dataDir, 'import-model', join(out, 'nope.keras'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read .*nope\.keras: no such file/)
  })
})
