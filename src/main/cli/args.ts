// The command line's grammar: each command with its own options table and usage text, parsed by
// Node's own util.parseArgs in strict mode. An option the command does not take is refused (exit 2,
// with every unknown option named and the command's usage), and so is a value outside its choices.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { csvColumnOverrideSchema, csvImportOptionsSchema, idxImportOptionsSchema } from '../../shared/dataset'
import { BACKENDS, LOSSES, METRICS, OPTIMIZER_NAMES } from '../../shared/training'
import { CliError } from './output'

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string]

/** Every option any command takes, with its type; each command picks its own from here. */
const OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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
  threshold: { type: 'string' },
  split: { type: 'string' },
  input: { type: 'string' },
  idx: { type: 'boolean' },
  target: { type: 'string' },
  'target-kind': { type: 'string' },
  scaling: { type: 'string' },
  missing: { type: 'string' },
  test: { type: 'string' },
  validation: { type: 'string' },
  delimiter: { type: 'string' },
  'no-header': { type: 'boolean' },
  'skip-lines': { type: 'string' },
  'decimal-comma': { type: 'boolean' },
  column: { type: 'string', multiple: true },
  'num-classes': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-open': { type: 'boolean' },
  quick: { type: 'boolean' },
  'input-file': { type: 'string' },
  raw: { type: 'boolean' },
  preprocessed: { type: 'boolean' },
  weights: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'save-spec': { type: 'string' },
  set: { type: 'string', multiple: true },
  random: { type: 'string' },
  concurrency: { type: 'string' },
  metric: { type: 'string' }
} as const satisfies Record<string, OptionSpec>

export type OptionName = keyof typeof OPTIONS

/** The parsed options of any command (each command only ever holds its own). */
export type CliValues = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values']

const GLOBAL: OptionName[] = ['data-dir', 'json', 'help']

export interface CommandSpec {
  /** "train", "runs list"… */
  name: string
  /** The arguments after the command words, for the usage line. */
  args: string
  summary: string
  options: OptionName[]
  /** One line per option: how it is written and what it does. */
  optionHelp: Array<[string, string]>
  /** How many positional arguments it takes. */
  positionals: { min: number; max: number }
}

const enumText = (values: readonly string[]) => values.join('|')

