import { CodedError, type ErrorCode } from '../common/errors.js';

/** Errors of video work, with a kind that survives the trip across the worker boundary. */
export type VideoErrorKind = 'corrupt' | 'unsupported-codec' | 'no-video' | 'gap' | 'sequence' | 'ffmpeg-failed' | 'options';

const VIDEO_ERROR_CODES: Record<VideoErrorKind, ErrorCode> = {
  'corrupt': 'invalid_input',
  'unsupported-codec': 'unsupported',
  'no-video': 'invalid_input',
  'gap': 'invalid_input',
  'sequence': 'invalid_input',
  'ffmpeg-failed': 'internal',
  'options': 'invalid_input',
};

/** The kind crosses a worker boundary as the error's `detail`, its general kind as its code. */
export class VideoError extends CodedError {
  readonly kind: VideoErrorKind;
  constructor(kind: VideoErrorKind, message: string, options?: ErrorOptions) {
    super(VIDEO_ERROR_CODES[kind], message, { ...options, detail: kind });
    this.name = 'VideoError';
    this.kind = kind;
  }
}

/** The last meaningful lines of an ffmpeg stderr, for messages. */
export function stderrTail(stderr: string, lines = 2): string {
  return stderr.split('\n').map((l) => l.trim())
    .filter((l) => l && !/^(frame=|size=|video:|\[.* @ 0x[0-9a-f]+\] n:)/.test(l) && !/\[(info|verbose|debug)\]/.test(l))
    .slice(-lines).join(' / ');
}
