/** Errors of video work, with a kind that survives the trip across the worker boundary. */
export type VideoErrorKind = 'corrupt' | 'unsupported-codec' | 'no-video' | 'gap' | 'sequence' | 'ffmpeg-failed' | 'options';

export class VideoError extends Error {
  readonly kind: VideoErrorKind;
  constructor(kind: VideoErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VideoError';
    this.kind = kind;
  }
}

/** The last meaningful lines of an ffmpeg stderr, for messages. */
export function stderrTail(stderr: string, lines = 2): string {
  return stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^(frame=|size=|video:|\[.* @ 0x[0-9a-f]+\] n:)/.test(l)).slice(-lines).join(' / ');
}
