// Weights over time and the learning-rate finder, in Chromium: S7 with seed 42 (trained through
// the contract) shows its distributions in Evaluate and flags dense_1's relu units dead, every
// one of them (the model predicts a constant); then the S5 template in the Designer, the finder
// run from the Train form's button (progress, loss against a log-scaled rate, the suggestion and
// its rule) and its suggestion applied to the form's learning rate. Screenshots in English and
// 中文, light and dark, to the run's artifacts (and with MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 the
// README's two into docs/screenshots).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXAMPLES } from '../../src/shared/examples'
import { REPO_ROOT, openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, goTo, openWorkbench, optionValues, setControl, contractCall, waitRunFinished } from './workbench-page'

const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : null
const SHOTS = process.env.MODEL_WORKBENCH_SHOTS_DIR ?? null

let served: ServedWorkbench
let session: BrowserSession
let page: Page
let pageProblems: () => string[]
let s7Run = ''

const call = <T>(method: string, params: unknown): Promise<T> => contractCall<T>(page, method, params)

const waitFinished = (id: string): Promise<void> => waitRunFinished(page, id, 120_000)

/** A screenshot of one element: to the run's artifacts (or MODEL_WORKBENCH_SHOTS_DIR), and the docs' copy when asked. */
async function shot(target: Locator, name: string, docsName?: string): Promise<void> {
  await target.scrollIntoViewIfNeeded()
  await page.waitForTimeout(300)
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true })
    await target.screenshot({ path: join(SHOTS, `${name}.png`) })
  } else await session.screenshot(name)
  if (DOCS && docsName) {
    mkdirSync(DOCS, { recursive: true })
    await target.screenshot({ path: join(DOCS, `${docsName}.png`) })
  }
}

/** Each look: English light, English dark, 中文 light, 中文 dark; `check` sees the panel in each. */
async function inEveryLook(target: () => Locator, name: string, docsName: string, check: (locale: 'en' | 'zh-CN') => Promise<void>): Promise<void> {
  for (const [locale, theme] of [['en', 'light'], ['en', 'dark'], ['zh-CN', 'light'], ['zh-CN', 'dark']] as const) {
    await setControl(byTestId(page, 'locale-switch'), locale)
    await setControl(byTestId(page, 'theme-switch'), theme)
    await page.waitForTimeout(200)
    await check(locale)
    await shot(target(), `${name}-${locale}-${theme}`, locale === 'en' && theme === 'light' ? docsName : undefined)
  }
  await setControl(byTestId(page, 'locale-switch'), 'en')
  await setControl(byTestId(page, 'theme-switch'), 'light')
}

beforeAll(async () => {
  requireBuiltRenderer()
  served = await serveWorkbench({ label: 'distributions-lr' })
  session = await openBrowser()
  page = session.page
  pageProblems = recordPageProblems(page)
  await openWorkbench(page, served.url)
  const s7 = EXAMPLES.find((example) => example.id === 'S7')!
  ;({ run_id: s7Run } = await call<{ run_id: string }>('runs.start', { name: 'S7 seed 42', spec: s7.spec, config: { ...s7.config, seed: 42 }, dataset_id: s7.dataset_id }))
  await waitFinished(s7Run)
}, 180_000)

afterAll(async () => {
  if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
  await session?.close()
  await served?.close()
})

describe('distributions and the learning-rate finder', () => {
  it("shows S7 seed 42's distributions over epochs and flags all three relu units of dense_1 dead", async () => {
    await goTo(page, 'evaluate')
    await expect.poll(() => optionValues(byTestId(page, 'evaluate-run')), { timeout: 15_000 }).toContain(s7Run)
    await setControl(byTestId(page, 'evaluate-run'), s7Run)
    const panel = byTestId(page, 'distributions')
    await byTestId(page, 'distributions-flags').waitFor({ timeout: 30_000 })
    const flags = byTestId(page, 'distributions-flag')
    const dead = new Set<string>()
    for (let i = 0; i < (await flags.count()); i++) {
      expect(await flags.nth(i).getAttribute('data-kind')).toBe('dead_relu')
      expect(await flags.nth(i).getAttribute('data-layer')).toBe('dense_1')
      for (const unit of /units ([\d, ]+)/.exec(await flags.nth(i).innerText())![1].split(',')) dead.add(unit.trim())
    }
    expect([...dead].sort()).toEqual(['0', '1', '2'])
    // Units 0 and 2 dead before training, unit 1 after the first epoch's single step.
    expect(await flags.count()).toBe(2)
    expect([await flags.nth(0).getAttribute('data-epoch'), await flags.nth(1).getAttribute('data-epoch')]).toEqual(['0', '1'])
    expect(await byTestId(page, 'distributions-all-dead').innerText()).toMatch(/dense_1/)
    await byTestId(page, 'distributions-chart').waitFor()
    // The layer's outputs, then its kernel: both have a chart.
    expect(await optionValues(byTestId(page, 'distributions-tensor'))).toEqual(['activations', 'weight:kernel', 'weight:bias'])
    await inEveryLook(() => panel, 'distributions', 'analysis-distributions', async (locale) => {
      expect(await byTestId(page, 'distributions-why').first().innerText()).toMatch(locale === 'en' ? /dead relu unit/ : /死亡的 relu 单元/)
    })
    await setControl(byTestId(page, 'distributions-tensor'), 'weight:kernel')
    await byTestId(page, 'distributions-chart').waitFor()
    await shot(panel, 'distributions-kernel')
  })

  it('runs the finder from the Train form on S5 and applies its suggestion', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S5').click()
    await goTo(page, 'train')
    await expect.poll(() => optionValues(byTestId(page, 'train-dataset')), { message: 'the built-in MNIST is offered', timeout: 120_000, interval: 500 }).toContain('mnist')
    await setControl(byTestId(page, 'train-dataset'), 'mnist')
    expect(await byTestId(page, 'hp-learning-rate').inputValue()).toBe('0.001')
    await shot(byTestId(page, 'lr-finder-open').locator('xpath=ancestor::section[1]'), 'train-optimizer-with-finder')
    await byTestId(page, 'lr-finder-open').click()
    const dialog = byTestId(page, 'lr-finder-dialog')
    await dialog.waitFor()
    await setControl(byTestId(page, 'lr-finder-steps'), '150')
    await byTestId(page, 'lr-finder-run').click()
    await byTestId(page, 'lr-finder-progress').waitFor({ timeout: 10_000 })
    const suggestion = byTestId(page, 'lr-finder-suggestion')
    await suggestion.waitFor({ timeout: 120_000 })
    const lr = Number(await suggestion.getAttribute('data-lr'))
    expect(lr).toBeGreaterThan(1e-5)
    expect(lr).toBeLessThan(0.1)
    await byTestId(page, 'lr-finder-chart').waitFor()
    await inEveryLook(() => dialog, 'lr-finder', 'train-lr-finder', async (locale) => {
      expect(await dialog.innerText()).toMatch(locale === 'en' ? /divided by 10/ : /除以 10/)
    })
    await byTestId(page, 'lr-finder-apply').click()
    await byTestId(page, 'lr-finder-applied').waitFor()
    await byTestId(page, 'lr-finder-close').click()
    await expect.poll(() => byTestId(page, 'hp-learning-rate').inputValue()).toBe(String(Number(lr.toPrecision(3))))
  })
})
