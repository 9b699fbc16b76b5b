import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import type { ImageData, Region } from '../../src-common/api.js';
import { CodedError } from '../common/errors.js';
import { assertReadableFile } from '../engine/image-io.js';

/** Small images for the renderer: PNG data URLs, decoded upright (EXIF orientation applied). */

const DEFAULT_CROP = 256;
/** Decompression-bomb guard for images opened only to show a part of them. */
const MAX_INPUT_PIXELS = 200_000_000;

function open(path: string): Sharp {
  return sharp(path, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).rotate();
}

/** compressionLevel: zlib effort; big whole-image comparisons trade size for time (they travel locally). */
async function toImageData(image: Sharp, compressionLevel = 6): Promise<ImageData> {
  const { data, info } = await image.png({ compressionLevel }).toBuffer({ resolveWithObject: true });
  return { dataUrl: `data:image/png;base64,${data.toString('base64')}`, width: info.width, height: info.height };
}

/** How long one request may spend on image files before it is answered with an error instead of hanging. */
const FILE_WORK_TIMEOUT_MS = 60_000;

/**
 * Opening a FIFO (or a device) blocks the thread that opens it until a writer comes: four such opens hold every
 * thread of the pool, and with them every file operation of the process. Refuse anything but a regular file first.
 */
async function assertRegularFile(path: string): Promise<void> {
  try {
    await assertReadableFile(path);
  } catch (error) {
    throw new CodedError('invalid_input', (error as Error).message);
  }
}

/** Answers a request whose file work is stuck (a slow network share, a device) with an error instead of never. */
async function withTimeout<T>(what: string, work: Promise<T>, ms = FILE_WORK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CodedError('internal', `${what} took longer than ${Math.round(ms / 1000)} s and was abandoned`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function uprightSize(path: string): Promise<{ width: number; height: number }> {
  await assertRegularFile(path);
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (error) {
    throw new CodedError('invalid_input', `${path}: not a readable image (${(error as Error).message})`);
  }
  if (!meta.width || !meta.height) throw new CodedError('invalid_input', `${path}: image has no size`);
  // Orientations 5–8 swap width and height once applied.
  const swapped = (meta.orientation ?? 1) >= 5;
  return swapped ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
}

/** The requested region clamped to the image, or a centred crop of at most 256x256. */
export function clampRegion(size: { width: number; height: number }, region: Region | undefined): Region {
  if (!region) {
    const width = Math.min(DEFAULT_CROP, size.width);
    const height = Math.min(DEFAULT_CROP, size.height);
    return { x: Math.floor((size.width - width) / 2), y: Math.floor((size.height - height) / 2), width, height };
  }
  if (region.x >= size.width || region.y >= size.height) {
    throw new CodedError('invalid_input', `region starts outside the ${size.width}x${size.height} image`);
  }
  return { ...region, width: Math.min(region.width, size.width - region.x), height: Math.min(region.height, size.height - region.y) };
}

export function thumbnail(path: string, size: number): Promise<ImageData & { source: { width: number; height: number } }> {
  return withTimeout(`a thumbnail of ${path}`, (async () => {
    const source = await uprightSize(path);
    return { ...(await toImageData(open(path).resize(size, size, { fit: 'inside', withoutEnlargement: true }))), source };
  })());
}

/** A source region enlarged `scale` times with a bicubic kernel: the "before" of every comparison. */
export async function bicubicCrop(path: string, region: Region, scale: number): Promise<ImageData> {
  const crop = await open(path).extract({ left: region.x, top: region.y, width: region.width, height: region.height }).toBuffer();
  return toImageData(sharp(crop).resize(region.width * scale, region.height * scale, { kernel: 'cubic', fit: 'fill' }));
}

/** The same region of an upscaled output (coordinates times `scale`). */
export async function outputCrop(path: string, region: Region, scale: number): Promise<ImageData> {
  const size = await uprightSize(path);
  const left = region.x * scale;
  const top = region.y * scale;
  return toImageData(open(path).extract({
    left, top, width: Math.min(region.width * scale, size.width - left), height: Math.min(region.height * scale, size.height - top),
  }));
}

/** Largest output shown whole in the before/after viewer (two PNGs of it travel in one message). */
export const MAX_WHOLE_PIXELS = 12_000_000;

/**
 * Before/after of a finished item. `whole`: the entire input enlarged bicubically to the output's size against the
 * entire output (outputs above MAX_WHOLE_PIXELS fall back to a region); else the region (default a centred crop).
 */
export function compareItem(input: string, output: string, scale: number, requested: Region | undefined, whole = false) {
  return withTimeout(`comparing ${input} with ${output}`, compareFiles(input, output, scale, requested, whole));
}

async function compareFiles(input: string, output: string, scale: number, requested: Region | undefined, whole: boolean) {
  const inputSize = await uprightSize(input);
  if (whole && !requested) {
    const outSize = await uprightSize(output);
    if (outSize.width * outSize.height <= MAX_WHOLE_PIXELS && inputSize.width <= 4096 && inputSize.height <= 4096) {
      const [before, after] = await Promise.all([
        toImageData(open(input).resize(outSize.width, outSize.height, { kernel: 'cubic', fit: 'fill' }), 1),
        toImageData(open(output), 1),
      ]);
      return { before, after, region: { x: 0, y: 0, width: inputSize.width, height: inputSize.height }, whole: true };
    }
  }
  const region = clampRegion(inputSize, requested);
  const [before, after] = await Promise.all([bicubicCrop(input, region, scale), outputCrop(output, region, scale)]);
  return { before, after, region, whole: false };
}

/**
 * Upscales only a region of `path`: the crop is written as a PNG to a scratch folder, run through `upscale`
 * (the engine), read back, and the scratch files removed.
 */
export async function previewCrop(
  path: string, requested: Region | undefined, scale: number, scratchRoot: string,
  upscale: (input: string, output: string) => Promise<unknown>,
): Promise<{ before: ImageData; after: ImageData; region: Region }> {
  // The region is read under the time limit; the upscale of it is the engine's own work and may take longer.
  const region = clampRegion(await withTimeout(`reading ${path}`, uprightSize(path)), requested);
  const dir = join(scratchRoot, `preview-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  try {
    const cropPath = join(dir, 'crop.png');
    const upscaledPath = join(dir, 'crop-upscaled.png');
    await open(path).extract({ left: region.x, top: region.y, width: region.width, height: region.height }).png().toFile(cropPath);
    const [before] = await Promise.all([bicubicCrop(cropPath, { x: 0, y: 0, width: region.width, height: region.height }, scale), upscale(cropPath, upscaledPath)]);
    const after = await toImageData(sharp(upscaledPath));
    return { before, after, region };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
