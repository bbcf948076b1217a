// Exports written from the store alone (no model): the spec and the metrics. The model formats
// are written and verified by the export job (src/main/export/job.ts) in a trainer process.
import type { RunDetail, RunSeries } from '../../shared/run'
import type { WorkbenchStore } from '../store'
import { bestValues } from '../../shared/metric-best'

export interface ExportedFile {
  file_name: string
  mime: string
  data: Buffer
}

/** A ustar archive of flat files: enough for model.json + weights, readable by every tar. */
export function tarArchive(files: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = []
  const mtime = Math.floor(Date.now() / 1000)
  for (const file of files) {
    const header = Buffer.alloc(512)
    header.write(file.name.slice(0, 99), 0, 'utf8')
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(file.data.length.toString(8).padStart(11, '0') + '\0', 124)
    header.write(mtime.toString(8).padStart(11, '0') + '\0', 136)
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0' + '00', 257)
    let sum = 0
    for (const byte of header) sum += byte
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    blocks.push(header, file.data, Buffer.alloc((512 - (file.data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80) || 'run'
}

/** What a metrics export says about its run besides the series: the config, seed, data and test metrics. */
function runRecord(run: RunDetail, series: RunSeries) {
  const test = Object.fromEntries(Object.entries(run.final_metrics).filter(([name]) => name.startsWith('test_')))
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    model_name: run.model_name,
    dataset: { id: run.dataset_id, name: run.dataset_name, fingerprint: run.dataset_fingerprint },
    seed: run.seed,
    config: run.config,
    backend: run.backend,
    versions: run.versions,
    best_epoch: run.best_epoch,
    final_metrics: run.final_metrics,
    /** Each metric's best over the epochs (min of a loss, max of an accuracy: src/shared/metric-best.ts). */
    best_values: bestValues(series),
    /** Every metric's value at best_epoch (the epoch the monitored metric was best), not each one's own best. */
    metrics_at_best_epoch: run.best_metrics,
    test_metrics: test,
    created_at: run.created_at,
    duration_s: run.duration_s
  }
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? JSON.stringify(value) : value
}

export function exportRunFile(input: { run: RunDetail; store: WorkbenchStore; format: 'spec_json' | 'metrics_json' | 'metrics_csv' }): ExportedFile {
  const { run, store, format } = input
  const base = safeName(run.name)
  if (format === 'spec_json') return { file_name: `${base}.spec.json`, mime: 'application/json', data: Buffer.from(JSON.stringify(run.spec, null, 2)) }
  const series = store.series(run.id, 1_000_000)
  const record = runRecord(run, series)
  if (format === 'metrics_json') return { file_name: `${base}.metrics.json`, mime: 'application/json', data: Buffer.from(JSON.stringify({ run: record, series }, null, 1)) }
  // Comment lines first (pandas: read_csv(path, comment='#')), then one row per point; the test
  // metrics come last with the step and epoch the run ended at.
  const rows = [
    `# run ${csvCell(run.name)} (${run.id}), status ${run.status}`,
    `# dataset ${csvCell(run.dataset_name)} fingerprint ${run.dataset_fingerprint}, seed ${run.seed}`,
    `# config ${JSON.stringify(run.config)}`,
    'name,step,epoch,value'
  ]
  let lastStep = 0
  let lastEpoch = 0
  for (const [name, s] of Object.entries(series)) {
    for (let i = 0; i < s.value.length; i++) {
      rows.push(`${csvCell(name)},${s.step[i]},${s.epoch[i]},${s.value[i]}`)
      lastStep = Math.max(lastStep, s.step[i])
      lastEpoch = Math.max(lastEpoch, s.epoch[i])
    }
  }
  for (const [name, value] of Object.entries(record.test_metrics)) rows.push(`${csvCell(name)},${lastStep},${lastEpoch},${value}`)
  return { file_name: `${base}.metrics.csv`, mime: 'text/csv', data: Buffer.from(rows.join('\n') + '\n') }
}
