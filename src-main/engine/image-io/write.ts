import sharp, { type Sharp } from 'sharp';
import type { Raster } from '../raster.js';
import { assertNotInput, writeFileAtomic } from '../../common/atomic-write.js';
import { ImageWriteError, errorMessage } from './errors.js';
import { isWritableFormat, normalizeFormat, WRITABLE_FORMATS, type OutputFormat } from '../../../src-common/formats.js';
import { metadataCarrierPng } from './metadata-carrier.js';
import { metadataToCarry } from './carried-metadata.js';
import type { ImageMeta } from './types.js';
import { writeTiff } from './tiff.js';
import { writeTiffHandedOver } from './tiff-thread.js';

export interface WriteOptions {
  format: OutputFormat | 'jpeg';
  /** 1–100 for jpg, webp and avif; ignored by lossless png/tiff. */
  quality?: number;
  /** zlib level 0–9 for png. */
  compression?: number;
  /** Source metadata to carry over: ICC profile, EXIF (orientation reset to 1), density. */
  meta?: ImageMeta;
  /** Carry `meta` into the output (default true). */
  keepMetadata?: boolean;
  /** Files the output must never replace (the job's inputs); an attempt throws OverwriteInputError. */
  inputPaths?: Iterable<string>;
  /**
   * The caller is done with the raster: a TIFF is then encoded on a thread of its own, which takes the raster's memory
   * (its buffer is detached). Other formats ignore it (libvips encodes on its own threads).
   */
  handOver?: boolean;
}

export interface WriteResult {
  path: string;
  format: OutputFormat;
  bitDepth: 8 | 16;
  /** Metadata that could not be carried over, in words. */
  warnings: string[];
}

export const DEFAULT_QUALITY: Record<'jpg' | 'webp' | 'avif', number> = { jpg: 92, webp: 90, avif: 70 };
/**
 * zlib level of PNG outputs, with rows filtered (libpng's adaptive choice; the streamed writer's Paeth). Measured on
 * 4x photo upscales: filtered level 2 writes files less than half the size of the unfiltered level 6 used before, in
 * the same time; level 6 over filtered rows saves another 10 % for two to three times the time.
 */
export const DEFAULT_PNG_COMPRESSION = 2;
/**
 * JPEG has no alpha: transparent areas are composited over white, as a viewer would show them on a page (dropping
 * alpha instead would expose whatever colour hides under transparent pixels). For 16-bit rasters sharp scales the
 * background by 256, so white comes out as 254.
 */
export const JPEG_ALPHA_BACKGROUND = '#ffffff';

