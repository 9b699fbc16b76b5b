/**
 * Which `upscale` inputs are videos or frame sequences, where their outputs go, and how their probe reads in one
 * line. Stills keep going through jobs/expand; a missing FFmpeg fails only the video items.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { walkImages } from '../jobs/expand.js';
import { isVideoPath, type VideoCodec } from '../../src-common/video.js';
import { containerFor, isSequenceCodec } from '../video/codecs.js';
import { isSequencePattern, sequenceInFolder } from '../video/sequence.js';
import { videoOutputName } from '../video/upscale-video.js';

export interface VideoInput { input: string; relDir: string }

export interface SplitInputs {
  /** Arguments left for the still-image expansion. */
  stills: string[];
  videos: VideoInput[];
}

/**
 * Video files and sequence patterns are video inputs; folders stay still-image folders (their video files are
 * taken as videos too) unless `sequenceFolders` says folders are frame sequences.
 */
export async function splitInputs(inputs: string[], options: { sequenceFolders?: boolean; recursive?: boolean }): Promise<SplitInputs> {
  const stills: string[] = [];
  const videos: VideoInput[] = [];
  for (const raw of inputs) {
    const path = resolve(raw);
    if (isSequencePattern(path)) { videos.push({ input: path, relDir: '' }); continue; }
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      if (options.sequenceFolders || (await isFilmScanFolder(path))) { videos.push({ input: path, relDir: '' }); continue; }
      // An unreadable sub-folder is reported once, by the still-image expansion of the same folder.
      const { files: found } = await walkImages(path, { recursive: options.recursive ?? false, accepts: isVideoPath });
      for (const file of found) videos.push({ input: file, relDir: relative(path, dirname(file)) });
      stills.push(raw);
      continue;
    }
    if (info?.isFile() && isVideoPath(path)) videos.push({ input: path, relDir: '' });
    else stills.push(raw);
  }
  return { stills, videos };
}

/** A folder whose numbered run is in a format only FFmpeg reads (DPX, EXR): a film scan, never a folder of stills. */
async function isFilmScanFolder(path: string): Promise<boolean> {
  const seq = await sequenceInFolder(path).catch(() => undefined);
  return seq !== undefined && /\.(dpx|exr)$/i.test(seq.suffix);
}

/** The output file (or sequence folder) of a video input. */
export function videoOutputPath(item: VideoInput, outDir: string, codec: VideoCodec): string {
  const sequence = isSequenceCodec(codec);
  const inputExt = /\.[^./\\]+$/.exec(item.input)?.[0] ?? '';
  const isFileInput = isVideoPath(item.input);
  return join(outDir, item.relDir, videoOutputName(item.input, { sequence, container: containerFor(codec, isFileInput ? inputExt : '') }));
}
