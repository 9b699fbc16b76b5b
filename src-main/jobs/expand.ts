import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { formatFromPath, READABLE_FORMATS } from '../../src-common/formats.js';
import { isVideoInput, isVideoPath } from '../../src-common/video-files.js';
import { sequenceFolderPattern } from '../video/sequence.js';
import { probeSourceSummary } from '../video/source.js';
import { errnoWords } from '../common/io-errors.js';

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

export interface ExpandOptions {
  /** Take video files too. */
  videos?: boolean;
  /** Walk sub-folders of the folders given (default true: the app adds whole trees; the CLI asks with --recursive). */
  recursive?: boolean;
  /**
   * With `videos`: a folder (added or found in the walk) whose numbered run is DPX/EXR becomes ONE input, its frame
   * pattern (scans/scan_%06d.dpx); with `sequenceFolders`, any folder with a numbered run does (see
   * sequenceFolderPattern).
   */
  sequenceFolders?: boolean;
}

/** What a non-regular file is, for a message. */
function kindOf(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isDirectory(): boolean }): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isDirectory()) return 'a folder';
  return 'not a regular file';
}

export interface WalkOptions {
  recursive: boolean;
  /** Which files count (default: image names). */
  accepts?: (path: string) => boolean;
  /** Sub-folders not to enter (output folders inside a watched one). */
  skipFolder?: (path: string) => boolean;
  /** A sub-folder taken as one input instead of being entered: the path to return for it (a frame pattern), if so. */
  folderInput?: (path: string) => Promise<string | undefined>;
}

/**
 * The wanted files in a folder, sorted, without ever failing as a whole: an unreadable sub-folder, a FIFO or device
 * with an image's name, or a broken link is reported in `problems` and the rest is returned. Sub-folders are entered
 * only when `recursive`; names starting with a dot (our temp files among them) are skipped; a symbolic link to an
 * image is followed (a link to a folder is reported, not followed: it could loop).
 */
export async function walkImages(root: string, options: WalkOptions): Promise<{ files: string[]; problems: string[] }> {
  const accepts = options.accepts ?? isImagePath;
  const files: string[] = [];
  const problems: string[] = [];
  const folders = [root];
  while (folders.length) {
    const folder = folders.shift()!;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      problems.push(`${folder}: cannot read this folder (${errnoWords(error)}); its files were not taken`);
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!options.recursive || options.skipFolder?.(path)) continue;
        const whole = await options.folderInput?.(path);
        if (whole) files.push(whole);
        else folders.push(path);
        continue;
      }
      if (!accepts(path)) continue;
      if (entry.isFile()) {
        files.push(path);
        continue;
      }
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(path);
          if (target.isFile()) files.push(path);
          else problems.push(`${path}: a symbolic link to ${kindOf(target)}; skipped`);
        } catch (error) {
          problems.push(`${path}: a broken symbolic link (${errnoWords(error)}); skipped`);
        }
        continue;
      }
      problems.push(`${path}: ${kindOf(entry)}, not a regular file; skipped`);
    }
  }
  return { files: files.sort(), problems };
}

/**
 * Turns files and folders into input files. Folders are walked (sorted, so the queue order is stable; sub-folders
 * only with `recursive`) and each file remembers its sub-folder so outputs can mirror the tree. One rule for the CLI,
 * the app and watch folders: a single folder's contents go straight into the output folder; when several folders are
 * given at once, each one's own name leads (Trip/day1, Home/day1), so same-named files of different folders never
 * collide. One bad path never stops the rest: it becomes a problem line.
 */
export async function expandInputs(paths: string[], options: ExpandOptions = {}): Promise<Expansion> {
  const wanted = (p: string): boolean => isImagePath(p) || (options.videos === true && isVideoPath(p));
  const files: InputFile[] = [];
  const problems: string[] = [];
  const given = await Promise.all(paths.map(async (raw) => {
    const path = resolve(raw);
    try {
      return { path, info: await stat(path) };
    } catch (error) {
      problems.push(`${path}: ${errnoWords(error)}`);
      return null;
    }
  }));
  const withFolderName = given.filter((g) => g?.info.isDirectory()).length > 1;
  for (const entry of given) {
    if (!entry) continue;
    const { path, info } = entry;
    if (info.isFile()) {
      if (wanted(path)) files.push({ input: path, relDir: '' });
      else problems.push(`${path}: not an image${options.videos ? ' or video' : ''} file (${READABLE_FORMATS.join(', ')}${options.videos ? ', mp4, mov, mkv, …' : ''})`);
      continue;
    }
    if (!info.isDirectory()) {
      problems.push(`${path}: ${kindOf(info)}, not a regular file; skipped`);
      continue;
    }
    const base = withFolderName ? dirname(path) : path;
    // A sequence folder is one input; it lands where its frames would have (see sequenceFolderPattern).
    const folderInput = options.videos ? (folder: string) => sequenceFolderPattern(folder, options.sequenceFolders === true) : undefined;
    const whole = await folderInput?.(path);
    if (whole) {
      files.push({ input: whole, relDir: relative(base, path) });
      continue;
    }
    const walked = await walkImages(path, { recursive: options.recursive ?? true, accepts: wanted, folderInput });
    problems.push(...walked.problems);
    for (const file of walked.files) files.push({ input: file, relDir: relative(base, dirname(file)) });
  }
  return { files, problems };
}

/**
 * Input pixel count from the header (no decode); for a video, of all its frames (progress and ETA weigh a video by
 * its frames). Null when the file cannot be read.
 */
export async function probePixels(path: string): Promise<number | null> {
  if (isVideoInput(path)) return (await probeSourceSummary(path))?.pixels ?? null;
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
