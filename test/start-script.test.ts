// `npm start` (bin/start.cjs) on a machine without Electron: it says why in one line and serves
// the workbench in the browser host, whose URL then opens the page with the printed token.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(__dirname, '..')
const script = join(root, 'bin', 'start.cjs')
const dataDir = mkdtempSync(join(tmpdir(), 'mw-start-'))

afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

function status(url: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, location: res.headers.location })
    })
      .on('error', reject)
      .end()
  })
}

describe('npm start', () => {
  it('refuses unknown options with a usage line', () => {
    const result = spawnSync(process.execPath, [script, '--prot', '8080'], { cwd: root, encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('unknown option --prot')
  })

  it('falls back to the browser host with a one-line reason, and serves the page behind the token', async () => {
    // No display: even where an Electron binary exists, the desktop app cannot start.
    const child = spawn(process.execPath, [script, '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'], {
      cwd: root,
      env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '', MODEL_WORKBENCH_SKIP_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 90 s; output so far:\n${output}`)), 90_000)
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+/.exec(output)
          if (match) {
            clearTimeout(timer)
            resolve(match[0])
          }
        }
        child.stdout.on('data', onData)
        child.stderr.on('data', onData)
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)))
      })
      expect(output).toMatch(/The desktop app cannot start here: .+\. Serving the workbench in the browser instead\./)
      expect(output).toContain(dataDir)
      const exchange = await status(url)
      expect(exchange).toEqual({ status: 302, location: '/' })
      expect((await status(url.replace(/\?token=.*/, ''))).status).toBe(401)
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  })
})
