/**
 * The window's security rules as plain data and predicates (no 'electron' import), so they are unit-tested in Node
 * and main.ts only wires them to Electron's hooks.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * Our renderer's Content-Security-Policy. Everything comes from our own origin; images may also be data:/blob: URLs
 * (thumbnails and before/after crops arrive as data: URLs). Inline styles stay allowed because Svelte writes
 * `style=` attributes for sizes and transforms; inline scripts, eval, plugins, frames and form posts do not.
 * In development the Vite dev server's origin (and its HMR WebSocket) is added.
 */
export function contentSecurityPolicy(options: { devServerUrl?: string } = {}): string {
  const dev = options.devServerUrl ? new URL(options.devServerUrl) : null;
  const devOrigin = dev ? dev.origin : '';
  const devSocket = dev ? `${dev.protocol === 'https:' ? 'wss:' : 'ws:'}//${dev.host}` : '';
  const withDev = (...sources: string[]) => [...sources, ...(dev ? [devOrigin] : [])].join(' ');
  const directives: Array<[string, string]> = [
    ['default-src', "'self'"],
    ['script-src', withDev("'self'")],
    ['style-src', withDev("'self'", "'unsafe-inline'")],
    ['img-src', withDev("'self'", 'data:', 'blob:')],
    ['font-src', withDev("'self'", 'data:')],
    ['connect-src', [withDev("'self'"), ...(dev ? [devSocket] : [])].join(' ')],
    ['worker-src', "'self' blob:"],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['child-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map(([name, value]) => `${name} ${value}`).join('; ');
}

/** The one BrowserWindow of the app: isolated, sandboxed, no Node in the page, only the preload's bridge. */
export function mainWindowOptions(options: {
  preload: string;
  icon?: string;
  backgroundColor: string;
  title?: string;
}): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: options.title ?? 'Subpixel',
    // Shown on 'ready-to-show' so the user never sees an empty white frame.
    show: false,
    backgroundColor: options.backgroundColor,
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: true,
    },
  };
}

/**
 * Whether the page may navigate to `target`. Only reloads of our own app URL are fine; a link or a dropped file
 * that would replace the UI with something else is refused (dropped files are handled by the renderer instead).
 */
export function isNavigationAllowed(target: string, isAppUrl: (url: string) => boolean): boolean {
  return isAppUrl(target);
}

/** What to do with window.open / target=_blank: never a new Electron window; https links go to the system browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: string | null } {
  let parsed: URL;
  try { parsed = new URL(url); } catch { return { action: 'deny', openExternally: null }; }
  const external = parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '' ? parsed.href : null;
  return { action: 'deny', openExternally: external };
}

/**
 * Permission requests and checks (camera, notifications, geolocation, …): the UI needs none of them except writing
 * text to the clipboard (copy a path or an error), and only our own page may do that.
 */
export function isPermissionGranted(permission: string, requestingUrl: string | undefined, isAppUrl: (url: string) => boolean): boolean {
  if (permission !== 'clipboard-sanitized-write') return false;
  return requestingUrl !== undefined && isAppUrl(requestingUrl);
}