export const COMMANDS: CommandSpec[] = [
  {
    name: 'train',
    args: '<spec.json | example-id>',
    summary: 'train a model (an example S1…S7, or a spec file with --dataset)',
    options: ['dataset', 'epochs', 'steps', 'batch-size', 'lr', 'optimizer', 'loss', 'metrics', 'seed', 'backend', 'threads', 'validation-split', 'name'],
    optionHelp: [
      ['--dataset <id>', 'the data set (required with a spec file)'],
      ['--epochs N | --steps N', 'the training budget'],
      ['--batch-size N, --lr X, --seed N', 'batch size, learning rate, random seed'],
      [`--optimizer ${enumText(OPTIMIZER_NAMES)}`, 'the optimizer'],
      [`--loss ${enumText(LOSSES)}`, 'the loss (default: the one that fits the data set)'],
      [`--metrics a,b`, `metrics (${METRICS.join(', ')})`],
      [`--backend auto|${enumText(BACKENDS)}`, 'the tfjs backend; --threads N for wasm'],
      ['--validation-split X', 'fraction held out for validation (0 for none)'],
      ['--name <text>', "the run's name"]
    ],
    positionals: { min: 1, max: 1 }
  },
  { name: 'runs list', args: '', summary: 'every run with status, metrics and backend', options: [], optionHelp: [], positionals: { min: 0, max: 0 } },
  { name: 'runs show', args: '<run-id>', summary: 'one run: config, backend and why, final and best metrics', options: [], optionHelp: [], positionals: { min: 1, max: 1 } },
  { name: 'runs compare', args: '<run-id> <run-id>…', summary: 'hyperparameter and architecture diff, final and best metrics', options: [], optionHelp: [], positionals: { min: 2, max: 100 } },
  { name: 'runs threshold', args: '<run-id> <0..1 | none>', summary: "save a binary classifier's decision threshold with the run (predict and exports use it; none: back to 0.5)", options: [], optionHelp: [], positionals: { min: 2, max: 2 } },
  { name: 'runs import', args: '<folder>', summary: 'a PyTorch training job (export --format torch-job, run with torchrun) back as a run', options: [], optionHelp: [], positionals: { min: 1, max: 1 } },
  { name: 'datasets list', args: '', summary: 'built-in and imported data sets', options: [], optionHelp: [], positionals: { min: 0, max: 0 } },
  { name: 'datasets show', args: '<id>', summary: 'one data set: splits, classes, column statistics', options: [], optionHelp: [], positionals: { min: 1, max: 1 } },
  {
    name: 'datasets import',
    args: '<file.csv> | --idx <train-images> <train-labels> [<test-images> <test-labels>]',
    summary: 'import a CSV file or an IDX pair',
    options: ['idx', 'name', 'target', 'target-kind', 'scaling', 'missing', 'test', 'validation', 'delimiter', 'no-header', 'skip-lines', 'decimal-comma', 'column', 'seed', 'num-classes'],
    optionHelp: [
      ['--target <column>', 'the column to predict (default: the last)'],
      ['--target-kind classes|regression', 'what the target is'],
      [`--scaling ${enumText(csvImportOptionsSchema.shape.scaling.unwrap().options)}`, 'feature scaling (IDX: none|divide255)'],
      [`--missing ${enumText(csvImportOptionsSchema.shape.missing.unwrap().options)}`, 'what to do with empty cells'],
      ['--test X, --validation X, --seed N', 'held-out fractions and the split seed'],
      ['--delimiter C', 'the field delimiter (default: detected)'],
      ['--no-header', 'the first line is data (columns are named "column 1"…)'],
      ['--skip-lines N', 'drop N lines before the header (sklearn files start with a count line)'],
      ['--decimal-comma', 'numbers are written 1,37'],
      ['--column <index>:type=numeric|categorical|ignore,name=<name>,role=feature|target|ignore', 'override one column (0-based index; repeatable)'],
      ['--num-classes N', 'IDX: the number of classes (default: largest label + 1)'],
      ['--name <text>', "the data set's name"]
    ],
    positionals: { min: 1, max: 4 }
  },
  { name: 'evaluate', args: '<run-id>', summary: 'metrics, confusion matrix and per-class figures', options: ['split'], optionHelp: [['--split train|validation|test', 'the split to evaluate (default test)']], positionals: { min: 1, max: 1 } },
  {
    name: 'predict',
    args: '<run-id>',
    summary: 'probabilities and class names for RAW rows (by column name, or arrays of raw numbers)',
    options: ['input-file', 'input', 'raw', 'preprocessed', 'weights', 'threshold'],
    optionHelp: [
      ['--input-file rows.csv|rows.json', 'the rows to predict'],
      ['--threshold <0..1>', "a binary classifier's decision threshold (default: the run's saved one, else 0.5)"],
      ["--input '[[…]]'", 'a few rows inline'],
      ['--raw | --preprocessed', 'whether the numbers are raw (default) or already scaled'],
      ['--weights best|last', 'which saved weights']
    ],
    positionals: { min: 1, max: 1 }
  },
  {
    name: 'export',
    args: '<run-id>',
    summary: 'export a run; each model format is reloaded by an independent reader and compared',
    options: ['format', 'out', 'weights'],
    optionHelp: [
      ['--format tfjs|keras|h5|onnx|pytorch|keras-script|torch-job|metrics-csv|metrics-json|spec', 'the format'],
      ['--out <dir>', 'the folder to write the files into'],
      ['--weights best|last', 'which saved weights']
    ],
    positionals: { min: 1, max: 1 }
  },
  {
    name: 'import-model',
    args: '<file>',
    summary: 'open a .keras, .h5, TF.js model.json/.tar, Keras JSON or spec: prints the spec and whether weights came with it',
    options: ['dataset', 'save-spec', 'name'],
    optionHelp: [
      ['--dataset <id>', 'make it a run on this data set, to evaluate or predict with'],
      ['--save-spec <out.json>', 'write the spec to a file'],
      ['--name <text>', "the model's name"]
    ],
    positionals: { min: 1, max: 1 }
  },
  {
    name: 'sweep',
    args: '<spec.json | example-id>',
    summary: 'a hyperparameter sweep: queued runs over lists or ranges of config fields, run to the end',
    options: ['dataset', 'set', 'random', 'seed', 'concurrency', 'metric', 'name'],
    optionHelp: [
      ['--set field=values', 'a swept field (repeat): a list 32,64,128 or a range 1e-4..1e-1:log:6 / 0.1..0.5:lin:5'],
      ['--random N, --seed S', 'N seeded random trials instead of the full grid'],
      ['--concurrency K', 'runs at a time (default 1)'],
      ['--metric <name>', 'rank the runs by their best value of this metric (default val_loss, else loss)'],
      ['--dataset <id>', 'the data set (required with a spec file)'],
      ['--name <text>', "the sweep's name"]
    ],
    positionals: { min: 1, max: 1 }
  },
  { name: 'weights', args: '<run-id>', summary: 'the trained layer weights (get_weights)', options: [], optionHelp: [], positionals: { min: 1, max: 1 } },
  { name: 'examples', args: '', summary: "the seeds' experiments shipped as examples", options: [], optionHelp: [], positionals: { min: 0, max: 0 } },
  { name: 'reproduce', args: '[S1 … S7, T1 … T6]', summary: "run the seeds' experiments and the templates; reported against reproduced", options: ['quick'], optionHelp: [['--quick', 'shorter budgets']], positionals: { min: 0, max: 20 } },
  {
    name: 'serve',
    args: '',
    summary: 'the workbench in a browser (token-protected, loopback by default)',
    options: ['port', 'host', 'no-open'],
    optionHelp: [
      ['--port N', 'the port (default: any free one)'],
      ['--host H', 'the address to listen on (default 127.0.0.1)'],
      ['--no-open', 'do not open a browser']
    ],
    positionals: { min: 0, max: 0 }
  }
]

