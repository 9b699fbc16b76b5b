import { stat } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { Raster } from '../raster.js';
import { ImageReadError, errorMessage } from './errors.js';
import { normalizeFormat, READABLE_FORMATS, type ImageFormat } from '../../../src-common/formats.js';
import { readHead, sniffFormat } from './sniff.js';
import { exifBlock, exifDirectoriesOfTiff } from './exif-ifd.js';
import type { DecodedImage, ImageInfo, ImageMeta, ReadOptions } from './types.js';

/** sharp's own default limit (0x3FFF x 0x3FFF). */
export const DEFAULT_MAX_PIXELS = 268_402_689;

const SUPPORTED = READABLE_FORMATS.join(', ');

// 'error' stops on truncated or broken pixel data but lets through the harmless warnings many camera JPEGs raise.
const FAIL_ON = 'error' as const;

function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return `${mp >= 100 ? Math.round(mp) : Number(mp.toPrecision(3))} MP`;
}

/** Throws a too-large ImageReadError when width x height exceeds maxPixels. */
export function checkPixelLimit(path: string, width: number, height: number, maxPixels = DEFAULT_MAX_PIXELS): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new ImageReadError(
      path,
      'too-large',
      `image is ${width}x${height} = ${megapixels(pixels)}, over the limit of ${megapixels(maxPixels)} (set maxPixels to raise it)`,
    );
  }
}

/** Refuses before opening: a missing file, a folder, a FIFO or device (opening one blocks), an empty file. */
export async function assertReadableFile(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ImageReadError(path, 'not-found', 'file not found', { cause: error });
    if (code === 'EACCES' || code === 'EPERM') throw new ImageReadError(path, 'permission', 'permission denied', { cause: error });
    throw new ImageReadError(path, 'corrupt', `cannot access file: ${errorMessage(error)}`, { cause: error });
  }
  if (info.isDirectory()) throw new ImageReadError(path, 'directory', 'is a directory, not an image file');
  if (!info.isFile()) throw new ImageReadError(path, 'not-image', 'is not a regular file');
  if (info.size === 0) throw new ImageReadError(path, 'empty', 'file is empty (0 bytes)');
}

/** The sniffed container when sharp cannot make sense of a file, turned into the most useful message. */
async function unreadableError(path: string, cause: unknown): Promise<ImageReadError> {
  let sniffed;
  try {
    sniffed = sniffFormat(await readHead(path));
  } catch (error) {
    return new ImageReadError(path, 'permission', `cannot open file: ${errorMessage(error)}`, { cause: error });
  }
  if (sniffed === undefined) {
    return new ImageReadError(path, 'not-image', 'not an image file (its contents are not a known image format)', { cause });
  }
  if (!(READABLE_FORMATS as readonly string[]).includes(sniffed)) {
    return new ImageReadError(path, 'unsupported-format', `${sniffed.toUpperCase()} images are not supported (supported: ${SUPPORTED})`, { cause });
  }
  return new ImageReadError(path, 'corrupt', `${sniffed.toUpperCase()} file is truncated or corrupt (${errorMessage(cause)})`, { cause });
}

function formatOf(path: string, metadata: Metadata): ImageFormat {
  // libvips names AVIF and HEIC both 'heif'; only the AV1 flavour is decodable by sharp's bundled libheif.
  const name = metadata.format === 'heif' ? (metadata.compression === 'av1' ? 'avif' : 'heic') : metadata.format;
  const format = normalizeFormat(name);
  if (!format) throw new ImageReadError(path, 'unsupported-format', `${name.toUpperCase()} images are not supported (supported: ${SUPPORTED})`);
  return format;
}

/** How readImage decodes a file: what the raster will look like. */
interface DecodePlan {
  format: ImageFormat;
  gray: boolean;
  hasAlpha: boolean;
  bitDepth: 8 | 16;
  channels: 1 | 2 | 3 | 4;
  /** CMYK is converted to RGB on read, so its profile no longer describes the pixels. */
  convertToRgb: boolean;
}

