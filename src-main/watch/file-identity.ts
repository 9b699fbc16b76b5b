import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export interface SizeAndTime { size: number; mtimeMs: number }

/**
 * Waits until a file has stopped changing: its size and mtime are the same across `stableMs`. A file last modified
 * longer ago than that (found by a scan at start) is taken at once. Resolves null when the file disappears.
 */
export async function waitUntilStable(path: string, stableMs: number, isCanceled: () => boolean = () => false): Promise<SizeAndTime | null> {
  let previous: SizeAndTime | null = null;
  for (;;) {
    let current: SizeAndTime;
    try {
      const s = await stat(path);
      if (!s.isFile()) return null;
      current = { size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return null;
    }
    if (previous && previous.size === current.size && previous.mtimeMs === current.mtimeMs) return current;
    if (!previous && Date.now() - current.mtimeMs >= stableMs) return current;
    if (isCanceled()) return null;
    previous = current;
    await new Promise((resolve) => setTimeout(resolve, stableMs));
  }
}

export interface FolderListing extends SizeAndTime {
  /** Names, sizes and mtimes of the folder's files: equal listings mean nothing arrived or grew in between. */
  signature: string;
}

async function listFiles(folder: string): Promise<FolderListing | null> {
  try {
    const entries = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.'));
    const stats = await Promise.all(entries.map(async (e) => ({ name: e.name, s: await stat(join(folder, e.name)) })));
    stats.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return {
      size: stats.reduce((n, x) => n + x.s.size, 0),
      mtimeMs: stats.reduce((m, x) => Math.max(m, x.s.mtimeMs), 0),
      signature: stats.map((x) => `${x.name}\0${x.s.size}\0${x.s.mtimeMs}`).join('\n'),
    };
  } catch {
    return null; // the folder (or a file in it) went away meanwhile: looked at again on its next event
  }
}

/**
 * Waits until a folder of frames has stopped changing: the same files with the same sizes and mtimes across
 * `stableMs`. Unlike a single file, an old mtime is no proof (copies keep them while frames are still arriving), so
 * it always waits one window. Resolves null when the folder disappears or the wait is canceled.
 */
export async function waitUntilFolderStable(folder: string, stableMs: number, isCanceled: () => boolean = () => false): Promise<FolderListing | null> {
  let previous = await listFiles(folder);
  for (;;) {
    if (!previous || isCanceled()) return null;
    await new Promise((resolve) => setTimeout(resolve, stableMs));
    const current = await listFiles(folder);
    if (current && current.signature === previous.signature) return current;
    previous = current;
  }
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
