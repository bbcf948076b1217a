// The Designer keeps the user's work: the design on the canvas survives a reload (with a
// "draft restored · discard" note), a template or New on unsaved work asks first (Esc cancels),
// "Save version" on an unchanged model makes no new version, and the Open menu closes on Esc,
// an outside click and a change of view. Also the data set select that sets the input shape,
// and a cleared required field that shows empty beside its error.
// MODEL_WORKBENCH_DOCS_SCREENSHOTS=1 also writes the README's Designer screenshots (English light
// and dark, 中文) into docs/screenshots/.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { REPO_ROOT, type BrowserSession } from './harness'
import { byTestId, dragLayerToCanvas, goTo, layerCard, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let session: BrowserSession
let page: Page
const DOCS = process.env.MODEL_WORKBENCH_DOCS_SCREENSHOTS === '1' ? join(REPO_ROOT, 'docs', 'screenshots') : null

useServedWorkbench('designer-draft', (opened) => {
  ({ session, page } = opened)
})

async function unitsOfFirstLayer(): Promise<string> {
  await layerCard(page, 0).click()
  return byTestId(page, 'prop-units').inputValue()
}

describe('the draft design', () => {
  it('survives a reload, says so, and Discard returns to the template', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S5').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBe(4)
    await layerCard(page, 0).click()
    await setControl(byTestId(page, 'prop-units'), '48')
    await expect.poll(() => layerCard(page, 0).innerText()).toContain('48')
    // The autosave waits 300 ms after the last change.
    await page.waitForTimeout(600)

    await page.reload()
    await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
    await goTo(page, 'designer')
    await byTestId(page, 'draft-restored').waitFor({ timeout: 5_000 })
    expect(await byTestId(page, 'layer-card').count()).toBe(4)
    expect(await unitsOfFirstLayer()).toBe('48')
    expect(await byTestId(page, 'designer-dataset').inputValue()).toBe('mnist')
    await session.screenshot('designer-draft-restored')

    await byTestId(page, 'draft-discard').click()
    await expect.poll(() => unitsOfFirstLayer()).toBe('32')
    expect(await byTestId(page, 'draft-restored').count()).toBe(0)
  })

  it('a template on unsaved work asks first: Esc and Cancel keep the work, Discard replaces it', async () => {
    await goTo(page, 'designer')
    await layerCard(page, 0).click()
    await setControl(byTestId(page, 'prop-units'), '40')
    await byTestId(page, 'template-S4').click()
    const dialog = byTestId(page, 'confirm-replace')
    await dialog.waitFor({ timeout: 5_000 })
    await session.screenshot('designer-confirm-replace')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached', timeout: 5_000 })
    expect(await unitsOfFirstLayer()).toBe('40')

    await byTestId(page, 'template-S4').click()
    await byTestId(page, 'confirm-replace-cancel').click()
    await dialog.waitFor({ state: 'detached', timeout: 5_000 })
    expect(await byTestId(page, 'layer-card').count()).toBe(4)

    await byTestId(page, 'template-S4').click()
    await byTestId(page, 'confirm-replace-discard').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBe(2)
    expect(await unitsOfFirstLayer()).toBe('512')
    // Nothing unsaved now: another template opens without a question.
    await byTestId(page, 'template-S5').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBe(4)
    expect(await dialog.count()).toBe(0)
  })

  it('"Save version" on an unchanged model keeps the version instead of making v2', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'save-model').click()
    const badge = byTestId(page, 'saved-version')
    await expect.poll(() => badge.getAttribute('data-unchanged')).toBe('no')
    expect(await badge.innerText()).toMatch(/v1\b/)
    await byTestId(page, 'save-model').click()
    await expect.poll(() => badge.getAttribute('data-unchanged')).toBe('yes')
    expect(await badge.innerText()).toMatch(/v1\b/)

    await byTestId(page, 'open-model').click()
    const menu = byTestId(page, 'open-model-menu')
    await menu.waitFor()
    await expect.poll(() => byTestId(page, 'saved-model').count()).toBe(1)
    await page.keyboard.press('Escape')
    await menu.waitFor({ state: 'detached', timeout: 2_000 })
  })

  it('the Open menu closes on an outside click and on a change of view', async () => {
    await goTo(page, 'designer')
    const menu = byTestId(page, 'open-model-menu')
    await byTestId(page, 'open-model').click()
    await menu.waitFor()
    // Beside the menu, which lies over the canvas's top left.
    const canvas = byTestId(page, 'designer-canvas')
    const box = (await canvas.boundingBox())!
    await canvas.click({ position: { x: box.width - 20, y: box.height - 20 } })
    await menu.waitFor({ state: 'detached', timeout: 2_000 })

    await byTestId(page, 'open-model').click()
    await menu.waitFor()
    await goTo(page, 'runs')
    await goTo(page, 'designer')
    expect(await menu.count()).toBe(0)
  })
})

