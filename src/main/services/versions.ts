// Versions recorded on every run, so that a result can be traced to the code that made it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

let cached: string | null = null

/** This package's version, read once from package.json (works from the sources and from out/main). */
export function packageVersion(): string {
  if (cached) return cached
  for (const candidate of [join(__dirname, '..', '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string }
      if (parsed.name === 'model-workbench' && parsed.version) return (cached = parsed.version)
    } catch {
      // try the next candidate
    }
  }
  return (cached = '0.0.0')
}
