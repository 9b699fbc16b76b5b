/**
 * Which `upscale` inputs are videos or frame sequences, where their outputs go, and how their probe reads in one
 * line. Stills keep going through jobs/expand; a missing FFmpeg fails only the video items.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { isVideoPath, type VideoCodec } from '../../src-common/video.js';
import { containerFor, isSequenceCodec } from '../video/codecs.js';
import { isSequencePattern } from '../video/sequence.js';
import { videoOutputName } from '../video/upscale-video.js';
import type { VideoInfo } from '../video/probe.js';

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
      if (options.sequenceFolders) { videos.push({ input: path, relDir: '' }); continue; }
      const entries = await readdir(path, { recursive: options.recursive ?? false, withFileTypes: true });
      const found = entries
        .filter((e) => e.isFile() && !e.name.startsWith('.') && isVideoPath(e.name))
        .map((e) => join(e.parentPath ?? path, e.name))
        .sort();
      for (const file of found) videos.push({ input: file, relDir: relative(path, dirname(file)) });
      stills.push(raw);
      continue;
    }
    if (info?.isFile() && isVideoPath(path)) videos.push({ input: path, relDir: '' });
    else stills.push(raw);
  }
  return { stills, videos };
}

/** The output file (or sequence folder) of a video input. */
export function videoOutputPath(item: VideoInput, outDir: string, codec: VideoCodec): string {
  const sequence = isSequenceCodec(codec);
  const inputExt = /\.[^./\\]+$/.exec(item.input)?.[0] ?? '';
  const isFileInput = isVideoPath(item.input);
  return join(outDir, item.relDir, videoOutputName(item.input, { sequence, container: containerFor(codec, isFileInput ? inputExt : '') }));
}

/** "h264 1920x1080 yuv420p10le (10-bit), 240 frames at 24000/1001 fps, bt709/bt709/bt709 tv, audio aac" */
export function describeVideo(info: VideoInfo): string {
  const c = info.colour;
  const colour = c.primaries || c.transfer || c.matrix ? `, colour ${c.primaries ?? '?'}/${c.transfer ?? '?'}/${c.matrix ?? '?'}${c.range ? ` ${c.range}` : ''}` : '';
  const others = info.others.map((s) => `${s.type} ${s.codec}`).join(', ');
  return `${info.codec} ${info.width}x${info.height} ${info.pixFmt} (${info.bitDepth}-bit${info.alpha ? ', alpha' : ''}), ` +
    `${info.frames} frames at ${info.frameRate} fps${info.variableRate ? ` (variable, average ${info.avgFrameRate})` : ''}` +
    `${info.rotation ? `, rotated ${info.rotation}°` : ''}${colour}${others ? `, ${others}` : ''}`;
}