const GROUPS = ['runs', 'datasets']
/** `runs` and `datasets` alone mean their `list`. */
const DEFAULT_SUB: Record<string, string> = { runs: 'list', datasets: 'list' }

export function commandUsage(spec: CommandSpec): string {
  const lines = [`Usage: model-workbench ${spec.name}${spec.args ? ` ${spec.args}` : ''} [options]`, '', `  ${spec.summary}`, '']
  if (spec.optionHelp.length) {
    lines.push('Options:')
    const width = Math.min(48, Math.max(...spec.optionHelp.map(([flag]) => flag.length)))
    for (const [flag, text] of spec.optionHelp) lines.push(flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`)
    lines.push('')
  }
  lines.push('Options everywhere: --data-dir <dir> (default ~/.model-workbench or $MODEL_WORKBENCH_DATA), --json, --help', '')
  return lines.join('\n')
}

export function generalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.trim().length))
  return [
    'model-workbench <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.trim().padEnd(Math.min(width, 34))}  ${c.summary}`),
    '',
    'model-workbench <command> --help shows the options of a command.',
    'Options everywhere: --data-dir <dir> (default ~/.model-workbench or $MODEL_WORKBENCH_DATA), --json',
    ''
  ].join('\n')
}

/** A usage error: exit 2, the problem, then the command's usage (or the general one). */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly usage: string,
    data: { reason: string; details: Record<string, string | number> }
  ) {
    super(message, 2, data)
    this.name = 'UsageError'
  }
}

