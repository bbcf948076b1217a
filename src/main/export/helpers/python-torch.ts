// Finds a Python 3 that has torch (Debian's /usr/bin/python3 first, then `python3` on PATH) and runs
// short scripts in it, single-threaded (OpenBLAS ignores torch.set_num_threads without these).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface PythonTorch {
  /** The interpreter's path or command name. */
  python: string
  torchVersion: string
}

export interface PythonResult {
  code: number
  stdout: string
  stderr: string
}

const CANDIDATES = ['/usr/bin/python3', 'python3']

/** Environment for a Python child: one thread for BLAS/OpenMP, no user site noise. */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra }
}

export function runPython(python: string, args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<PythonResult> {
  return new Promise((resolve) => {
    execFile(python, args, { cwd: options.cwd, env: pythonEnv(options.env), timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((error as unknown as { code: number }).code) : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (error && code !== 0 ? error.message : '') })
    })
  })
}

let cached: Promise<PythonTorch | null> | null = null

/** The first candidate interpreter that imports torch, or null (cached for the process). */
export function findPythonTorch(): Promise<PythonTorch | null> {
  cached ??= (async () => {
    for (const python of CANDIDATES) {
      if (python.startsWith('/') && !existsSync(python)) continue
      const result = await runPython(python, ['-c', 'import torch; print(torch.__version__)'], { timeoutMs: 60_000 })
      if (result.code === 0 && result.stdout.trim()) return { python, torchVersion: result.stdout.trim().split('\n').pop()! }
    }
    return null
  })()
  return cached
}
