// `npm run bench`: runs each benchmark in its own Node process, one after the other (so none
// competes with another for the 2 cores), streams their output, and ends with one line per
// benchmark saying how it exited. Benchmarks that are not in the tree are reported as missing.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runMain } from './main'

const BENCHMARKS = ['trainer.bench.ts', 'distributions.bench.ts', 'stop.bench.ts', 'store.bench.ts', 'renderer.bench.ts']

interface Outcome {
  name: string
  result: string
  seconds: number
}

function runBenchmark(path: string): Promise<number | string> {
  return new Promise((resolveExit) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path], { cwd: join(__dirname, '..'), stdio: 'inherit' })
    child.once('error', (error) => resolveExit(`could not start: ${error.message}`))
    child.once('exit', (code, signal) => resolveExit(signal ? `killed by ${signal}` : (code ?? 1)))
  })
}

async function main(): Promise<number> {
  const selected = process.argv.slice(2)
  const names = selected.length > 0 ? BENCHMARKS.filter((name) => selected.some((s) => name.startsWith(s))) : BENCHMARKS
  const outcomes: Outcome[] = []
  for (const name of names) {
    const path = join(__dirname, name)
    if (!existsSync(path)) {
      outcomes.push({ name, result: 'missing (not in this tree)', seconds: 0 })
      continue
    }
    process.stdout.write(`\n=== ${name} ===\n`)
    const started = performance.now()
    const exit = await runBenchmark(path)
    const seconds = (performance.now() - started) / 1000
    outcomes.push({ name, result: exit === 0 ? 'ok' : typeof exit === 'number' ? `exit ${exit}` : exit, seconds })
  }
  process.stdout.write('\n=== summary ===\n')
  const width = Math.max(...outcomes.map((o) => o.name.length))
  for (const o of outcomes) process.stdout.write(`${o.name.padEnd(width)}  ${o.result}${o.seconds ? ` (${o.seconds.toFixed(1)} s)` : ''}\n`)
  return outcomes.some((o) => o.result !== 'ok' && !o.result.startsWith('missing')) ? 1 : 0
}

runMain(main)
