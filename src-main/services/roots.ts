import { isAbsolute } from 'node:path';
import { isInside, realLocation } from '../common/paths.js';

export { isInside };

/**
 * The folders the API may touch: the user's home plus folders the user chose (a native dialog, `serve --allow`).
 * A path is inside when its real location (symlinks resolved as far as the path exists) lies under a root's real
 * location, so neither `..` nor a symlink inside home leads out.
 */
export interface AllowedRoots {
  list(): string[];
  /** Each root with where it came from (Settings shows them; only those from settings can be removed there). */
  entries(): AllowedRoot[];
  /** Adds a root; returns its real location. */
  add(folder: string, source?: RootSource): Promise<string>;
  /** Removes a root the user added in Settings; false when there is none at that path. */
  remove(folder: string): Promise<boolean>;
  /** The resolved path when it is inside a root, else null. */
  resolveInside(path: string): Promise<string | null>;
}

/** home: the user's home folder; start: `--allow` on the command line; settings: added in Settings; dialog: picked in a native dialog. */
export type RootSource = 'home' | 'start' | 'settings' | 'dialog' | 'output';
export interface AllowedRoot { path: string; source: RootSource }

export async function createAllowedRoots(initial: Array<string | AllowedRoot>): Promise<AllowedRoots> {
  const roots: AllowedRoot[] = [];
  const add = async (folder: string, source: RootSource = 'dialog'): Promise<string> => {
    if (!isAbsolute(folder)) throw new Error(`allowed root must be an absolute path: ${folder}`);
    const real = await realLocation(folder);
    if (!roots.some((r) => r.path === real)) roots.push({ path: real, source });
    return real;
  };
  for (const entry of initial) {
    if (typeof entry === 'string') await add(entry, 'start');
    else await add(entry.path, entry.source);
  }
  return {
    list: () => roots.map((r) => r.path),
    entries: () => roots.map((r) => ({ ...r })),
    add,
    async remove(folder) {
      const real = isAbsolute(folder) ? await realLocation(folder) : folder;
      const at = roots.findIndex((r) => (r.path === real || r.path === folder) && r.source === 'settings');
      if (at < 0) return false;
      roots.splice(at, 1);
      return true;
    },
    async resolveInside(path) {
      if (!isAbsolute(path)) return null;
      const real = await realLocation(path);
      return roots.some((root) => isInside(real, root.path)) ? real : null;
    },
  };
}

