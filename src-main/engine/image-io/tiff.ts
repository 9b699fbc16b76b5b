/**
 * Subpixel's TIFF writer, for whole rasters and for outputs written band by band as their rows arrive (too large to
 * hold whole; see png-stream.ts for the PNG twin). Classic little-endian TIFF: the strips first, each LZW-compressed
 * with the horizontal predictor (lzw.ts), then the IFD that lists them, then the Exif and GPS IFDs; ICC profile,
 * density, EXIF (exif-ifd.ts) and XMP carried; written atomically. LZW is what every TIFF reader decodes, and what OpenCV
 * and libvips write.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Raster } from '../raster.js';
import { assertNotInput, writeFileAtomic } from '../../common/atomic-write.js';
import { createMutex } from '../../common/mutex.js';
import { ImageWriteError, errorMessage } from './errors.js';
import { lzwStrip } from './lzw.js';
import type { WriteResult } from './write.js';
import { metadataToCarry } from './carried-metadata.js';
import { EXIF_IFD_TAG, exifDirectories, GPS_IFD_TAG } from './exif-ifd.js';
import { BYTE, ifdBytes, ifdWithSubIfds, LONG, RATIONAL, SHORT, UNDEFINED, type Entry } from './tiff-ifd.js';
import type { PngStreamHeader, PngStreamOptions, PushRows } from './png-stream.js';

/**
 * Uncompressed bytes a strip holds at most. LZW restarts its table every few thousand codes whatever the strip size,
 * so strips this size compress as well as one the size of the image, and encoding one (about 2 ms) between turns of the
 * event loop keeps the thread responsive.
 */
const STRIP_BYTES = 256 * 1024;
/** Classic TIFF offsets are 32-bit. */
const MAX_OFFSET = 0xffffffff;

/**
 * Whole rasters are encoded one at a time per thread, in the order they come. Taking turns strip by strip, several
 * files in flight would all finish together, and none would free its place for the next file's decode and inference
 * until then: a folder of frames ran 10–15 % slower so.
 */
const wholeRasters = createMutex();

/** Writes `raster` as a TIFF at `path` (8 or 16 bits per sample as the raster has them). */
export function writeTiff(path: string, raster: Raster, options: Omit<PngStreamOptions, 'compression'>): Promise<WriteResult> {
  const { width, height, channels, bitDepth } = raster;
  return wholeRasters.run(() => writeTiffStreamed(path, { width, height, channels, bitDepth }, options, (push) => push(raster)));
}

/**
 * Writes a TIFF at `path` whose rows `produce` hands over band by band through `push`; the file appears (atomically)
 * only when all `height` rows have come and been encoded. A failure in `produce` leaves nothing behind.
 */
