/**
 * Electron main process: one hardened window over the same services and API as browser mode, plus what only a
 * desktop app has (native dialogs, single instance, tray, notifications, menu). Decisions live in the pure modules
 * next to this file (security, app-protocol, app-menu, tray-policy, batch-notice, launch); this file wires them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, nativeTheme, Notification, protocol, session, shell, Tray,
  type NativeImage, type WebContents,
} from 'electron';
import type { QueueSummary } from '../../src-common/api.js';
import type { Dispatcher } from '../api/dispatcher.js';
import { createAppDispatcher } from '../api/handlers.js';
import { openAppServices, type AppServices } from '../api/services.js';
import { desktopShell } from './shell-actions.js';
import { APP_INDEX_URL, APP_ORIGIN, APP_SCHEME, appResponseHeaders, resolveAppRequest } from './app-protocol.js';
import { appMenuTemplate, type Theme } from './app-menu.js';
import { batchNotification, createBatchTracker, shouldNotify } from './batch-notice.js';
import { appUrlMatcher, attachWindow, dialogPicker, registerIpcTransport } from './ipc-transport.js';
import { moveLegacyState } from '../common/state-home.js';
import { allowedFromArgv, devServerUrl, findRendererDir, launchPaths, shippedModelsEnv, stateFolder } from './launch.js';
import { contentSecurityPolicy, isNavigationAllowed, isPermissionGranted, mainWindowOptions, windowOpenDecision } from './security.js';
import { closeAction, hiddenToTrayNotice, trayMenuTemplate, trayTooltip } from './tray-policy.js';

const APP_NAME = 'Subpixel';
const here = dirname(fileURLToPath(import.meta.url));
// dist/src-main/electron → the app folder (repository root in development, app.asar when packaged), whether Electron
// was started on the folder or on this file.
const appRoot = resolve(here, '..', '..', '..');
const packaged = app.isPackaged;

app.setName(APP_NAME);
const modelsDir = shippedModelsEnv({ packaged, resourcesPath: process.resourcesPath, env: process.env });
if (modelsDir) process.env.SUBPIXEL_MODELS_DIR = modelsDir;

const devUrl = devServerUrl({ packaged, env: process.env });
const rendererDir = findRendererDir(appRoot, existsSync);
const csp = contentSecurityPolicy(devUrl ? { devServerUrl: devUrl } : {});
const isAppUrl = appUrlMatcher({ appOrigin: APP_ORIGIN, ...(devUrl ? { devServerUrl: devUrl } : {}) });
const iconsDir = join(appRoot, 'resources', 'icons', 'png');
const iconPath = join(iconsDir, '512x512.png');

// Must happen before 'ready': our scheme behaves like https (a real origin, secure context, fetch allowed).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);

let services: AppServices | null = null;
let dispatcher: Dispatcher | null = null;
let window: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;
let toldAboutTray = false;
let lastSummary: QueueSummary | null = null;
/** Paths named on a command line before the services were open. */
const pendingPaths: string[] = [];

if (!app.requestSingleInstanceLock()) {
  // Another Subpixel owns the state folder; it receives our argv through 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', (_event, argv, workingDirectory) => {
    showWindow();
    void addPaths(launchPaths(argv, { cwd: workingDirectory, packaged }));
  });
  // macOS delivers "Open with…" and files dropped on the dock icon as events, possibly before 'ready'.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    void addPaths([path]);
  });
  pendingPaths.push(...launchPaths(process.argv, { cwd: process.cwd(), packaged }));
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  app.on('before-quit', () => { quitting = true; });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showWindow());
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed || !services) return;
    // Let running items go back to queued and the journals flush before the process ends.
    event.preventDefault();
    const open = services;
    services = null;
    void open.close().catch((error: unknown) => console.error('[subpixel] error while closing services', error)).finally(() => {
      closed = true;
      app.quit();
    });
  });
  app.whenReady().then(start).catch((error: unknown) => {
    console.error('[subpixel] could not start', error);
    dialog.showErrorBox(`${APP_NAME} could not start`, error instanceof Error ? error.message : String(error));
    app.exit(1);
  });
}

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, serveRenderer);
  hardenSession();
  const home = stateFolder({ env: process.env });
  // Versions before the shared state folder kept it in userData (different from the CLI's on Linux).
  if (!process.env.SUBPIXEL_HOME) await moveLegacyState(app.getPath('userData'), home);
  services = await openAppServices({ home, role: 'the Subpixel app', allow: allowedFromArgv(process.argv, { cwd: process.cwd(), packaged: app.isPackaged }) });
  const created = createAppDispatcher(services);
  dispatcher = created.dispatcher;
  services.shell = desktopShell();
  services.pickPaths = dialogPicker({
    showOpenDialog: (options) => (window && !window.isDestroyed() ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options)),
  });
  registerIpcTransport(ipcMain, dispatcher, {
    isAppUrl,
    isOwnWebContents: (sender) => window !== null && !window.isDestroyed() && window.webContents.id === sender.id,
  });
  app.setAboutPanelOptions({
    applicationName: APP_NAME,
    applicationVersion: app.getVersion(),
    copyright: 'MIT License',
    ...(existsSync(iconPath) ? { iconPath } : {}),
  });
  applyTheme(services.settings.get().ui.theme);
  watchServiceEvents(dispatcher);
  createTray();
  createWindow();
  await addPaths(pendingPaths.splice(0));
}

