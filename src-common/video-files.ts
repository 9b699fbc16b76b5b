/** Video files and codecs: which inputs are videos and what outputs are called. Zod-free (the renderer imports it as a value). */
import { baseName, extensionOf } from './file-name.js';

/** Output codecs; `ffv1` (lossless, in Matroska) is the default: the upscaled frames are kept exactly. */
export const VIDEO_CODECS = ['ffv1', 'h264', 'h265', 'prores', 'png-sequence', 'tiff-sequence'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];
export const DEFAULT_VIDEO_CODEC: VideoCodec = 'ffv1';
/** x264/x265 constant rate factor when none is given (visually near-lossless). */
export const DEFAULT_CRF = 18;

/** Container extensions taken as video (FFmpeg reads many more; these are the ones folder scans and watches pick up). */
export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'avi', 'webm', 'm4v', 'mxf', 'mpg', 'mpeg', 'ts', 'm2ts', 'wmv', 'flv', 'ogv'] as const;

export function isVideoPath(path: string): boolean {
  return (VIDEO_EXTENSIONS as readonly string[]).includes(extensionOf(path).slice(1).toLowerCase());
}

/** Whether a path is a printf frame pattern (`scan_%06d.dpx`): how a numbered frame sequence travels as one input. */
export function isSequencePattern(path: string): boolean {
  return /%0?\d*d/.test(baseName(path));
}

/** A video file or a frame-sequence pattern: one input decoded by FFmpeg, with frame progress and segment resume. */
export function isVideoInput(path: string): boolean {
  return isVideoPath(path) || isSequencePattern(path);
}

/**
 * What a video job uses when its settings say nothing (the shape is VideoOptions in video.ts). `sequenceFolders`
 * is off: an added or watched folder is a folder of stills, unless its numbered run is DPX or EXR (film scans are
 * always one sequence).
 */
export const DEFAULT_VIDEO_OPTIONS = { codec: DEFAULT_VIDEO_CODEC as VideoCodec, crf: DEFAULT_CRF, deflicker: false, allowGaps: false, sequenceFolders: false };

/** Frame-sequence extensions whose folders are always one sequence (film scans; no still viewer reads them). */
export const FILM_SCAN_EXTENSIONS = ['dpx', 'exr'] as const;

/** A DPX or EXR frame: only ever taken as part of its folder's sequence. */
export function isFilmScanPath(path: string): boolean {
  return (FILM_SCAN_EXTENSIONS as readonly string[]).includes(extensionOf(path).slice(1).toLowerCase());
}

/** How the app names each codec. */
export const VIDEO_CODEC_LABELS: Record<VideoCodec, string> = {
  ffv1: 'FFV1, lossless (MKV)', h264: 'H.264', h265: 'H.265 / HEVC', prores: 'ProRes 422 HQ / 4444 (MOV)',
  'png-sequence': 'PNG frames', 'tiff-sequence': 'TIFF frames',
};

/** Containers each codec may go in, preferred first. */
const CONTAINERS: Record<VideoCodec, readonly string[]> = {
  ffv1: ['mkv'],
  h264: ['mkv', 'mp4', 'mov'],
  h265: ['mkv', 'mp4', 'mov'],
  prores: ['mov'],
  'png-sequence': ['png'],
  'tiff-sequence': ['tif'],
};

export function isSequenceCodec(codec: VideoCodec): boolean {
  return codec === 'png-sequence' || codec === 'tiff-sequence';
}

/**
 * Extension of a video output (or of each frame of a sequence output): the input's own container when the codec
 * fits in it (h264/h265 in mp4, mov, mkv), else the codec's own (FFV1 always in Matroska).
 */
export function containerFor(codec: VideoCodec, inputExt: string): string {
  const ext = inputExt.toLowerCase().replace(/^\./, '');
  const normal = ext === 'm4v' ? 'mp4' : ext;
  const containers = CONTAINERS[codec];
  return containers.includes(normal) && codec !== 'ffv1' ? normal : containers[0];
}