function planDecode(path: string, metadata: Metadata): DecodePlan {
  const format = formatOf(path, metadata);
  const gray = metadata.space === 'b-w' || metadata.space === 'grey16';
  const bitDepth = metadata.depth === 'ushort' ? 16 : 8;
  const hasAlpha = metadata.hasAlpha;
  const channels = ((gray ? 1 : 3) + (hasAlpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  return { format, gray, hasAlpha, bitDepth, channels, convertToRgb: metadata.space === 'cmyk' };
}

async function readMetadata(path: string): Promise<Metadata> {
  await assertReadableFile(path);
  try {
    // No sharp pixel limit here: our own check gives the clearer message.
    return await sharp(path, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
  } catch (error) {
    throw await unreadableError(path, error);
  }
}

/**
 * The source's EXIF block: what sharp reports, or for a TIFF (whose EXIF libvips does not report) one built from its
 * directories. A TIFF whose EXIF cannot be read still decodes; it only comes without EXIF.
 */
function exifOf(path: string, metadata: Metadata, format: ImageFormat): Buffer | undefined {
  if (metadata.exif || format !== 'tiff') return metadata.exif;
  try {
    const directories = exifDirectoriesOfTiff(path);
    return directories && exifBlock(directories);
  } catch {
    return undefined;
  }
}

function uprightSize(metadata: Metadata): { width: number; height: number } {
  return { width: metadata.autoOrient.width, height: metadata.autoOrient.height };
}

/** Header facts for planning tiles and checking limits; decodes no pixels. Enforces maxPixels like readImage. */
export async function readImageInfo(path: string, options: ReadOptions = {}): Promise<ImageInfo> {
  const metadata = await readMetadata(path);
  const plan = planDecode(path, metadata);
  const { width, height } = uprightSize(metadata);
  checkPixelLimit(path, width, height, options.maxPixels);
  return {
    width,
    height,
    channels: plan.channels,
    bitDepth: plan.bitDepth,
    format: plan.format,
    hasAlpha: plan.hasAlpha,
    orientation: metadata.orientation ?? 1,
    ...(metadata.density !== undefined && { density: metadata.density }),
    hasIcc: metadata.hasProfile && !plan.convertToRgb,
    hasExif: exifOf(path, metadata, plan.format) !== undefined,
    pages: metadata.pages ?? 1,
  };
}

/**
 * sharp's raw output keeps only the first band of an 8-bit 'b-w' image, losing alpha; 8-bit gray+alpha is therefore
 * decoded as RGBA (gray replicated exactly) and packed back to two channels.
 */
function decodesViaRgba(plan: DecodePlan): boolean {
  return plan.gray && plan.hasAlpha && plan.bitDepth === 8;
}

function packGrayAlpha(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgba.length / 2);
  for (let i = 0, j = 0; j < out.length; i += 4, j += 2) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 3];
  }
  return out;
}

function decoder(path: string, plan: DecodePlan, maxPixels: number): Sharp {
  const space = decodesViaRgba(plan)
    ? 'srgb'
    : plan.gray
      ? plan.bitDepth === 16 ? 'grey16' : 'b-w'
      : plan.bitDepth === 16 ? 'rgb16' : 'srgb';
  return sharp(path, {
    failOn: FAIL_ON,
    autoOrient: true,
    // Keep pixels in the source's own encoding; the profile travels with them in meta.icc.
    ignoreIcc: !plan.convertToRgb,
    limitInputPixels: Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false,
    pages: 1,
    page: 0,
  })
    .toColourspace(space)
    .raw({ depth: plan.bitDepth === 16 ? 'ushort' : 'uchar' });
}

function toSamples(data: Buffer, bitDepth: 8 | 16): Uint8Array | Uint16Array {
  if (bitDepth === 8) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  return new Uint16Array(new Uint8Array(data).buffer);
}

/**
 * Decodes a JPEG, PNG, WebP, TIFF, AVIF or GIF (first frame) into an upright raster in the source's own colour
 * encoding: 16-bit PNG/TIFF stay 16-bit, gray stays gray, palettes become RGB(A). Every failure is an ImageReadError.
 */
export async function readImage(path: string, options: ReadOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const metadata = await readMetadata(path);
  const plan = planDecode(path, metadata);
  const { width, height } = uprightSize(metadata);
  checkPixelLimit(path, width, height, maxPixels);

  let decoded;
  try {
    decoded = await decoder(path, plan, maxPixels).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageReadError(path, 'corrupt', `${plan.format.toUpperCase()} file is truncated or corrupt (${errorMessage(error)})`, { cause: error });
  }
  const { data, info } = decoded;
  const viaRgba = decodesViaRgba(plan);
  if ((viaRgba ? info.channels !== 4 : info.channels !== plan.channels) || info.width !== width || info.height !== height) {
    throw new ImageReadError(path, 'corrupt', `decoded ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${viaRgba ? 4 : plan.channels}`);
  }
  const samples = viaRgba ? packGrayAlpha(data) : toSamples(data, plan.bitDepth);
  const raster: Raster = { data: samples, width, height, channels: plan.channels, bitDepth: plan.bitDepth };
  const exif = exifOf(path, metadata, plan.format);
  const meta: ImageMeta = {
    format: plan.format,
    bitDepth: plan.bitDepth,
    orientation: metadata.orientation ?? 1,
    ...(metadata.density !== undefined && { density: metadata.density }),
    ...(metadata.icc && !plan.convertToRgb && { icc: metadata.icc }),
    ...(exif && { exif }),
    ...(metadata.xmp && { xmp: metadata.xmp }),
  };
  return { raster, format: plan.format, meta };
}
