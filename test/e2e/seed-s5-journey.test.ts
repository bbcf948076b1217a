// The seeds' experiment S5 done by hand in the browser: build Dense(32)-relu-Dense(10)-softmax
// from the palette, check the parameter count, train it on the built-in MNIST with RMSprop,
// watch the batch-loss chart fill, stop; train again with another learning rate, stop; compare
// both runs and find the learning rate in the hyperparameter diff.
import { describe, expect, it } from 'vitest'
import { type BrowserSession } from './harness'
import { byTestId, chartPointTotal, digitsOf, dragLayerToCanvas, goTo, layerCard, optionValues, setControl } from './workbench-page'
import type { Page } from 'playwright-core'
import { useServedWorkbench } from './workbench-session'

let session: BrowserSession
let page: Page

useServedWorkbench('s5', (opened) => {
  ({ session, page } = opened)
})

/** Sets the hyperparameters of the Train view for one S5 run. */
async function setS5Hyperparameters(learningRate: string): Promise<void> {
  // A fresh data folder prepares its built-in data sets first; they appear when ready.
  await expect.poll(() => optionValues(byTestId(page, 'train-dataset')), { message: 'the built-in MNIST is offered', timeout: 90_000, interval: 500 }).toContain('mnist')
  await setControl(byTestId(page, 'train-dataset'), 'mnist')
  await setControl(byTestId(page, 'hp-optimizer'), 'rmsprop')
  await setControl(byTestId(page, 'hp-learning-rate'), learningRate)
  await setControl(byTestId(page, 'hp-batch-size'), '32')
  await setControl(byTestId(page, 'hp-epochs'), '2')
  const losses = await optionValues(byTestId(page, 'hp-loss'))
  const loss = losses.find((l) => l === 'categorical_crossentropy') ?? losses.find((l) => l === 'sparse_categorical_crossentropy')
  expect(loss, `a cross-entropy loss among ${losses.join(', ')}`).toBeDefined()
  await setControl(byTestId(page, 'hp-loss'), loss!)
}

/** Starts a run, waits until it streams batch losses into the chart, stops it and waits for 'stopped'. */
async function trainAndStop(label: string): Promise<void> {
  await byTestId(page, 'train-start').click()
  await expect.poll(async () => (await byTestId(page, 'run-status').innerText()).toLowerCase(), { message: `${label}: the run starts`, timeout: 60_000 }).toMatch(/running|运行/)
  // The batch-loss chart gains points while the run trains.
  await expect.poll(() => chartPointTotal(page, 'chart-batch-loss'), { message: `${label}: batch losses reach the chart`, timeout: 60_000, interval: 250 }).toBeGreaterThan(0)
  const first = await chartPointTotal(page, 'chart-batch-loss')
  const firstProgress = await byTestId(page, 'train-progress').innerText()
  await expect.poll(() => chartPointTotal(page, 'chart-batch-loss'), { message: `${label}: the chart keeps gaining points`, timeout: 30_000, interval: 250 }).toBeGreaterThan(first)
  await expect.poll(() => byTestId(page, 'train-progress').innerText(), { message: `${label}: the progress text moves`, timeout: 30_000 }).not.toBe(firstProgress)
  await session.screenshot(`s5-${label}-training`)

  await byTestId(page, 'train-stop').click()
  await expect.poll(async () => (await byTestId(page, 'run-status').innerText()).toLowerCase(), { message: `${label}: the run stops`, timeout: 30_000 }).toMatch(/stopped|已停止/)
  // A stopped run's chart keeps what it drew, and gains nothing more.
  const atStop = await chartPointTotal(page, 'chart-batch-loss')
  expect(atStop).toBeGreaterThan(first)
  await page.waitForTimeout(1_000)
  expect(await chartPointTotal(page, 'chart-batch-loss')).toBe(atStop)
}

