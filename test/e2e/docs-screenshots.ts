// Writes the README's screenshots of every view into docs/screenshots/, in English light, English
// dark and 中文: trains a few short runs with the command line into a fresh data folder, serves
// the built renderer on it and walks the views in Chromium as a user would.
//
//   npx electron-vite build && npx tsx test/e2e/docs-screenshots.ts [view …]
//
// Not part of the test suite (it takes minutes and rewrites tracked files); the e2e tests check
// the same views' behaviour. With view names, only those views are taken.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { freshDataDir, openBrowser, REPO_ROOT, requireBuiltRenderer, serveWorkbench, sleep } from './harness'
import { byTestId, goTo, openWorkbench, waitUntil } from './workbench-page'

const DOCS = join(REPO_ROOT, 'docs', 'screenshots')
const VARIANTS = [
  { suffix: '', locale: 'en', theme: 'light' },
  { suffix: '-dark', locale: 'en', theme: 'dark' },
  { suffix: '-zh', locale: 'zh-CN', theme: 'light' }
] as const
type ViewShot = 'datasets' | 'designer' | 'train' | 'runs' | 'compare' | 'evaluate'
const ALL: ViewShot[] = ['datasets', 'designer', 'train', 'runs', 'compare', 'evaluate']

function cli(dataDir: string, args: string[]): void {
  const started = Date.now()
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'model-workbench.cjs'), ...args, '--data-dir', dataDir], { cwd: REPO_ROOT, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`model-workbench ${args.join(' ')} failed (${result.status}):\n${result.stderr}`)
  console.log(`  ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

async function shot(page: Page, name: string): Promise<void> {
  await sleep(600) // charts animate in
  await page.screenshot({ path: join(DOCS, `${name}.png`) })
  console.log(`  wrote docs/screenshots/${name}.png`)
}

async function takeView(page: Page, view: ViewShot, suffix: string): Promise<void> {
  switch (view) {
    case 'datasets': {
      await goTo(page, 'datasets')
      await byTestId(page, 'dataset-row').filter({ hasText: /breast|乳腺/i }).first().click()
      await shot(page, `datasets${suffix}`)
      return
    }
    case 'designer': {
      await goTo(page, 'designer')
      await byTestId(page, 'template-S5').click()
      const discard = byTestId(page, 'confirm-replace-discard')
      if (await discard.isVisible().catch(() => false)) await discard.click()
      await shot(page, `designer${suffix}`)
      return
    }
    case 'train': {
      await goTo(page, 'designer')
      await byTestId(page, 'template-S5').click()
      const discard = byTestId(page, 'confirm-replace-discard')
      if (await discard.isVisible().catch(() => false)) await discard.click()
      await goTo(page, 'train')
      await byTestId(page, 'train-start').click()
      await byTestId(page, 'train-stop').waitFor({ timeout: 30_000 })
      await sleep(6000)
      await shot(page, `train${suffix}`)
      await byTestId(page, 'train-stop').click()
      await waitUntil(async () => !(await byTestId(page, 'train-stop').isEnabled().catch(() => false)), 'the run to stop', 30_000)
      if (suffix === '') await shot(page, 'train-done')
      return
    }
    case 'runs': {
      await goTo(page, 'runs')
      await byTestId(page, 'run-row').first().click()
      await shot(page, `runs${suffix}`)
      return
    }
    case 'compare': {
      await goTo(page, 'runs')
      const boxes = byTestId(page, 'run-select')
      for (let i = 0; i < 2; i++) if (!(await boxes.nth(i).isChecked())) await boxes.nth(i).check()
      await byTestId(page, 'compare-selected').click()
      await byTestId(page, 'compare-chart').first().waitFor({ timeout: 15_000 })
      await shot(page, `compare${suffix}`)
      return
    }
    case 'evaluate': {
      await goTo(page, 'runs')
      await byTestId(page, 'run-row').filter({ hasText: /breast|乳腺|S1/i }).first().click()
      await byTestId(page, 'run-evaluate').click()
      await byTestId(page, 'evaluate-start').click()
      await byTestId(page, 'evaluate-metrics').waitFor({ timeout: 120_000 })
      await shot(page, `evaluate${suffix}`)
      return
    }
  }
}

async function main(): Promise<void> {
  requireBuiltRenderer()
  const wanted = process.argv.slice(2).filter((v): v is ViewShot => (ALL as string[]).includes(v))
  const views = wanted.length ? wanted : ALL
  mkdirSync(DOCS, { recursive: true })
  const dataDir = freshDataDir('docs')
  console.log('training the runs the views show:')
  cli(dataDir, ['train', 'S1', '--steps', '3000', '--name', 'breast cancer · sigmoid'])
  cli(dataDir, ['train', 'S7', '--name', 'y = 2x · seed 42'])
  cli(dataDir, ['train', 'S5', '--lr', '0.001', '--name', 'mnist · rmsprop lr 0.001'])
  cli(dataDir, ['train', 'S5', '--lr', '0.01', '--name', 'mnist · rmsprop lr 0.01'])
  const served = await serveWorkbench({ dataDir, keepDataDir: false, label: 'docs' })
  try {
    for (const variant of VARIANTS) {
      console.log(`${variant.locale} ${variant.theme}:`)
      const session = await openBrowser({
        initScripts: [`try { localStorage.setItem('model-workbench.locale', ${JSON.stringify(variant.locale)}); localStorage.setItem('model-workbench.theme', ${JSON.stringify(variant.theme)}) } catch {}`]
      })
      try {
        await openWorkbench(session.page, served.url)
        for (const view of views) await takeView(session.page, view, variant.suffix)
      } finally {
        await session.close()
      }
    }
  } finally {
    await served.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
