// The gradient check and hand-set weights in Chromium: the Designer's S7 template checked before
// training (pass), its two Dense layers set by hand to seed 004's [[1, 1, 1]]-style weights in the
// properties panel — the check then reports the loss those weights give (pred = 3x for y = 2x on
// x = 1..4: MSE 7.5), proof that the back end builds the model from them — and a trained S7 run
// checked in Evaluate. Screenshots in English and 中文, light and dark, into test-results/e2e (and
// with MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 the README's docs/screenshots/analysis-gradient-check.png).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../../src/shared/examples'
import { REPO_ROOT, openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, goTo, layerCard, openWorkbench, optionValues, setControl, contractCall, waitRunFinished } from './workbench-page'

const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : null
const s7 = EXAMPLES.find((e) => e.id === 'S7')!

let served: ServedWorkbench
let session: BrowserSession
let page: Page
let pageProblems: () => string[]
let runId = ''

const call = <T>(method: string, params: unknown): Promise<T> => contractCall<T>(page, method, params)

const waitFinished = (id: string): Promise<void> => waitRunFinished(page, id, 120_000)

async function shot(name: string): Promise<void> {
  await session.screenshot(name)
}

/** Runs the check in `scope` and waits for its verdict. */
async function runCheck(scope: Page | Locator): Promise<string> {
  await byTestId(scope, 'gradcheck-run').click()
  const verdict = byTestId(scope, 'gradcheck-verdict')
  await expect.poll(async () => (await byTestId(scope, 'gradcheck-run').isEnabled()) && (await verdict.count()) > 0, { timeout: 60_000 }).toBe(true)
  return (await verdict.getAttribute('data-verdict')) ?? ''
}

beforeAll(async () => {
  requireBuiltRenderer()
  served = await serveWorkbench({ label: 'gradient-check' })
  session = await openBrowser()
  page = session.page
  pageProblems = recordPageProblems(page)
  await openWorkbench(page, served.url)
  ;({ run_id: runId } = await call<{ run_id: string }>('runs.start', { name: 'S7 gradient check', spec: s7.spec, config: { ...s7.config, budget: { kind: 'epochs', epochs: 20 } }, dataset_id: 'linear-2x' }))
  await waitFinished(runId)
}, 180_000)

afterAll(async () => {
  if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
  await session?.close()
  await served?.close()
})

describe('gradient check and hand-set weights', () => {
  it('checks the untrained S7 in the Designer, then with its Dense weights set by hand', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S7').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBe(2)
    await byTestId(page, 'designer-gradcheck').click()
    const dialog = byTestId(page, 'designer-gradcheck-dialog')
    await dialog.waitFor({ timeout: 5_000 })
    expect(await runCheck(dialog)).toBe('pass')
    expect(await byTestId(dialog, 'gradcheck-row').count()).toBe(4)
    expect(await byTestId(dialog, 'gradcheck-tolerances').innerText()).toContain('1e-3')
    await shot('gradcheck-designer-en')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached', timeout: 5_000 })

    // Seed 004's style: every kernel weight 1, biases 0, on both layers.
    for (const index of [0, 1]) {
      await layerCard(page, index).click()
      const table = byTestId(page, 'hand-set-weights')
      await table.waitFor({ timeout: 5_000 })
      await byTestId(page, 'hand-set-start').click()
      for (let i = 0; i < 3; i++) await setControl(byTestId(page, `hand-set-kernel-${i}`), '1')
      expect(await byTestId(page, 'hand-set-state').innerText()).toMatch(/by hand/)
    }
    await expect.poll(() => byTestId(page, 'designer-weights').innerText()).toContain('2')
    await shot('gradcheck-set-weights-en')

    await byTestId(page, 'designer-gradcheck').click()
    await dialog.waitFor({ timeout: 5_000 })
    expect(await runCheck(dialog)).toBe('pass')
    // pred = 1·relu(x)·3 = 3x against y = 2x on x = 1..4: mean of x² = 7.5.
    await expect.poll(() => dialog.innerText()).toContain('mean_squared_error = 7.500')
    await byTestId(dialog, 'designer-gradcheck-close').click()

    // Reset to initializer takes them away again.
    await layerCard(page, 1).click()
    await byTestId(page, 'hand-set-reset').click()
    await expect.poll(() => byTestId(page, 'hand-set-start').count()).toBe(1)
  }, 120_000)

  it('checks a trained S7 run in Evaluate, in English and 中文, light and dark', async () => {
    await goTo(page, 'evaluate')
    await expect.poll(() => optionValues(byTestId(page, 'evaluate-run')), { timeout: 15_000 }).toContain(runId)
    await setControl(byTestId(page, 'evaluate-run'), runId)
    const panel = byTestId(page, 'gradient-check')
    await panel.waitFor({ timeout: 10_000 })
    expect(await runCheck(panel)).toBe('pass')
    const rows = byTestId(panel, 'gradcheck-row')
    expect(await rows.count()).toBe(4)
    for (let i = 0; i < 4; i++) expect(await rows.nth(i).getAttribute('data-verdict')).toMatch(/^(pass|inconclusive)$/)
    expect(await byTestId(panel, 'gradcheck-summary').innerText()).toContain('The gradients are right')
    await panel.scrollIntoViewIfNeeded()
    await shot('gradcheck-evaluate-en-light')
    if (DOCS) {
      mkdirSync(DOCS, { recursive: true })
      await panel.screenshot({ path: join(DOCS, 'analysis-gradient-check.png') })
    }
    await setControl(byTestId(page, 'theme-switch'), 'dark')
    await shot('gradcheck-evaluate-en-dark')
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    await expect.poll(() => byTestId(panel, 'gradcheck-summary').innerText()).toContain('梯度正确')
    await shot('gradcheck-evaluate-zh-dark')
    await setControl(byTestId(page, 'theme-switch'), 'light')
    await shot('gradcheck-evaluate-zh-light')
    await setControl(byTestId(page, 'locale-switch'), 'en')
  }, 120_000)
})
