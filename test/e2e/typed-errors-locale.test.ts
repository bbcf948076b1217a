// Errors are typed data in both languages: a spec error is rendered from its reason and details,
// so the Chinese Designer shows it in Chinese (the rule "a positive integer" built from its
// details, not the English words), and the English one shows the back end's exact words; Train's
// refusal of the invalid model says the same in the chosen language.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { type BrowserSession } from './harness'
import { byTestId, dragLayerToCanvas, goTo, layerCard, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let session: BrowserSession
let page: Page

useServedWorkbench('typed-errors', (opened) => {
  ({ session, page } = opened)
})

async function switchLocale(target: 'zh-CN' | 'en'): Promise<void> {
  const control = byTestId(page, 'locale-switch')
  const tag = await control.evaluate((el) => el.tagName.toLowerCase())
  if (tag === 'select') await control.selectOption(target)
  else if ((await page.evaluate<string>('document.documentElement.lang')).toLowerCase().startsWith('zh') !== (target === 'zh-CN')) await control.click()
  // Page scripts as text: this file type-checks without the DOM library.
  await page.waitForFunction(`document.documentElement.lang.toLowerCase().startsWith('${target === 'zh-CN' ? 'zh' : 'en'}')`, undefined, { timeout: 5_000 })
}

describe('a spec error in both languages', () => {
  it('is worded from its reason and details on the layer card and in Train', async () => {
    await switchLocale('en')
    await goTo(page, 'designer')
    await setControl(byTestId(page, 'input-shape'), '784')
    await dragLayerToCanvas(page, 'Dense')
    await layerCard(page, 0).click()
    await setControl(byTestId(page, 'prop-units'), '0')
    const cardError = layerCard(page, 0).locator('[data-testid="layer-error"]')
    await cardError.waitFor({ timeout: 5_000 })
    expect((await cardError.innerText()).trim()).toBe('layer 1 (Dense): units must be a positive integer, got 0')

    await switchLocale('zh-CN')
    await page.waitForFunction(`/第 1 层/.test(document.querySelector('[data-testid="layer-error"]')?.textContent ?? '')`, undefined, { timeout: 5_000 })
    expect((await cardError.innerText()).trim()).toBe('第 1 层（Dense）：units 必须是正整数，实际为 0')
    await session.screenshot('typed-errors-designer-zh')

    await goTo(page, 'train')
    await setControl(byTestId(page, 'train-dataset'), 'mnist')
    const start = byTestId(page, 'train-start')
    if (await start.isEnabled()) await start.click()
    const refusal = byTestId(page, 'train-error')
    await refusal.waitFor({ timeout: 5_000 })
    expect(await refusal.innerText()).toContain('第 1 层（Dense）：units 必须是正整数，实际为 0')
    expect(await refusal.innerText()).not.toContain('must be a positive integer')
    await switchLocale('en')
  })
})
