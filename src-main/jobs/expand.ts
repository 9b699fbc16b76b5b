import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { formatFromPath, READABLE_FORMATS } from '../../src-common/formats.js';
import { isVideoPath } from '../../src-common/video-files.js';
import { probeVideoPixels } from '../video/probe.js';

/** Whether a file name has an extension of a format the engine decodes. */
export function isImagePath(path: string): boolean {
  return formatFromPath(path) !== undefined;
}

export interface InputFile {
  input: string;
  /** Folder of the file relative to the folder that was added; '' for files added directly. */
  relDir: string;
}

export interface Expansion { files: InputFile[]; problems: string[] }

/**
 * Turns files and folders into input files. Folders are walked recursively (sorted, so the queue order is stable)
 * and each file remembers its sub-folder so outputs can mirror the tree (starting with the folder's own name when
 * `withFolderName`, as the app does: a folder added to the queue lands as a folder of that name in the output folder).
 */
export async function expandInputs(paths: string[], options: { withFolderName?: boolean; videos?: boolean } = {}): Promise<Expansion> {
  const wanted = (p: string): boolean => isImagePath(p) || (options.videos === true && isVideoPath(p));
  const files: InputFile[] = [];
  const problems: string[] = [];
  for (const raw of paths) {
    const path = resolve(raw);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
      continue;
    }
    if (info.isFile()) {
      if (wanted(path)) files.push({ input: path, relDir: '' });
      else problems.push(`${path}: not an image${options.videos ? ' or video' : ''} file (${READABLE_FORMATS.join(', ')}${options.videos ? ', mp4, mov, mkv, …' : ''})`);
      continue;
    }
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    const found = entries
      .filter((e) => e.isFile() && wanted(e.name) && !e.name.startsWith('.'))
      .map((e) => join(e.parentPath ?? path, e.name))
      .sort();
    // withFolderName: the added folder's own name leads (Trip/day1), so two added folders never share an output folder.
    const base = options.withFolderName ? dirname(path) : path;
    for (const file of found) files.push({ input: file, relDir: relative(base, dirname(file)) });
  }
  return { files, problems };
}

/**
 * Input pixel count from the header (no decode); for a video, of all its frames (progress and ETA weigh a video by
 * its frames). Null when the file cannot be read.
 */
export async function probePixels(path: string): Promise<number | null> {
  if (isVideoPath(path)) return probeVideoPixels(path);
  try {
    const { width, height } = await sharp(path).metadata();
    return width && height ? width * height : null;
  } catch {
    return null;
  }
}

/** Maps with at most `limit` calls in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
