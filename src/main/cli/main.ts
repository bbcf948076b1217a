// The `model-workbench` command line: every back-end action without a window (train, runs,
// data sets, evaluate, predict, examples, reproduce, serve). Requests go through the same
// contract validation as the views' requests.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { runCommand } from './commands'
import { CliError } from './output'

const USAGE = `model-workbench <command> [options]

Commands:
  train <spec.json | example-id>   train a model (--dataset, --epochs | --steps, --batch-size, --lr,
                                   --optimizer, --loss, --metrics, --seed, --backend, --threads N (wasm), --validation-split, --name)
  runs list                        every run with status, metrics and backend
  runs show <run-id>               one run: config, backend and why, final and best metrics
  runs compare <run-id> <run-id>…  hyperparameter and architecture diff, final and best metrics
  runs import <folder>             a PyTorch training job (export --format torch-job, run with torchrun) back as a run
  datasets list | show <id>        built-in and imported data sets
  datasets import <file.csv>       import a CSV (--target, --target-kind classes|regression, --scaling, --missing, --test, --validation, --name)
  datasets import --idx <train-images> <train-labels> [<test-images> <test-labels>]
  evaluate <run-id> [--split test] metrics, confusion matrix and per-class figures
  predict <run-id> --input-file rows.csv|rows.json [--raw | --preprocessed] [--weights best|last]
                                   probabilities and class names for RAW rows (by column name, or
                                   arrays of raw numbers: file values, 0–255 pixels); --input '[[…]]' for a few rows
  export <run-id> --format F --out <dir> [--weights best|last]
                                   F: tfjs|keras|h5|onnx|pytorch|keras-script|torch-job|metrics-csv|metrics-json|spec;
                                   each model format is reloaded by an independent reader and compared
  import-model <file> [--dataset <id>] [--save-spec <out.json>]
                                   open a .keras, .h5, TF.js model.json/.tar, Keras JSON or spec: prints the spec
                                   and whether weights came with it; --dataset makes it a run to evaluate
  weights <run-id>                 the trained layer weights (get_weights)
  examples                         the seeds' experiments shipped as examples
  reproduce [S1 … S7]              run the seeds' experiments; reported against reproduced
  serve [--port N] [--host H]      the workbench in a browser (token-protected, loopback by default)

Options everywhere: --data-dir <dir> (default ~/.model-workbench or $MODEL_WORKBENCH_DATA), --json
`

const options = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  dataset: { type: 'string' },
  epochs: { type: 'string' },
  steps: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  loss: { type: 'string' },
  metrics: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'validation-split': { type: 'string' },
  name: { type: 'string' },
  split: { type: 'string' },
  input: { type: 'string' },
  idx: { type: 'boolean', default: false },
  target: { type: 'string' },
  'target-kind': { type: 'string' },
  scaling: { type: 'string' },
  missing: { type: 'string' },
  test: { type: 'string' },
  validation: { type: 'string' },
  delimiter: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-open': { type: 'boolean', default: false },
  quick: { type: 'boolean', default: false },
  'input-file': { type: 'string' },
  raw: { type: 'boolean', default: false },
  preprocessed: { type: 'boolean', default: false },
  weights: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'save-spec': { type: 'string' }
} satisfies ParseArgsConfig['options']

export type CliValues = ReturnType<typeof parse>['values']

function parse(argv: string[]) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
}

export function defaultDataDir(): string {
  return process.env.MODEL_WORKBENCH_DATA || join(homedir(), '.model-workbench')
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE)
    return positionals.length === 0 && !values.help ? 2 : 0
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  try {
    return await runCommand(positionals, values, dataDir)
  } catch (error) {
    const message = error instanceof CliError || error instanceof Error ? error.message : String(error)
    if (values.json) process.stdout.write(JSON.stringify({ error: message }) + '\n')
    else process.stderr.write(`error: ${message}\n`)
    return error instanceof CliError ? error.exitCode : 1
  }
}

/** Runs the command line for this process's arguments and sets the exit code. */
export function runFromProcess(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`)
      process.exitCode = 1
    }
  )
}

if (require.main === module) runFromProcess()
