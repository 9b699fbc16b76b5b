/**
 * A PNG written band of rows by band of rows, so an output far larger than memory never exists whole: each band is
 * filtered, fed to a zlib deflate stream and leaves as IDAT chunks while the next band is being made. Same pixels and
 * the same metadata as writeImage's sharp path (ICC, EXIF with orientation reset to 1, density), written atomically.
 */
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflate, deflateSync } from 'node:zlib';
import type { Raster } from '../raster.js';
import { assertNotInput, writeFileAtomic } from '../../common/atomic-write.js';
import { ImageWriteError, errorMessage } from './errors.js';
import { exifForPng, PNG_COLOUR_TYPE, PNG_SIGNATURE, pngChunk, pngIhdr } from './metadata-carrier.js';
import { DEFAULT_PNG_COMPRESSION, type WriteResult } from './write.js';
import { metadataToCarry } from './carried-metadata.js';
import type { ImageMeta } from './types.js';

export interface PngStreamHeader {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
}

export interface PngStreamOptions {
  /** zlib level 0–9. */
  compression?: number;
  meta?: ImageMeta;
  keepMetadata?: boolean;
  inputPaths?: Iterable<string>;
}

/** Hands the next rows of the image (top to bottom, full width, the header's channels and depth) to the encoder. */
export type PushRows = (band: Raster) => Promise<void>;

/** IDAT payloads of about this size: large enough that chunk overhead is nil, small enough to stream. */
const IDAT_BYTES = 256 * 1024;

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Paeth-filters one row of PNG bytes (`bpp` bytes a pixel) against the previous one into `out` (filter byte first).
 * Paeth suits photographic content, which is what upscales are; one fixed filter keeps the pass cheap.
 */
function filterRow(row: Uint8Array, previous: Uint8Array | undefined, bpp: number, out: Uint8Array): void {
  out[0] = 4;
  const n = row.length;
  if (!previous) {
    for (let i = 0; i < n; i++) out[i + 1] = (row[i] - (i >= bpp ? row[i - bpp] : 0)) & 0xff;
    return;
  }
  for (let i = 0; i < bpp; i++) out[i + 1] = (row[i] - previous[i]) & 0xff;
  for (let i = bpp; i < n; i++) out[i + 1] = (row[i] - paeth(row[i - bpp], previous[i], previous[i - bpp])) & 0xff;
}

/** Wraps a deflate stream's output into IDAT chunks of about IDAT_BYTES. */
function idatChunker(): Transform {
  let pending: Buffer[] = [];
  let size = 0;
  const flush = (self: Transform): void => {
    if (size === 0) return;
    self.push(pngChunk('IDAT', Buffer.concat(pending, size)));
    pending = [];
    size = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= IDAT_BYTES) flush(this);
      done();
    },
    flush(done) {
      flush(this);
      this.push(pngChunk('IEND', Buffer.alloc(0)));
      done();
    },
  });
}

/** The chunks before the pixels: IHDR, then iCCP, eXIf, iTXt (XMP) and pHYs where the metadata has them. */
function headerChunks(header: PngStreamHeader, options: PngStreamOptions): { chunks: Buffer[]; warnings: string[] } {
  const chunks = [PNG_SIGNATURE, pngIhdr(header.width, header.height, header.bitDepth, PNG_COLOUR_TYPE[header.channels])];
  if (!options.meta || options.keepMetadata === false) return { chunks, warnings: [] };
  const { icc, exif, xmp, density, warnings } = metadataToCarry(options.meta, header.channels);
  if (icc) chunks.push(pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)])));
  if (exif) chunks.push(pngChunk('eXIf', exifForPng(exif)));
  // XMP's own PNG home: an uncompressed international text chunk under Adobe's keyword.
  if (xmp) chunks.push(pngChunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), xmp])));
  if (density !== undefined) {
    // Pixels per metre, rounded as libvips rounds it (so both paths state the same density).
    const perMetre = Math.round((density / 25.4) * 1000);
    const phys = Buffer.alloc(9);
    phys.writeUInt32BE(perMetre, 0);
    phys.writeUInt32BE(perMetre, 4);
    phys[8] = 1;
    chunks.push(pngChunk('pHYs', phys));
  }
  return { chunks, warnings };
}

/**
 * Writes a PNG at `path` whose rows `produce` hands over band by band through `push`; the file appears (atomically)
 * only when all `height` rows have come and been encoded. A failure in `produce` leaves nothing behind.
 */
export async function writePngStreamed(
  path: string,
  header: PngStreamHeader,
  options: PngStreamOptions,
  produce: (push: PushRows) => Promise<void>,
): Promise<WriteResult> {
  const { width, height, channels, bitDepth } = header;
  if (options.inputPaths) await assertNotInput(path, options.inputPaths);
  const { chunks, warnings } = headerChunks(header, options);
  const bytesPerSample = bitDepth / 8;
  const bpp = channels * bytesPerSample;
  const rowBytes = width * bpp;
  // What `produce` throws (an abort, an inference error) keeps its own kind; only encoding failures are write errors.
  let produceError: unknown;
  let failure: unknown;
  try {
    await writeFileAtomic(path, async (tempPath) => {
      const file = createWriteStream(tempPath);
      for (const chunk of chunks) file.write(chunk);
      const deflate = createDeflate({ level: options.compression ?? DEFAULT_PNG_COMPRESSION, chunkSize: 64 * 1024 });
      const written = pipeline(deflate, idatChunker(), file);
      // A failed write ends `written` early; `produce` must stop at the next push rather than fill memory.
      written.catch((error: unknown) => { failure = error; });
      let rows = 0;
      let previous: Uint8Array | undefined;
      let current: Uint8Array = new Uint8Array(rowBytes);
      const filtered = Buffer.alloc(rowBytes + 1);
      const push: PushRows = async (band) => {
        if (failure) throw failure;
        if (band.width !== width || band.channels !== channels || band.bitDepth !== bitDepth) {
          throw new Error(`band ${band.width}x${band.height}x${band.channels}@${band.bitDepth} does not fit a ${width}-wide ${channels}-channel ${bitDepth}-bit PNG`);
        }
        if (rows + band.height > height) throw new Error(`more rows than the ${height} the PNG declares`);
        const samples = width * channels;
        for (let r = 0; r < band.height; r++) {
          const row = band.data.subarray(r * samples, (r + 1) * samples);
          if (bitDepth === 16) {
            // PNG samples are big-endian.
            for (let i = 0, j = 0; i < samples; i++, j += 2) { current[j] = row[i] >>> 8; current[j + 1] = row[i] & 0xff; }
          } else {
            current.set(row);
          }
          filterRow(current, previous, bpp, filtered);
          const spare = previous ?? new Uint8Array(rowBytes);
          previous = current;
          current = spare;
          // One row buffer, reused once zlib has taken it: memory stays flat instead of waiting for the GC. A failed
          // pipeline destroys the deflate stream, which fails this write.
          await new Promise<void>((resolve, reject) => {
            deflate.write(filtered, (error) => (error ? reject(error) : resolve()));
          });
          if (failure) throw failure;
        }
        rows += band.height;
      };
      try {
        await produce(push);
        if (rows !== height) throw new Error(`only ${rows} of ${height} rows were produced`);
        deflate.end();
      } catch (error) {
        produceError = error;
        deflate.destroy();
        await written.catch(() => undefined);
        throw error;
      }
      await written;
    });
  } catch (error) {
    if (error === produceError && error !== failure) throw error;
    throw new ImageWriteError(path, `could not write PNG: ${errorMessage(error)}`, { cause: error });
  }
  return { path, format: 'png', bitDepth, warnings };
}
