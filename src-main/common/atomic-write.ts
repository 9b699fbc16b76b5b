import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Temp name in the target's own directory, so the final rename never crosses file systems. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.subpixel-tmp-${randomBytes(6).toString('hex')}`);
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
    const handle = await open(tempPath, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
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
