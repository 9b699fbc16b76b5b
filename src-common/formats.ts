/** Image formats Subpixel reads and writes, and the rules that map file names to them. No Node built-ins. */
import { extensionOf } from './file-name.js';

/** What outputs can be written as, in the order offered to users. */
export const OUTPUT_FORMATS = ['png', 'jpg', 'webp', 'tiff', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Formats Subpixel decodes. GIF is read (first frame) but never written. */
export type ImageFormat = OutputFormat | 'gif';

export const READABLE_FORMATS: readonly ImageFormat[] = ['jpg', 'png', 'webp', 'tiff', 'avif', 'gif'];
export const WRITABLE_FORMATS: readonly OutputFormat[] = OUTPUT_FORMATS;

const BY_EXTENSION: Record<string, ImageFormat> = {
  '.jpg': 'jpg',
  '.jpeg': 'jpg',
  '.jpe': 'jpg',
  '.jfif': 'jpg',
  '.png': 'png',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.avif': 'avif',
  '.gif': 'gif',
};

/** The format a file name claims by its extension (case-insensitive), or undefined when it names none we know. */
export function formatFromPath(path: string): ImageFormat | undefined {
  return BY_EXTENSION[extensionOf(path).toLowerCase()];
}

/** Our name for a format as sharp/libvips or a user spells it ('jpeg' → 'jpg', 'tif' → 'tiff'), or undefined. */
export function normalizeFormat(name: string): ImageFormat | undefined {
  const lower = name.toLowerCase();
  return BY_EXTENSION[lower.startsWith('.') ? lower : `.${lower}`];
}

/** File extension, without the dot, to give an output of this format ('jpeg' → 'jpg'). */
export function extensionFor(format: ImageFormat | 'jpeg' | 'tif'): string {
  const normalized = normalizeFormat(format);
  if (!normalized) throw new Error(`unknown image format '${format}'`);
  return normalized;
}

export function isWritableFormat(format: string): format is OutputFormat {
  return (WRITABLE_FORMATS as readonly string[]).includes(format);
}

/** The format an output gets: explicit, or the input's own when it can be written (gif → png). */
export function outputFormatFor(inputPath: string, format: OutputFormat | 'keep' | undefined): OutputFormat {
  if (format && format !== 'keep') return format;
  const source = formatFromPath(inputPath);
  return source && isWritableFormat(source) ? source : 'png';
}
