// Evaluate as an analyst uses it, in Chromium: a binary breast-cancer run (trained through the
// contract, as a script would) evaluated, the threshold slider moved — the confusion matrix, the
// counts and the curve point follow, and the threshold is saved with the run — a confusion cell
// clicked to see its rows in the file's own (unscaled) values, the misclassified gallery, a
// reload that keeps the evaluation shown; then an MNIST run: a digit drawn on the playground's
// pad gives ten class probabilities. Screenshots in English and 中文, light and dark.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelSpec } from '../../src/shared/model-spec'
import { REPO_ROOT, openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { byTestId, goTo, openWorkbench, optionValues, setControl, contractCall, waitRunFinished } from './workbench-page'

/** MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 writes the README's Evaluate analysis screenshots into docs/screenshots. */
const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : null

let served: ServedWorkbench
let session: BrowserSession
let page: Page
let pageProblems: () => string[]
let binaryRun = ''
let mnistRun = ''

const dense = (units: number, activation: string) => ({ class_name: 'Dense', config: { units, activation } })
const breastSpec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'bc-threshold', input_shape: [30], layers: [{ class_name: 'BatchNormalization', config: { momentum: 0.8 } }, dense(8, 'relu'), dense(1, 'sigmoid')] }
const mnistSpec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'mnist-playground', input_shape: [784], layers: [{ class_name: 'BatchNormalization', config: { momentum: 0.8 } }, dense(32, 'relu'), dense(10, 'softmax')] }

const call = <T>(method: string, params: unknown): Promise<T> => contractCall<T>(page, method, params)

const waitFinished = (id: string): Promise<void> => waitRunFinished(page, id, 180_000)

/** The four cells of the binary confusion matrix as [[tn, fp], [fn, tp]]. */
async function confusionCounts(): Promise<number[][]> {
  const cells = byTestId(page, 'confusion-cell')
  const out = [[0, 0], [0, 0]]
  for (let i = 0; i < (await cells.count()); i++) {
    const cell = cells.nth(i)
    out[Number(await cell.getAttribute('data-truth'))][Number(await cell.getAttribute('data-predicted'))] = Number(await cell.getAttribute('data-count'))
  }
  return out
}

/** A screenshot of the viewport for the README (with MODEL_WORKBENCH_DOCS_SCREENSHOTS=1), else into the run's artifacts. */
async function shot(name: string): Promise<void> {
  if (DOCS) {
    mkdirSync(DOCS, { recursive: true })
    await page.screenshot({ path: join(DOCS, `${name}.png`) })
  } else await session.screenshot(name)
}

/** Moves a range input as a user's drag does: the value set, then input and change events. */
async function slide(value: number): Promise<void> {
  await byTestId(page, 'threshold-slider').evaluate((el, v) => {
    const input = el as unknown as { value: string; dispatchEvent(event: Event): boolean }
    input.value = String(v)
    input.dispatchEvent(new Event('input', { bubbles: true }))
    input.dispatchEvent(new Event('change', { bubbles: true }))
  }, value)
}

beforeAll(async () => {
  requireBuiltRenderer()
  served = await serveWorkbench({ label: 'evaluate-analysis' })
  session = await openBrowser()
  page = session.page
  pageProblems = recordPageProblems(page)
  await openWorkbench(page, served.url)
  const binaryConfig = { loss: 'binary_crossentropy', optimizer: { name: 'adam', learning_rate: 0.01 }, budget: { kind: 'epochs', epochs: 12 }, batch_size: 32, validation: { kind: 'none' }, seed: 7 }
  const mnistConfig = { loss: 'sparse_categorical_crossentropy', optimizer: { name: 'adam', learning_rate: 0.003 }, budget: { kind: 'epochs', epochs: 2 }, batch_size: 64, validation: { kind: 'none' }, seed: 3 }
  ;({ run_id: binaryRun } = await call<{ run_id: string }>('runs.start', { name: 'breast cancer threshold', spec: breastSpec, config: binaryConfig, dataset_id: 'breast-cancer' }))
  ;({ run_id: mnistRun } = await call<{ run_id: string }>('runs.start', { name: 'mnist playground', spec: mnistSpec, config: mnistConfig, dataset_id: 'mnist-raw-6k' }))
  await waitFinished(binaryRun)
  await waitFinished(mnistRun)
}, 300_000)

afterAll(async () => {
  if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
  await session?.close()
  await served?.close()
})

