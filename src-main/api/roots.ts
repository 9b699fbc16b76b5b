import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The folders the API may touch: the user's home plus folders the user chose (a native dialog, `serve --allow`).
 * A path is inside when its real location (symlinks resolved as far as the path exists) lies under a root's real
 * location, so neither `..` nor a symlink inside home leads out.
 */
export interface AllowedRoots {
  list(): string[];
  add(folder: string): Promise<void>;
  /** The resolved path when it is inside a root, else null. */
  resolveInside(path: string): Promise<string | null>;
}

export async function createAllowedRoots(initial: string[]): Promise<AllowedRoots> {
  const roots: string[] = [];
  const add = async (folder: string): Promise<void> => {
    if (!isAbsolute(folder)) throw new Error(`allowed root must be an absolute path: ${folder}`);
    const real = await realLocation(folder);
    if (!roots.includes(real)) roots.push(real);
  };
  for (const folder of initial) await add(folder);
  return {
    list: () => [...roots],
    add,
    async resolveInside(path) {
      if (!isAbsolute(path)) return null;
      const real = await realLocation(path);
      return roots.some((root) => isInside(real, root)) ? real : null;
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
