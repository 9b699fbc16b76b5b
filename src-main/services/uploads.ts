/**
 * Files dropped on the page in browser mode arrive as bytes. Each drop gets a folder of its own under the state
 * folder's uploads/, and a folder goes once no queue item reads from it any more (the user removed or cleared them),
 * so uploads never outlive the queue that needs them.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { STAGING_DIR } from './upload-staging.js';

/** A file name from the page with any path and control characters taken out. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim();
  return base && base !== '.' && base !== '..' ? base : 'upload';
}

/**
 * A dropped folder's path inside the drop (`Trip/day 1`), each segment made harmless; '' when none. It becomes the
 * item's sub-folder, so a dropped folder keeps its structure under the output folder.
 */
export function safeRelDir(relDir: string | undefined): string {
  if (!relDir) return '';
  return relDir.split(/[\\/]+/).filter((part) => part && part !== '.' && part !== '..').map(safeFileName).join(sep);
}

/** Writes one drop's files into a new folder under `uploadsDir` (sub-folders kept); returns where each went. */
/** One file of a drop: its bytes, or the staging file of a chunked upload. */
export type UploadedFile = { name: string; relDir?: string } & ({ data: Buffer } | { stagedPath: string });

export async function saveUploads(uploadsDir: string, files: UploadedFile[]): Promise<Array<{ path: string; relDir: string }>> {
  const dir = join(uploadsDir, randomUUID());
  await mkdir(dir, { recursive: true });
  const written: Array<{ path: string; relDir: string }> = [];
  const used = new Set<string>();
  for (const file of files) {
    const relDir = safeRelDir(file.relDir);
    const folder = join(dir, relDir);
    let name = safeFileName(file.name);
    // Two files of one name in one folder of a drop (names differing only by case on some systems): keep both.
    while (used.has(join(relDir, name).toLowerCase())) name = `_${name}`;
    used.add(join(relDir, name).toLowerCase());
    await mkdir(folder, { recursive: true });
    const path = join(folder, name);
    // A chunked upload is already on disk, in the same folder tree: it is moved, not copied.
    if ('stagedPath' in file) await rename(file.stagedPath, path);
    else await writeFile(path, file.data, { flag: 'wx' });
    written.push({ path, relDir });
  }
  return written;
}

/** Removes the upload folders none of `inputs` lies in; returns the folders removed. */
export async function pruneUploads(uploadsDir: string, inputs: Iterable<string>): Promise<string[]> {
  const inUse = new Set<string>();
  for (const input of inputs) {
    const rel = relative(uploadsDir, dirname(input));
    if (rel && !rel.startsWith('..')) inUse.add(rel.split(sep)[0]);
  }
  let entries: string[];
  try {
    entries = await readdir(uploadsDir);
  } catch {
    return []; // nothing uploaded yet
  }
  const removed: string[] = [];
  for (const entry of entries) {
    // Uploads still arriving in chunks are the staging area's (api/upload-staging.ts), not a drop.
    if (inUse.has(entry) || entry === STAGING_DIR) continue;
    await rm(join(uploadsDir, entry), { recursive: true, force: true });
    removed.push(join(uploadsDir, entry));
  }
  return removed;
}
