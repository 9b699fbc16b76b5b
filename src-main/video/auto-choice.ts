/**
 * Automatic model choice for a video or frame sequence: the image rule (auto-model.ts) applied to a few frames spread
 * over the footage, so that grain or compression noise picks the robust model and a clean render the clean one. One
 * choice per video, the same in every process (a segment job on a worker chooses what the whole video's job chose),
 * since it depends only on the input.
 */
import { analyzeInput, chooseModel, type AutoChoice, type InputAnalysis } from '../engine/auto-model.js';
import { readImage } from '../engine/image-io.js';
import type { Scale } from '../engine/models/spec.js';
import { estimateNoiseSigma } from '../engine/noise-level.js';
import type { FfmpegTools } from './ffmpeg.js';
import { spawnFfmpeg } from './process.js';
import { framePaths } from './sequence.js';
import type { VideoSource } from './source.js';

/** Where frames are sampled, as fractions of the footage: leaders, titles and fades rarely cover all three. */
const SAMPLE_AT = [0.1, 0.5, 0.9];

/** One decoded frame as 8-bit RGB, found by a keyframe seek near `seconds` (fast on long videos; exactness is not needed). */
async function frameNear(tools: FfmpegTools, path: string, seconds: number, width: number, height: number): Promise<Uint8Array> {
  const proc = spawnFfmpeg(tools.ffmpeg, [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-ss', seconds.toFixed(3), '-i', path, '-map', '0:v:0',
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ], 'reading a frame to choose the model');
  const chunks: Buffer[] = [];
  proc.child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await proc.done;
  const frame = Buffer.concat(chunks);
  if (frame.length !== width * height * 3) throw new Error(`a sampled frame has ${frame.length} bytes, not ${width}x${height} RGB`);
  return frame;
}

/**
 * The analysis of a few sampled frames: the median luma noise, and for sequences of JPEG files the lowest JPEG
 * quality among the samples. Frames that cannot be read are left out; none readable is an error.
 */
export async function analyzeVideo(tools: FfmpegTools, source: VideoSource): Promise<InputAnalysis> {
  const analyses: InputAnalysis[] = [];
  if (source.kind === 'sequence') {
    const files = framePaths(source.sequence!);
    const picked = [...new Set(SAMPLE_AT.map((f) => files[Math.min(files.length - 1, Math.floor(f * files.length))]))];
    for (const file of picked) {
      // Formats sharp cannot read (DPX, EXR) are decoded by FFmpeg like a one-frame video.
      const raster = await readImage(file).then((d) => d.raster, async () => {
        const { width, height } = source.info;
        return { data: await frameNear(tools, file, 0, width, height), width, height, channels: 3 as const, bitDepth: 8 as const };
      }).catch(() => undefined);
      if (raster) analyses.push(await analyzeInput(file, raster));
    }
  } else {
    const { width, height, durationSeconds } = source.info;
    const duration = durationSeconds ?? 0;
    for (const at of duration > 0 ? SAMPLE_AT.map((f) => f * duration) : [0]) {
      const data = await frameNear(tools, source.path, at, width, height).catch(() => undefined);
      if (data) analyses.push({ noiseSigma: estimateNoiseSigma({ data, width, height, channels: 3, bitDepth: 8 }) });
    }
  }
  if (!analyses.length) throw new Error('no frame could be read to choose the model (give one with -m)');
  const noise = analyses.map((a) => a.noiseSigma).sort((a, b) => a - b);
  const qualities = analyses.flatMap((a) => (a.jpegQuality === undefined ? [] : [a.jpegQuality]));
  return { noiseSigma: noise[Math.floor(noise.length / 2)], ...(qualities.length ? { jpegQuality: Math.min(...qualities) } : {}) };
}

/** The model Automatic picks for a video or sequence, with its reason. */
export async function chooseVideoModel(tools: FfmpegTools, source: VideoSource, scale: Scale, searchPaths?: string[]): Promise<AutoChoice> {
  return chooseModel(await analyzeVideo(tools, source), scale, searchPaths);
}
