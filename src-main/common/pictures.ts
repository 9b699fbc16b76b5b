import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The user's Pictures folder, where outputs without a folder of their own go (images dropped into the browser,
 * files chosen in a page): on Linux the XDG user directory (the XDG_PICTURES_DIR variable, else user-dirs.dirs, as
 * `xdg-user-dir PICTURES` reads it), elsewhere `~/Pictures` (macOS and Windows name it so in every language).
 */
export function picturesFolder(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env,
  readText: (path: string) => string | null = readOptional): string {
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME) ?? homedir();
  if (platform !== 'win32' && platform !== 'darwin') {
    const fromEnv = env.XDG_PICTURES_DIR;
    if (fromEnv && isAbsolute(fromEnv)) return fromEnv;
    const dirsFile = join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'user-dirs.dirs');
    const configured = xdgUserDir(readText(dirsFile) ?? '', 'XDG_PICTURES_DIR', home);
    if (configured) return configured;
  }
  return join(home, 'Pictures');
}

/** The default folder for outputs that have no source folder to go next to: Pictures/Subpixel. */
export function defaultOutputFolder(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  return join(picturesFolder(platform, env), 'Subpixel');
}

/**
 * One entry of user-dirs.dirs (`XDG_PICTURES_DIR="$HOME/Pictures"`). A directory set to $HOME itself means the user
 * turned it off (xdg-user-dirs' convention): null then, as for a missing entry.
 */
export function xdgUserDir(text: string, key: string, home: string): string | null {
  for (const line of text.split('\n')) {
    const match = line.match(/^\s*([A-Z_]+)\s*=\s*"(.*)"\s*$/);
    if (!match || match[1] !== key) continue;
    const value = match[2].replace(/^\$HOME(?=\/|$)/, home).replace(/\\(.)/g, '$1').replace(/\/+$/, '');
    if (!isAbsolute(value) || value === home.replace(/\/+$/, '')) return null;
    return value;
  }
  return null;
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
