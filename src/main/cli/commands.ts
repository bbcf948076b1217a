// The command line's commands: each one drives the workbench service the views use, with the
// same contract validation, and prints a table or (--json) machine-readable output.
import { existsSync, readFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { architectureDiff, architectureDiffLines, diffRuns } from '../../shared/compare'
import { EXAMPLES } from '../../shared/examples'
import type { ProgressEvent, RunDetail } from '../../shared/run'
import { readSpec, summaryText, type ModelSpec } from '../../shared/model-spec'
import { lossForTask, trainingConfigSchema, type TrainingConfigInput } from '../../shared/training'
import { openWorkbench, type WorkbenchService } from '../services/workbench'
import { FORCE_STOP_AFTER_MS } from '../services/runs-service'
import type { CliValues } from './main'
import { CliError, formatDuration, formatNumber, progressLine, table } from './output'
import { caller } from './caller'
import { parseColumnFlag } from './args'
import { reproduce } from './reproduce'
import { exportCommand, importModelCommand, importRunCommand, predictCommand } from './model-commands'
import { sweepCommand } from './sweep-command'

type Out = (text: string) => void
const out: Out = (text) => process.stdout.write(text)
const err: Out = (text) => process.stderr.write(text)

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed)) throw new CliError(`--${flag} must be a number, got "${value}"`, 2)
  return parsed
}

