import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** Which machine wrote a temp file: a process id means something only on the machine that has it. */
const HOST_TAG = createHash('sha1').update(hostname()).digest('hex').slice(0, 4);

/**
 * Temp name in the target's own directory, so the final rename never crosses file systems:
 * `.<name>.subpixel-tmp-<host tag>-<pid>-<random>`. The host and process make a temp left by a killed run
 * recognisable as such (removeDeadTemps), while one a live process is still writing is left alone.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.subpixel-tmp-${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** `.<name>.subpixel-tmp-<host>-<pid>-<hex>`, or the older `.<name>.subpixel-tmp-<hex>` (no owner recorded). */
const TEMP_NAME = /^\..+\.subpixel-tmp-(?:([0-9a-f]{4})-(\d+)-)?[0-9a-f]+$/;

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An owner-less temp (older versions) this old is a leftover, not a write in progress. */
const OLD_TEMP_MS = 60 * 60 * 1000;

/**
 * Removes the temp files in `folder` that killed runs left behind: those of processes of this machine that no longer
 * run, and owner-less ones older than an hour. Returns the paths removed; an unreadable folder removes nothing.
 */
export async function removeDeadTemps(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const path = join(folder, name);
    const [, host, pid] = match;
    if (host !== undefined) {
      if (host !== HOST_TAG || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    } else {
      const info = await stat(path).catch(() => null);
      if (!info || Date.now() - info.mtimeMs < OLD_TEMP_MS) continue;
    }
    await rm(path, { force: true, recursive: true });
    removed.push(path);
  }
  return removed;
}

/** What to write: the bytes, or a function that fills the temp file itself (an encoder writing to a path). */
export type AtomicContent = string | Uint8Array | ((tempPath: string) => Promise<void>);

/**
 * Writes `path` all-or-nothing: the content goes to a temp file next to it, which is flushed to disk, renamed over
 * `path`, and the folder flushed so the rename itself survives a power loss. On any failure the temp file is
 * removed and an existing `path` is left untouched. The one atomic write of the project: outputs, settings, the
 * queue journal, watches, model files and manifests.
 */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<void> {
  const tempPath = tempPathFor(path);
  try {
    if (typeof content === 'function') await content(tempPath);
    else await writeFile(tempPath, content);
    // Flush before rename so a crash cannot leave a renamed but empty file.
    await syncFile(tempPath);
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
}

/** fsync a file's data and metadata (before renaming it into place: a power loss then cannot leave it empty). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a folder (makes renames and new entries durable); a no-op where the platform cannot open folders. */
export async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class OverwriteInputError extends Error {
  override readonly name = 'OverwriteInputError';
  constructor(
    readonly path: string,
    readonly inputPath: string,
  ) {
    super(`refusing to write ${path}: it is the input file ${inputPath}`);
  }
}

async function identity(path: string): Promise<{ real: string; id?: string }> {
  try {
    const real = await realpath(path);
    const info = await stat(real);
    return { real, id: `${info.dev}:${info.ino}` };
  } catch {
    return { real: resolve(path) };
  }
}

/**
 * Throws OverwriteInputError when `outputPath` names one of `inputPaths` — the same path, a symlink to it, a hard
 * link or a different spelling on a case-insensitive file system (compared by device and inode when both exist).
 */
export async function assertNotInput(outputPath: string, inputPaths: Iterable<string>): Promise<void> {
  const output = await identity(outputPath);
  for (const inputPath of inputPaths) {
    const input = await identity(inputPath);
    const sameFile = output.id !== undefined && output.id === input.id;
    if (sameFile || output.real === input.real) throw new OverwriteInputError(outputPath, inputPath);
  }
}
