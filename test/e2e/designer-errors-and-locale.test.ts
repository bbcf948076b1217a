// Two things a user relies on beyond the happy path: an invalid layer setting is shown on its
// card and Training refuses to start (with the reason, and without creating a run); and the
// language switch turns the whole interface into Simplified Chinese and back, built-in template
// and data-set names included, drawn in the shipped CJK web font (not a system font).
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { REPO_ROOT, type BrowserSession } from './harness'
import { byTestId, dragLayerToCanvas, goTo, layerCard, setControl } from './workbench-page'
import { useServedWorkbench } from './workbench-session'

let session: BrowserSession
let page: Page

useServedWorkbench('errors', (opened) => {
  ({ session, page } = opened)
})

const CJK = /[\u4e00-\u9fff]/

describe('an invalid layer', () => {
  it('shows its error on the layer card, and Start is refused with a reason and no run', async () => {
    await goTo(page, 'designer')
    await setControl(byTestId(page, 'input-shape'), '784')
    await dragLayerToCanvas(page, 'Dense')
    await layerCard(page, 0).click()
    await setControl(byTestId(page, 'prop-units'), '0')

    const cardError = layerCard(page, 0).locator('[data-testid="layer-error"]')
    await cardError.waitFor({ timeout: 5_000 })
    expect(await cardError.innerText()).toMatch(/units|单元|神经元/i)
    await session.screenshot('invalid-layer-designer')

    await goTo(page, 'train')
    // Everything else is in order, so the layer is the one reason left.
    await setControl(byTestId(page, 'train-dataset'), 'mnist')
    const start = byTestId(page, 'train-start')
    // A disabled Start is a refusal too; an enabled one must refuse on click.
    if (await start.isEnabled()) await start.click()
    const reason = byTestId(page, 'train-error')
    await reason.waitFor({ timeout: 5_000 })
    expect((await reason.innerText()).trim().length).toBeGreaterThan(0)
    expect(await reason.innerText()).toMatch(/units|单元|神经元|layer|层/i)
    await page.waitForTimeout(500)
    expect(await byTestId(page, 'run-status').filter({ hasText: /running|运行/i }).count()).toBe(0)
    await session.screenshot('invalid-layer-train')

    await goTo(page, 'runs')
    await page.waitForTimeout(500)
    expect(await byTestId(page, 'run-row').count(), 'no run was created').toBe(0)
  })
})

/**
 * The Chinese text of `selector` is drawn with the shipped 'Noto Sans SC' web font: the font is
 * loaded (document.fonts), in the computed font stack, and Chromium's own record of the fonts it
 * used for the element's text (DevTools CSS.getPlatformFontsForNode) names it as a custom (web)
 * font, with no system font drawing the CJK glyphs (fonts-wqy-zenhei is installed here and
 * would otherwise be used).
 */
async function expectWebFontRenders(selector: string): Promise<void> {
  const fonts = await fontsDrawing(selector)
  const web = fonts.filter((f) => f.isCustomFont && /Noto Sans SC/i.test(f.familyName))
  expect(web.length, `fonts used: ${JSON.stringify(fonts)}`).toBe(1)
  expect(web[0].glyphCount).toBeGreaterThan(3)
  expect(fonts.filter((f) => /wqy|zenhei|droid sans fallback/i.test(f.familyName)), `fonts used: ${JSON.stringify(fonts)}`).toEqual([])
}

