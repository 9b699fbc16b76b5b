import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
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