describe('seed experiment S5 by hand', () => {
  it('builds Dense-relu-Dense-softmax from the palette and shows 25 450 parameters', async () => {
    await goTo(page, 'designer')
    expect(await byTestId(page, 'layer-card').count(), 'a fresh workbench opens on an empty model').toBe(0)
    for (const className of ['Dense', 'Activation', 'Dense', 'Activation']) await dragLayerToCanvas(page, className)
    await setControl(byTestId(page, 'input-shape'), '784')

    const settings: [number, string, string][] = [
      [0, 'units', '32'],
      [1, 'activation', 'relu'],
      [2, 'units', '10'],
      [3, 'activation', 'softmax']
    ]
    for (const [index, key, value] of settings) {
      await layerCard(page, index).click()
      await setControl(byTestId(page, `prop-${key}`), value)
    }
    await expect.poll(() => digitsOf(byTestId(page, 'total-params')), { message: 'total parameters 784*32+32 + 32*10+10' }).toContain('25450')
    // Each card shows its output shape: (None, 32) after the first Dense, (None, 10) at the end.
    await expect.poll(() => layerCard(page, 0).locator('[data-testid="layer-shape"]').innerText()).toMatch(/32/)
    await expect.poll(() => layerCard(page, 3).locator('[data-testid="layer-shape"]').innerText()).toMatch(/10/)
    expect(await byTestId(page, 'layer-error').count(), 'a valid model shows no layer errors').toBe(0)
    await session.screenshot('s5-designer')
  })

  it('trains it on MNIST with RMSprop at 0.001, streams the batch loss, and stops', async () => {
    await goTo(page, 'train')
    await setS5Hyperparameters('0.001')
    await trainAndStop('lr-0.001')
  })

  it('trains it again at 0.01 and stops', async () => {
    await setS5Hyperparameters('0.01')
    await trainAndStop('lr-0.01')
  })

  it('compares both runs and shows the learning rates in the diff, also with only differences', async () => {
    await goTo(page, 'runs')
    const rows = byTestId(page, 'run-row')
    await expect.poll(() => rows.count(), { message: 'both runs are listed' }).toBe(2)
    for (let i = 0; i < 2; i++) await rows.nth(i).locator('[data-testid="run-select"]').check()
    await session.screenshot('s5-runs')
    await byTestId(page, 'compare-selected').click()
    const diff = byTestId(page, 'diff-table')
    await diff.waitFor({ timeout: 15_000 })
    const row = (key: string) => diff.locator(`[data-testid="diff-row"][data-key="${key}"]`)
    const onlyDifferences = byTestId(page, 'diff-only-differences')

    // Every key: the learning rate differs, the batch size (32 in both) is there and equal.
    await onlyDifferences.uncheck()
    await expect.poll(() => row('optimizer.learning_rate').count(), { message: 'the diff has a learning rate row' }).toBe(1)
    const learningRates = await row('optimizer.learning_rate').locator('td').allInnerTexts()
    expect(learningRates.slice(1).map((v) => Number(v.trim())).sort()).toEqual([0.001, 0.01])
    expect(await row('batch_size').locator('td').allInnerTexts()).toEqual(['batch_size', '32', '32'])
    const allRows = await diff.locator('[data-testid="diff-row"]').count()
    await session.screenshot('s5-compare')

    // Only differences: the learning rate stays with both values, equal rows go.
    await onlyDifferences.check()
    await expect.poll(() => row('batch_size').count(), { message: 'only differences hides the equal batch size' }).toBe(0)
    expect(await diff.locator('[data-testid="diff-row"]').count()).toBeLessThan(allRows)
    const filtered = await row('optimizer.learning_rate').locator('td').allInnerTexts()
    expect(filtered.slice(1).map((v) => Number(v.trim())).sort()).toEqual([0.001, 0.01])
    await session.screenshot('s5-compare-only-differences')
  })

  it('exports the run in every format from the Evaluate view, each model format verified on held-out raw rows', async () => {
    await goTo(page, 'evaluate')
    await byTestId(page, 'evaluate-run').waitFor({ timeout: 15_000 })
    const choices = ['export-tfjs', 'export-keras3', 'export-h5', 'export-onnx', 'export-pytorch', 'export-keras', 'export-torch-job', 'export-metrics-csv', 'export-metrics-json', 'export-spec-json']
    const formats = ['tfjs', 'keras', 'h5', 'onnx', 'pytorch', 'keras_script', 'torch_job', 'metrics_csv', 'metrics_json', 'spec_json']
    for (const [i, testid] of choices.entries()) {
      const button = byTestId(page, testid)
      await expect.poll(() => button.isEnabled(), { message: `${testid} is enabled`, timeout: 30_000 }).toBe(true)
      await button.click()
      const result = byTestId(page, `export-result-${formats[i]}`)
      await result.waitFor({ timeout: 180_000 })
      expect(await byTestId(page, 'export-error').count(), `${testid}: no error`).toBe(0)
      const state = await result.getAttribute('data-state')
      if (i < 5) {
        // Model formats: reloaded by an independent reader (PyTorch only where python3 has torch).
        if (formats[i] === 'pytorch' && state === 'unverified') expect(await result.innerText()).toMatch(/torch not found/)
        else expect(state, `${testid}: ${await result.innerText()}`).toBe('ok')
        expect(await result.innerText()).toMatch(/max \|Δ\|/)
      }
    }
    await session.screenshot('s5-exports')
  })
})