/** The spec, config and data set of a `train` invocation: an example id or a spec file plus flags. */
export function trainingRequest(target: string, values: CliValues): { spec: ModelSpec; config: TrainingConfigInput; dataset_id: string; name?: string; loss_chosen: boolean } {
  const example = EXAMPLES.find((e) => e.id.toLowerCase() === target.toLowerCase())
  let spec: ModelSpec
  let config: TrainingConfigInput
  let datasetId: string | undefined
  if (example) {
    spec = example.spec
    config = structuredClone(example.config)
    datasetId = example.dataset_id
  } else {
    const path = resolve(target)
    if (!existsSync(path)) throw new CliError(`"${target}" is neither an example id (${EXAMPLES.map((e) => e.id).join(', ')}) nor a spec file`, 2)
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'))
    } catch (error) {
      throw new CliError(`${basename(path)}: not valid JSON (${(error as Error).message})`, 2)
    }
    const read = readSpec(raw)
    if (!read.ok) throw new CliError(`${basename(path)}: ${read.errors.map((e) => e.message).join('; ')}`, 2)
    spec = read.spec
    // Placeholder until the data set is known: `train` picks the loss from its task (lossForTask).
    config = { loss: 'mean_squared_error' }
  }
  datasetId = values.dataset ?? datasetId
  if (!datasetId) throw new CliError('--dataset is required with a spec file (see `model-workbench datasets list`)', 2)
  const epochs = number(values.epochs, 'epochs')
  const steps = number(values.steps, 'steps')
  if (epochs !== undefined) config.budget = { kind: 'epochs', epochs }
  if (steps !== undefined) config.budget = { kind: 'steps', steps }
  const batch = number(values['batch-size'], 'batch-size')
  if (batch !== undefined) config.batch_size = batch
  const seed = number(values.seed, 'seed')
  if (seed !== undefined) config.seed = seed
  if (values.optimizer) config.optimizer = { name: values.optimizer } as TrainingConfigInput['optimizer']
  const lr = number(values.lr, 'lr')
  if (lr !== undefined) config.optimizer = { ...(config.optimizer ?? { name: 'adam' }), learning_rate: lr }
  if (values.loss) config.loss = values.loss as TrainingConfigInput['loss']
  if (values.metrics) config.metrics = values.metrics.split(',').map((m) => m.trim()) as TrainingConfigInput['metrics']
  if (values.backend) config.backend = values.backend as TrainingConfigInput['backend']
  const threads = number(values.threads, 'threads')
  if (threads !== undefined) config.threads = threads
  const split = number(values['validation-split'], 'validation-split')
  if (split !== undefined) config.validation = split > 0 ? { kind: 'split', fraction: split } : { kind: 'none' }
  const parsed = trainingConfigSchema.safeParse(config)
  if (!parsed.success) throw new CliError(`invalid training options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 2)
  return { spec, config: parsed.data, dataset_id: datasetId, name: values.name, loss_chosen: Boolean(example || values.loss) }
}

/** Prints a run's progress like Keras's fit(verbose=1); returns when the run ends. */
export function followRun(service: WorkbenchService, runId: string, json: boolean): Promise<ProgressEvent & { type: 'ended' }> {
  const tty = Boolean(process.stderr.isTTY) && !json
  let lastLine = 0
  let epochs: number | null = null
  return new Promise((resolvePromise) => {
    const off = service.onEvent((event, payload) => {
      if (event !== 'run.progress') return
      const e = payload as ProgressEvent
      if (e.run_id !== runId) return
      if (json) {
        if (e.type !== 'batch') out(JSON.stringify(e) + '\n')
      } else if (e.type === 'started') {
        epochs = e.epochs
        const skipped = e.backend.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')
        err(`run ${runId} on backend ${e.backend.name}${e.backend.forced ? ' (forced)' : ''}${skipped ? ` — skipped ${skipped}` : ''}\n`)
        if (epochs) err(`Epoch 1/${epochs}\n`)
      } else if (e.type === 'batch' && tty) {
        const now = Date.now()
        if (now - lastLine > 100) {
          lastLine = now
          const total = 1000
          err(`\r${progressLine(Math.round(e.progress * total), total, e.eta_s, e.metrics, e.samples_per_s).replace(/\d+\/1000/, `${(e.progress * 100).toFixed(1).padStart(5)}%`)}\x1b[K`)
        }
      } else if (e.type === 'epoch') {
        const metrics = Object.entries(e.metrics)
          .map(([k, v]) => `${k}: ${formatNumber(v)}`)
          .join(' - ')
        err(`${tty ? '\r\x1b[K' : ''}epoch ${e.epoch}${epochs ? `/${epochs}` : ''} step ${e.step} - ${metrics}\n`)
      } else if (e.type === 'ended') {
        if (tty) err('\r\x1b[K')
      }
      if (e.type === 'ended') {
        off()
        resolvePromise(e)
      }
    })
  })
}

async function withService<T>(dataDir: string, action: (service: WorkbenchService) => Promise<T>): Promise<T> {
  const service = await openWorkbench({ dataDir, host: 'browser' })
  try {
    return await action(service)
  } finally {
    await service.close()
  }
}

function runRow(run: { id: string; name: string; status: string; dataset_name: string; optimizer: string; learning_rate: number; batch_size: number; best_values?: Record<string, number>; final_metrics: Record<string, number>; best_epoch: number | null; duration_s: number | null; backend: string | null }) {
  // One metric per row, its final value and its best over the epochs (min or max: shared/metric-best.ts).
  const name = ['val_acc', 'acc', 'val_loss', 'loss'].find((m) => run.final_metrics[m] !== undefined || run.best_values?.[m] !== undefined)
  return [run.id, run.name.slice(0, 40), run.status, run.dataset_name, `${run.optimizer} ${formatNumber(run.learning_rate)}`, run.batch_size, name ?? '-', formatNumber(name ? run.final_metrics[name] : undefined), formatNumber(name ? run.best_values?.[name] : undefined), run.best_epoch, formatDuration(run.duration_s), run.backend]
}

/** Metric rows of a run: final, best over the epochs (min or max), and the value at the best epoch of the monitor. */
function metricTable(run: { final_metrics: Record<string, number>; best_metrics: Record<string, number>; best_values?: Record<string, number>; best_epoch: number | null }): string {
  const names = Object.keys({ ...run.final_metrics, ...run.best_metrics, ...run.best_values }).filter((k) => !k.startsWith('batch/')).sort()
  return table(['metric', 'final', 'best over epochs', `at best epoch (${run.best_epoch ?? '-'})`], names.map((k) => [k, formatNumber(run.final_metrics[k]), formatNumber(run.best_values?.[k]), formatNumber(run.best_metrics[k])]))
}

export async function runCommand(positionals: string[], values: CliValues, dataDir: string): Promise<number> {
  const [command, sub, ...rest] = positionals
  const json = Boolean(values.json)
  const print = (human: string, machine: unknown) => out(json ? JSON.stringify(machine, null, 2) + '\n' : human)

  switch (command) {
    case 'examples': {
      print(table(['id', 'seed', 'data set', 'title'], EXAMPLES.map((e) => [e.id, e.seed_document, e.dataset_id, e.title])), EXAMPLES)
      return 0
    }
    case 'train': {
      if (!sub) throw new CliError('train needs a spec file or an example id', 2)
      const { loss_chosen, ...request } = trainingRequest(sub, values)
      return withService(dataDir, async (service) => {
        const call = caller(service)
        if (!loss_chosen) {
          const { task } = await call('datasets.get', { id: request.dataset_id })
          const { loss, metrics } = lossForTask(task)
          request.config = { ...request.config, loss, metrics: values.metrics ? request.config.metrics : metrics }
        }
        const { run_id } = await call('runs.start', request)
        // Ctrl-C once: the trainer (in its own process group, so the terminal's SIGINT reaches
        // only this process) finishes its batch, saves, and the run is recorded `stopped`.
        // Twice: the trainer is killed (a second runs.stop, at least FORCE_STOP_AFTER_MS after
        // the first); the run is still recorded `stopped`. Three times: this process exits.
        let presses = 0
        let firstAt = 0
        const onSigint = () => {
          presses++
          if (presses === 1) {
            firstAt = Date.now()
            err('\nstopping after this batch (Ctrl-C again to stop at once)…\n')
            void call('runs.stop', { run_id }).catch(() => undefined)
          } else if (presses === 2) {
            err('\nstopping at once (Ctrl-C again to leave without waiting)…\n')
            setTimeout(() => void call('runs.stop', { run_id }).catch(() => undefined), Math.max(0, firstAt + FORCE_STOP_AFTER_MS - Date.now())).unref()
          } else process.exit(130)
        }
        // Kept until the process leaves (a press that lands after the end, while the service
        // closes and the trainer exits, must not kill the command mid-way).
        process.on('SIGINT', onSigint)
        process.once('beforeExit', () => process.off('SIGINT', onSigint))
        const ended = await followRun(service, run_id, json)
        await service.waitForRun(run_id)
        const run = await call('runs.get', { run_id })
        if (json) out(JSON.stringify(run, null, 2) + '\n')
        else {
          out(`run ${run_id} ${run.status}${run.error ? `: ${run.error}` : ''}\n`)
          out(metricTable(run))
        }
        return ended.status === 'finished' || ended.status === 'stopped' ? 0 : 1
      })
    }
    case 'runs':
      return withService(dataDir, async (service) => {
        const call = caller(service)
        if (sub === 'list' || !sub) {
          const runs = await call('runs.list', {})
          print(table(['id', 'name', 'status', 'data set', 'optimizer', 'batch', 'metric', 'final', 'best', 'best epoch', 'duration', 'backend'], runs.map(runRow)), runs)
          return 0
        }
        if (sub === 'import') return importRunCommand(service, rest[0], print)
        if (sub === 'show') {
          if (!rest[0]) throw new CliError('runs show needs a run id', 2)
          const run = await call('runs.get', { run_id: rest[0] })
          print(describeRun(run), run)
          return 0
        }
        if (sub === 'compare') {
          if (rest.length < 2) throw new CliError('runs compare needs at least two run ids', 2)
          const runs = await Promise.all(rest.map((run_id) => call('runs.get', { run_id })))
          const rows = diffRuns(runs)
          const metricNames = [...new Set(runs.flatMap((r) => Object.keys({ ...r.final_metrics, ...r.best_metrics })))].sort()
          const human =
            'Differences (hyperparameters and architecture):\n' +
            table(['key', ...runs.map((r) => r.id)], rows.filter((r) => r.differs).map((r) => [r.key, ...r.values.map((v) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v)))])) +
            '\nMetrics (final / best), best = the min or max over the epochs:\n' +
            table(['metric', ...runs.map((r) => r.id)], metricNames.map((m) => [m, ...runs.map((r) => `${formatNumber(r.final_metrics[m])} / ${formatNumber(r.best_values?.[m])}`)]))
          // The architecture as a graph, from the first run to each other one (layers matched by name).
          const architecture = runs.slice(1).map((r) => ({ from: runs[0].id, to: r.id, diff: architectureDiff(runs[0].spec, r.spec) }))
          const graphText = architecture.map(({ to, diff }) => `\nArchitecture graph, ${runs[0].id} → ${to}:\n` + (diff.same ? '  the same layers, settings and connections\n' : architectureDiffLines(diff).map((line) => `  ${line}\n`).join(''))).join('')
          print(human + graphText, { runs: runs.map((r) => ({ id: r.id, name: r.name, final_metrics: r.final_metrics, best_values: r.best_values ?? {}, best_metrics: r.best_metrics, best_epoch: r.best_epoch })), diff: rows, architecture })
          return 0
        }
        if (sub === 'threshold') {
          const [runId, text] = rest
          const threshold = text === 'none' ? null : number(text, 'threshold')
          if (threshold === undefined) throw new CliError('runs threshold needs a run id and a threshold between 0 and 1 (or none)', 2)
          const saved = await call('runs.setThreshold', { run_id: runId, threshold })
          print(`${saved.run_id}: decision threshold ${saved.threshold === null ? '0.5 (default)' : saved.threshold}\n`, saved)
          return 0
        }
        throw new CliError(`unknown runs command "${sub}" (list, show, compare, threshold, import)`, 2)
      })
    case 'datasets':
      return withService(dataDir, async (service) => {
        const call = caller(service)
        if (sub === 'list' || !sub) {
          const sets = await call('datasets.list', {})
          print(table(['id', 'name', 'task', 'features', 'classes', 'train', 'validation', 'test', 'fingerprint'], sets.map((d) => [d.id, d.name, d.task, d.feature_shape.join('x'), d.classes.length || '-', d.splits.train.count, d.splits.validation?.count ?? '-', d.splits.test?.count ?? '-', d.fingerprint.slice(0, 12)])), sets)
          return 0
        }
        if (sub === 'show') {
          if (!rest[0]) throw new CliError('datasets show needs an id', 2)
          const d = await call('datasets.get', { id: rest[0] })
          const human =
            `${d.name} (${d.id}) — ${d.task}, samples of shape (${d.feature_shape.join(', ')}), fingerprint ${d.fingerprint}\n` +
            `splits: train ${d.splits.train.count}${d.splits.validation ? `, validation ${d.splits.validation.count}` : ''}${d.splits.test ? `, test ${d.splits.test.count}` : ''}\n` +
            (d.classes.length ? `classes: ${d.classes.map((c, i) => `${c} (${d.splits.train.class_counts?.[i] ?? '?'})`).join(', ')}\n` : '') +
            (d.columns.length ? table(['column', 'role', 'type', 'min', 'max', 'mean', 'std', 'missing'], d.columns.map((c) => [c.name, c.role, c.type, formatNumber(c.min), formatNumber(c.max), formatNumber(c.mean), formatNumber(c.std), c.missing])) : '')
          print(human, d)
          return 0
        }
        if (sub === 'import') return importDataset(service, rest, values, print)
        throw new CliError(`unknown datasets command "${sub}" (list, show, import)`, 2)
      })
    case 'evaluate':
      return withService(dataDir, async (service) => {
        if (!sub) throw new CliError('evaluate needs a run id', 2)
        const evaluation = await caller(service)('runs.evaluate', { run_id: sub, split: (values.split ?? 'test') as 'test' })
        const human =
          table(['metric', 'value'], Object.entries(evaluation.metrics).map(([k, v]) => [k, formatNumber(v)])) +
          (evaluation.per_class ? '\n' + table(['class', 'precision', 'recall', 'f1', 'support'], evaluation.per_class.map((c) => [c.label, formatNumber(c.precision), formatNumber(c.recall), formatNumber(c.f1), c.support])) : '') +
          (evaluation.confusion ? '\nconfusion (rows: true, columns: predicted)\n' + evaluation.confusion.map((row) => row.map((v) => String(v).padStart(5)).join('')).join('\n') + '\n' : '')
        print(human, evaluation)
        return 0
      })
    case 'predict':
      return withService(dataDir, (service) => predictCommand(service, sub, values, print))
    case 'export':
      return withService(dataDir, (service) => exportCommand(service, sub, values, print))
    case 'sweep':
      if (!sub) throw new CliError('sweep needs a spec file or an example id', 2)
      return withService(dataDir, (service) => sweepCommand(service, sub, values, trainingRequest, { out, err }))
    case 'import-model':
      return withService(dataDir, (service) => importModelCommand(service, sub, values, print))
    case 'weights':
      return withService(dataDir, async (service) => {
        if (!sub) throw new CliError('weights needs a run id', 2)
        const weights = await caller(service)('runs.weights', { run_id: sub })
        const human = weights.map((w) => `${w.name} shape (${w.shape.join(', ')})\n  ${w.values.slice(0, 12).map((v) => formatNumber(v)).join(' ')}${w.values.length > 12 ? ' …' : ''}\n`).join('')
        print(human, weights)
        return 0
      })
    case 'reproduce':
      return withService(dataDir, async (service) => {
        const ids = [sub, ...rest].filter((x): x is string => Boolean(x))
        const results = await reproduce(service, ids.length ? ids : EXAMPLES.map((e) => e.id), { json, log: err, quick: Boolean(values.quick) })
        if (json) out(JSON.stringify(results, null, 2) + '\n')
        else out(table(['id', 'metric', 'reported', 'reproduced', 'floor', 'pass'], results.map((r) => [r.id, r.metric, r.reported, r.reproduced, r.floor, r.pass ? 'yes' : 'NO'])))
        return results.every((r) => r.pass) ? 0 : 1
      })
    case 'serve':
      return serve(dataDir, values)
    default:
      throw new CliError(`unknown command "${command}"; run model-workbench --help`, 2)
  }
}

function describeRun(run: RunDetail): string {
  const lines = [
    `${run.name} (${run.id}) — ${run.status}${run.error ? `: ${run.error}` : ''}`,
    `model ${run.model_name}, data set ${run.dataset_name} (${run.dataset_fingerprint.slice(0, 12)}), seed ${run.seed}`,
    `backend ${run.backend ?? '-'}${run.backend_info?.skipped.length ? ` (skipped: ${run.backend_info.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})` : ''}`,
    `optimizer ${JSON.stringify(run.config.optimizer)}, schedule ${JSON.stringify(run.config.schedule)}, loss ${run.config.loss}, batch ${run.config.batch_size}, budget ${JSON.stringify(run.config.budget)}`,
    `duration ${formatDuration(run.duration_s)}, best epoch ${run.best_epoch ?? '-'}${run.diverged_at_step !== null ? `, diverged at step ${run.diverged_at_step}` : ''}`,
    ''
  ]
  return lines.join('\n') + metricTable(run) + modelSummary(run.spec)
}

/** The run's model as Keras's summary prints it (a graph with its Connected to column); nothing for a spec that no longer validates. */
function modelSummary(spec: ModelSpec): string {
  try {
    return `\n${summaryText(spec)}`
  } catch {
    return ''
  }
}

async function importDataset(service: WorkbenchService, files: string[], values: CliValues, print: (human: string, machine: unknown) => void): Promise<number> {
  if (files.length === 0) throw new CliError('datasets import needs a file', 2)
  const paths = files.map((f) => resolve(f))
  for (const path of paths) if (!existsSync(path)) throw new CliError(`${path}: no such file`, 2)
  const progress = (done: number, total: number) => {
    if (process.stderr.isTTY && !values.json) err(`\rimporting… ${total ? Math.round((100 * done) / total) : 0}%\x1b[K`)
  }
  let descriptor
  if (values.idx) {
    if (paths.length !== 2 && paths.length !== 4) throw new CliError('--idx needs train-images train-labels [test-images test-labels]', 2)
    for (const flag of ['target', 'target-kind', 'missing', 'test', 'delimiter', 'no-header', 'skip-lines', 'decimal-comma', 'column'] as const) {
      if (values[flag] !== undefined) throw new CliError(`--${flag} is a CSV option; an --idx import takes --name, --scaling none|divide255, --validation, --seed and --num-classes`, 2)
    }
    const numClasses = number(values['num-classes'], 'num-classes')
    descriptor = await service.datasets.importIdx(
      { name: values.name, train_images: paths[0], train_labels: paths[1], test_images: paths[2], test_labels: paths[3], scaling: (values.scaling as 'none' | 'divide255') ?? 'divide255', validation: number(values.validation, 'validation') ?? 0, seed: number(values.seed, 'seed') ?? 42, ...(numClasses !== undefined ? { num_classes: numClasses } : {}) },
      progress
    )
  } else {
    if (paths.length !== 1) throw new CliError('datasets import takes one CSV file (or --idx with 2 or 4 files)', 2)
    if (values['num-classes'] !== undefined) throw new CliError('--num-classes is an --idx option', 2)
    const roles = values.target ? { [values.target]: 'target' as const } : undefined
    const skipLines = number(values['skip-lines'], 'skip-lines')
    if (skipLines !== undefined && (!Number.isInteger(skipLines) || skipLines < 0)) throw new CliError(`--skip-lines must be a whole number ≥ 0, got "${values['skip-lines']}"`, 2)
    const columns = (values.column ?? []).map(parseColumnFlag)
    descriptor = await service.datasets.importCsv(
      {
        path: paths[0],
        name: values.name,
        delimiter: values.delimiter,
        ...(values['no-header'] ? { has_header: false } : {}),
        ...(skipLines !== undefined ? { skip_lines: skipLines } : {}),
        ...(values['decimal-comma'] ? { decimal: ',' as const } : {}),
        ...(columns.length ? { columns } : {}),
        roles,
        target_kind: values['target-kind'] as 'classes' | 'regression' | undefined,
        missing: (values.missing as 'drop' | 'fill' | 'refuse') ?? 'refuse',
        scaling: (values.scaling as 'none' | 'minmax' | 'standard' | 'divide255') ?? 'none',
        split: { validation: number(values.validation, 'validation') ?? 0, test: number(values.test, 'test') ?? 0.2 },
        seed: number(values.seed, 'seed') ?? 42
      },
      progress
    )
  }
  if (process.stderr.isTTY && !values.json) err('\r\x1b[K')
  service.store.registerDataset(descriptor)
  print(`imported ${descriptor.name} as ${descriptor.id}: ${descriptor.task}, samples (${descriptor.feature_shape.join(', ')}), train ${descriptor.splits.train.count}${descriptor.splits.test ? `, test ${descriptor.splits.test.count}` : ''}\n`, descriptor)
  return 0
}

function rendererDir(): string {
  const candidates = [join(__dirname, '..', 'renderer'), join(__dirname, '..', '..', '..', 'out', 'renderer')]
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')))
  if (!found) throw new CliError('the renderer is not built; run `npm run build` first')
  return found
}

async function serve(dataDir: string, values: CliValues): Promise<number> {
  const { startServer } = await import('../server')
  const service = await openWorkbench({ dataDir, host: 'browser' })
  const port = number(values.port, 'port') ?? 0
  const server = await startServer({ service, rendererDir: rendererDir(), host: values.host ?? '127.0.0.1', port })
  if (values.json) out(JSON.stringify({ url: server.url, port: server.port, data_dir: dataDir }) + '\n')
  else out(`Model Workbench is serving ${dataDir}\nOpen ${server.url}\n`)
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.close()
  await service.close()
  return 0
}
