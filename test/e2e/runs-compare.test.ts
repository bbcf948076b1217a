// Runs and Compare read right, in Chromium: two tiny S7 runs trained for real (through the CLI,
// into the data folder the server then opens), a query that filters them, the column chooser
// kept across a reload, a run's own page (curves, and "best" as the minimum over the epochs,
// the same number in the table, the page and Compare), and Compare with run colours that stay
// when another run is removed, a diff without default-only differences, and its selection kept
// across a reload; the architecture diff: the same for the two S7 runs, and as a picture and a list
// against a third run trained from a residual variant of S7 (dense_1 → extra → Add skip → dense_2).
// Screenshots of Runs, the run page and Compare (and its architecture graph) in light, dark and Chinese;
// MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 also writes docs/screenshots/compare-architecture-{en-light,en-dark,zh-light}.png.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { REPO_ROOT, freshDataDir, openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, goTo, openWorkbench, setControl, waitUntil } from './workbench-page'

let served: ServedWorkbench
let session: BrowserSession
let page: Page
let pageProblems: () => string[]
let dataDir: string
const runIds: Record<string, string> = {}

/** Trains example S7 (y = 2x, three relu units) for a few epochs through the command line. */
function trainS7(dataDir: string, name: string, lr: string, epochs: string, target = 'S7', more: string[] = []): string {
  const out = execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'model-workbench.cjs'), 'train', target, ...more, '--epochs', epochs, '--lr', lr, '--name', name, '--data-dir', dataDir, '--json'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 })
  const lines = out.trim().split('\n')
  const detail = JSON.parse(lines.slice(lines.findIndex((line) => line === '{')).join('\n')) as { id: string; status: string }
  expect(detail.status).toBe('finished')
  return detail.id
}

beforeAll(async () => {
  requireBuiltRenderer()
  dataDir = freshDataDir('runs-compare')
  runIds.fast = trainS7(dataDir, 's7 fast', '0.03', '12')
  runIds.slow = trainS7(dataDir, 's7 slow', '0.01', '8')
  served = await serveWorkbench({ dataDir, label: 'runs-compare' })
  session = await openBrowser()
  page = session.page
  pageProblems = recordPageProblems(page)
  await openWorkbench(page, served.url)
}, 240_000)
afterAll(async () => {
  if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
  await session?.close()
  await served?.close()
})

const CJK = /[\u4e00-\u9fff]/
const rows = () => byTestId(page, 'run-row')
const row = (id: string) => page.locator(`[data-testid="run-row"][data-run-id="${id}"]`)
const cell = (id: string, column: string) => row(id).locator(`[data-column="${column}"]`)
const header = (column: string) => page.locator(`[data-testid="runs-table"] [role="columnheader"][data-column="${column}"]`)

async function search(text: string): Promise<void> {
  await byTestId(page, 'runs-search').fill(text)
}

async function shots(name: string): Promise<void> {
  await session.screenshot(`${name}-light`)
  await setControl(byTestId(page, 'theme-switch'), 'dark')
  await page.waitForTimeout(300)
  await session.screenshot(`${name}-dark`)
  await setControl(byTestId(page, 'theme-switch'), 'light')
  await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
  await page.waitForTimeout(300)
  await session.screenshot(`${name}-zh`)
  await setControl(byTestId(page, 'locale-switch'), 'en')
}

