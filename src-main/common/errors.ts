/**
 * Errors that keep their kind across thread and process boundaries. A worker sends `serializeError(error)`
 * ({ code, message }, structured-clone safe); the other side rebuilds it with `deserializeError` and branches on
 * `errorCodeOf`, never on message text. The API maps these codes to its own in one place (api/dispatcher.ts).
 */

export const ERROR_CODES = [
  /** Stopped through an AbortSignal. */
  'canceled',
  /** A file, folder, model or job that does not exist. */
  'not_found',
  /** Input that exists but cannot be used (not an image, corrupt, too large, a bad checkpoint or data folder). */
  'invalid_input',
  /** A format or feature this build or machine does not support. */
  'unsupported',
  /** The target exists already, or is in a state that forbids the change. */
  'conflict',
  /** The operating system refused access. */
  'permission',
  /** Anything else: a bug or an environment problem; the message says what. */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What crosses a boundary in place of an Error object. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  /** A finer, domain-specific kind where the error has one (a VideoError's 'gap', an ImageReadError's 'corrupt'). */
  detail?: string;
}

/** An error that says what kind it is; domain errors (image, model, checkpoint, data) extend it. */
export class CodedError extends Error {
  readonly detail?: string;
  constructor(readonly errorCode: ErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(message, options);
    this.name = 'CodedError';
    if (options?.detail !== undefined) this.detail = options.detail;
  }
}

/** The one error for work stopped through an AbortSignal (`name` is 'AbortError', as the platform's own). */
export class AbortError extends CodedError {
  constructor(message = 'canceled', options?: { cause?: unknown }) {
    super('canceled', message, options);
    this.name = 'AbortError';
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Throws AbortError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, message?: string): void {
  if (signal?.aborted) throw new AbortError(message);
}

const ERRNO_CODES: Record<string, ErrorCode> = {
  ENOENT: 'not_found',
  ENOTDIR: 'not_found',
  EEXIST: 'conflict',
  ENOTEMPTY: 'conflict',
  EACCES: 'permission',
  EPERM: 'permission',
};

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The kind of any thrown value: its own code, an AbortError, a Node errno, or 'internal'. */
export function errorCodeOf(error: unknown): ErrorCode {
  if (error instanceof Error) {
    const own = (error as { errorCode?: unknown }).errorCode;
    if (isErrorCode(own)) return own;
    if (error.name === 'AbortError') return 'canceled';
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno && ERRNO_CODES[errno]) return ERRNO_CODES[errno];
  }
  return 'internal';
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function serializeError(error: unknown): SerializedError {
  const detail = error instanceof CodedError ? error.detail : undefined;
  return { code: errorCodeOf(error), message: errorMessageOf(error), ...(detail === undefined ? {} : { detail }) };
}

/** The error a SerializedError stands for: an AbortError when canceled, else a CodedError of the same kind. */
export function deserializeError(error: SerializedError): CodedError {
  if (error.code === 'canceled') return new AbortError(error.message);
  return new CodedError(error.code, error.message, error.detail === undefined ? {} : { detail: error.detail });
}
