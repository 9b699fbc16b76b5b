/**
 * Where things are when the app starts, decided without 'electron' (main.ts passes app.isPackaged, argv, paths).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { stateHome } from '../common/state-home.js';

/**
 * Image files and folders named on the command line (`subpixel-app a.png photos/`, "Open with…", a file dropped
 * on the dock icon of a second instance). Electron's own arguments come first: the executable, and in development
 * the app folder; switches (Chromium's or ours) are not paths.
 */
export function launchPaths(argv: readonly string[], options: { cwd: string; packaged: boolean }): string[] {
  const rest = argv.slice(options.packaged ? 1 : 2);
  const paths: string[] = [];
  let switchesEnded = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!switchesEnded && arg === '--') { switchesEnded = true; continue; }
    if (!switchesEnded && arg === '--allow') { i++; continue; } // its folder is a permission, not an input
    if (!switchesEnded && arg.startsWith('-')) continue;
    if (arg === '' || arg.startsWith('subpixel:')) continue;
    const path = isAbsolute(arg) ? arg : resolve(options.cwd, arg);
    if (!paths.includes(path)) paths.push(path);
  }
  return paths;
}

/** Folders given with `--allow <folder>` (repeatable, or `--allow=<folder>`): allowed besides the home folder. */
export function allowedFromArgv(argv: readonly string[], options: { cwd: string; packaged: boolean }): string[] {
  const rest = argv.slice(options.packaged ? 1 : 2);
  const folders: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--') break;
    const value = rest[i] === '--allow' ? rest[++i] : rest[i].startsWith('--allow=') ? rest[i].slice('--allow='.length) : undefined;
    if (value) folders.push(isAbsolute(value) ? value : resolve(options.cwd, value));
  }
  return folders;
}

/**
 * The renderer build inside the app folder: Vite writes dist-renderer/ (src-renderer/vite.config.ts);
 * dist/renderer is accepted too. Returns null when the renderer was not built.
 */
export function findRendererDir(appRoot: string, exists: (path: string) => boolean): string | null {
  for (const candidate of ['dist-renderer', join('dist', 'renderer')]) {
    const dir = join(appRoot, candidate);
    if (exists(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/**
 * Shipped models: electron-builder copies models/ to <resources>/models (extraResources), outside the asar
 * archive, and the engine finds them through SUBPIXEL_MODELS_DIR (engine/models/store.ts). In development the
 * repository's models/ is found by the engine itself, and an explicit SUBPIXEL_MODELS_DIR always wins.
 */
export function shippedModelsEnv(options: { packaged: boolean; resourcesPath: string; env: NodeJS.ProcessEnv }): string | null {
  if (options.env.SUBPIXEL_MODELS_DIR) return null;
  return options.packaged ? join(options.resourcesPath, 'models') : null;
}

/**
 * The state folder: the CLI's own (SUBPIXEL_HOME when set, else the per-user data folder; common/state-home.ts), so
 * a model fine-tuned in the app is usable from the CLI and back. Electron's userData keeps only Chromium's caches;
 * state an earlier version kept there is moved over once (moveLegacyState).
 */
export function stateFolder(options: { env: NodeJS.ProcessEnv }): string {
  return stateHome(undefined, options.env);
}

/** The Vite dev server to load instead of the build (development only, never when packaged). */
export function devServerUrl(options: { packaged: boolean; env: NodeJS.ProcessEnv }): string | null {
  const url = options.env.SUBPIXEL_DEV_SERVER_URL;
  if (options.packaged || !url) return null;
  try {
    const parsed = new URL(url);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && loopback ? parsed.origin + '/' : null;
  } catch {
    return null;
  }
}

export type ElectronAvailability = { ok: true; executable: string } | { ok: false; reason: string };

/**
 * Whether `npm start` can open the desktop app here: an Electron binary (ELECTRON_PATH, else the electron
 * package's own download) and, on Linux, a display to open a window on.
 */
export function electronAvailability(options: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** What the `electron` package resolves to, or null when its binary was never downloaded. */
  packagedBinary: string | null;
  exists: (path: string) => boolean;
}): ElectronAvailability {
  const executable = options.env.ELECTRON_PATH || options.packagedBinary;
  if (!executable) return { ok: false, reason: 'no Electron binary (the electron package has none; set ELECTRON_PATH to one)' };
  if (!options.exists(executable)) return { ok: false, reason: `no Electron binary at ${executable}` };
  if (options.platform === 'linux' && !options.env.DISPLAY && !options.env.WAYLAND_DISPLAY) {
    return { ok: false, reason: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { ok: true, executable };
}
