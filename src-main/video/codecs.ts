/**
 * Output codecs for video work: container, encoder arguments and the pixel format written. The default is FFV1
 * in Matroska: lossless, so the upscaled frames are kept exactly (the source's own compression already cost what
 * it cost; a second lossy pass would add its own artefacts), open, and it keeps 10/12/16-bit and alpha. h264/h265
 * (with --crf) are for delivery, ProRes for editing, PNG/TIFF sequences for film pipelines.
 */
import { run, type FfmpegTools } from './ffmpeg.js';
import { VideoError } from './errors.js';
import { pixelFormatFacts, type PixelFormatFacts } from './pixel-format.js';

import { DEFAULT_CRF, containerFor, isSequenceCodec, type VideoCodec } from '../../src-common/video.js';

export { DEFAULT_VIDEO_CODEC, VIDEO_CODECS, containerFor, isSequenceCodec, type VideoCodec } from '../../src-common/video.js';

const ENCODERS: Record<VideoCodec, string> = {
  ffv1: 'ffv1', h264: 'libx264', h265: 'libx265', prores: 'prores_ks', 'png-sequence': 'png', 'tiff-sequence': 'tiff',
};

/** ffmpeg muxer name for a container extension. */
export const MUXERS: Record<string, string> = { mkv: 'matroska', mp4: 'mp4', mov: 'mov', png: 'image2', tif: 'image2' };


const supported = new Map<string, Promise<string[]>>();

/** Pixel formats an encoder accepts (`ffmpeg -h encoder=X`). */
export function encoderPixelFormats(tools: FfmpegTools, encoder: string): Promise<string[]> {
  const key = `${tools.ffmpeg}\0${encoder}`;
  let value = supported.get(key);
  if (!value) {
    value = run(tools.ffmpeg, ['-hide_banner', '-h', `encoder=${encoder}`]).then(({ stdout }) => {
      if (/is not recognized/.test(stdout)) return [];
      const line = /Supported pixel formats:\s*(.*)/.exec(stdout);
      return line ? line[1].trim().split(/\s+/) : [];
    });
    supported.set(key, value);
  }
  return value;
}

function roundDepth(depth: number): number {
  return depth <= 8 ? 8 : depth <= 10 ? 10 : depth <= 12 ? 12 : 16;
}

/** Pixel formats that keep what the source has (family, chroma, depth, alpha), best first. */
export function pixelFormatCandidates(sourcePixFmt: string, source: PixelFormatFacts): string[] {
  const out: string[] = [sourcePixFmt];
  const depths = [8, 10, 12, 16].filter((d) => d >= roundDepth(source.bitDepth));
  const suffix = (d: number): string => (d === 8 ? '' : `${d}le`);
  if (source.gray && !source.alpha) for (const d of depths) out.push(d === 8 ? 'gray' : `gray${d}le`, `gray${d}be`);
  if (source.family === 'yuv') {
    for (const chroma of [source.chroma, 444]) {
      for (const d of depths) out.push(`yuv${source.alpha ? 'a' : ''}${chroma}p${suffix(d)}`);
    }
  }
  for (const d of depths) {
    if (source.alpha) out.push(d === 8 ? 'gbrap' : `gbrap${d}le`, ...(d === 8 ? ['bgra', 'rgba'] : d === 16 ? ['rgba64le', 'rgba64be'] : []));
    else out.push(d === 8 ? 'gbrp' : `gbrp${d}le`, ...(d === 8 ? ['bgr0', 'rgb24'] : d === 16 ? ['rgb48le', 'rgb48be'] : []));
  }
  if (source.alpha) for (const d of depths) out.push(`yuva444p${suffix(d)}`);
  for (const d of depths) out.push(`yuv444p${suffix(d)}`);
  // Lower depth only as a last resort (e.g. 12-bit into an 8/10-bit-only encoder).
  out.push('yuv444p10le', 'yuv422p10le', 'yuv420p10le', 'gbrp', 'yuv420p');
  return out;
}

export interface EncodePlan {
  codec: VideoCodec;
  encoder: string;
  /** File extension of a video output or of each frame of a sequence. */
  container: string;
  pixFmt: string;
  /** Encoder arguments (after -c:v). */
  args: string[];
  sequence: boolean;
}

/** Chooses the encoder arguments and pixel format for a source. */
export async function planEncode(tools: FfmpegTools, options: { codec: VideoCodec; crf?: number; inputExt: string; sourcePixFmt: string; alpha: boolean }): Promise<EncodePlan> {
  const { codec } = options;
  const encoder = ENCODERS[codec];
  const formats = await encoderPixelFormats(tools, encoder);
  if (!formats.length) throw new VideoError('options', `this FFmpeg (${tools.version}) has no ${encoder} encoder for --video-codec ${codec}`);
  const facts = pixelFormatFacts(options.sourcePixFmt);
  let pixFmt: string | undefined;
  let args: string[];
  if (codec === 'prores') {
    pixFmt = facts.alpha ? 'yuva444p10le' : 'yuv422p10le';
    args = ['-profile:v', facts.alpha ? '4' : '3', '-vendor', 'apl0'];
  } else {
    pixFmt = pixelFormatCandidates(options.sourcePixFmt, facts).find((f) => formats.includes(f)) ?? formats[0];
    const crf = String(options.crf ?? DEFAULT_CRF);
    if (codec === 'ffv1') args = ['-level', '3', '-g', '1', '-slicecrc', '1'];
    else if (codec === 'h264') args = ['-crf', crf, '-preset', 'medium'];
    else if (codec === 'h265') args = ['-crf', crf, '-preset', 'medium', '-x265-params', 'log-level=error'];
    else if (codec === 'tiff-sequence') args = ['-compression_algo', 'deflate'];
    else args = [];
  }
  const container = containerFor(codec, options.inputExt);
  if (codec === 'h265' && (container === 'mp4' || container === 'mov')) args.push('-tag:v', 'hvc1');
  return { codec, encoder, container, pixFmt, args, sequence: isSequenceCodec(codec) };
}
