// `reproduce`: runs the seeds' experiments (design/SEED_EXPERIMENTS.md) as shipped examples and
// sets each reproduced figure beside the one the seed document reports, with its floor.
import { EXAMPLES } from '../../shared/examples'
import { inferShapes } from '../../shared/spec'
import type { WorkbenchService } from '../services/workbench'
import { caller } from './commands'
import { formatNumber } from './output'

export interface ReproduceResult {
  id: string
  metric: string
  reported: string
  reproduced: string
  floor: string
  pass: boolean
  run_id: string | null
}

/** What each experiment is judged on; the figures are the seed documents' own. */
const TARGETS: Record<string, { metric: string; reported: string; floor: string }> = {
  S1: { metric: 'test accuracy', reported: '≈ 0.92', floor: '≥ 0.88' },
  S2: { metric: 'test accuracy', reported: '0.85', floor: '≥ 0.80' },
  S3: { metric: 'test accuracy', reported: '0.97', floor: '≥ 0.96' },
  S4: { metric: 'test accuracy', reported: '0.9133', floor: '≥ 0.90' },
  S5: { metric: 'test accuracy', reported: '0.9489', floor: '≥ 0.935' },
  S6: { metric: 'train acc vs held-out acc', reported: 'train climbs, held-out ≈ 0.5', floor: 'train > held-out' },
  S7: { metric: 'params; predict([5, 6])', reported: '10; ≈ [10, 12]', floor: '10 exact; ±1.5' }
}
const ACCURACY_FLOORS: Record<string, number> = { S1: 0.88, S2: 0.8, S3: 0.96, S4: 0.9, S5: 0.935 }

export async function reproduce(service: WorkbenchService, ids: string[], options: { json: boolean; log: (text: string) => void; quick?: boolean }): Promise<ReproduceResult[]> {
  const call = caller(service)
  const results: ReproduceResult[] = []
  for (const rawId of ids) {
    const id = rawId.toUpperCase()
    const example = EXAMPLES.find((e) => e.id === id)
    const target = TARGETS[id]
    if (!example || !target) throw new Error(`unknown experiment "${rawId}"; the seeds' experiments are ${EXAMPLES.map((e) => e.id).join(', ')}`)
    if (!options.json) options.log(`${id}: ${example.title}…\n`)
    const started = Date.now()
    const { run_id } = await call('runs.start', { name: `reproduce ${id}`, spec: example.spec, config: example.config, dataset_id: example.dataset_id })
    await service.waitForRun(run_id)
    const run = await call('runs.get', { run_id })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
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
      pass = params === 10 && Math.abs((p5 ?? NaN) - 10) <= 1.5 && Math.abs((p6 ?? NaN) - 12) <= 1.5
    } else {
      const accuracy = run.final_metrics.test_acc ?? NaN
      reproduced = formatNumber(accuracy)
      pass = accuracy >= (ACCURACY_FLOORS[id] ?? Infinity)
    }
    if (!options.json) options.log(`${id}: ${reproduced} (${pass ? 'pass' : 'FAIL'}, ${seconds}s, run ${run_id})\n`)
    results.push({ id, metric: target.metric, reported: target.reported, reproduced, floor: target.floor, pass, run_id })
  }
  return results
}
