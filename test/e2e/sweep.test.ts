// A hyperparameter sweep from the Train form: S7 with two learning rates × two epoch budgets
// (4 runs), the run count previewed, a bad range refused in the user's language by its reason,
// the progress view followed to the end (queued → running → finished, best so far), then Compare
// opened on the sweep: its ranking sorted by the best loss and the parallel-coordinates chart over
// the swept fields. Screenshots in English/light and Chinese/dark.
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { REPO_ROOT } from './harness'
import { byTestId, goTo, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let page: Page
const SHOTS = '/tmp/sweep-shots'
const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1'

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: false })
  if (DOCS) copyFileSync(path, join(REPO_ROOT, 'docs', 'screenshots', `${name}.png`))
}

useServedWorkbench('sweep', (opened) => {
  ({ page } = opened)
})

const itemStatuses = (p: Page) => byTestId(p, 'sweep-items').locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')))

describe('a sweep from the Train form', () => {
  it('previews, refuses a bad range, launches 4 runs, follows them to the end and opens Compare on the sweep', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S7').click()
    await goTo(page, 'train')
    await byTestId(page, 'sweep-toggle').check()
    await setControl(byTestId(page, 'sweep-values-0'), '0.1..0.01:log:3')
    await expect.poll(() => byTestId(page, 'sweep-count-error').getAttribute('data-reason'), { timeout: 5_000 }).toBe('sweep.range_reversed')
    expect(await byTestId(page, 'sweep-count-error').innerText()).toMatch(/write the smaller value first/)
    expect(await byTestId(page, 'sweep-launch').isDisabled()).toBe(true)

    await setControl(byTestId(page, 'sweep-values-0'), '0.01,0.03')
    await byTestId(page, 'sweep-add-field').click()
    await byTestId(page, 'sweep-field-1').selectOption('budget.epochs')
    await setControl(byTestId(page, 'sweep-values-1'), '40,80')
    await expect.poll(() => byTestId(page, 'sweep-count').innerText(), { timeout: 5_000 }).toBe('4 runs')
    await expect.poll(() => byTestId(page, 'sweep-launch').isEnabled(), { timeout: 30_000 }).toBe(true)
    await byTestId(page, 'sweep-launch').click()

    await byTestId(page, 'sweep-progress').waitFor({ timeout: 15_000 })
    await expect.poll(() => itemStatuses(page), { message: 'a run trains while the others queue', timeout: 60_000, interval: 200 }).toEqual(expect.arrayContaining(['finished', 'running', 'queued']))
    await shot('sweep-progress-running')
    await expect.poll(() => byTestId(page, 'sweep-progress').getAttribute('data-status'), { message: 'the sweep finishes', timeout: 120_000, interval: 500 }).toBe('finished')
    await expect.poll(() => itemStatuses(page), { timeout: 10_000 }).toEqual(['finished', 'finished', 'finished', 'finished'])
    await expect.poll(() => byTestId(page, 'sweep-best').innerText(), { timeout: 10_000 }).toMatch(/^Best so far: learning_rate=0\.0\d epochs=\d+ \(loss [\d.]+\)$/)
    await shot('sweep-train-finished-en-light')

    await byTestId(page, 'sweep-compare').click()
    const ranking = byTestId(page, 'sweep-ranking')
    await ranking.waitFor({ timeout: 30_000 })
    await expect.poll(() => byTestId(page, 'sweep-ranking-row').count(), { timeout: 30_000 }).toBe(4)
    // Judged by the sweep's metric (S7 does not validate: loss), in the table and the chart alike.
    await expect.poll(() => byTestId(page, 'sweep-ranking-metric').inputValue(), { timeout: 10_000 }).toBe('loss')
    await expect.poll(() => byTestId(page, 'parallel-metric').inputValue(), { timeout: 10_000 }).toBe('loss')
    const bests = (await byTestId(page, 'sweep-ranking-best').allInnerTexts()).map(Number)
    expect(bests.every(Number.isFinite)).toBe(true)
    expect([...bests].sort((a, b) => a - b)).toEqual(bests)
    await byTestId(page, 'parcoords-chart').waitFor({ timeout: 30_000 })
    // The parallel chart's axes are the swept fields, then the metric.
    await expect.poll(() => page.getByText('optimizer.learning_rate').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    await shot('sweep-compare-en-light')
    await byTestId(page, 'sweep-show-chart').click()
    await page.waitForTimeout(800)
    await shot('sweep-compare-parallel-en-light')
  }, 240_000)

  it('reads in Chinese and dark', async () => {
    await byTestId(page, 'locale-switch').selectOption('zh-CN')
    await byTestId(page, 'theme-switch').selectOption('dark')
    await expect.poll(() => byTestId(page, 'sweep-ranking').innerText(), { timeout: 5_000 }).toMatch(/扫描：/)
    await page.evaluate('window.scrollTo(0, 0)')
    await byTestId(page, 'sweep-ranking').scrollIntoViewIfNeeded()
    await shot('sweep-compare-zh-dark')
    await byTestId(page, 'sweep-show-chart').click()
    await page.waitForTimeout(800)
    await shot('sweep-compare-parallel-zh-dark')
    await goTo(page, 'train')
    await expect.poll(() => byTestId(page, 'sweep-best').innerText(), { timeout: 10_000 }).toMatch(/^目前最佳：/)
    await shot('sweep-train-finished-zh-dark')
  }, 60_000)
})
