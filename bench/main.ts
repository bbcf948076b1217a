// Runs a benchmark's main() and turns its result into the process's exit code (1 for a missed
// target or a crash, with the stack on stderr).
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
      process.exitCode = 1
    }
  )
}
