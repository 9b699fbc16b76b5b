import type { Raster } from '../raster.js';
import type { ImageFormat } from '../../../src-common/formats.js';

/** What of the source we carry to the output so the upscale stays faithful to it. */
export interface ImageMeta {
  /** Format the source was decoded from. */
  format: ImageFormat;
  /** Sample depth of the source pixels as decoded (16 only for 16-bit PNG/TIFF). */
  bitDepth: 8 | 16;
  /** The source's EXIF orientation (1–8, 1 when absent); decoded pixels are already upright. */
  orientation: number;
  /** Pixels per inch, when the source states it. */
  density?: number;
  /** Embedded ICC profile; decoded pixels are still encoded in it (no colour conversion on read). */
  icc?: Buffer;
  /** Raw EXIF block as sharp reports it (with the "Exif\0\0" prefix). */
  exif?: Buffer;
  /** The XMP packet (UTF-8 XML) as sharp reports it. */
  xmp?: Buffer;
}

export interface DecodedImage {
  raster: Raster;
  format: ImageFormat;
  meta: ImageMeta;
}

/** Header facts about a file, read without decoding pixels. */
export interface ImageInfo {
  /** Upright size, after EXIF orientation. */
  width: number;
  height: number;
  /** Channels readImage will return: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  format: ImageFormat;
  hasAlpha: boolean;
  orientation: number;
  density?: number;
  hasIcc: boolean;
  hasExif: boolean;
  /** Frames or pages in the file; only the first is decoded. */
  pages: number;
}

export interface ReadOptions {
  /** Refuse images with more pixels than this (width x height), checked from the header. Infinity disables. */
  maxPixels?: number;
}
