// A trained model comes back in: a short iris run (started through the contract, as a script
// would) is exported as Keras 3 from the Evaluate view, the downloaded zip's model.keras is opened
// with Designer → Open file… and "Evaluate with data set" iris, and the imported run scores the
// same test accuracy as the original, in the view and through the contract. The export zip itself
// opens too (the page takes model.keras out of it), and a damaged file shows the error banner.
//
// MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 also writes the README's screenshots of the Export panel
// (English light and dark, 中文) and of the Open file dialog into docs/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { unzipSync } from 'fflate'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lossForTask } from '../../src/shared/training'
import type { ModelSpec } from '../../src/shared/model-spec'
import { REPO_ROOT, openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, goTo, openWorkbench, optionValues, setControl, contractCall } from './workbench-page'

const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : null

let served: ServedWorkbench
let session: BrowserSession
let page: Page
let pageProblems: () => string[]
let originalRun = ''
let importedRun = ''
let kerasFile: Uint8Array = new Uint8Array()
let exportZip: Uint8Array = new Uint8Array()

beforeAll(async () => {
  requireBuiltRenderer()
  served = await serveWorkbench({ label: 'model-import' })
  session = await openBrowser()
  page = session.page
  pageProblems = recordPageProblems(page)
  await openWorkbench(page, served.url)
  if (DOCS) mkdirSync(DOCS, { recursive: true })
})
afterAll(async () => {
  if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
  await session?.close()
  await served?.close()
})

const call = <T>(method: string, params: unknown): Promise<T> => contractCall<T>(page, method, params)

/** A screenshot for the README (docs/screenshots with MODEL_WORKBENCH_DOCS_SCREENSHOTS=1, else the run's artifacts). */
async function screenshotDocs(name: string): Promise<void> {
  if (DOCS) await page.screenshot({ path: join(DOCS, `${name}.png`) })
  else await session.screenshot(name)
}

/** The Evaluate view's metric cards as {key: shown value}. */
async function shownMetrics(): Promise<Record<string, string>> {
  const cards = byTestId(page, 'evaluate-metrics').locator('.card')
  const entries: [string, string][] = []
  for (let i = 0; i < (await cards.count()); i++) entries.push([(await cards.nth(i).getAttribute('data-metric')) ?? String(i), (await cards.nth(i).locator('.card-value').innerText()).trim()])
  return Object.fromEntries(entries)
}

async function evaluateInView(runId: string): Promise<Record<string, string>> {
  await goTo(page, 'evaluate')
  await expect.poll(() => optionValues(byTestId(page, 'evaluate-run')), { message: `run ${runId} is offered`, timeout: 15_000 }).toContain(runId)
  await setControl(byTestId(page, 'evaluate-run'), runId)
  await setControl(byTestId(page, 'evaluate-split'), 'test')
  await byTestId(page, 'evaluate-start').click()
  await byTestId(page, 'evaluate-metrics').waitFor({ timeout: 60_000 })
  expect(await byTestId(page, 'evaluate-error').count(), 'no evaluation error').toBe(0)
  return shownMetrics()
}

/** Opens the Designer's Open file dialog on files given as bytes. */
async function pickInDialog(files: Array<{ name: string; data: Uint8Array }>): Promise<void> {
  await goTo(page, 'designer')
  await byTestId(page, 'open-file').click()
  await byTestId(page, 'open-file-dialog').waitFor()
  await byTestId(page, 'open-file-input').setInputFiles(files.map((f) => ({ name: f.name, mimeType: 'application/octet-stream', buffer: Buffer.from(f.data) })))
}

