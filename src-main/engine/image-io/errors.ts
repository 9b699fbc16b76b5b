/** Why a file could not be read, for callers that react differently (skip, report, retry). */
export type ImageReadErrorKind =
  | 'not-found'
  | 'directory'
  | 'permission'
  | 'empty'
  | 'not-image'
  | 'unsupported-format'
  | 'too-large'
  | 'corrupt';

/** A per-file read failure with a message meant for the user; one bad file must never stop a batch. */
export class ImageReadError extends Error {
  override readonly name = 'ImageReadError';
  constructor(
    readonly path: string,
    readonly kind: ImageReadErrorKind,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** A failure to encode or store an output; no partial file is left behind when this is thrown. */
export class ImageWriteError extends Error {
  override readonly name = 'ImageWriteError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
