/** One frame of a video (or of a sequence output folder) as a PNG, for the before/after viewer. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findFfmpeg } from './ffmpeg.js';
import { VideoError } from './errors.js';
import { spawnFfmpeg } from './process.js';
import { probeVideo } from './probe.js';
import { pixelFormatFacts } from './pixel-format.js';
import { framePaths, isSequencePattern, sequenceFromPattern } from './sequence.js';

/** Frames in a video file, a frame pattern, or a sequence output folder (its frame files). */
export async function frameCount(path: string, ffmpegPath?: string | null): Promise<number> {
  const files = await sequenceFiles(path);
  if (files) return files.length;
  return (await probeVideo(await findFfmpeg(ffmpegPath), path)).frames;
}

/** The frame files of a sequence: a frame pattern (a queue item's input) or an output folder; undefined for a file. */
async function sequenceFiles(path: string): Promise<string[] | undefined> {
  if (isSequencePattern(path)) return framePaths(await sequenceFromPattern(path));
  try {
    return (await readdir(path)).filter((f) => !f.startsWith('.')).sort().map((f) => join(path, f));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * Writes frame `index` (0-based, in presentation order) of a video file or sequence folder to `png`: 8-bit RGB, or
 * 16-bit where the video is deeper.
 */
export async function extractFrame(path: string, index: number, png: string, ffmpegPath?: string | null): Promise<void> {
  const tools = await findFfmpeg(ffmpegPath);
  const files = await sequenceFiles(path);
  if (files && !files[index]) throw new VideoError('options', `frame ${index} is past the last frame (${files.length})`);
  const input = files ? files[index] : path;
  const deep = pixelFormatFacts((await probeVideo(tools, input)).pixFmt).bitDepth > 8;
  const select = files ? [] : ['-vf', `select=eq(n\\,${index})`];
  await spawnFfmpeg(tools.ffmpeg, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:v:0', ...select,
    '-vsync', 'passthrough', '-frames:v', '1', '-pix_fmt', deep ? 'rgb48be' : 'rgb24', '-y', png,
  ], `reading frame ${index}`).done;
}