function validate(path: string, raster: Raster, options: WriteOptions): void {
  const { width, height, channels, bitDepth, data } = raster;
  const expected = width * height * channels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageWriteError(path, `invalid raster size ${width}x${height}`);
  }
  if (data.length !== expected) {
    throw new ImageWriteError(path, `raster holds ${data.length} samples, expected ${width}x${height}x${channels} = ${expected}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new ImageWriteError(path, `unsupported channel count ${channels}`);
  if ((bitDepth === 16) !== (data instanceof Uint16Array)) {
    throw new ImageWriteError(path, `raster bitDepth ${bitDepth} does not match its ${data.constructor.name}`);
  }
  const { quality, compression } = options;
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw new ImageWriteError(path, `quality must be an integer from 1 to 100, got ${quality}`);
  }
  if (compression !== undefined && !(Number.isInteger(compression) && compression >= 0 && compression <= 9)) {
    throw new ImageWriteError(path, `compression must be an integer from 0 to 9, got ${compression}`);
  }
}

/**
 * Huffman optimisation makes libjpeg keep every coefficient of the image until the end (about 15 bytes a pixel:
 * 2.2 GB for a 16000x12000 output) instead of streaming; above this size the ~5 % smaller file is not worth it.
 */
const JPEG_OPTIMISE_MAX_PIXELS = 24_000_000;

/** The formats sharp encodes (TIFF has a writer of its own, tiff.ts). */
type SharpFormat = Exclude<OutputFormat, 'tiff'>;

function encoder(pipeline: Sharp, format: SharpFormat, options: WriteOptions, pixels: number): Sharp {
  switch (format) {
    case 'png':
      return pipeline.png({ compressionLevel: options.compression ?? DEFAULT_PNG_COMPRESSION, adaptiveFiltering: true, palette: false });
    case 'jpg': {
      const quality = options.quality ?? DEFAULT_QUALITY.jpg;
      // Chroma subsampling would blur the colour detail the upscale just produced; only spend on it at high quality.
      return pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0', optimiseCoding: pixels <= JPEG_OPTIMISE_MAX_PIXELS });
    }
    case 'webp':
      return pipeline.webp({ quality: options.quality ?? DEFAULT_QUALITY.webp, alphaQuality: 100 });
    case 'avif':
      return pipeline.avif({ quality: options.quality ?? DEFAULT_QUALITY.avif });
  }
}

/** Attaches ICC/EXIF/XMP/density from `meta`; returns what it had to leave out. */
function attachMetadata(pipeline: Sharp, meta: ImageMeta, bands: 1 | 2 | 3 | 4): string[] {
  const { icc, exif, xmp, density, warnings } = metadataToCarry(meta, bands);
  if (icc || exif) {
    pipeline.boolean(metadataCarrierPng(bands, icc, exif), 'or');
    if (icc) pipeline.keepIccProfile();
    if (exif) pipeline.keepExif();
  }
  if (xmp) pipeline.withXmp(xmp.toString('utf8'));
  if (density !== undefined) pipeline.withDensity(density);
  return warnings;
}

/**
 * Encodes `raster` straight from its memory (no copy of the pixels) and writes it atomically. 16-bit rasters stay
 * 16-bit in png/tiff and are reduced to 8-bit elsewhere; alpha is kept except in jpg, where it is flattened on white.
 * Gray stays gray except in webp/avif, whose encoders store R = G = B; webp/avif have no density field. Problems with
 * metadata are returned as warnings, never thrown.
 */
export async function writeImage(path: string, raster: Raster, options: WriteOptions): Promise<WriteResult> {
  const format = normalizeFormat(options.format);
  if (!format || !isWritableFormat(format)) {
    throw new ImageWriteError(path, `cannot write format '${options.format}' (supported: ${WRITABLE_FORMATS.join(', ')})`);
  }
  validate(path, raster, options);
  // TIFF has its own writer (LZW in WebAssembly, twice as fast as libvips' for image sequences).
  if (format === 'tiff') return options.handOver ? writeTiffHandedOver(path, raster, options) : writeTiff(path, raster, options);
  if (options.inputPaths) await assertNotInput(path, options.inputPaths);

  const { width, height, channels } = raster;
  const bitDepth: 8 | 16 = raster.bitDepth === 16 && format === 'png' ? 16 : 8;
  const hasAlpha = channels === 2 || channels === 4;
  const flatten = format === 'jpg' && hasAlpha;
  const bands = (flatten ? channels - 1 : channels) as 1 | 2 | 3 | 4;
  const gray = channels <= 2;

  // A typed array input is wrapped, not copied, and its type tells sharp the sample depth.
  const pipeline = sharp(raster.data, { raw: { width, height, channels }, limitInputPixels: false });
  if (flatten) pipeline.flatten({ background: JPEG_ALPHA_BACKGROUND });
  let warnings: string[] = [];
  if (options.meta && options.keepMetadata !== false) warnings = attachMetadata(pipeline, options.meta, bands);
  pipeline.toColourspace(gray ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb');
  encoder(pipeline, format, options, width * height);

  try {
    await writeFileAtomic(path, async (tempPath) => {
      await pipeline.toFile(tempPath);
    });
  } catch (error) {
    throw new ImageWriteError(path, `could not write ${format.toUpperCase()}: ${errorMessage(error)}`, { cause: error });
  }
  return { path, format, bitDepth, warnings };
}
