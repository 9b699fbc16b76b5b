/** Messages between tiff-thread.ts and its worker. */
import type { SerializedError } from '../../common/errors.js';
import type { ImageMeta } from './types.js';
import type { WriteResult } from './write.js';

export interface TiffRequest {
  id: number;
  path: string;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** Transferred: its buffer belongs to the encoder thread from here on. */
  data: Uint8Array | Uint16Array;
  /** Buffers arrive as plain Uint8Arrays. */
  meta?: ImageMeta;
  keepMetadata?: boolean;
}

export type TiffReply = { id: number; result: WriteResult; error?: undefined } | { id: number; error: SerializedError };
