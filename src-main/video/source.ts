/**
 * A video input: a video file, or a numbered frame sequence (pattern or folder), described the same way
 * (VideoInfo) and decoded by the same ffmpeg command; only the input arguments differ.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findFfmpeg, type FfmpegTools } from './ffmpeg.js';
import { VideoError } from './errors.js';
import { describeVideo, probeVideo, type VideoInfo } from './probe.js';
import { describeGaps, framePaths, isSequencePattern, sequenceFromPattern, sequenceInFolder, type FrameSequence } from './sequence.js';


export interface VideoSource {
  kind: 'video' | 'sequence';
  /** The file, the pattern, or the folder as given (absolute). */
  path: string;
  info: VideoInfo;
  sequence?: FrameSequence;
  /** Identity of the input for resuming: changes when the input changes. */
  fingerprint: string;
  /** ffmpeg input arguments; `workDir` may receive a list file. */
  inputArgs(workDir: string): Promise<string[]>;
}

export interface SourceOptions {
  allowGaps?: boolean;
  /** Rate given to frame sequences ("24", "24000/1001"); default 24. */
  sequenceRate?: string;
}

function rateFraction(rate: string): [number, number] {
  const [n, d] = rate.split('/').map(Number);
  if (!Number.isFinite(n) || n <= 0 || (d !== undefined && (!Number.isFinite(d) || d <= 0))) throw new VideoError('options', `not a frame rate: ${rate}`);
  if (d !== undefined) return [n, d];
  // Decimal rates such as 23.976 become exact fractions of 1000.
  return Number.isInteger(n) ? [n, 1] : [Math.round(n * 1000), 1000];
}

export async function openSource(tools: FfmpegTools, input: string, options: SourceOptions = {}): Promise<VideoSource> {
  const path = resolve(input);
  let sequence: FrameSequence | undefined;
  if (isSequencePattern(path)) sequence = await sequenceFromPattern(path);
  else if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    sequence = await sequenceInFolder(path);
    if (!sequence) throw new VideoError('sequence', 'folder has no numbered frame sequence (at least two frames like scan_0001.png)');
  }
  if (!sequence) {
    const info = await probeVideo(tools, path);
    if (info.frames < 1) throw new VideoError('corrupt', 'video stream has no frames (truncated or corrupt)');
    const s = await stat(path);
    return {
      kind: 'video', path, info,
      fingerprint: JSON.stringify({ size: s.size, mtimeMs: Math.round(s.mtimeMs), frames: info.frames }),
      inputArgs: async () => ['-i', path],
    };
  }
  if (sequence.gaps.length && !options.allowGaps) {
    throw new VideoError('gap', `${describeGaps(sequence)}: restore them or pass --allow-gaps (outputs keep the input's numbers)`);
  }
  const files = framePaths(sequence);
  let first: VideoInfo;
  try {
    first = await probeVideo(tools, files[0]);
  } catch (error) {
    throw new VideoError('corrupt', `first frame ${files[0]}: ${(error as Error).message}`, { cause: error });
  }
  const [num, den] = rateFraction(options.sequenceRate ?? '24');
  const stats = await Promise.all([files[0], files[files.length - 1]].map((f) => stat(f)));
  const seq = sequence;
  const info: VideoInfo = {
    ...first,
    path,
    container: 'image sequence',
    frames: files.length,
    frameRate: `${num}/${den}`,
    avgFrameRate: `${num}/${den}`,
    timeBase: `${den}/${num}`,
    variableRate: false,
    durationSeconds: (files.length * den) / num,
    others: [],
  };
  return {
    kind: 'sequence', path, info, sequence,
    fingerprint: JSON.stringify({ numbers: [seq.numbers[0], seq.numbers.length, seq.numbers[seq.numbers.length - 1]], first: stats[0].mtimeMs, last: stats[1].mtimeMs, rate: info.frameRate }),
    async inputArgs(workDir) {
      // The concat demuxer takes any list of files, so gaps and odd start numbers need no renaming.
      const list = join(workDir, 'frames.ffconcat');
      const quote = (p: string): string => `'${p.replace(/'/g, `'\\''`)}'`;
      await writeFile(list, `ffconcat version 1.0\n${files.map((f) => `file ${quote(f)}\n`).join('')}`);
      return ['-f', 'concat', '-safe', '0', '-i', list];
    },
  };
}

/**
 * Pixels of all frames and the one-line description of a video file or frame pattern, for a queue row; null when it
 * cannot be read (the run then fails with the reason). Gaps are allowed here: the run decides about them.
 */
export async function probeSourceSummary(path: string): Promise<{ pixels: number; description: string } | null> {
  try {
    const { info } = await openSource(await findFfmpeg(), path, { allowGaps: true });
    return { pixels: info.width * info.height * Math.max(1, info.frames), description: describeVideo(info) };
  } catch {
    return null;
  }
}
