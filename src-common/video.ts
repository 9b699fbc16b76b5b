/** Video and frame-sequence jobs: codec choices, the options a video job carries, and its progress. No Node built-ins. */
import * as z from 'zod';
import { extensionOf } from './file-name.js';

/** Output codecs; `ffv1` (lossless, in Matroska) is the default: the upscaled frames are kept exactly. */
export const VIDEO_CODECS = ['ffv1', 'h264', 'h265', 'prores', 'png-sequence', 'tiff-sequence'] as const;
export const VideoCodec = z.enum(VIDEO_CODECS);
export type VideoCodec = z.infer<typeof VideoCodec>;
export const DEFAULT_VIDEO_CODEC: VideoCodec = 'ffv1';
/** x264/x265 constant rate factor when none is given (visually near-lossless). */
export const DEFAULT_CRF = 18;

/** Container extensions taken as video (FFmpeg reads many more; these are the ones folder scans and watches pick up). */
export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'avi', 'webm', 'm4v', 'mxf', 'mpg', 'mpeg', 'ts', 'm2ts', 'wmv', 'flv', 'ogv'] as const;

export function isVideoPath(path: string): boolean {
  return (VIDEO_EXTENSIONS as readonly string[]).includes(extensionOf(path).slice(1).toLowerCase());
}

/** What a video job adds to the still-image job settings. */
export const VideoOptions = z.object({
  codec: VideoCodec,
  /** h264/h265 quality (0 best … 51). */
  crf: z.number().int().min(0).max(51),
  /** FFmpeg's deflicker filter before upscaling (old film). */
  deflicker: z.boolean(),
  /** Go on over missing frames of a numbered sequence (the output keeps the input's numbers). */
  allowGaps: z.boolean(),
});
export type VideoOptions = z.infer<typeof VideoOptions>;
export const DEFAULT_VIDEO_OPTIONS: VideoOptions = { codec: DEFAULT_VIDEO_CODEC, crf: DEFAULT_CRF, deflicker: false, allowGaps: false };

/** Progress of one video: frames through the pipeline and the rate over this run. */
export const VideoProgress = z.object({
  framesDone: z.number().int().nonnegative(),
  framesTotal: z.number().int().nonnegative(),
  fps: z.number().nonnegative(),
});
export type VideoProgress = z.infer<typeof VideoProgress>;