/** The fonts Chromium drew the text of `selector` with (DevTools CSS.getPlatformFontsForNode), after checking the web font is loaded and in the stack. */
async function fontsDrawing(selector: string): Promise<{ familyName: string; isCustomFont: boolean; glyphCount: number }[]> {
  // Page scripts as text: the tests are type-checked without the DOM library.
  await expect.poll(() => page.evaluate<boolean>(`document.fonts.check('13px "Noto Sans SC"', '中文')`), { message: 'the web font is loaded' }).toBe(true)
  const faces = await page.evaluate<string[]>(`[...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Noto Sans SC').map((f) => f.status)`)
  expect(faces).toContain('loaded')
  expect(await page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).fontFamily`)).toContain('Noto Sans SC')
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('DOM.enable')
    await cdp.send('CSS.enable')
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 })
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector })
    return (await cdp.send('CSS.getPlatformFontsForNode', { nodeId })).fonts
  } finally {
    await cdp.detach()
  }
}

describe('the language switch', () => {
  async function switchLocale(target: 'zh-CN' | 'en'): Promise<void> {
    const control = byTestId(page, 'locale-switch')
    const tag = await control.evaluate((el) => el.tagName.toLowerCase())
    if (tag === 'select') await control.selectOption(target)
    else await control.click()
  }

  it('turns the interface into Simplified Chinese and back', async () => {
    await goTo(page, 'designer')
    const navIds = ['nav-datasets', 'nav-designer', 'nav-train', 'nav-runs', 'nav-compare']
    const english = await Promise.all(navIds.map((id) => byTestId(page, id).innerText()))
    for (const text of english) expect(text).not.toMatch(CJK)
    expect(english.join(' ')).toMatch(/Designer|Design/)

    await switchLocale('zh-CN')
    await expect.poll(() => byTestId(page, 'nav-designer').innerText(), { message: 'the navigation turns Chinese' }).toMatch(CJK)
    for (const id of navIds) expect(await byTestId(page, id).innerText(), id).toMatch(CJK)
    // Not just the navigation: the view's own labels follow.
    expect(await page.locator('main, body').first().innerText()).toMatch(CJK)
    expect(await page.evaluate<string>('document.documentElement.lang')).toMatch(/^zh/i)
    // Built-in names are translated too: templates and the data sets in the Designer's select.
    expect(await byTestId(page, 'template-S5').innerText()).toContain('32 个 relu 单元')
    const datasetNames = await byTestId(page, 'designer-dataset').locator('option').allInnerTexts()
    expect(datasetNames).toEqual(expect.arrayContaining(['鸢尾花', 'MNIST 手写数字', '乳腺癌（威斯康星）']))
    await session.screenshot('locale-zh-CN')
    await expectWebFontRenders('[data-testid="template-S5"] .template-title')

    await switchLocale('en')
    await expect.poll(() => byTestId(page, 'nav-designer').innerText(), { message: 'the navigation turns English again' }).not.toMatch(CJK)
    expect(await Promise.all(navIds.map((id) => byTestId(page, id).innerText()))).toEqual(english)
  })
})

/** Every character of the Chinese UI texts that the web font's unicode-range covers (CJK and full-width punctuation). */
async function chineseCharacters(): Promise<string> {
  const dir = join(REPO_ROOT, 'src', 'renderer', 'src', 'i18n', 'messages')
  const chars = new Set<string>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: { 'zh-CN'?: Record<string, string> } }
    for (const text of Object.values(mod.default['zh-CN'] ?? {})) for (const ch of text) if (/[\u2e80-\u2fdf\u3000-\u303f\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/u.test(ch)) chars.add(ch)
  }
  return [...chars].sort().join('')
}

describe('the shipped CJK font', () => {
  it('has every Chinese character the interface uses (none falls back to a system font)', async () => {
    const text = await chineseCharacters()
    expect(text.length).toBeGreaterThan(500)
    await page.evaluate(`(() => {
      const probe = document.createElement('div')
      probe.id = 'cjk-coverage-probe'
      probe.lang = 'zh-CN'
      probe.style.cssText = 'position:fixed;left:0;top:0;width:900px;font-family:var(--font-ui);font-size:13px;opacity:0.01'
      probe.textContent = ${JSON.stringify(text)}
      document.body.appendChild(probe)
    })()`)
    try {
      const fonts = await fontsDrawing('#cjk-coverage-probe')
      // All glyphs from the web font: a character missing from it would be drawn by another font.
      // (The file names itself "Noto Sans SC Thin" inside; the face is the 400 one fonts.css declares.)
      expect(fonts.map((f) => `${f.familyName.replace(/ Thin$/, '')}${f.isCustomFont ? ' (web)' : ''}`), `${text.length} characters`).toEqual(['Noto Sans SC (web)'])
      expect(fonts[0].glyphCount).toBe([...text].length)
    } finally {
      await page.evaluate(`document.getElementById('cjk-coverage-probe')?.remove()`)
    }
  })
})

describe('a seed template', () => {
  it('loads its model in the designer and its training settings and data set in Train', async () => {
    await goTo(page, 'designer')
    await byTestId(page, 'template-S5').click()
    // The canvas still holds the unsaved Dense layer of the first test: the template asks first.
    await byTestId(page, 'confirm-replace').waitFor({ timeout: 5_000 })
    await byTestId(page, 'confirm-replace-discard').click()
    await expect.poll(async () => (await byTestId(page, 'total-params').innerText()).replace(/\D/g, '')).toBe('25450')
    await goTo(page, 'train')
    await expect.poll(() => byTestId(page, 'hp-optimizer').inputValue()).toBe('rmsprop')
    expect(await byTestId(page, 'hp-epochs').inputValue()).toBe('2')
    expect(await byTestId(page, 'hp-batch-size').inputValue()).toBe('32')
    expect(await byTestId(page, 'train-dataset').inputValue()).toBe('mnist')
  })
})
