// `model-workbench sweep <spec.json | example-id> --set field=values … [--random N] [--seed S]
// [--concurrency K] [--metric m] [--json]`: queues a sweep (sweeps.create), follows it to the end
// printing each run as it starts and ends, then ranks the runs by their best value of the chosen
// metric (src/shared/metric-best.ts). Ctrl-C cancels the sweep (queued runs dropped, running ones
// stopped). With --json, stdout gets one JSON document: the sweep and the ranking.
import { bestRunIndex, sortableScore } from '../../shared/metric-best'
import type { RunSummary } from '../../shared/run'
import { sweepItemDone, type SweepDetail, type SweepItem } from '../../shared/sweep'
import { lossForTask } from '../../shared/training'
import type { WorkbenchService } from '../services/workbench'
import type { CliValues } from './args'
import { caller } from './caller'
import { CliError, formatNumber, table } from './output'
import type { trainingRequest as TrainingRequest } from './commands'

export interface SweepRanking {
  index: number
  label: string
  run_id: string | null
  status: string
  metric: string
  best: number | null
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function integerFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed)) throw new CliError(`--${flag} must be a whole number, got "${value}"`, 2, { reason: 'cli.bad_value', details: { command: 'sweep', option: `--${flag}`, expected: 'a whole number', got: value } })
  return parsed
}

/** `--set optimizer.learning_rate=1e-4..1e-1:log:6` → an axis of sweeps.create. */
export function parseSetFlag(text: string): { field: string; values: string } {
  const eq = text.indexOf('=')
  if (eq < 1 || eq === text.length - 1) {
    throw new CliError(`--set ${text}: write --set field=values, e.g. --set batch_size=32,64,128 or --set optimizer.learning_rate=1e-4..1e-1:log:6`, 2, {
      reason: 'cli.bad_value',
      details: { command: 'sweep', option: '--set', expected: 'field=values', got: text }
    })
  }
  return { field: text.slice(0, eq).trim(), values: text.slice(eq + 1).trim() }
}

/** The runs of a sweep ranked by their best value of `metric`, best first; runs without it last. */
export function rankSweep(detail: SweepDetail, runs: ReadonlyMap<string, Pick<RunSummary, 'status' | 'best_values' | 'final_metrics'>>, metric: string): SweepRanking[] {
  const rows = detail.items.map((item: SweepItem) => {
    const run = item.run_id ? runs.get(item.run_id) : undefined
    const value = run?.best_values?.[metric] ?? run?.final_metrics[metric]
    const best = value !== undefined && Number.isFinite(value) ? value : null
    return { index: item.index, label: item.label, run_id: item.run_id, status: item.run_status ?? item.state, metric, best }
  })
  return rows.sort((a, b) => {
    if (a.best === null || b.best === null) return a.best === null ? (b.best === null ? a.index - b.index : 1) : -1
    return sortableScore(metric, b.best) - sortableScore(metric, a.best) || a.index - b.index
  })
}

export async function sweepCommand(service: WorkbenchService, target: string, values: CliValues, trainingRequest: typeof TrainingRequest, io: { out: (text: string) => void; err: (text: string) => void }): Promise<number> {
  const call = caller(service)
  const json = Boolean(values.json)
  const sets = values.set ?? []
  if (sets.length === 0) throw new CliError('sweep needs at least one --set field=values (a list 32,64,128 or a range 1e-4..1e-1:log:6)', 2, { reason: 'cli.usage', details: { command: 'sweep', problem: 'no --set' } })
  const axes = sets.map(parseSetFlag)
  const trials = integerFlag(values.random, 'random')
  const seed = integerFlag(values.seed, 'seed')
  const concurrency = integerFlag(values.concurrency, 'concurrency')
  // The sweep's seed is --seed; the runs keep the training seed of the example or spec.
  const { loss_chosen, ...request } = trainingRequest(target, { ...values, seed: undefined })
  if (!loss_chosen) {
    const { task } = await call('datasets.get', { id: request.dataset_id })
    const { loss, metrics } = lossForTask(task)
    request.config = { ...request.config, loss, metrics }
  }
  const created = await call('sweeps.create', {
    spec: request.spec,
    dataset_id: request.dataset_id,
    base_config: request.config,
    axes,
    mode: trials === undefined ? 'grid' : 'random',
    ...(trials === undefined ? {} : { trials }),
    ...(seed === undefined ? {} : { seed }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(values.name ? { name: values.name } : {})
  })
  const total = created.counts.total
  io.err(`sweep ${created.id}: ${total} runs, ${created.concurrency} at a time (${created.mode})\n`)

  let cancelled = false
  const onSigint = () => {
    if (cancelled) process.exit(130)
    cancelled = true
    io.err('\ncancelling the sweep: queued runs dropped, running ones stopped (Ctrl-C again to leave at once)…\n')
    void call('sweeps.cancel', { sweep_id: created.id }).catch(() => undefined)
  }
  process.on('SIGINT', onSigint)
  const reported = new Map<number, string>()
  let detail: SweepDetail
  try {
    for (;;) {
      detail = await call('sweeps.get', { sweep_id: created.id })
      for (const item of detail.items) {
        const state = sweepItemDone(item) ? `${item.run_status ?? item.state}` : item.state === 'claimed' ? 'running' : item.state
        if (state === 'queued' || reported.get(item.index) === state) continue
        reported.set(item.index, state)
        const loss = item.final_metrics.val_loss ?? item.final_metrics.loss
        const tail = sweepItemDone(item) && loss !== undefined ? ` — final ${item.final_metrics.val_loss !== undefined ? 'val_loss' : 'loss'} ${formatNumber(loss)}` : ''
        io.err(`[${item.index + 1}/${total}] ${state.padEnd(11)} ${item.label}${item.run_id ? ` (${item.run_id})` : ''}${item.error ? `: ${item.error}` : ''}${tail}\n`)
      }
      if (detail.status === 'finished' || detail.status === 'cancelled') {
        if (detail.items.every(sweepItemDone)) break
      }
      await delay(250)
    }
  } finally {
    process.off('SIGINT', onSigint)
  }
  const runs = new Map((await call('runs.list', {})).map((run) => [run.id, run]))
  const validated = request.config.validation?.kind !== 'none'
  const metric = values.metric ?? (validated ? 'val_loss' : 'loss')
  const ranking = rankSweep(detail, runs, metric)
  if (json) {
    io.out(JSON.stringify({ sweep: detail, metric, ranking }, null, 2) + '\n')
  } else {
    const best = bestRunIndex(metric, ranking.map((r) => r.best))
    io.out(`sweep ${detail.id} ${detail.status}: ${detail.counts.finished} finished, ${detail.counts.failed} failed, ${detail.counts.interrupted} interrupted, ${detail.counts.cancelled} cancelled\n`)
    io.out(table(['#', 'run', ...detail.fields, `best ${metric}`, 'status'], ranking.map((r) => [r.index + 1, r.run_id, ...detail.fields.map((f) => String(detail.items[r.index].values[f] ?? '-')), formatNumber(r.best), r.status])))
    if (best !== null) io.out(`best: ${ranking[best].label} (${metric} ${formatNumber(ranking[best].best)})\n`)
  }
  return detail.status === 'finished' && detail.counts.finished === detail.counts.total ? 0 : 1
}