// ---------------------------------------------------------------------------------------------------------------
// Window

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions({
    preload: join(here, 'preload.cjs'),
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16171a' : '#f6f6f7',
    ...(existsSync(iconPath) ? { icon: iconPath } : {}),
  }));
  window = win;
  win.once('ready-to-show', () => win.show());
  win.on('close', (event) => {
    const action = closeAction({ quitting, activeWatches: activeWatchCount(), hasTray: tray !== null });
    if (action === 'close') return;
    event.preventDefault();
    win.hide();
    refreshTray();
    if (!toldAboutTray) {
      toldAboutTray = true;
      notify(hiddenToTrayNotice(activeWatchCount()));
    }
  });
  win.on('show', refreshTray);
  win.on('hide', refreshTray);
  win.on('closed', () => {
    if (window === win) window = null;
  });
  if (dispatcher) attachWindow(dispatcher, win.webContents);
  void win.loadURL(devUrl ?? APP_INDEX_URL);
  return win;
}

function showWindow(): void {
  if (!app.isReady()) return;
  const win = window && !window.isDestroyed() ? window : services ? createWindow() : null;
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

// ---------------------------------------------------------------------------------------------------------------
// Security

/** Every webContents (our window, devtools, anything a bug might open) gets the same guards. */
function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    if (!isNavigationAllowed(event.url, isAppUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isNavigationAllowed(event.url, isAppUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url);
    if (decision.openExternally) void shell.openExternal(decision.openExternally);
    return { action: decision.action };
  });
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback) => {
    callback(isPermissionGranted(permission, contents.getURL(), isAppUrl));
  });
  ses.setPermissionCheckHandler((contents, permission) => isPermissionGranted(permission, contents?.getURL(), isAppUrl));
  if (devUrl) {
    // Pages of the Vite dev server get the same policy as the built app.
    ses.webRequest.onHeadersReceived({ urls: [`${new URL(devUrl).origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
    });
  }
}

async function serveRenderer(request: Request): Promise<Response> {
  if (!rendererDir) {
    const page = missingRendererPage();
    return new Response(page, { status: 200, headers: appResponseHeaders('text/html; charset=utf-8', csp) });
  }
  const target = resolveAppRequest(request.url, rendererDir);
  if (target.kind === 'not-found') return new Response('not found', { status: 404, headers: appResponseHeaders('text/plain', csp) });
  try {
    const body = await readFile(target.path);
    return new Response(body, { status: 200, headers: appResponseHeaders(target.contentType, csp) });
  } catch {
    return new Response('not found', { status: 404, headers: appResponseHeaders('text/plain', csp) });
  }
}

function missingRendererPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${APP_NAME}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
@media(prefers-color-scheme:dark){body{background:#16171a;color:#ddd}}</style></head>
<body><h1>${APP_NAME}</h1><p>The user interface has not been built. Run <code>npm run build</code> (or
<code>npm run build:renderer</code>) and start ${APP_NAME} again.</p>
<p>Looked for <code>dist-renderer/index.html</code> in ${escapeHtml(appRoot)}.</p></body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ---------------------------------------------------------------------------------------------------------------
// Queue, watches, theme: what the shell shows outside the page

function activeWatchCount(): number {
  return services ? services.watch.list().filter((w) => !w.paused).length : 0;
}

function watchServiceEvents(api: Dispatcher): void {
  const batches = createBatchTracker();
  api.subscribe((message) => {
    switch (message.event) {
      case 'queue.progress': {
        const summary = message.payload.summary;
        lastSummary = summary;
        showProgress(summary);
        const finished = batches.update(summary, Date.now());
        if (finished && shouldNotify({ visible: window?.isVisible() ?? false, focused: window?.isFocused() ?? false })) {
          notify(batchNotification(finished));
        }
        refreshTray();
        break;
      }
      case 'watch.changed':
      case 'watch.removed':
        refreshTray();
        break;
      case 'settings.changed':
        applyTheme(message.payload.settings.ui.theme);
        break;
      default:
        break;
    }
  });
}

/** Taskbar / dock progress while a batch runs. */
function showProgress(summary: QueueSummary): void {
  if (!window || window.isDestroyed()) return;
  const pending = (summary.counts.queued ?? 0) + (summary.counts.running ?? 0);
  window.setProgressBar(pending > 0 ? summary.fraction : -1, { mode: summary.paused ? 'paused' : 'normal' });
}

function notify(message: { title: string; body: string }): void {
  if (!Notification.isSupported()) return;
  new Notification({ ...message, ...(existsSync(iconPath) ? { icon: iconPath } : {}) }).show();
}

function applyTheme(theme: Theme): void {
  nativeTheme.themeSource = theme;
  buildMenu(theme);
}

function buildMenu(theme: Theme): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(
    { platform: process.platform, isDev: !packaged, theme, appName: APP_NAME },
    {
      addFiles: () => void pickAndAdd('files'),
      addFolder: () => void pickAndAdd('folder'),
      openStateFolder: () => { if (services) void shell.openPath(services.paths.home); },
      setTheme: (next) => { void dispatcher?.call('settings.set', { patch: { ui: { theme: next } } }, { transport: 'electron' }); },
      showAbout: () => app.showAboutPanel(),
      quit: () => app.quit(),
    },
  )));
}

// ---------------------------------------------------------------------------------------------------------------
// Adding files from the menu, the command line and the OS

async function pickAndAdd(kind: 'files' | 'folder'): Promise<void> {
  if (!services?.pickPaths) return;
  const paths = await services.pickPaths({ kind, multiple: true, title: kind === 'folder' ? 'Add a folder of images' : 'Add images' });
  await addPaths(paths);
}

/** Paths the user named outside the page (dialog, command line, Open with…) are their consent to work there. */
async function addPaths(paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  if (!services || !dispatcher) { pendingPaths.push(...paths); return; }
  for (const path of paths) await services.roots.add(path);
  const result = await dispatcher.call('queue.add', { paths }, { transport: 'electron' });
  if (!result.ok) {
    showWindow();
    await dialog.showMessageBox({ type: 'error', title: APP_NAME, message: 'Could not add to the queue', detail: result.error.message });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tray

function trayImage(): NativeImage | null {
  const file = join(iconsDir, process.platform === 'win32' ? '32x32.png' : '64x64.png');
  if (!existsSync(file)) return null;
  const size = process.platform === 'darwin' ? 18 : process.platform === 'win32' ? 16 : 22;
  return nativeImage.createFromPath(file).resize({ width: size, height: size, quality: 'best' });
}

function createTray(): void {
  const image = trayImage();
  if (!image) return;
  try {
    tray = new Tray(image);
  } catch (error) {
    // Some Linux desktops have no status area; the window then simply closes (closeAction sees no tray).
    console.warn('[subpixel] no tray icon:', (error as Error).message);
    tray = null;
    return;
  }
  tray.on('click', () => showWindow());
  trayMenuKey = '';
  refreshTray();
}

let trayMenuKey = '';

function refreshTray(): void {
  if (!tray || tray.isDestroyed()) return;
  const state = {
    windowVisible: window !== null && !window.isDestroyed() && window.isVisible(),
    activeWatches: activeWatchCount(),
    queuePaused: lastSummary?.paused ?? services?.queue.progress().paused ?? false,
    summary: lastSummary,
  };
  tray.setToolTip(trayTooltip(state));
  const template = trayMenuTemplate(state, {
    showWindow,
    hideWindow: () => window?.hide(),
    pauseQueue: () => { void dispatcher?.call('queue.pause', {}, { transport: 'electron' }); },
    resumeQueue: () => { void dispatcher?.call('queue.resume', {}, { transport: 'electron' }); },
    quit: () => app.quit(),
  });
  // progress events arrive many times a second; rebuild the native menu only when what it shows changed
  // (JSON drops the click handlers, leaving labels and states)
  const key = JSON.stringify(template);
  if (key === trayMenuKey) return;
  trayMenuKey = key;
  tray.setContextMenu(Menu.buildFromTemplate(template));
}