describe('designer fields', () => {
  it('the data set select sets the input shape; a typed shape that does not fit shows a warning', async () => {
    await goTo(page, 'designer')
    await setControl(byTestId(page, 'designer-dataset'), 'iris')
    await expect.poll(() => byTestId(page, 'input-shape').inputValue()).toBe('4')
    expect(await byTestId(page, 'input-shape-mismatch').count()).toBe(0)
    await setControl(byTestId(page, 'input-shape'), '784')
    await byTestId(page, 'input-shape-mismatch').waitFor({ timeout: 5_000 })
    // Same number of values, another layout: accepted by training, so no warning.
    await setControl(byTestId(page, 'designer-dataset'), 'mnist')
    await setControl(byTestId(page, 'input-shape'), '28, 28, 1')
    await page.waitForTimeout(200)
    expect(await byTestId(page, 'input-shape-mismatch').count()).toBe(0)
    await setControl(byTestId(page, 'input-shape'), '784')
  })

  it('a cleared Units field shows empty beside its error, and typing a value fixes it', async () => {
    await goTo(page, 'designer')
    await layerCard(page, 0).click()
    const units = byTestId(page, 'prop-units')
    await units.fill('')
    await units.press('Tab')
    const error = byTestId(page, 'prop-units-error')
    await error.waitFor({ timeout: 5_000 })
    expect(await error.innerText()).toMatch(/required|必填|必须/i)
    expect(await units.inputValue()).toBe('')
    await session.screenshot('designer-units-cleared')
    await units.click()
    await units.pressSequentially('64')
    await error.waitFor({ state: 'detached', timeout: 5_000 })
    expect(await units.inputValue()).toBe('64')
    expect(await layerCard(page, 0).innerText()).toContain('64')
  })

  it('other required fields behave the same: Dropout rate and Conv2D kernel size clear to empty with their error', async () => {
    await goTo(page, 'designer')
    for (const [className, field, fixed] of [['Dropout', 'rate', '0.3'], ['Conv2D', 'kernel_size', '3, 3']] as const) {
      await dragLayerToCanvas(page, className)
      const index = (await byTestId(page, 'layer-card').count()) - 1
      await layerCard(page, index).click()
      const control = byTestId(page, `prop-${field}`)
      await control.fill('')
      await control.press('Tab')
      const error = byTestId(page, `prop-${field}-error`)
      await error.waitFor({ timeout: 5_000 })
      expect(await control.inputValue(), field).toBe('')
      await setControl(control, fixed)
      await error.waitFor({ state: 'detached', timeout: 5_000 })
      expect(await control.inputValue(), field).toBe(fixed)
      await layerCard(page, index).locator('[data-testid="layer-remove"]').click()
    }
  })
})

describe('the Designer as the README shows it', () => {
  it('S5 in English (light, dark) and Chinese, with a translated template list and data set', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S5').click()
    if (await byTestId(page, 'confirm-replace').count()) await byTestId(page, 'confirm-replace-discard').click()
    await expect.poll(() => byTestId(page, 'layer-card').count()).toBe(4)
    await layerCard(page, 0).click()
    // The palette is scrolled from the drags above: back to its top, as a user opening the view sees it.
    await page.evaluate(`document.querySelectorAll('.palette-panel, .palette-panel *').forEach((el) => { el.scrollTop = 0 })`)
    const shots: [string, 'en' | 'zh-CN', 'light' | 'dark'][] = [['designer', 'en', 'light'], ['designer-dark', 'en', 'dark'], ['designer-zh', 'zh-CN', 'light']]
    for (const [name, locale, theme] of shots) {
      await setControl(byTestId(page, 'locale-switch'), locale)
      await setControl(byTestId(page, 'theme-switch'), theme)
      if (locale === 'zh-CN') await expect.poll(() => byTestId(page, 'designer-dataset').locator('option:checked').innerText()).toBe('MNIST 手写数字')
      await page.waitForTimeout(300)
      if (DOCS) await page.screenshot({ path: join(DOCS, `${name}.png`) })
      else await session.screenshot(name)
    }
    await setControl(byTestId(page, 'locale-switch'), 'en')
    await setControl(byTestId(page, 'theme-switch'), 'system')
  })
})