describe('Runs', () => {
  it('lists both runs with a column per metric, epochs trained / configured, and the best loss as the minimum over epochs', async () => {
    await goTo(page, 'runs')
    await expect.poll(() => rows().count(), { message: 'both runs are listed' }).toBe(2)
    // S7 has no validation: the training scores' bests and the test error are the default metric columns.
    for (const column of ['best:loss', 'best:mae', 'final:test_mae']) expect(await header(column).count(), column).toBe(1)
    expect(await page.locator('[data-testid="runs-table"] [role="columnheader"]').allInnerTexts()).not.toContain('Best val')
    expect((await cell(runIds.fast, 'epochs').innerText()).replace(/\s/g, '')).toBe('12/12')
    expect((await cell(runIds.slow, 'epochs').innerText()).replace(/\s/g, '')).toBe('8/8')
    expect(Number(await cell(runIds.fast, 'best:loss').innerText())).toBeGreaterThan(0)

    // The side panel says final and best over epochs, not "best" for the value at the best epoch.
    await row(runIds.fast).click()
    const panel = byTestId(page, 'run-panel-metrics')
    await panel.waitFor({ timeout: 5_000 })
    expect(await panel.locator('th').allInnerTexts()).toEqual(['Metric', 'Final', 'Best over epochs'])
    await session.screenshot('runs-panel')
  })

  it('filters with a query, says where a bad query goes wrong (also in Chinese), and keeps chosen columns across a reload', async () => {
    await search('params.lr < 0.02 and status = finished')
    await expect.poll(() => rows().count(), { message: 'only the lr 0.01 run matches' }).toBe(1)
    expect(await rows().first().getAttribute('data-run-id')).toBe(runIds.slow)
    await search('name ~ "FAST"')
    await expect.poll(() => rows().count()).toBe(1)
    expect(await rows().first().getAttribute('data-run-id')).toBe(runIds.fast)
    await search('best.loss > 0 and params.optimizer = sgd')
    await expect.poll(() => rows().count()).toBe(2)

    await search('params.lr <')
    const problem = byTestId(page, 'runs-query-error')
    await problem.waitFor({ timeout: 5_000 })
    expect(await problem.getAttribute('data-reason')).toBe('query.expected')
    expect(await problem.innerText()).toMatch(/position 12/)
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    await expect.poll(() => problem.innerText()).toMatch(CJK)
    expect(await problem.innerText()).toContain('12')
    await setControl(byTestId(page, 'locale-switch'), 'en')
    await search('')
    await expect.poll(() => rows().count()).toBe(2)

    // Column chooser: add the final loss, drop the model; both stick after a reload.
    await byTestId(page, 'runs-columns').locator('summary').click()
    await page.locator('[data-testid="runs-columns"] input[data-column="final:loss"]').check()
    await page.locator('[data-testid="runs-columns"] input[data-column="model"]').uncheck()
    await byTestId(page, 'runs-columns').locator('summary').click()
    expect(await header('final:loss').count()).toBe(1)
    expect(await header('model').count()).toBe(0)
    await shots('runs')
    await page.waitForTimeout(500)
    await page.reload()
    await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
    await goTo(page, 'runs')
    await expect.poll(() => rows().count()).toBe(2)
    expect(await header('final:loss').count(), 'the chosen column survives a reload').toBe(1)
    expect(await header('model').count()).toBe(0)
  })
})

describe('a run page', () => {
  it('opens from the table with its curves, its metrics labelled final / best over epochs / at best epoch, and no Compare banner', async () => {
    const tableBest = (await cell(runIds.fast, 'best:loss').innerText()).trim()
    await row(runIds.fast).locator('[data-testid="run-open-page"]').click()
    const runPage = byTestId(page, 'run-page')
    await runPage.waitFor({ timeout: 10_000 })
    expect(await runPage.getAttribute('data-run-id')).toBe(runIds.fast)
    await byTestId(page, 'run-page-chart-loss').waitFor({ timeout: 10_000 })
    await byTestId(page, 'run-page-chart-mae').waitFor({ timeout: 10_000 })
    expect(await page.getByText('Choose at least two runs').count()).toBe(0)
    const metrics = byTestId(page, 'run-page-metrics')
    expect(await metrics.locator('th').allInnerTexts()).toEqual(['Metric', 'Final', 'Best over epochs', expect.stringMatching(/^At best epoch of loss \(\d+\)$/)])
    const lossBest = (await metrics.locator('tr[data-metric="loss"] [data-testid="metric-best"]').innerText()).trim()
    expect(lossBest.split(/\s/)[0], 'the page and the table show the same best loss').toBe(tableBest)
    expect(lossBest).toMatch(/min/)
    // The best over the epochs is no worse than the last epoch's value.
    const lossFinal = Number((await metrics.locator('tr[data-metric="loss"] [data-testid="metric-final"]').innerText()).trim())
    expect(Number(lossBest.split(/\s/)[0])).toBeLessThanOrEqual(lossFinal)
    expect((await byTestId(page, 'run-page-epochs').innerText())).toMatch(/12 of 12/)
    expect(await byTestId(page, 'run-page-training').locator('td', { hasText: 'optimizer.learning_rate' }).count()).toBe(1)
    await shots('run-page')
    await byTestId(page, 'run-page-back').click()
    await byTestId(page, 'runs-table').waitFor()
  })
})

