// The seeds' experiments S1, S4, S5, S6 and S7, run as shipped examples through the service the
// views and the CLI use, must clear their floors (design/SEED_EXPERIMENTS.md). S2 and S3 are long
// and run with `model-workbench reproduce`.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reproduce } from '../src/main/cli/reproduce'
import { openWorkbench, type WorkbenchService } from '../src/main/services/workbench'

describe('seed experiments', () => {
  let dataDir: string
  let service: WorkbenchService
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mw-seeds-'))
    service = await openWorkbench({ dataDir, host: 'browser' })
  })
  afterAll(async () => {
    await service?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  for (const id of ['S7', 'S6', 'S1', 'S5', 'S4']) {
    it(`${id} clears its floor`, { timeout: 900_000 }, async () => {
      const [result] = await reproduce(service, [id], { json: true, log: () => undefined })
      expect(result, JSON.stringify(result)).toMatchObject({ id, pass: true })
      const run = service.store.getRun(result.run_id!)
      expect(run.status).toBe('finished')
    })
  }
})