describe('a model exported as Keras 3 comes back through Designer → Open file…', () => {
  it('trains a short iris run through the contract', async () => {
    await expect.poll(async () => (await call<Array<{ id: string }>>('datasets.list', {})).map((d) => d.id), { message: 'the built-in iris is ready', timeout: 90_000, interval: 500 }).toContain('iris')
    const spec: ModelSpec = {
      format: 'model-workbench/spec',
      version: 1,
      name: 'iris-mlp',
      input_shape: [4],
      layers: [
        { class_name: 'Dense', config: { units: 8, activation: 'relu' } },
        { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }
      ]
    }
    const config = { ...lossForTask('multiclass'), optimizer: { name: 'adam', learning_rate: 0.05 }, budget: { kind: 'epochs', epochs: 15 }, batch_size: 16, seed: 7 }
    originalRun = (await call<{ run_id: string }>('runs.start', { name: 'iris for import', spec, config, dataset_id: 'iris' })).run_id
    await expect.poll(async () => (await call<{ status: string }>('runs.get', { run_id: originalRun })).status, { message: 'the iris run finishes', timeout: 60_000, interval: 500 }).toBe('finished')
  })

  it('exports it as Keras 3, TF.js, .h5 and ONNX from the Evaluate view, each verified, and downloads the .keras zip', async () => {
    await goTo(page, 'evaluate')
    await setControl(byTestId(page, 'evaluate-run'), originalRun)
    const exportButton = byTestId(page, 'export-keras3')
    await expect.poll(() => exportButton.isEnabled(), { message: 'Keras 3 export is enabled', timeout: 30_000 }).toBe(true)
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), exportButton.click()])
    expect(download.suggestedFilename()).toMatch(/\.keras\.zip$/)
    exportZip = new Uint8Array(readFileSync(await download.path()))
    const entries = unzipSync(exportZip)
    expect(Object.keys(entries)).toContain('model.keras')
    kerasFile = entries['model.keras']!
    expect(Object.keys(unzipSync(kerasFile))).toEqual(expect.arrayContaining(['config.json', 'metadata.json', 'model.weights.h5']))
    const result = byTestId(page, 'export-result-keras')
    await result.waitFor({ timeout: 30_000 })
    expect(await result.getAttribute('data-state'), await result.innerText()).toBe('ok')
    expect(await result.innerText()).toMatch(/max \|Δ\|/)

    for (const [testid, format] of [['export-tfjs', 'tfjs'], ['export-h5', 'h5'], ['export-onnx', 'onnx']] as const) {
      await expect.poll(() => byTestId(page, testid).isEnabled(), { timeout: 30_000 }).toBe(true)
      await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), byTestId(page, testid).click()])
      await byTestId(page, `export-result-${format}`).waitFor({ timeout: 30_000 })
      expect(await byTestId(page, `export-result-${format}`).getAttribute('data-state')).toBe('ok')
    }
    expect(await byTestId(page, 'export-error').count()).toBe(0)
    await byTestId(page, 'export-results').scrollIntoViewIfNeeded()
    await session.screenshot('model-import-exports')
  })

  it('opens model.keras with "Evaluate with data set" iris: weights came with it, the spec is in the canvas, a run is recorded', async () => {
    await pickInDialog([{ name: 'model.keras', data: kerasFile }])
    await byTestId(page, 'open-file-evaluate-on').check()
    await setControl(byTestId(page, 'open-file-dataset'), 'iris')
    await screenshotDocs('designer-open-file')
    await byTestId(page, 'open-file-open').click()
    await byTestId(page, 'open-file-result').waitFor({ timeout: 60_000 })
    expect(await byTestId(page, 'open-file-error').count()).toBe(0)
    expect(await byTestId(page, 'open-file-weights').getAttribute('data-weights')).toBe('yes')
    expect(await byTestId(page, 'open-file-run').innerText()).toMatch(/Iris/)
    await session.screenshot('model-import-opened')
    await screenshotDocs('designer-open-file-result')

    // The canvas shows the two Dense layers, with the weights badge.
    await byTestId(page, 'open-file-close').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBeGreaterThanOrEqual(2)
    expect(await byTestId(page, 'designer-weights').innerText()).toMatch(/2/)
    expect((await byTestId(page, 'total-params').innerText()).replace(/\D/g, '')).toBe(String(4 * 8 + 8 + 8 * 3 + 3))

    const runs = await call<Array<{ id: string; tags: string[] }>>('runs.list', {})
    const imported = runs.filter((r) => r.tags.includes('imported'))
    expect(imported).toHaveLength(1)
    importedRun = imported[0].id
  })

  it('evaluates the imported run and the original on the test split: the same test accuracy', async () => {
    // The dialog's own way to Evaluate: open the file again and take its button.
    await pickInDialog([{ name: 'model.keras', data: kerasFile }])
    await byTestId(page, 'open-file-evaluate-on').check()
    await setControl(byTestId(page, 'open-file-dataset'), 'iris')
    expect(await byTestId(page, 'open-file-unsaved').count(), 'the canvas holds exactly what was opened: nothing unsaved to warn about').toBe(0)
    await byTestId(page, 'open-file-open').click()
    await byTestId(page, 'open-file-evaluate').click()
    await expect.poll(() => byTestId(page, 'evaluate-run').inputValue(), { message: 'Evaluate opens on the new imported run', timeout: 15_000 }).not.toBe(originalRun)
    const secondImport = await byTestId(page, 'evaluate-run').inputValue()
    expect(secondImport).not.toBe(importedRun)

    const original = await evaluateInView(originalRun)
    const imported = await evaluateInView(importedRun)
    const accuracyKey = Object.keys(original).find((k) => /acc/i.test(k))
    expect(accuracyKey, `an accuracy card among ${Object.keys(original).join(', ')}`).toBeDefined()
    expect(imported[accuracyKey!]).toBe(original[accuracyKey!])
    await session.screenshot('model-import-evaluated')

    type Evaluation = { metrics: Record<string, number> }
    const [a, b, c] = await Promise.all([originalRun, importedRun, secondImport].map((id) => call<Evaluation>('runs.evaluate', { run_id: id, split: 'test' })))
    const key = Object.keys(a.metrics).find((k) => /acc/i.test(k))!
    expect(a.metrics[key]).toBeGreaterThan(0.6)
    expect(b.metrics[key]).toBe(a.metrics[key])
    expect(c.metrics[key]).toBe(a.metrics[key])
    expect(Math.abs(b.metrics.loss - a.metrics.loss)).toBeLessThan(1e-4)
  })

  it('opens the downloaded export zip as it is: the page takes model.keras out of it', async () => {
    await pickInDialog([{ name: 'iris-for-import.keras.zip', data: exportZip }])
    await byTestId(page, 'open-file-open').click()
    await byTestId(page, 'open-file-result').waitFor({ timeout: 60_000 })
    expect(await byTestId(page, 'open-file-result').innerText()).toMatch(/model\.keras/)
    expect(await byTestId(page, 'open-file-weights').getAttribute('data-weights')).toBe('yes')
    expect(await byTestId(page, 'open-file-run').count(), 'no data set chosen: no run').toBe(0)
    await byTestId(page, 'open-file-close').click()
  })

  it('shows what is wrong with a damaged .keras file and leaves the canvas as it was', async () => {
    const before = await byTestId(page, 'layer-card').count()
    await pickInDialog([{ name: 'broken.keras', data: kerasFile.subarray(0, Math.floor(kerasFile.length / 2)) }])
    await byTestId(page, 'open-file-open').click()
    const banner = byTestId(page, 'open-file-error')
    await banner.waitFor({ timeout: 30_000 })
    expect(await banner.innerText()).toMatch(/broken\.keras/)
    expect(await banner.innerText()).toMatch(/damaged|truncated|not a/i)
    expect(await byTestId(page, 'open-file-result').count()).toBe(0)
    await session.screenshot('model-import-error')
    await page.keyboard.press('Escape')
    await expect.poll(() => byTestId(page, 'open-file-dialog').count()).toBe(0)
    expect(await byTestId(page, 'layer-card').count()).toBe(before)
  })

  it('shows every model export verified in dark and in 中文 (the README screenshots)', async () => {
    await goTo(page, 'evaluate')
    await setControl(byTestId(page, 'evaluate-run'), originalRun)
    for (const [testid, format] of [['export-keras3', 'keras'], ['export-tfjs', 'tfjs'], ['export-h5', 'h5'], ['export-onnx', 'onnx'], ['export-pytorch', 'pytorch']] as const) {
      await expect.poll(() => byTestId(page, testid).isEnabled(), { timeout: 30_000 }).toBe(true)
      await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), byTestId(page, testid).click()])
      await byTestId(page, `export-result-${format}`).waitFor({ timeout: 30_000 })
    }
    await byTestId(page, 'export-results').scrollIntoViewIfNeeded()
    await screenshotDocs('evaluate-export')
    await setControl(byTestId(page, 'theme-switch'), 'dark')
    await page.waitForTimeout(300)
    await screenshotDocs('evaluate-export-dark')
    await setControl(byTestId(page, 'theme-switch'), 'light')
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    await page.waitForTimeout(300)
    // The results table in Chinese: each model format says it gave the same answers.
    expect(await byTestId(page, 'export-results').innerText()).toMatch(/结果一致/)
    expect(await byTestId(page, 'export-results').locator('[data-state="ok"]').count()).toBeGreaterThanOrEqual(4)
    await screenshotDocs('evaluate-export-zh')
    await goTo(page, 'designer')
    await pickInDialog([{ name: 'model.keras', data: kerasFile }])
    await byTestId(page, 'open-file-evaluate-on').check()
    await setControl(byTestId(page, 'open-file-dataset'), 'iris')
    await screenshotDocs('designer-open-file-zh')
    await page.keyboard.press('Escape')
    await setControl(byTestId(page, 'locale-switch'), 'en')
  })
})