describe('Compare', () => {
  it('keeps each run its colour, shows only real differences, the same best as Runs, and keeps the selection across a reload', async () => {
    const tableBest = (await cell(runIds.slow, 'best:loss').innerText()).trim()
    for (const id of [runIds.fast, runIds.slow]) await row(id).locator('[data-testid="run-select"]').check()
    await byTestId(page, 'compare-selected').click()
    await byTestId(page, 'diff-table').waitFor({ timeout: 15_000 })
    const chip = (id: string) => page.locator(`[data-testid="compare-run-chip"][data-run-id="${id}"]`)
    await chip(runIds.slow).waitFor()
    const slowColour = await chip(runIds.slow).getAttribute('data-color')
    const fastColour = await chip(runIds.fast).getAttribute('data-color')
    expect(slowColour).not.toBe(fastColour)

    // Only differences: learning rate and epochs; no row of dashes, no default-only row.
    const diffRows = page.locator('[data-testid="diff-table"] [data-testid="diff-row"]')
    const keys = await diffRows.evaluateAll((els) => els.map((el) => el.getAttribute('data-key')))
    expect(keys).toContain('optimizer.learning_rate')
    expect(keys).toContain('budget.epochs')
    for (let i = 0; i < (await diffRows.count()); i++) {
      const cells = (await diffRows.nth(i).locator('td').allInnerTexts()).slice(1).map((v) => v.trim())
      expect(cells.every((v) => v === '—'), `row ${keys[i]} is all dashes`).toBe(false)
      expect(new Set(cells).size, `row ${keys[i]} does not differ`).toBeGreaterThan(1)
    }
    // The best loss in Compare's table is the Runs table's.
    const values = byTestId(page, 'compare-values')
    const heads = (await values.locator('thead th').allInnerTexts()).map((h) => h.split('\n')[0].trim())
    const lossColumn = heads.indexOf('loss')
    expect(lossColumn).toBeGreaterThan(0)
    const slowRow = values.locator('tbody tr', { hasText: 's7 slow' })
    expect((await slowRow.locator('td').nth(lossColumn).innerText()).trim()).toBe(tableBest)
    // Same model in both runs: the architecture graph says so.
    await byTestId(page, 'arch-diff-same').waitFor({ timeout: 5_000 })
    await byTestId(page, 'parcoords-chart').waitFor()
    await shots('compare')
    await byTestId(page, 'compare-log-y').check()
    await setControl(byTestId(page, 'compare-x-axis'), 'time')
    await page.waitForTimeout(300)
    await session.screenshot('compare-logy-walltime')
    await byTestId(page, 'parcoords-chart').scrollIntoViewIfNeeded()
    await shots('compare-lower')
    await setControl(byTestId(page, 'compare-x-axis'), 'epoch')
    await byTestId(page, 'compare-log-y').uncheck()

    // Removing the first run leaves the other its colour; adding it back keeps both apart.
    await chip(runIds.fast).locator('button[aria-label]').click()
    await expect.poll(() => page.locator('[data-testid="compare-run-chip"]').count()).toBe(1)
    expect(await chip(runIds.slow).getAttribute('data-color')).toBe(slowColour)
    await setControl(byTestId(page, 'compare-add'), runIds.fast)
    await chip(runIds.fast).waitFor()
    expect(await chip(runIds.slow).getAttribute('data-color')).toBe(slowColour)
    expect(await chip(runIds.fast).getAttribute('data-color')).not.toBe(slowColour)

    // A reload keeps the runs chosen (order: slow, then fast) and their colours.
    await page.waitForTimeout(500)
    await page.reload()
    await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
    await byTestId(page, 'nav-compare').click()
    await waitUntil(async () => (await page.locator('[data-testid="compare-run-chip"]').count()) === 2, 'the Compare selection survives a reload', 15_000)
    expect(await page.locator('[data-testid="compare-run-chip"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-run-id')))).toEqual([runIds.slow, runIds.fast])
    expect(await chip(runIds.slow).getAttribute('data-color')).toBe(slowColour)
  })

  it('draws the architecture diff against a residual variant: added layers and connections, the removed connection, the changed layer with old → new', async () => {
    // S7 with a skip: dense_1 (now tanh) → extra → Add(dense_1, extra) → dense_2, on the same data set.
    const residual = {
      format: 'model-workbench/spec', version: 2, name: 'seed004-residual', input_shape: [1],
      layers: [
        { class_name: 'Dense', config: { name: 'dense_1', units: 3, activation: 'tanh' } },
        { class_name: 'Dense', config: { name: 'extra', units: 3, activation: 'relu' } },
        { class_name: 'Add', config: { name: 'skip' }, inbound: ['dense_1', 'extra'] },
        { class_name: 'Dense', config: { name: 'dense_2', units: 1, activation: 'linear' }, inbound: ['skip'] }
      ]
    }
    const specFile = join(dataDir, 'residual.json')
    writeFileSync(specFile, JSON.stringify(residual))
    runIds.residual = trainS7(dataDir, 's7 residual', '0.01', '4', specFile, ['--dataset', 'linear-2x', '--loss', 'mean_squared_error', '--metrics', 'mae', '--optimizer', 'sgd', '--batch-size', '4', '--validation-split', '0'])
    // A run another process recorded: the list shows it after a reload; Compare keeps its two runs.
    await page.reload()
    await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
    await goTo(page, 'runs')
    await row(runIds.residual).waitFor({ timeout: 15_000 })
    await byTestId(page, 'nav-compare').click()
    await waitUntil(async () => (await page.locator('[data-testid="compare-run-chip"]').count()) === 2, 'Compare shows its two runs again', 15_000)
    await setControl(byTestId(page, 'compare-add'), runIds.residual)
    await expect.poll(() => page.locator('[data-testid="compare-run-chip"]').count()).toBe(3)
    // Three runs: the panel asks which two; from the first S7 run to the residual one.
    await setControl(byTestId(page, 'arch-diff-to'), runIds.residual)
    const node = (name: string) => page.locator(`[data-testid="arch-diff-node"][data-node="${name}"]`)
    await node('skip').waitFor({ timeout: 5_000 })
    const statuses = await page.locator('[data-testid="arch-diff-node"]').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.getAttribute('data-node'), el.getAttribute('data-status')])))
    expect(statuses).toEqual({ input: 'same', dense_1: 'changed', dense_2: 'same', extra: 'added', skip: 'added' })
    const edges = await page.locator('[data-testid="arch-diff-edge"]').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-edge')} ${el.getAttribute('data-status')}`).sort())
    expect(edges).toEqual(['dense_1>dense_2 removed', 'dense_1>extra added', 'dense_1>skip added', 'extra>skip added', 'input>dense_1 same', 'skip>dense_2 added'])
    const changedText = await byTestId(page, 'arch-diff-changed').innerText()
    expect(changedText).toContain('dense_1 (Dense)')
    expect(changedText).toContain('activation: relu → tanh')
    expect(await byTestId(page, 'arch-diff-list').innerText()).toMatch(/Removed connections:\s*dense_1 → dense_2/)
    await byTestId(page, 'arch-diff').scrollIntoViewIfNeeded()
    await shots('compare-architecture')
    if (process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1') {
      // The README's pictures of the panel alone: English light and dark, 中文.
      for (const [name, theme, locale] of [['compare-architecture-en-light', 'light', 'en'], ['compare-architecture-en-dark', 'dark', 'en'], ['compare-architecture-zh-light', 'light', 'zh-CN']]) {
        await setControl(byTestId(page, 'theme-switch'), theme)
        await setControl(byTestId(page, 'locale-switch'), locale)
        await page.waitForTimeout(300)
        await byTestId(page, 'arch-diff').screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', `${name}.png`) })
      }
      await setControl(byTestId(page, 'theme-switch'), 'light')
    }
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    await expect.poll(() => byTestId(page, 'arch-diff-list').innerText()).toMatch(CJK)
    await setControl(byTestId(page, 'locale-switch'), 'en')
  }, 180_000)
})
