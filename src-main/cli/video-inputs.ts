/**
 * Which `upscale` inputs are videos or frame sequences, where their outputs go, and how their probe reads in one
 * line. Stills keep going through jobs/expand; a missing FFmpeg fails only the video items.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { walkImages } from '../jobs/expand.js';
import { DEFAULT_VIDEO_OPTIONS, isVideoPath, type VideoCodec } from '../../src-common/video.js';
import { containerFor } from '../video/codecs.js';
import { intendedOutput } from '../jobs/naming.js';
import { outputName } from '../../src-common/naming.js';
import type { JobSettings } from '../../src-common/job-settings.js';
import { isSequencePattern, sequenceFolderPattern } from '../video/sequence.js';
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
      if (options.sequenceFolders || (await sequenceFolderPattern(path, false))) { videos.push({ input: path, relDir: '' }); continue; }
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

/**
 * Where a video input's output goes before the overwrite policy: named by the job's naming pattern as a queue item
 * is (a video file by its own name; a frame sequence by the stem its frames share, as a video without a container of
 * its own), so the CLI and the app name the same input alike.
 */
export function videoOutputPath(item: VideoInput, settings: JobSettings, codec: VideoCodec, time: number): string {
  const named: JobSettings = { ...settings, video: { ...(settings.video ?? DEFAULT_VIDEO_OPTIONS), codec } };
  if (isVideoPath(item.input)) return intendedOutput(item.input, item.relDir, named, time);
  const stem = videoOutputName(item.input, { sequence: true, container: '' });
  return join(settings.outputDir ?? dirname(item.input), item.relDir, outputName(`${stem}.${containerFor(codec, '')}`, named, time));
}
