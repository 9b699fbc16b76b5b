/**
 * What ffprobe says about a video: the picture stream (size, frames, rate, time base, pixel format and depth,
 * colour tags, rotation) and the other streams (audio, subtitles, data) that are copied through untouched.
 */
import { z } from 'zod';
import { codecsOf, findFfmpeg, run, type FfmpegTools } from './ffmpeg.js';
import { VideoError, stderrTail } from './errors.js';
import { pixelFormatFacts } from './pixel-format.js';

const streamSchema = z.object({
  index: z.number(),
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  codec_tag_string: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  pix_fmt: z.string().optional(),
  color_range: z.string().optional(),
  color_space: z.string().optional(),
  color_transfer: z.string().optional(),
  color_primaries: z.string().optional(),
  r_frame_rate: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  time_base: z.string().optional(),
  nb_frames: z.string().optional(),
  nb_read_packets: z.string().optional(),
  nb_read_frames: z.string().optional(),
  duration: z.string().optional(),
  bits_per_raw_sample: z.string().optional(),
  disposition: z.object({ attached_pic: z.number().optional() }).partial().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.object({ rotation: z.number().optional() }).loose()).optional(),
}).loose();

const probeSchema = z.object({
  streams: z.array(streamSchema).default([]),
  format: z.object({ format_name: z.string().optional(), duration: z.string().optional() }).loose().optional(),
});

export interface ColourTags {
  primaries: string | null;
  transfer: string | null;
  matrix: string | null;
  range: 'tv' | 'pc' | null;
}

export interface OtherStream { index: number; type: 'audio' | 'subtitle' | 'data' | 'attachment'; codec: string }

export interface VideoInfo {
  path: string;
  container: string;
  /** Index of the picture stream in the file. */
  streamIndex: number;
  codec: string;
  /** Upright size (after rotation), as frames come out of the decoder. */
  width: number;
  height: number;
  pixFmt: string;
  bitDepth: number;
  alpha: boolean;
  gray: boolean;
  /** Frames in the stream (packet count). */
  frames: number;
  /** Nominal rate as a fraction string (r_frame_rate), and the average. */
  frameRate: string;
  avgFrameRate: string;
  /** Frame timestamps are in units of this ("1/12288"). */
  timeBase: string;
  /** Whether the average rate differs from the nominal one (a variable-frame-rate stream). */
  variableRate: boolean;
  durationSeconds: number | null;
  colour: ColourTags;
  /** Clockwise display rotation in degrees (0, 90, 180, 270); frames are decoded upright. */
  rotation: number;
  others: OtherStream[];
}

function tag(value: string | undefined): string | null {
  return value && value !== 'unknown' && value !== 'reserved' ? value : null;
}

export function parseFraction(text: string | undefined): number {
  if (!text) return Number.NaN;
  const [n, d] = text.split('/').map(Number);
  return d === undefined ? n : d === 0 ? Number.NaN : n / d;
}

function rotationOf(stream: z.infer<typeof streamSchema>): number {
  const fromSide = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation;
  const raw = fromSide !== undefined ? -fromSide : Number(stream.tags?.rotate ?? 0);
  const r = ((Math.round(raw / 90) * 90) % 360 + 360) % 360;
  return Number.isFinite(r) ? r : 0;
}

/** Probes a video file; counts packets so `frames` is exact. Errors are VideoErrors with a clear reason. */
export async function probeVideo(tools: FfmpegTools, path: string): Promise<VideoInfo> {
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(tools.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '-count_packets', path]));
  } catch (error) {
    const detail = stderrTail((error as { stderr?: string }).stderr ?? '') || (error as Error).message;
    throw new VideoError('corrupt', `not a readable video (truncated or corrupt): ${detail}`, { cause: error });
  }
  // Counting packets reads the whole file: a file cut short says so here even when its header is intact.
  const cut = /ended prematurely|truncat|moov atom not found/i.exec(stderr);
  if (cut) throw new VideoError('corrupt', `truncated or corrupt: ${stderrTail(stderr)}`);
  const parsed = probeSchema.parse(JSON.parse(stdout));
  const video = parsed.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) throw new VideoError('no-video', 'has no video stream');
  const codec = video.codec_name ?? `unknown (${video.codec_tag_string ?? '?'})`;
  const { decoders } = await codecsOf(tools);
  if (!video.codec_name || video.codec_name === 'none' || !decoders.has(video.codec_name)) {
    throw new VideoError('unsupported-codec', `video codec ${codec} cannot be decoded by this FFmpeg (${tools.version})`);
  }
  if (!video.width || !video.height || !video.pix_fmt) {
    throw new VideoError('corrupt', `video stream ${video.index} (${codec}) has no picture size or pixel format: truncated or corrupt`);
  }
  const facts = pixelFormatFacts(video.pix_fmt);
  const rawBits = Number(video.bits_per_raw_sample);
  const rotation = rotationOf(video);
  const swap = rotation === 90 || rotation === 270;
  const frames = Number(video.nb_read_packets ?? video.nb_frames ?? 0);
  const frameRate = video.r_frame_rate ?? '0/0';
  const avgFrameRate = video.avg_frame_rate ?? frameRate;
  const nominal = parseFraction(frameRate);
  const average = parseFraction(avgFrameRate);
  const others: OtherStream[] = [];
  for (const s of parsed.streams) {
    if (s === video) continue;
    const type = s.codec_type === 'video' ? undefined : s.codec_type;
    if (type === 'audio' || type === 'subtitle' || type === 'data' || type === 'attachment') {
      others.push({ index: s.index, type, codec: s.codec_name ?? s.codec_tag_string ?? 'unknown' });
    }
  }
  const duration = Number(video.duration ?? parsed.format?.duration);

  const range = tag(video.color_range);
  return {
    path,
    container: parsed.format?.format_name ?? 'unknown',
    streamIndex: video.index,
    codec,
    width: swap ? video.height : video.width,
    height: swap ? video.width : video.height,
    pixFmt: video.pix_fmt,
    bitDepth: Number.isFinite(rawBits) && rawBits > facts.bitDepth ? rawBits : facts.bitDepth,
    alpha: facts.alpha,
    gray: facts.gray,
    frames,
    frameRate,
    avgFrameRate,
    timeBase: video.time_base ?? '1/1000',
    variableRate: Number.isFinite(nominal) && Number.isFinite(average) && Math.abs(nominal - average) > 1e-3 * nominal,
    durationSeconds: Number.isFinite(duration) ? duration : null,
    colour: {
      primaries: tag(video.color_primaries),
      transfer: tag(video.color_transfer),
      matrix: tag(video.color_space),
      range: range === 'tv' || range === 'pc' ? range : null,
    },
    rotation,
    others,
  };
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
