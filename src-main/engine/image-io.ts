// Image decoding and encoding through sharp, faithful to the source: pixels stay in the source's own colour encoding
// and bit depth, and ICC/EXIF/density travel from input to output.
export { assertReadableFile, readImage, readImageInfo, checkPixelLimit, DEFAULT_MAX_PIXELS } from './image-io/read.js';
export { writeImage, DEFAULT_QUALITY, JPEG_ALPHA_BACKGROUND, type WriteOptions, type WriteResult } from './image-io/write.js';
export { ImageReadError, ImageWriteError, type ImageReadErrorKind } from './image-io/errors.js';
export {
  formatFromPath,
  extensionFor,
  normalizeFormat,
  READABLE_FORMATS,
  WRITABLE_FORMATS,
  type ImageFormat,
  type OutputFormat,
} from '../../src-common/formats.js';
export type { DecodedImage, ImageInfo, ImageMeta, ReadOptions } from './image-io/types.js';
export { assertNotInput, OverwriteInputError } from '../common/atomic-write.js';
