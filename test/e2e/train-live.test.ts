// The live run belongs to the back end: start S5 on MNIST from the Train view, press Esc in the
// CSV import dialog (the dialog closes, the run goes on), reload the page mid-run (Train shows
// the run live with its progress and chart again), open a second page (it shows the same run),
// stop it from the reloaded page, and both pages show it stopped with a final progress line.
// Also: the form's controls are found by their labels, and the shortcut list and backend badge
// open from the keyboard.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, chartPointTotal, goTo, openWorkbench, optionValues, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let served: ServedWorkbench
let session: BrowserSession
let page: Page

useServedWorkbench('train-live', (opened) => {
  ({ served, session, page } = opened)
})

const status = async (p: Page) => (await byTestId(p, 'run-status').innerText()).toLowerCase()

describe('a live run survives Esc, a reload and a second tab', () => {
  it('trains S5, keeps running through Esc in a dialog, reattaches after a reload and in a second page, and stops', async () => {
    // S5 from the Designer's templates: its settings and data set come with it.
    await goTo(page, 'designer')
    await byTestId(page, 'template-S5').click()
    await goTo(page, 'train')
    // Every control of the form is found by its label.
    const datasetSelect = page.getByLabel('Data set', { exact: true })
    await expect.poll(() => optionValues(datasetSelect), { message: 'the built-in MNIST is offered', timeout: 90_000, interval: 500 }).toContain('mnist')
    expect(await datasetSelect.inputValue()).toBe('mnist')
    expect(await page.getByLabel('Optimizer', { exact: true }).inputValue()).toBe('rmsprop')
    expect(await page.getByLabel('Run on', { exact: true }).count()).toBe(1)
    expect(await page.getByLabel('Loss', { exact: true }).count()).toBe(1)
    // Long enough to reload in the middle of it.
    await setControl(page.getByLabel('Epochs', { exact: true }), '40')
    await setControl(page.getByLabel('Run name', { exact: true }), 'live-run')
    await expect.poll(() => byTestId(page, 'train-start').isEnabled(), { timeout: 10_000 }).toBe(true)
    await byTestId(page, 'train-start').click()
    await expect.poll(() => status(page), { message: 'the run starts', timeout: 60_000 }).toMatch(/running/)
    await expect.poll(() => chartPointTotal(page, 'chart-batch-loss'), { message: 'batch losses reach the chart', timeout: 60_000, interval: 250 }).toBeGreaterThan(0)
    await session.screenshot('train-live-running')

    // Esc in a dialog closes the dialog, never the run.
    await goTo(page, 'datasets')
    await byTestId(page, 'dataset-import-csv').click()
    const dialog = page.getByRole('dialog')
    await dialog.first().waitFor({ timeout: 10_000 })
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog.count(), { message: 'Esc closes the dialog', timeout: 5_000 }).toBe(0)
    await goTo(page, 'train')
    expect(await status(page)).toMatch(/running/)

    // A reload: the back end's run is shown live again, with its progress and stored chart.
    await page.reload()
    await byTestId(page, 'nav-train').waitFor({ timeout: 30_000 })
    await goTo(page, 'train')
    await expect.poll(() => status(page), { message: 'after a reload the run shows as running', timeout: 15_000 }).toMatch(/running/)
    expect(await status(page)).not.toMatch(/ready/)
    expect(await byTestId(page, 'train-run-shown').innerText()).toBe('live-run')
    await expect.poll(() => byTestId(page, 'train-progress').innerText(), { timeout: 15_000 }).toMatch(/step [\d,]+ \/ [\d,]+/)
    await expect.poll(() => chartPointTotal(page, 'chart-batch-loss'), { message: 'the stored batch losses are drawn', timeout: 15_000, interval: 250 }).toBeGreaterThan(10)
    const afterReload = await chartPointTotal(page, 'chart-batch-loss')
    await expect.poll(() => chartPointTotal(page, 'chart-batch-loss'), { message: 'live points keep coming', timeout: 30_000, interval: 250 }).toBeGreaterThan(afterReload)
    await session.screenshot('train-live-reloaded')

    // A second page sees the same run.
    const second = await session.context.newPage()
    try {
      await openWorkbench(second, served.url)
      await goTo(second, 'train')
      await expect.poll(() => status(second), { message: 'the second page shows the run', timeout: 15_000 }).toMatch(/running/)
      expect(await byTestId(second, 'train-run-shown').innerText()).toBe('live-run')

      // Stop from the reloaded page: both pages see it end, with a final progress line.
      await byTestId(page, 'train-stop').click()
      for (const p of [page, second]) {
        await expect.poll(() => status(p), { message: 'the run stops', timeout: 30_000 }).toMatch(/stopped/)
        await expect.poll(() => byTestId(p, 'train-progress').innerText(), { timeout: 5_000 }).toMatch(/ended at step [\d,]+ of [\d,]+/)
      }
      expect(await byTestId(page, 'train-start').isEnabled()).toBe(true)
    } finally {
      await second.close()
    }
    await session.screenshot('train-live-stopped')
  })

  it('opens the shortcut list and the backend details from the keyboard, and Esc closes them', async () => {
    const shortcuts = byTestId(page, 'shortcuts-button')
    await shortcuts.focus()
    await page.keyboard.press('Enter')
    await byTestId(page, 'shortcut-list').waitFor({ timeout: 5_000 })
    expect(await byTestId(page, 'shortcut-list').innerText()).toMatch(/Ctrl\+\./)
    await page.keyboard.press('Escape')
    await expect.poll(() => byTestId(page, 'shortcut-list').count(), { timeout: 5_000 }).toBe(0)

    const badge = byTestId(page, 'backend-badge').first()
    await badge.focus()
    await page.keyboard.press('Enter')
    await byTestId(page, 'backend-details').first().waitFor({ timeout: 5_000 })
    expect(await byTestId(page, 'backend-details').first().innerText()).toMatch(/wasm|cpu|webgpu|tensorflow/)
    await page.keyboard.press('Escape')
    await expect.poll(() => byTestId(page, 'backend-details').count(), { timeout: 5_000 }).toBe(0)
  })

  it('looks right in Chinese and dark after the run', async () => {
    await byTestId(page, 'locale-switch').selectOption('zh-CN')
    await byTestId(page, 'theme-switch').selectOption('dark')
    await expect.poll(() => byTestId(page, 'train-progress').innerText(), { timeout: 5_000 }).toMatch(/在第/)
    await session.screenshot('train-live-stopped-zh-dark')
    await byTestId(page, 'locale-switch').selectOption('en')
    await byTestId(page, 'theme-switch').selectOption('light')
  })
})
