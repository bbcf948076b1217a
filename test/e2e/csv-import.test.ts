// Real CSV files through the import wizard in Chromium: sklearn's wine_data.csv (a count line
// above a headerless table) shows the row-width warning, imports after "skip 1 line" with all 178
// rows; a `;` file with decimal commas imports as numbers (the Datasets view shows the file's
// values); and with the interface in Chinese a bad CSV shows the importer's error in Chinese.
// Screenshots of the wizard (en and zh, light and dark) go to test-results/e2e/.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { REPO_ROOT, type BrowserSession } from './harness'
import { byTestId, goTo, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let session: BrowserSession
let page: Page

const fixture = (name: string) => ({ name, mimeType: 'text/csv', buffer: readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'csv', name)) })
const CJK = /[\u4e00-\u9fff]/

useServedWorkbench('csv-import', (opened) => {
  ({ session, page } = opened)
})

async function openWizard(file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await goTo(page, 'datasets')
  await byTestId(page, 'dataset-import-csv').click()
  await byTestId(page, 'csv-wizard').waitFor({ timeout: 5_000 })
  await byTestId(page, 'csv-file').setInputFiles(file)
  await byTestId(page, 'csv-preview').waitFor({ timeout: 15_000 })
}

async function splitTotal(): Promise<number> {
  let total = 0
  for (const split of ['train', 'validation', 'test']) {
    const card = byTestId(page, `split-count-${split}`)
    if ((await card.count()) === 0) continue
    total += Number((await card.locator('.split-count').innerText()).replace(/\D/g, ''))
  }
  return total
}

async function theme(choice: 'light' | 'dark'): Promise<void> {
  await setControl(byTestId(page, 'theme-switch'), choice)
}

describe('CSV import wizard', () => {
  it('wine_data.csv: the width warning shows, "skip 1 line" fixes it, and all 178 rows import', async () => {
    await openWizard(fixture('wine_data.csv'))
    const warning = byTestId(page, 'csv-width-warning')
    await warning.waitFor({ timeout: 5_000 })
    expect(await warning.innerText()).toMatch(/178 rows have 14 fields but the header has 5/)
    await session.screenshot('csv-wizard-wine-warning-light')
    await theme('dark')
    await session.screenshot('csv-wizard-wine-warning-dark')
    await theme('light')

    await setControl(byTestId(page, 'csv-skip'), '1')
    await expect.poll(() => warning.count(), { message: 'the warning goes once the count line is skipped' }).toBe(0)
    const headers = await byTestId(page, 'csv-preview').locator('thead th').allInnerTexts()
    expect(headers).toHaveLength(15) // the line number column + 14 columns
    expect(headers[14]).toContain('column 14')

    await byTestId(page, 'wizard-next').click()
    await byTestId(page, 'csv-columns').waitFor()
    expect(await byTestId(page, 'csv-input-width').innerText()).toContain('13 columns → 13 inputs')
    expect(await byTestId(page, 'csv-role-13').inputValue()).toBe('target')
    // Statistics and a histogram per column before the import.
    expect(await byTestId(page, 'csv-column-0').innerText()).toContain('11.03')
    expect(await byTestId(page, 'csv-column-0').locator('svg.spark rect').count()).toBe(10)
    await session.screenshot('csv-wizard-wine-columns-light')
    await theme('dark')
    await session.screenshot('csv-wizard-wine-columns-dark')
    await theme('light')

    await byTestId(page, 'wizard-next').click()
    await byTestId(page, 'wizard-import').click()
    await byTestId(page, 'csv-wizard').waitFor({ state: 'detached', timeout: 30_000 })
    await expect.poll(splitTotal, { message: 'the imported set holds every row', timeout: 10_000 }).toBe(178)
    await byTestId(page, 'dataset-rows').waitFor({ timeout: 10_000 })
    expect(await byTestId(page, 'rows-range').innerText()).toMatch(/rows 1–25 of 142/)
  })

  it('a ; file with decimal commas imports as numbers, and the rows show the file values', async () => {
    await openWizard(fixture('decimal-comma.csv'))
    const notice = byTestId(page, 'csv-decimal-notice')
    await notice.waitFor({ timeout: 5_000 })
    await byTestId(page, 'csv-apply-decimal').click()
    await expect.poll(() => notice.count()).toBe(0)
    expect(await byTestId(page, 'csv-decimal').inputValue()).toBe(',')
    await byTestId(page, 'wizard-next').click()
    expect(await byTestId(page, 'csv-type-0').inputValue()).toBe('numeric')
    expect(await byTestId(page, 'csv-type-1').inputValue()).toBe('numeric')
    expect(await byTestId(page, 'csv-input-width').innerText()).toContain('3 columns → 5 inputs')
    await byTestId(page, 'wizard-next').click()
    await byTestId(page, 'wizard-import').click()
    await byTestId(page, 'csv-wizard').waitFor({ state: 'detached', timeout: 30_000 })
    await byTestId(page, 'dataset-rows').waitFor({ timeout: 10_000 })
    const header = await byTestId(page, 'dataset-rows').locator('thead th').allInnerTexts()
    expect(header.slice(1)).toEqual(['Gewicht', 'Länge', 'Farbe', 'Klasse'])
    const weights = (await byTestId(page, 'dataset-rows').locator('tbody tr td:nth-child(2)').allInnerTexts()).map(Number)
    const fileWeights = [1.37, 2.05, 0.98, 3.5, 1.12, 2.76, 1.44, 2.9, 1.01, 3.14]
    expect(weights.length).toBeGreaterThan(0)
    for (const w of weights) expect(fileWeights).toContain(w)
  })

  it('in Chinese, a bad CSV shows the importer error translated', async () => {
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    const bad = { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(['size,weight,label', ...Array.from({ length: 12 }, (_, i) => `${i + 1},${i * 2},${i % 2}`), 'abc,3,1', '5,6,0'].join('\n') + '\n') }
    await openWizard(bad)
    await session.screenshot('csv-wizard-zh-light')
    await byTestId(page, 'wizard-next').click()
    await session.screenshot('csv-wizard-zh-columns-light')
    await theme('dark')
    await session.screenshot('csv-wizard-zh-columns-dark')
    await theme('light')
    await byTestId(page, 'wizard-next').click()
    await byTestId(page, 'wizard-import').click()
    const error = byTestId(page, 'import-error')
    await error.waitFor({ timeout: 15_000 })
    const text = await error.innerText()
    expect(text).toMatch(CJK)
    expect(text).toContain('bad.csv 第 14 行，“size”列：“abc”不是数字')
    expect(text).not.toContain('is not a number')
    await session.screenshot('csv-wizard-zh-error')
    await setControl(byTestId(page, 'locale-switch'), 'en')
  })
})
