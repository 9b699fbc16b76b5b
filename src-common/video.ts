/** Video jobs: the options a video job carries and its progress (schemas; the plain rules are in video-files.ts). */
import * as z from 'zod';
import { DEFAULT_VIDEO_OPTIONS, VIDEO_CODECS } from './video-files.js';

export * from './video-files.js';

export const VideoCodec = z.enum(VIDEO_CODECS);
export type VideoCodec = z.infer<typeof VideoCodec>;

/** What a video job adds to the still-image job settings. */
export const VideoOptions = z.object({
  codec: VideoCodec,
  /** h264/h265 quality (0 best … 51). */
  crf: z.number().int().min(0).max(51),
  /** FFmpeg's deflicker filter before upscaling (old film). */
  deflicker: z.boolean(),
  /** Go on over missing frames of a numbered sequence (the output keeps the input's numbers). */
  allowGaps: z.boolean(),
  /**
   * Added and watched folders whose files form one numbered run (scan_0001.png …) are each one frame sequence, not
   * a folder of stills. DPX/EXR runs are sequences either way. Absent on items stored before it existed: off.
   */
  sequenceFolders: z.boolean().default(DEFAULT_VIDEO_OPTIONS.sequenceFolders),
});
export type VideoOptions = z.infer<typeof VideoOptions>;

/** Progress of one video: frames through the pipeline and the rate over this run. */
export const VideoProgress = z.object({
  framesDone: z.number().int().nonnegative(),
  framesTotal: z.number().int().nonnegative(),
  fps: z.number().nonnegative(),
});
export type VideoProgress = z.infer<typeof VideoProgress>;

