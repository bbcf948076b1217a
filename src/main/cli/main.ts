// The `model-workbench` command line: every back-end action without a window (train, runs,
// data sets, evaluate, predict, examples, reproduce, serve). Requests go through the same
// contract validation as the views' requests.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ContractError } from '../../shared/errors'
import { toContractError } from '../services/dispatcher'
import { parseCommandLine, UsageError, type ParsedCommand } from './args'
import { runCommand } from './commands'
import { CliError } from './output'

export type { CliValues } from './args'

export function defaultDataDir(): string {
  return process.env.MODEL_WORKBENCH_DATA || join(homedir(), '.model-workbench')
}

/** Request fields the command line fills from a flag: a refusal names the flag the user typed. */
const FLAG_FOR_FIELD: Record<string, string> = {
  'split.test': '--test',
  'split.validation': '--validation',
  validation: '--validation',
  seed: '--seed',
  skip_lines: '--skip-lines',
  num_classes: '--num-classes',
  delimiter: '--delimiter',
  name: '--name',
  batch_size: '--batch-size',
  threads: '--threads'
}

function flagWords(error: ContractError): ContractError {
  const path = error.details?.path
  if (error.reason !== 'request.invalid' || typeof path !== 'string' || !FLAG_FOR_FIELD[path]) return error
  return { ...error, message: `${FLAG_FOR_FIELD[path]}: ${String(error.details?.problem ?? error.message)}`, details: { ...error.details, option: FLAG_FOR_FIELD[path] } }
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  let parsed: ParsedCommand
  try {
    parsed = parseCommandLine(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    if (json) process.stdout.write(JSON.stringify({ error: error.message, ...error.toContractError() }) + '\n')
    process.stderr.write(`error: ${error.message}\n\n${error.usage}`)
    return 2
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text)
    return 0
  }
  const { values, command, sub, positionals } = parsed
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir())
  try {
    return await runCommand([command, ...(sub ? [sub] : []), ...positionals], values, dataDir)
  } catch (error) {
    // Every failure through the same typed errors as the views': one readable line, and with
    // --json its code, reason and details.
    const contract = flagWords(error instanceof CliError ? error.toContractError() : toContractError(error))
    if (values.json) process.stdout.write(JSON.stringify({ error: contract.message, ...contract }) + '\n')
    else process.stderr.write(`error: ${contract.message}\n`)
    if (error instanceof CliError) return error.exitCode
    return contract.code === 'invalid_request' ? 2 : 1
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
