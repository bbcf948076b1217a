// The usual frame of an end-to-end file: before its tests, serve a fresh workbench, open
// Chromium on it (page problems recorded) and wait for the shell; after them, report what the
// page complained about and close both.
import { afterAll, beforeAll } from 'vitest'
import type { Page } from 'playwright-core'
import { openBrowser, recordPageProblems, requireBuiltRenderer, serveWorkbench, type BrowserSession, type ServedWorkbench } from './harness'
import { openWorkbench } from './workbench-page'

export interface WorkbenchSession {
  served: ServedWorkbench
  session: BrowserSession
  page: Page
}

/** Registers the hooks; `ready` gets the served workbench, the browser session and its page once they are up. */
export function useServedWorkbench(label: string, ready: (opened: WorkbenchSession) => void): void {
  let served: ServedWorkbench | undefined
  let session: BrowserSession | undefined
  let pageProblems: (() => string[]) | undefined
  beforeAll(async () => {
    requireBuiltRenderer()
    served = await serveWorkbench({ label })
    session = await openBrowser()
    pageProblems = recordPageProblems(session.page)
    await openWorkbench(session.page, served.url)
    ready({ served, session, page: session.page })
  })
  afterAll(async () => {
    if (pageProblems?.().length) console.warn(`page problems:\n${pageProblems().join('\n')}`)
    await session?.close()
    await served?.close()
  })
}
