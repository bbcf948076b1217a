// `reproduce`: runs the seeds' experiments (design/SEED_EXPERIMENTS.md) and the teaching templates
// (T1–T6) as shipped examples and sets each reproduced figure beside the one the seed document
// reports (for a template: the one measured when its floor was set), with its floor.
import { EXAMPLES, exampleTarget } from '../../shared/examples'
import { inferShapes } from '../../shared/model-spec'
import type { WorkbenchService } from '../services/workbench'
import { caller } from './caller'
import { formatNumber } from './output'

export interface ReproduceResult {
  id: string
  metric: string
  reported: string
  reproduced: string
  floor: string
  pass: boolean
  run_id: string | null
  /** Wall seconds from the run's start to its end (data set materialised on first use included). */
  seconds: number
}

export async function reproduce(service: WorkbenchService, ids: string[], options: { json: boolean; log: (text: string) => void; quick?: boolean }): Promise<ReproduceResult[]> {
  const call = caller(service)
  const results: ReproduceResult[] = []
  for (const rawId of ids) {
    const id = rawId.toUpperCase()
    const example = EXAMPLES.find((e) => e.id === id)
    const target = exampleTarget(id)
    if (!example || !target) throw new Error(`unknown experiment "${rawId}"; the examples are ${EXAMPLES.map((e) => e.id).join(', ')}`)
    if (!options.json) options.log(`${id}: ${example.title}…\n`)
    const started = Date.now()
    const { run_id } = await call('runs.start', { name: `reproduce ${id}`, spec: example.spec, config: example.config, dataset_id: example.dataset_id })
    await service.waitForRun(run_id)
    const run = await call('runs.get', { run_id })
    const seconds = (Date.now() - started) / 1000
    let reproduced: string
    let pass: boolean
    if (run.status !== 'finished') {
      reproduced = `run ${run.status}${run.error ? `: ${run.error}` : ''}`
      pass = false
    } else if (id === 'S6') {
      const train = run.final_metrics.acc ?? NaN
      const heldOut = run.final_metrics.test_acc ?? run.final_metrics.val_acc ?? NaN
      reproduced = `train ${formatNumber(train)}, held-out ${formatNumber(heldOut)}`
      pass = train > heldOut
    } else if (id === 'S7') {
      const params = inferShapes(example.spec).total_params
      const prediction = await call('runs.predict', { run_id, inputs: [[5], [6]] })
      const [p5, p6] = prediction.probabilities.map((row) => row[0] ?? NaN)
      reproduced = `${params}; [${formatNumber(p5, 2)}, ${formatNumber(p6, 2)}]`
      pass = params === target.floor && Math.abs((p5 ?? NaN) - 10) <= 1.5 && Math.abs((p6 ?? NaN) - 12) <= 1.5
    } else {
      const value = target.run_metric ? (run.final_metrics[target.run_metric] ?? NaN) : NaN
      reproduced = formatNumber(value)
      pass = target.compare === 'lte' ? value <= target.floor : value >= target.floor
    }
    if (!options.json) options.log(`${id}: ${reproduced} (${pass ? 'pass' : 'FAIL'}, ${seconds.toFixed(1)}s, run ${run_id})\n`)
    results.push({ id, metric: target.metric, reported: target.reported, reproduced, floor: target.floor_text, pass, run_id, seconds })
  }
  return results
}
