// What a user does on the workbench's pages, in the terms of the data-testid hooks the views
// carry (see the renderer briefing): open a view, drag a layer from the palette, set a property,
// pick a select option, read a chart's point count. The tests read as user steps on top of it.
// No vitest import: the renderer benchmark uses these helpers outside the test runner.
import type { Locator, Page } from 'playwright-core'
import { sleep } from './harness'

export type ViewName = 'datasets' | 'designer' | 'train' | 'runs' | 'compare' | 'evaluate'

export function byTestId(page: Page | Locator, id: string): Locator {
  return page.locator(`[data-testid="${id}"]`)
}

/** Opens the tokenized URL and waits for the shell (left navigation) to be there. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  const response = await page.goto(url)
  const status = response?.status() ?? 0
  if (status === 0 || status >= 400) throw new Error(`opening the workbench answered HTTP ${status}`)
  await byTestId(page, 'nav-designer').waitFor({ timeout: 30_000 })
}

const VIEW_ROOT: Record<ViewName, string> = {
  datasets: 'dataset-import-csv',
  designer: 'designer-canvas',
  train: 'train-start',
  runs: 'runs-table',
  compare: 'compare-chart',
  evaluate: 'evaluate-run'
}

export async function goTo(page: Page, view: ViewName): Promise<void> {
  await byTestId(page, `nav-${view}`).click()
  await byTestId(page, VIEW_ROOT[view]).first().waitFor({ timeout: 15_000 })
}

/**
 * Drags a palette item onto the canvas with real mouse events (HTML5 drag and drop in Chromium)
 * and waits for the new layer card. By default it is dropped onto the last layer card (or the
 * input node on an empty model), which adds it after that layer, connected; with `at` (a point
 * in the canvas's own box) it is dropped there on empty canvas, unconnected.
 */
export async function dragLayerToCanvas(page: Page, className: string, at?: { x: number; y: number }): Promise<void> {
  const cards = byTestId(page, 'layer-card')
  const before = await cards.count()
  const canvas = byTestId(page, 'designer-canvas')
  const box = await canvas.boundingBox()
  if (!box) throw new Error('the designer canvas is not visible')
  const item = byTestId(page, `palette-item-${className}`)
  if (at) await item.dragTo(canvas, { targetPosition: at })
  else await item.dragTo(before > 0 ? cards.nth(before - 1) : byTestId(page, 'input-node'))
  await waitUntil(async () => (await cards.count()) === before + 1, `dropping ${className} on the canvas adds a layer card (cards: ${before})`, 5_000)
}

/** The canvas node of a layer (or of the model input: 'input') by name. */
export function graphNode(page: Page, name: string): Locator {
  return page.locator(`.vue-flow__node[data-id="${name}"]`)
}

/** Draws an edge with the mouse: from the output port of `from` (a layer name or 'input') to the input port of `to`. */
export async function connectPorts(page: Page, from: string, to: string): Promise<void> {
  const source = await graphNode(page, from).locator('.vue-flow__handle.source').boundingBox()
  const target = await graphNode(page, to).locator('.vue-flow__handle.target').boundingBox()
  if (!source || !target) throw new Error(`the ports of ${from} → ${to} are not visible`)
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2)
  await page.mouse.down()
  await page.mouse.move((source.x + target.x) / 2 + 20, (source.y + target.y) / 2, { steps: 8 })
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 })
  await page.mouse.up()
}

/** Polls `condition` every 100 ms until it holds, or throws `what` after `timeoutMs`. */
export async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await sleep(100)
  }
}

/** The layer card at a position of the model (cards carry data-index). */
export function layerCard(page: Page, index: number): Locator {
  return page.locator(`[data-testid="layer-card"][data-index="${index}"]`)
}

/** Sets a form control whatever it is (select, checkbox, text or number input) and commits it. */
export async function setControl(control: Locator, value: string): Promise<void> {
  await control.waitFor()
  const tag = await control.evaluate((el) => el.tagName.toLowerCase())
  if (tag === 'select') {
    await control.selectOption(value)
    return
  }
  await control.fill(value)
  // Views that commit on change/blur as well as on input.
  await control.press('Tab')
}

/** The values of a select's options. */
export async function optionValues(select: Locator): Promise<string[]> {
  return select.locator('option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))
}

/** Digits of an element's text with thousands separators removed ("25 450", "25,450" → "25450"). */
export async function digitsOf(locator: Locator): Promise<string> {
  const text = (await locator.innerText()).replace(/[\s,\u00a0\u202f']/g, '')
  return text
}

/** Points per series of the chart in [data-testid=testid] (null while no chart is there); see page-probes. */
export function chartPointCounts(page: Page, testid: string): Promise<number[] | null> {
  return page.evaluate<number[] | null>(`window.__mwProbe.chartPointCounts(${JSON.stringify(testid)})`)
}

export async function chartPointTotal(page: Page, testid: string): Promise<number> {
  const counts = await chartPointCounts(page, testid)
  return counts ? counts.reduce((a, b) => a + b, 0) : 0
}

/** One contract call over the page's own WebSocket (the browser host's /ws, authenticated by the page's cookie). */
export async function contractCall<T>(page: Page, method: string, params: unknown): Promise<T> {
  const answer = await page.evaluate(
    ([m, p]) =>
      new Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string } }>((resolve, reject) => {
        const { location } = globalThis as unknown as { location: { protocol: string; host: string } }
        const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`)
        socket.onerror = () => reject(new Error('the contract socket failed'))
        socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: m, params: p }))
        socket.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as { id?: number; ok: boolean; result?: unknown; error?: { code: string; message: string } }
          if (message.id !== 1) return
          socket.close()
          resolve(message)
        }
      }),
    [method, params] as const
  )
  if (!answer.ok) throw new Error(`${method} answered ${answer.error?.code}: ${answer.error?.message}`)
  return answer.result as T
}

/** Waits (polling runs.get over the page's socket) until the run finished; fails on any other end or after `timeoutMs`. */
export async function waitRunFinished(page: Page, runId: string, timeoutMs = 120_000): Promise<void> {
  const giveUp = Date.now() + timeoutMs
  for (;;) {
    const { status, error } = await contractCall<{ status: string; error: string | null }>(page, 'runs.get', { run_id: runId })
    if (status === 'finished') return
    if (!['queued', 'running', 'paused'].includes(status)) throw new Error(`run ${runId} ended ${status}: ${error ?? ''}`)
    if (Date.now() > giveUp) throw new Error(`run ${runId} did not finish in ${Math.round(timeoutMs / 1000)} s (${status})`)
    await page.waitForTimeout(300)
  }
}