export async function writeTiffStreamed(
  path: string,
  header: PngStreamHeader,
  options: Omit<PngStreamOptions, 'compression'>,
  produce: (push: PushRows) => Promise<void>,
): Promise<WriteResult> {
  const { width, height, channels, bitDepth } = header;
  if (options.inputPaths) await assertNotInput(path, options.inputPaths);
  const carried = options.meta && options.keepMetadata !== false ? metadataToCarry(options.meta, channels) : { warnings: [] };
  const exif = carried.exif && exifDirectories(carried.exif);
  const warnings = carried.exif && !exif ? [...carried.warnings, 'EXIF block is malformed; not attached'] : carried.warnings;
  const rowSamples = width * channels;
  const rowBytes = rowSamples * (bitDepth / 8);
  const rowsPerStrip = Math.max(1, Math.min(height, Math.floor(STRIP_BYTES / rowBytes)));
  let produceError: unknown;
  try {
    await writeFileAtomic(path, async (tempPath) => {
      const file: FileHandle = await open(tempPath, 'w');
      try {
        let position = 8;
        const offsets: number[] = [];
        const counts: number[] = [];
        // Rows of a strip that arrive in several bands are gathered here; a band's whole strips are encoded in place.
        let strip: Uint8Array | Uint16Array | undefined;
        let stripRows = 0;
        let rows = 0;
        const writeStrip = async (samples: Uint8Array | Uint16Array): Promise<void> => {
          // A turn of the event loop before each strip: the thread's other work (other files, messages) goes on while a
          // large one encodes.
          await nextTurn();
          const compressed = lzwStrip(samples, width, channels);
          if (position + compressed.length > MAX_OFFSET) throw new ImageWriteError(path, 'the TIFF would pass 4 GB, the limit of classic TIFF; write PNG instead');
          // Reached through `produce`: a write failure is reported as one, not as the upscale's own error.
          await file.write(compressed, 0, compressed.length, position).catch((error: unknown) => {
            throw new ImageWriteError(path, `could not write TIFF: ${errorMessage(error)}`, { cause: error });
          });
          offsets.push(position);
          counts.push(compressed.length);
          position += compressed.length + (compressed.length % 2);
        };
        const push: PushRows = async (band: Raster) => {
          if (band.width !== width || band.channels !== channels || band.bitDepth !== bitDepth) {
            throw new Error(`band ${band.width}x${band.height}x${band.channels}@${band.bitDepth} does not fit a ${width}-wide ${channels}-channel ${bitDepth}-bit TIFF`);
          }
          if (rows + band.height > height) throw new Error(`more rows than the ${height} the TIFF declares`);
          for (let r = 0; r < band.height;) {
            const take = Math.min(band.height - r, rowsPerStrip - stripRows);
            const rowsOf = band.data.subarray(r * rowSamples, (r + take) * rowSamples);
            const completes = stripRows + take === rowsPerStrip || rows + take === height;
            r += take;
            rows += take;
            if (stripRows === 0 && completes) {
              await writeStrip(rowsOf);
              continue;
            }
            strip ??= bitDepth === 16 ? new Uint16Array(rowsPerStrip * rowSamples) : new Uint8Array(rowsPerStrip * rowSamples);
            strip.set(rowsOf, stripRows * rowSamples);
            stripRows += take;
            if (completes) {
              await writeStrip(strip.subarray(0, stripRows * rowSamples));
              stripRows = 0;
            }
          }
        };
        try {
          await produce(push);
        } catch (error) {
          produceError = error;
          throw error;
        }
        if (rows !== height) throw new Error(`only ${rows} of ${height} rows were produced`);
        const gray = channels <= 2;
        const entries: Entry[] = [
          { tag: 256, type: LONG, values: [width] },
          { tag: 257, type: LONG, values: [height] },
          { tag: 258, type: SHORT, values: new Array<number>(channels).fill(bitDepth) },
          { tag: 259, type: SHORT, values: [5] },
          { tag: 262, type: SHORT, values: [gray ? 1 : 2] },
          { tag: 273, type: LONG, values: offsets },
          { tag: 277, type: SHORT, values: [channels] },
          { tag: 278, type: LONG, values: [rowsPerStrip] },
          { tag: 279, type: LONG, values: counts },
          { tag: 284, type: SHORT, values: [1] },
          { tag: 317, type: SHORT, values: [2] },
        ];
        if (channels === 2 || channels === 4) entries.push({ tag: 338, type: SHORT, values: [2] });
        // Pixels per inch as a rational with three decimals; baseline TIFF requires a resolution, 72 where none is known.
        const resolution = carried.density === undefined ? [72, 1] : [Math.round(carried.density * 1000), 1000];
        entries.push({ tag: 282, type: RATIONAL, values: resolution }, { tag: 283, type: RATIONAL, values: resolution }, { tag: 296, type: SHORT, values: [2] });
        if (carried.icc) entries.push({ tag: 34675, type: UNDEFINED, values: carried.icc });
        if (carried.xmp) entries.push({ tag: 700, type: BYTE, values: carried.xmp });
        const ifds = exif
          ? ifdWithSubIfds([...entries, ...exif.ifd0], [[EXIF_IFD_TAG, exif.exif], [GPS_IFD_TAG, exif.gps]], position)
          : ifdBytes(entries, position);
        if (position + ifds.length > MAX_OFFSET) throw new Error('the TIFF would pass 4 GB, the limit of classic TIFF; write PNG instead');
        await file.write(ifds, 0, ifds.length, position);
        const head = Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]);
        head.writeUInt32LE(position, 4);
        await file.write(head, 0, 8, 0);
      } finally {
        await file.close();
      }
    });
  } catch (error) {
    if (error === produceError) throw error;
    throw new ImageWriteError(path, `could not write TIFF: ${errorMessage(error)}`, { cause: error });
  }
  return { path, format: 'tiff', bitDepth, warnings };
}
