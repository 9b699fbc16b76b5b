/**
 * Numbered frame sequences (film scans: scan_000001.dpx …): a printf pattern such as `scan_%06d.dpx`, or a folder
 * holding one numbered run. Numbers and zero padding are kept so outputs can use the same numbering; a gap (a
 * missing number) is an error unless the caller allows it.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { VideoError } from './errors.js';
import { isFilmScanPath } from '../../src-common/video-files.js';

/** Still-image extensions FFmpeg reads as sequence frames. */
export const SEQUENCE_EXTENSIONS = ['png', 'tif', 'tiff', 'dpx', 'exr', 'jpg', 'jpeg', 'bmp', 'webp'] as const;

export interface FrameSequence {
  dir: string;
  prefix: string;
  /** Text after the number, including the extension (".dpx"). */
  suffix: string;
  /** Digits of zero padding (0: not padded). */
  padding: number;
  numbers: number[];
  /** Missing numbers as inclusive ranges. */
  gaps: Array<[number, number]>;
}

/** The printf pattern of a sequence ("scan_%06d.dpx"). */
export function sequencePattern(seq: Pick<FrameSequence, 'prefix' | 'suffix' | 'padding'>): string {
  return `${seq.prefix}${seq.padding ? `%0${seq.padding}d` : '%d'}${seq.suffix}`;
}

export function frameName(seq: Pick<FrameSequence, 'prefix' | 'suffix' | 'padding'>, n: number): string {
  return `${seq.prefix}${String(n).padStart(seq.padding, '0')}${seq.suffix}`;
}

export function framePaths(seq: FrameSequence): string[] {
  return seq.numbers.map((n) => join(seq.dir, frameName(seq, n)));
}

export { isSequencePattern } from '../../src-common/video-files.js';

function gapsOf(numbers: number[]): Array<[number, number]> {
  const gaps: Array<[number, number]> = [];
  for (let i = 1; i < numbers.length; i++) if (numbers[i] > numbers[i - 1] + 1) gaps.push([numbers[i - 1] + 1, numbers[i] - 1]);
  return gaps;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Reads a pattern's frames from its folder. */
export async function sequenceFromPattern(pattern: string): Promise<FrameSequence> {
  const dir = dirname(resolve(pattern));
  const name = basename(pattern);
  const m = /^(.*?)%(0?)(\d*)d(.*)$/.exec(name);
  if (!m) throw new VideoError('sequence', `not a frame pattern: ${pattern} (expected e.g. scan_%06d.dpx)`);
  const [, prefix, zero, width, suffix] = m;
  const padding = zero && width ? Number(width) : 0;
  const digits = padding ? `\\d{${padding},}` : '\\d+';
  const re = new RegExp(`^${escape(prefix)}(${digits})${escape(suffix)}$`);
  let entries: string[];
  try { entries = await readdir(dir); } catch { throw new VideoError('sequence', `folder of ${name} not found: ${dir}`); }
  const numbers = entries.map((e) => re.exec(e)).filter((x): x is RegExpExecArray => x !== null).map((x) => Number(x[1])).sort((a, b) => a - b);
  if (!numbers.length) throw new VideoError('sequence', `no frames match ${name} in ${dir}`);
  return { dir, prefix, suffix, padding, numbers, gaps: gapsOf(numbers) };
}

/**
 * The numbered run in a folder: files `<prefix><digits><suffix>` with a sequence extension, grouped by prefix and
 * suffix; the largest group wins. Undefined when the folder has no run of at least two frames.
 */
export async function sequenceInFolder(folder: string): Promise<FrameSequence | undefined> {
  const dir = resolve(folder);
  const groups = new Map<string, { prefix: string; suffix: string; padding: number; numbers: number[] }>();
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.')) continue;
    const ext = extname(entry).slice(1).toLowerCase();
    if (!(SEQUENCE_EXTENSIONS as readonly string[]).includes(ext)) continue;
    const m = /^(.*?)(\d+)(\.[^.]+)$/.exec(entry);
    if (!m) continue;
    const [, prefix, digits, suffix] = m;
    const padding = digits.length > 1 && digits.startsWith('0') ? digits.length : 0;
    const key = `${prefix}\0${suffix}`;
    const group = groups.get(key) ?? { prefix, suffix, padding, numbers: [] };
    group.padding = Math.max(group.padding, padding);
    group.numbers.push(Number(digits));
    groups.set(key, group);
  }
  const best = [...groups.values()].sort((a, b) => b.numbers.length - a.numbers.length)[0];
  if (!best || best.numbers.length < 2) return undefined;
  best.numbers.sort((a, b) => a - b);
  // Unpadded numbers of mixed width ("f9", "f10") are fine; a fixed width shows as padding when any had a leading 0.
  return { dir, ...best, gaps: gapsOf(best.numbers) };
}

/**
 * The frame pattern of a folder taken as ONE input (a frame sequence) rather than a folder of stills: a folder whose
 * numbered run is DPX or EXR (film scans) always, any numbered run of at least two frames when `anyRun` (the job
 * setting `video.sequenceFolders`, the CLI's --sequence). Undefined otherwise, and for an unreadable folder.
 */
export async function sequenceFolderPattern(folder: string, anyRun: boolean): Promise<string | undefined> {
  const seq = await sequenceInFolder(folder).catch(() => undefined);
  if (!seq) return undefined;
  if (!anyRun && !isFilmScanPath(frameName(seq, seq.numbers[0]))) return undefined;
  return join(seq.dir, sequencePattern(seq));
}

export function describeGaps(seq: FrameSequence): string {
  const ranges = seq.gaps.slice(0, 5).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const missing = seq.gaps.reduce((n, [a, b]) => n + b - a + 1, 0);
  return `${missing} frame${missing === 1 ? '' : 's'} missing in ${sequencePattern(seq)} (${ranges.join(', ')}${seq.gaps.length > 5 ? ', …' : ''})`;
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
