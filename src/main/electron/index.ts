// The desktop host: opens the workbench in Electron's userData folder, shows the renderer in a
// sandboxed window, serves the contract over IPC (every message sender-checked and validated by
// the dispatcher), forwards events, builds the native menus, and runs trainers as utility
// processes. The only module of the back end that imports `electron`. The renderer is served from
// app://workbench (app-protocol.ts), not file://. MODEL_WORKBENCH_SMOKE=1 runs the scripted
// self-test of smoke.ts in the real window (npm run test:electron).
import { join, resolve } from 'node:path'
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  session,
  shell,
  utilityProcess,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type WebContents
} from 'electron'
import { BRIDGE_METHOD_NAMES, EVENT_CHANNEL, methodChannel, type BridgeEventMessage } from '../../shared/bridge'
import type { EventName, EventPayload } from '../../shared/contract'
import { contentSecurityPolicy } from '../../shared/csp'
import type { ForkTrainer, TrainerChannel } from '../engine/supervisor'
import { createDispatcher, type DispatchResult } from '../services/dispatcher'
import { openWorkbench, type WorkbenchService } from '../services/workbench'
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createRendererProtocolHandler, RENDERER_INDEX_URL } from './app-protocol'
import { runSmokeTest } from './smoke'
import { isAllowedExternalUrl, rendererUrlCheck } from './trust'

/** Set by electron-vite in development: the renderer's dev server. */
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined
const rendererDir = join(__dirname, '..', 'renderer')
const preloadPath = join(__dirname, '..', 'preload', 'index.js')

const DOCS = { keras: 'https://keras.io/api/', tfjs: 'https://js.tensorflow.org/api/latest/' }

/** `--data-dir=<dir>` (from `npm start -- --data-dir …`) replaces Electron's userData folder. */
const dataDirArgument = process.argv.find((arg) => arg.startsWith('--data-dir='))?.slice('--data-dir='.length)
if (dataDirArgument) app.setPath('userData', resolve(dataDirArgument))

// Must happen before `ready`: app:// becomes a standard, secure origin for the renderer.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }])

let service: WorkbenchService | null = null
let mainWindow: BrowserWindow | null = null

/** Is this URL our renderer (app://workbench/index.html, or the dev server in development)? */
const isRendererUrl = rendererUrlCheck({ rendererIndexUrl: RENDERER_INDEX_URL, devServerUrl })

function openExternalDoc(url: string): void {
  if (isAllowedExternalUrl(url)) void shell.openExternal(url)
}

/** Only the top frame of our own window, showing our renderer, may call the back end. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  if (!frame || frame.parent !== null) return false
  if (!mainWindow || mainWindow.isDestroyed() || event.sender !== mainWindow.webContents) return false
  return isRendererUrl(frame.url)
}

function sendEvent<E extends EventName>(event: E, payload: EventPayload<E>): void
function sendEvent(event: EventName, payload: unknown): void
function sendEvent(event: EventName, payload: unknown): void {
  if (!mainWindow || mainWindow.isDestroyed()) return
  const message: BridgeEventMessage = { event, payload }
  mainWindow.webContents.send(EVENT_CHANNEL, message)
}

/** Trainers as Electron utility processes (the child talks over `process.parentPort`). */
const forkUtilityTrainer: ForkTrainer = (entry, args) => {
  const child = utilityProcess.fork(entry, args, { serviceName: 'Model Workbench trainer', stdio: 'inherit' })
  const channel: TrainerChannel = {
    send(message: unknown) {
      child.postMessage(message)
    },
    on: ((event: 'message' | 'exit', callback: (...values: unknown[]) => void) => {
      if (event === 'message') child.on('message', (message: unknown) => callback(message))
      else child.on('exit', (code: number) => callback(code, null))
    }) as TrainerChannel['on'],
    kill() {
      child.kill()
    }
  }
  return channel
}

function rendererPolicy(): string {
  const dev = devServerUrl ? new URL(devServerUrl).origin : null
  return contentSecurityPolicy(dev ? [dev, dev.replace(/^http/, 'ws')] : [])
}

function hardenSession(): void {
  const ses = session.defaultSession
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererPolicy()], 'X-Content-Type-Options': ['nosniff'] } })
  })
  // Writing text to the clipboard (copying a summary or a run id) is the one capability the page may use.
  ses.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'))
  ses.setPermissionCheckHandler((_contents, permission) => permission === 'clipboard-sanitized-write')
}

/** Applied to every web contents the app ever creates. */
function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isRendererUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    openExternalDoc(url)
    return { action: 'deny' }
  })
}

