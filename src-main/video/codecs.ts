/**
 * Output codecs for video work: container, encoder arguments and the pixel format written. The default is FFV1
 * in Matroska: lossless, so the upscaled frames are kept exactly (the source's own compression already cost what
 * it cost; a second lossy pass would add its own artefacts), open, and it keeps 10/12/16-bit and alpha. h264/h265
 * (with --crf) are for delivery, ProRes for editing, PNG/TIFF sequences for film pipelines.
 */
import { run, type FfmpegTools } from './ffmpeg.js';
import { VideoError } from './errors.js';
import { pixelFormatFacts, type PixelFormatFacts } from './pixel-format.js';

import { DEFAULT_CRF, type VideoCodec } from '../../src-common/video.js';

export { DEFAULT_VIDEO_CODEC, VIDEO_CODECS, type VideoCodec } from '../../src-common/video.js';

export function isSequenceCodec(codec: VideoCodec): boolean {
  return codec === 'png-sequence' || codec === 'tiff-sequence';
}

interface CodecSpec {
  encoder: string;
  /** Containers it may go in, preferred first; the input's container is used when listed. */
  containers: readonly string[];
}

const SPECS: Record<VideoCodec, CodecSpec> = {
  ffv1: { encoder: 'ffv1', containers: ['mkv'] },
  h264: { encoder: 'libx264', containers: ['mkv', 'mp4', 'mov'] },
  h265: { encoder: 'libx265', containers: ['mkv', 'mp4', 'mov'] },
  prores: { encoder: 'prores_ks', containers: ['mov'] },
  'png-sequence': { encoder: 'png', containers: ['png'] },
  'tiff-sequence': { encoder: 'tiff', containers: ['tif'] },
};

/** ffmpeg muxer name for a container extension. */
export const MUXERS: Record<string, string> = { mkv: 'matroska', mp4: 'mp4', mov: 'mov', png: 'image2', tif: 'image2' };

/** Container (file extension) of the output: the input's own when the codec fits in it, else the codec's first. */
export function containerFor(codec: VideoCodec, inputExt: string): string {
  const ext = inputExt.toLowerCase().replace(/^\./, '');
  const normal = ext === 'm4v' ? 'mp4' : ext;
  const { containers } = SPECS[codec];
  return containers.includes(normal) && codec !== 'ffv1' ? normal : containers[0];
}

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
  const spec = SPECS[codec];
  const formats = await encoderPixelFormats(tools, spec.encoder);
  if (!formats.length) throw new VideoError('options', `this FFmpeg (${tools.version}) has no ${spec.encoder} encoder for --video-codec ${codec}`);
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
  return { codec, encoder: spec.encoder, container, pixFmt, args, sequence: isSequenceCodec(codec) };
}
