import { realpath } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { isInside, realLocation } from '../common/paths.js';

/** A job asked for a path outside the worker's --allow folders: failed at once, never retried. */
export class OutsideAllowedError extends Error {
  override readonly name = 'OutsideAllowedError';
}

/** The --allow (or --models) folders as real paths (symlinks resolved); each must exist. */
export async function resolveAllowed(dirs: readonly string[], option = '--allow'): Promise<string[]> {
  if (dirs.length === 0) {
    throw new Error('name the folders jobs may read and write with --allow <dir> (repeatable): a worker takes jobs from anyone who can reach Redis');
  }
  return Promise.all(dirs.map(async (dir) => {
    try {
      return await realpath(resolve(dir));
    } catch {
      throw new Error(`${option} ${dir}: no such folder`);
    }
  }));
}

/**
 * Throws OutsideAllowedError unless `path` lies in one of the allowed folders once `..` and symlinks are resolved
 * (a link inside an allowed folder that points elsewhere does not count).
 */
export async function assertAllowed(path: string, allowed: readonly string[], what: string): Promise<void> {
  if (!isAbsolute(path)) throw new OutsideAllowedError(`${what} ${path} is not an absolute path`);
  const real = await realLocation(path);
  if (!allowed.some((root) => isInside(real, root))) {
    throw new OutsideAllowedError(`${what} ${path} is outside the folders this worker may use (--allow ${allowed.join(', ')})`);
  }
}
