import { ImageReadError } from './image-io/errors.js';

/**
 * Largest output upscaleFile (upscale.ts) makes by default: a gigapixel, 3-4 GB as 8-bit RGB(A) where it is held whole
 * while sharp encodes it (JPEG, WebP, AVIF; large PNG and TIFF outputs stream in row bands). Callers raise it on request
 * (upscale --max-output-megapixels).
 */
export const DEFAULT_MAX_OUTPUT_PIXELS = 1_000_000_000;

/** Marks the message of an output over the limit (callers add how to raise it). */
export const OUTPUT_LIMIT_TEXT = 'over the output limit';

export function checkOutputLimit(input: string, width: number, height: number, maxPixels = DEFAULT_MAX_OUTPUT_PIXELS): void {
  const pixels = width * height;
  if (pixels <= maxPixels) return;
  const gp = (n: number): string => `${Number((n / 1e9).toPrecision(3))} gigapixels`;
  throw new ImageReadError(input, 'too-large', `output would be ${width}x${height} (${gp(pixels)}), ${OUTPUT_LIMIT_TEXT} of ${gp(maxPixels)}`);
}

