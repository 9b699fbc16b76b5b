/**
 * Files dropped on the page in browser mode arrive as bytes. Each drop gets a folder of its own under the state
 * folder's uploads/, and a folder goes once no queue item reads from it any more (the user removed or cleared them),
 * so uploads never outlive the queue that needs them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

/** A file name from the page with any path and control characters taken out. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim();
  return base && base !== '.' && base !== '..' ? base : 'upload';
}

/** Writes one drop's files into a new folder under `uploadsDir`; returns their paths. */
export async function saveUploads(uploadsDir: string, files: Array<{ name: string; data: Buffer }>): Promise<string[]> {
  const dir = join(uploadsDir, randomUUID());
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const used = new Set<string>();
  for (const file of files) {
    let name = safeFileName(file.name);
    while (used.has(name)) name = `_${name}`;
    used.add(name);
    const path = join(dir, name);
    await writeFile(path, file.data, { flag: 'wx' });
    written.push(path);
  }
  return written;
}

/** Removes the upload folders none of `inputs` lies in; returns the folders removed. */
export async function pruneUploads(uploadsDir: string, inputs: Iterable<string>): Promise<string[]> {
  const inUse = new Set<string>();
  for (const input of inputs) {
    const rel = relative(uploadsDir, dirname(input));
    if (rel && !rel.startsWith('..') && !rel.includes(sep)) inUse.add(rel);
  }
  let entries: string[];
  try {
    entries = await readdir(uploadsDir);
  } catch {
    return []; // nothing uploaded yet
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (inUse.has(entry)) continue;
    await rm(join(uploadsDir, entry), { recursive: true, force: true });
    removed.push(join(uploadsDir, entry));
  }
  return removed;
}