export type ParsedCommand =
  | { kind: 'help'; text: string }
  | { kind: 'run'; spec: CommandSpec; command: string; sub?: string; positionals: string[]; values: CliValues }

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | { unknown: string } | null {
  const [first, second] = argv
  if (first === undefined || first.startsWith('-')) return null
  if (GROUPS.includes(first)) {
    const sub = second !== undefined && !second.startsWith('-') ? second : DEFAULT_SUB[first]
    const spec = COMMANDS.find((c) => c.name === `${first} ${sub}`)
    if (!spec) return { unknown: `${first} ${sub}` }
    return { spec, rest: argv.slice(second !== undefined && !second.startsWith('-') ? 2 : 1) }
  }
  const spec = COMMANDS.find((c) => c.name === first)
  return spec ? { spec, rest: argv.slice(1) } : { unknown: first }
}

/** Parses one invocation: the command, then its own options in strict mode. */
export function parseCommandLine(argv: string[]): ParsedCommand {
  const found = findCommand(argv)
  if (found === null) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: generalUsage() }
    throw new UsageError(argv.length === 0 ? 'no command given' : `${argv[0]}: give a command first`, generalUsage(), { reason: 'cli.usage', details: { command: '', problem: 'no command' } })
  }
  if ('unknown' in found) {
    const group = GROUPS.find((g) => found.unknown.startsWith(`${g} `))
    const subs = group ? COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1)) : []
    const message = group ? `unknown ${group} command "${found.unknown.slice(group.length + 1)}" (${subs.join(', ')})` : `unknown command "${found.unknown}"; run model-workbench --help`
    throw new UsageError(message, generalUsage(), { reason: 'cli.unknown_command', details: { command: found.unknown } })
  }
  const { spec, rest } = found
  const usage = commandUsage(spec)
  const allowed = [...GLOBAL, ...spec.options]
  const options = Object.fromEntries(allowed.map((name) => [name, OPTIONS[name]])) as ParseArgsConfig['options']

  // First pass, lenient: name every option the command does not take, not only the first.
  const loose = parseArgs({ args: rest, options, allowPositionals: true, strict: false, tokens: true })
  const unknown = [...new Set((loose.tokens ?? []).filter((t) => t.kind === 'option' && !(allowed as string[]).includes(t.name)).map((t) => (t.kind === 'option' ? t.rawName : '')))]
  if (unknown.length) {
    const list = unknown.join(', ')
    throw new UsageError(`${spec.name} does not take ${unknown.length === 1 ? 'the option' : 'the options'} ${list}`, usage, { reason: 'cli.unknown_option', details: { command: spec.name, options: list } })
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true })
  } catch (error) {
    // A string option without its value, a boolean given one: Node's own words, then the usage.
    const text = (error as Error).message.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('To specify an option argument')).join(' ')
    throw new UsageError(`${spec.name}: ${text}`, usage, { reason: 'cli.usage', details: { command: spec.name, problem: text } })
  }
  const values = parsed.values as CliValues
  if (values.help) return { kind: 'help', text: usage }
  const { positionals } = parsed
  if (positionals.length < spec.positionals.min || positionals.length > spec.positionals.max) {
    const problem = positionals.length < spec.positionals.min ? `needs ${spec.args}` : `takes ${spec.positionals.max === 0 ? 'no arguments' : spec.args}, got ${positionals.slice(spec.positionals.max).map((p) => JSON.stringify(p)).join(' ')} too`
    throw new UsageError(`${spec.name} ${problem}`, usage, { reason: 'cli.usage', details: { command: spec.name, problem } })
  }
  checkValues(spec, values, usage)
  const [command, sub] = spec.name.split(' ') as [string, string | undefined]
  return { kind: 'run', spec, command, ...(sub ? { sub } : {}), positionals, values }
}