describe('Evaluate: thresholds, the samples behind a cell, the playground', () => {
  it('moves the threshold: the confusion matrix, counts and curve point follow, and the threshold is saved with the run', async () => {
    await goTo(page, 'evaluate')
    await expect.poll(() => optionValues(byTestId(page, 'evaluate-run')), { timeout: 15_000 }).toContain(binaryRun)
    await setControl(byTestId(page, 'evaluate-run'), binaryRun)
    await setControl(byTestId(page, 'evaluate-split'), 'test')
    await byTestId(page, 'evaluate-start').click()
    await byTestId(page, 'threshold-panel').waitFor({ timeout: 60_000 })
    expect(await byTestId(page, 'evaluate-error').count()).toBe(0)
    const areas = await byTestId(page, 'threshold-areas').innerText()
    const exact = Number(/ROC AUC \(exact\)\s*([\d.]+)/.exec(areas)?.[1])
    const keras = Number(/200 thresholds\)\s*([\d.]+)/.exec(areas)?.[1])
    expect(exact).toBeGreaterThan(0.8)
    expect(Math.abs(exact - keras)).toBeLessThan(0.02)
    const testRows = (await call<{ splits: { test: { count: number } } }>('datasets.get', { id: 'breast-cancer' })).splits.test.count
    const at05 = await confusionCounts()
    expect(at05.flat().reduce((a, b) => a + b, 0)).toBe(testRows)
    await session.screenshot('evaluate-threshold-0.5')

    await slide(0.95)
    await expect.poll(() => byTestId(page, 'threshold-value').innerText()).toBe('0.950')
    const at095 = await confusionCounts()
    // A higher threshold calls fewer samples positive (class 1, benign): column 1 shrinks.
    expect(at095[0][1] + at095[1][1]).toBeLessThan(at05[0][1] + at05[1][1])
    expect(at095.flat().reduce((a, b) => a + b, 0)).toBe(testRows)
    const report = await byTestId(page, 'threshold-report').innerText()
    expect(report).toContain(`${at095[1][1]} · ${at095[0][1]}`)
    await slide(0.05)
    const at005 = await confusionCounts()
    expect(at005[0][1] + at005[1][1]).toBeGreaterThan(at095[0][1] + at095[1][1])
    await slide(0.8)
    // Saved with the run once the slider rests: predict then decides at 0.8.
    await expect.poll(async () => (await call<{ config: { decision_threshold?: number } }>('runs.get', { run_id: binaryRun })).config.decision_threshold, { timeout: 10_000 }).toBe(0.8)
    const page0 = await call<{ features: number[][] }>('datasets.samples', { id: 'breast-cancer', split: 'test', offset: 0, count: 8 })
    const predicted = await call<{ threshold: number; probabilities: number[][]; classes: number[] }>('runs.predict', { run_id: binaryRun, inputs: page0.features, preprocessed: true })
    expect(predicted.threshold).toBe(0.8)
    expect(predicted.classes).toEqual(predicted.probabilities.map((p) => (p[0] > 0.8 ? 1 : 0)))
    await byTestId(page, 'threshold-panel').scrollIntoViewIfNeeded()
    await shot('evaluate-threshold')
  })

  it('a confusion cell opens its samples as the file’s rows; the misclassified gallery sorts by confidence', async () => {
    const counts = await confusionCounts()
    // The true-benign, predicted-benign cell: the biggest at 0.8.
    await page.locator('[data-testid="confusion-cell"][data-truth="1"][data-predicted="1"]').click()
    const gallery = byTestId(page, 'cell-samples')
    await gallery.waitFor({ timeout: 15_000 })
    expect(Number(await gallery.getAttribute('data-count'))).toBe(counts[1][1])
    await expect.poll(() => gallery.locator('[data-testid="cell-sample"]').count(), { timeout: 15_000 }).toBe(Math.min(12, counts[1][1]))
    // Raw values as in breast_cancer.csv: mean area runs to hundreds, not standardised ±3.
    const header = await gallery.locator('thead').innerText()
    expect(header).toContain('mean radius')
    const firstRow = (await gallery.locator('[data-testid="cell-sample"]').first().locator('[data-testid="raw-value"]').allInnerTexts()).map(Number)
    expect(firstRow.length).toBe(30)
    expect(Math.max(...firstRow)).toBeGreaterThan(100)
    await gallery.scrollIntoViewIfNeeded()
    await shot('evaluate-cell-samples')

    await byTestId(page, 'show-misclassified').click()
    await expect.poll(async () => Number(await gallery.getAttribute('data-count'))).toBe(counts[0][1] + counts[1][0])
    const confidences = (await gallery.locator('[data-testid="cell-sample"] td:nth-child(4)').allInnerTexts()).map((s) => Number(s.replace('%', '')))
    expect(confidences.length).toBeGreaterThan(0)
    expect([...confidences].sort((a, b) => b - a)).toEqual(confidences)
  })

  it('the table playground predicts a row typed by column name, at the saved threshold', async () => {
    const playground = byTestId(page, 'playground')
    await playground.scrollIntoViewIfNeeded()
    await setControl(byTestId(page, 'playground-field-mean radius'), '25')
    await setControl(byTestId(page, 'playground-field-worst area'), '2500')
    const answer = byTestId(page, 'playground-probabilities')
    await expect.poll(() => answer.getAttribute('data-threshold'), { timeout: 30_000 }).toBe('0.8')
    const rows = answer.locator('[data-testid="playground-probability"]')
    expect(await rows.count()).toBe(2)
    expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-class')))).toEqual(['malignant', 'benign'])
    const p = await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-value'))))
    expect(p[0] + p[1]).toBeCloseTo(1, 5)
  })

  it('keeps the evaluation shown, its run, split and threshold across a reload', async () => {
    await page.reload()
    await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
    await goTo(page, 'evaluate')
    await expect.poll(() => byTestId(page, 'evaluate-run').inputValue(), { timeout: 15_000 }).toBe(binaryRun)
    expect(await byTestId(page, 'evaluate-split').inputValue()).toBe('test')
    await byTestId(page, 'threshold-panel').waitFor({ timeout: 60_000 })
    expect(await byTestId(page, 'threshold-value').innerText()).toBe('0.800')
  })

  it('looks right in dark and in Chinese', async () => {
    await setControl(byTestId(page, 'theme-switch'), 'dark')
    await page.waitForTimeout(300)
    await byTestId(page, 'threshold-panel').scrollIntoViewIfNeeded()
    await shot('evaluate-threshold-dark')
    await setControl(byTestId(page, 'theme-switch'), 'light')
    await setControl(byTestId(page, 'locale-switch'), 'zh-CN')
    await page.waitForTimeout(300)
    expect(await byTestId(page, 'threshold-panel').innerText()).toMatch(/阈值/)
    await shot('evaluate-threshold-zh')
    await setControl(byTestId(page, 'locale-switch'), 'en')
  })

  it('draws a digit on an MNIST run and shows the class probabilities', async () => {
    await setControl(byTestId(page, 'evaluate-run'), mnistRun)
    const pad = byTestId(page, 'playground-canvas')
    await pad.waitFor({ timeout: 15_000 })
    await pad.scrollIntoViewIfNeeded()
    const box = (await pad.boundingBox())!
    // A "1" drawn off-centre, in the left third of the pad.
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.15)
    await page.mouse.down()
    for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * (0.25 + i * 0.004), box.y + box.height * (0.15 + i * 0.055))
    await page.mouse.up()
    const bars = byTestId(page, 'playground-probability')
    await expect.poll(() => bars.count(), { timeout: 30_000 }).toBe(10)
    const values = (await bars.evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-value')))))
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3)
    expect(await page.locator('[data-testid="playground-probability"].chosen').count()).toBe(1)
    // The framed 28×28 image has ink, centred: its centre of mass within two pixels of the middle.
    const com = await byTestId(page, 'playground-framed').evaluate((el) => {
      const canvas = el as unknown as { getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      const data = canvas.getContext('2d').getImageData(0, 0, 28, 28).data
      let mass = 0
      let sx = 0
      let sy = 0
      for (let p = 0; p < 784; p++) {
        mass += data[p * 4]
        sx += data[p * 4] * (p % 28)
        sy += data[p * 4] * Math.floor(p / 28)
      }
      return { mass, x: sx / mass, y: sy / mass }
    })
    expect(com.mass).toBeGreaterThan(0)
    expect(Math.abs(com.x - 13.5)).toBeLessThan(2)
    expect(Math.abs(com.y - 13.5)).toBeLessThan(2)
    await byTestId(page, 'playground').scrollIntoViewIfNeeded()
    await shot('evaluate-playground')
  })

  it('multiclass: one class against the rest, a 10×10 matrix whose cells open their digits', async () => {
    await byTestId(page, 'evaluate-start').click()
    await byTestId(page, 'threshold-panel').waitFor({ timeout: 120_000 })
    expect(await byTestId(page, 'confusion-cell').count()).toBe(100)
    await setControl(byTestId(page, 'threshold-class'), '3')
    const areas = await byTestId(page, 'threshold-areas').innerText()
    expect(Number(/ROC AUC \(exact\)\s*([\d.]+)/.exec(areas)?.[1])).toBeGreaterThan(0.9)
    // The biggest mistake cell: its digits as images, the truth named under each.
    const cells = byTestId(page, 'confusion-cell')
    let worst = { truth: 0, predicted: 1, count: -1 }
    for (let i = 0; i < 100; i++) {
      const cell = cells.nth(i)
      const [truth, predicted, count] = await Promise.all(['data-truth', 'data-predicted', 'data-count'].map(async (a) => Number(await cell.getAttribute(a))))
      if (truth !== predicted && count > worst.count) worst = { truth: truth, predicted: predicted, count: count }
    }
    await page.locator(`[data-testid="confusion-cell"][data-truth="${worst.truth}"][data-predicted="${worst.predicted}"]`).click()
    const gallery = byTestId(page, 'cell-samples')
    await expect.poll(() => gallery.locator('canvas').count(), { timeout: 15_000 }).toBe(Math.min(32, worst.count))
    expect(await gallery.locator('.truth').first().innerText()).toContain(String(worst.truth))
    await gallery.scrollIntoViewIfNeeded()
    await shot('evaluate-mnist-cell')
  })
})
