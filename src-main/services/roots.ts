import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

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

export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** realpath of the longest existing prefix, with the missing tail appended (outputs may not exist yet). */
async function realLocation(path: string): Promise<string> {
  const absolute = resolve(path);
  const tail: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return join(await realpath(current), ...tail.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return absolute;
      tail.push(basename(current));
      current = parent;
    }
  }
}