/** `--flag must be one of a, b, c, got x`: the one readable line for a value outside its choices. */
function badChoice(spec: CommandSpec, flag: string, choices: readonly string[], got: string, usage: string): UsageError {
  return new UsageError(`--${flag} must be one of ${choices.join(', ')}, got ${got}`, usage, { reason: 'cli.bad_value', details: { command: spec.name, option: `--${flag}`, expected: choices.join(', '), got } })
}

function checkChoice(spec: CommandSpec, values: CliValues, flag: OptionName, choices: readonly string[], usage: string): void {
  const value = values[flag]
  if (typeof value === 'string' && !choices.includes(value)) throw badChoice(spec, flag, choices, value, usage)
}

function checkValues(spec: CommandSpec, values: CliValues, usage: string): void {
  checkChoice(spec, values, 'optimizer', OPTIMIZER_NAMES, usage)
  checkChoice(spec, values, 'loss', LOSSES, usage)
  checkChoice(spec, values, 'backend', ['auto', ...BACKENDS], usage)
  checkChoice(spec, values, 'weights', ['best', 'last'], usage)
  checkChoice(spec, values, 'split', ['train', 'validation', 'test'], usage)
  if (spec.name === 'datasets import') {
    checkChoice(spec, values, 'scaling', values.idx ? idxImportOptionsSchema.shape.scaling.unwrap().options : csvImportOptionsSchema.shape.scaling.unwrap().options, usage)
    checkChoice(spec, values, 'missing', csvImportOptionsSchema.shape.missing.unwrap().options, usage)
    checkChoice(spec, values, 'target-kind', csvImportOptionsSchema.shape.target_kind.unwrap().options, usage)
  }
  if (typeof values.metrics === 'string') {
    for (const metric of values.metrics.split(',').map((m) => m.trim())) if (!(METRICS as readonly string[]).includes(metric)) throw badChoice(spec, 'metrics', METRICS, metric, usage)
  }
}

const COLUMN_TYPES = csvColumnOverrideSchema.shape.type.unwrap().options
const COLUMN_ROLES = csvColumnOverrideSchema.shape.role.unwrap().options

/** `--column 3:type=ignore,name=id,role=feature` → a column override of datasets.importCsv. */
export function parseColumnFlag(text: string): { index: number; type?: (typeof COLUMN_TYPES)[number]; role?: (typeof COLUMN_ROLES)[number]; name?: string } {
  const usage = commandUsage(COMMANDS.find((c) => c.name === 'datasets import')!)
  const fail = (problem: string) =>
    new UsageError(`--column ${text}: ${problem}; write --column <index>:type=numeric|categorical|ignore,name=<name>,role=feature|target|ignore`, usage, { reason: 'cli.bad_value', details: { command: 'datasets import', option: '--column', expected: '<index>:key=value,…', got: text } })
  const match = /^(\d+):(.+)$/.exec(text)
  if (!match) throw fail('expected a 0-based column index, a colon and settings')
  const column: ReturnType<typeof parseColumnFlag> = { index: Number(match[1]) }
  for (const part of match[2].split(',')) {
    const eq = part.indexOf('=')
    if (eq < 1) throw fail(`"${part}" is not key=value`)
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (key === 'type') {
      if (!(COLUMN_TYPES as readonly string[]).includes(value)) throw fail(`type must be one of ${COLUMN_TYPES.join(', ')}, got ${value}`)
      column.type = value as (typeof COLUMN_TYPES)[number]
    } else if (key === 'role') {
      if (!(COLUMN_ROLES as readonly string[]).includes(value)) throw fail(`role must be one of ${COLUMN_ROLES.join(', ')}, got ${value}`)
      column.role = value as (typeof COLUMN_ROLES)[number]
    } else if (key === 'name') {
      if (!value) throw fail('name must not be empty')
      column.name = value
    } else throw fail(`unknown setting "${key}" (type, name, role)`)
  }
  return column
}