function registerIpc(workbench: WorkbenchService): void {
  const dispatch = createDispatcher(workbench.handlers)
  for (const method of BRIDGE_METHOD_NAMES) {
    ipcMain.handle(methodChannel(method), async (event, request: unknown): Promise<DispatchResult> => {
      if (!isTrustedSender(event)) return { ok: false, error: { code: 'unauthorized', message: 'this page may not call the workbench' } }
      return dispatch(method, request)
    })
  }
  workbench.onEvent((event, payload) => sendEvent(event, payload))
}

function menuCommand(command: EventPayload<'menu.command'>['command']): MenuItemConstructorOptions['click'] {
  return () => sendEvent('menu.command', { command })
}

function showAbout(): void {
  const details = [`Version ${app.getVersion()}`, `Electron ${process.versions.electron}`, `Chromium ${process.versions.chrome}`, `Node.js ${process.versions.node}`, `Data: ${app.getPath('userData')}`]
  const options = { type: 'info' as const, title: 'About Model Workbench', message: 'Model Workbench', detail: details.join('\n'), buttons: ['OK'] }
  if (mainWindow && !mainWindow.isDestroyed()) void dialog.showMessageBox(mainWindow, options)
  else void dialog.showMessageBox(options)
}

function buildMenu(): Menu {
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Model', accelerator: 'CmdOrCtrl+N', click: menuCommand('new') },
        { label: 'Open Model…', accelerator: 'CmdOrCtrl+O', click: menuCommand('open') },
        { type: 'separator' },
        { label: 'Import Data Set…', accelerator: 'CmdOrCtrl+I', click: menuCommand('import-dataset') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: menuCommand('export') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' }
      ]
    },
    {
      label: 'Edit',
      submenu: [
        // Shown but not registered: Ctrl+Z goes to the page, so text fields keep their own undo
        // and the designer handles the shortcut itself; the menu items act on the model.
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', registerAccelerator: false, click: menuCommand('undo') },
        { label: 'Redo', accelerator: 'Shift+CmdOrCtrl+Z', registerAccelerator: false, click: menuCommand('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' }
      ]
    },
    {
      label: 'View',
      submenu: [
        { label: 'Data Sets', accelerator: 'CmdOrCtrl+1', click: menuCommand('view-datasets') },
        { label: 'Designer', accelerator: 'CmdOrCtrl+2', click: menuCommand('view-designer') },
        { label: 'Train', accelerator: 'CmdOrCtrl+3', click: menuCommand('view-train') },
        { label: 'Runs', accelerator: 'CmdOrCtrl+4', click: menuCommand('view-runs') },
        { label: 'Compare', accelerator: 'CmdOrCtrl+5', click: menuCommand('view-compare') },
        { label: 'Evaluate && export', accelerator: 'CmdOrCtrl+6', click: menuCommand('view-evaluate') },
        { type: 'separator' },
        ...(app.isPackaged ? [] : [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }]),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' }
      ]
    },
    {
      role: 'help',
      submenu: [
        { label: 'Keras Layers Reference', click: () => openExternalDoc(DOCS.keras) },
        { label: 'TensorFlow.js API Reference', click: () => openExternalDoc(DOCS.tfjs) },
        { type: 'separator' },
        { label: 'About Model Workbench', click: showAbout }
      ]
    }
  ]
  return Menu.buildFromTemplate(template)
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Model Workbench',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window.show())
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null
  })
  void window.loadURL(devServerUrl ?? RENDERER_INDEX_URL)
  return window
}

function startSmokeTest(window: BrowserWindow): void {
  void runSmokeTest({
    window,
    dataDir: app.getPath('userData'),
    reportFile: process.env.MODEL_WORKBENCH_SMOKE_REPORT || null,
    menuCommand: (command) => sendEvent('menu.command', { command }),
    quit: () => app.quit(),
    fail: () => app.exit(1)
  })
}

async function start(): Promise<void> {
  hardenSession()
  // Files of the built renderer folder only, real paths checked (the handler refuses the rest).
  protocol.handle(APP_SCHEME, createRendererProtocolHandler({ root: rendererDir, policy: rendererPolicy }))
  service = await openWorkbench({ dataDir: app.getPath('userData'), host: 'electron', fork: forkUtilityTrainer })
  registerIpc(service)
  Menu.setApplicationMenu(buildMenu())
  mainWindow = createMainWindow()
  if (process.env.MODEL_WORKBENCH_SMOKE === '1') startSmokeTest(mainWindow)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow()
  })
}

// The database has one writer: a second launch hands over to the running app.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('web-contents-created', (_event, contents) => hardenContents(contents))
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  let closing = false
  app.on('before-quit', (event) => {
    if (!service || closing) return
    // Let running trainers stop and metrics flush before the process goes.
    event.preventDefault()
    closing = true
    const open = service
    service = null
    open
      .close()
      .catch((error: unknown) => console.error('closing the workbench failed', error))
      .finally(() => app.quit())
  })
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      dialog.showErrorBox('Model Workbench could not start', error instanceof Error ? error.message : String(error))
      app.exit(1)
    })
}
