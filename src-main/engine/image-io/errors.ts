import { CodedError, type ErrorCode } from '../../common/errors.js';

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

const READ_ERROR_CODES: Record<ImageReadErrorKind, ErrorCode> = {
  'not-found': 'not_found',
  'directory': 'invalid_input',
  'permission': 'permission',
  'empty': 'invalid_input',
  'not-image': 'invalid_input',
  'unsupported-format': 'unsupported',
  'too-large': 'invalid_input',
  'corrupt': 'invalid_input',
};

/** A per-file read failure with a message meant for the user; one bad file must never stop a batch. */
export class ImageReadError extends CodedError {
  override readonly name = 'ImageReadError';
  constructor(
    readonly path: string,
    readonly kind: ImageReadErrorKind,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(READ_ERROR_CODES[kind], `${path}: ${reason}`, { ...options, detail: kind });
  }
}

/** A failure to encode or store an output; no partial file is left behind when this is thrown. */
export class ImageWriteError extends CodedError {
  override readonly name = 'ImageWriteError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    // A refused or missing output folder says so; anything else (bad options, a full disk) is internal.
    const errno = (options?.cause as NodeJS.ErrnoException | undefined)?.code;
    super(errno === 'EACCES' || errno === 'EPERM' ? 'permission' : errno === 'ENOENT' ? 'not_found' : 'internal', `${path}: ${reason}`, options);
  }
}

export function errorMessage(error: unknown): string {
  // libvips ends some messages with a dangling "header: " and a newline: show the words, not the punctuation.
  return (error instanceof Error ? error.message : String(error)).trim().replace(/[\s:]+$/, '');
}
