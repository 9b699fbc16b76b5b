/**
 * The TIFF writer (image-io/tiff.ts, LZW in kernels/lzw.c): what it writes is read back exactly by two decoders that
 * share no code, libtiff (through sharp) and FFmpeg's own TIFF decoder, for photos and for the inputs that stress an
 * LZW encoder (noise that fills the string table many times a strip, flat areas that make long strings, tiny images),
 * and the EXIF it carries is read back by ExifTool.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { Raster } from '../../src-main/engine/raster.js';
import { OverwriteInputError, readImage, readImageInfo, writeImage } from '../../src-main/engine/image-io.js';
import { errorCodeOf } from '../../src-main/common/errors.js';
import { lzwBound, lzwStrip } from '../../src-main/engine/image-io/lzw.js';
import { SAMPLES } from '../paths.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'subpixel-tiff-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** A deterministic byte stream (xorshift), so the noise case is the same on every run. */
function noise(length: number, seed = 2463534242): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function raster(width: number, height: number, channels: 1 | 2 | 3 | 4, data: Uint8Array | Uint16Array): Raster {
  return { width, height, channels, bitDepth: data instanceof Uint16Array ? 16 : 8, data };
}

/** The file's pixels as FFmpeg decodes them, in `pixFmt` (little-endian for 16-bit formats). */
function ffmpegPixels(path: string, pixFmt: string): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'], { maxBuffer: 1 << 28 });
}

const bytesOf = (data: Uint8Array | Uint16Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** The TIFF's tag values as SHORT or LONG numbers (the first IFD). */
function tags(file: Buffer): Map<number, number> {
  const ifd = file.readUInt32LE(4);
  const found = new Map<number, number>();
  for (let i = 0; i < file.readUInt16LE(ifd); i++) {
    const entry = ifd + 2 + i * 12;
    const type = file.readUInt16LE(entry + 2);
    found.set(file.readUInt16LE(entry), type === 3 ? file.readUInt16LE(entry + 8) : file.readUInt32LE(entry + 8));
  }
  return found;
}

/**
 * A strict TIFF LZW decoder for one strip: codes most significant bit first, the width growing one code early, read up
 * to End, which must close the strip. (libtiff and FFmpeg stop once they have the strip's bytes, so they never read
 * End, and would not notice one written at the wrong width.)
 */
function lzwDecode(strip: Buffer): Buffer {
  const out: number[] = [];
  let bit = 0;
  const read = (width: number): number => {
    let code = 0;
    for (let i = 0; i < width; i++, bit++) {
      if (bit >> 3 >= strip.length) throw new Error('the strip ends before End');
      code = (code << 1) | ((strip[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    return code;
  };
  let table: number[][] = [];
  let width = 9;
  let previous: number[] | undefined;
  const clear = (): void => {
    table = Array.from({ length: 258 }, (_, i) => [i]);
    width = 9;
    previous = undefined;
  };
  clear();
  for (;;) {
    const code = read(width);
    if (code === 257) break;
    if (code === 256) {
      clear();
      continue;
    }
    const entry = code < table.length ? table[code] : code === table.length && previous ? [...previous, previous[0]] : undefined;
    if (!entry || (code > 255 && code < 258)) throw new Error(`code ${code} where the table holds ${table.length}`);
    out.push(...entry);
    if (previous) {
      table.push([...previous, entry[0]]);
      if (table.length >= (1 << width) - 1 && width < 12) width++;
    }
    previous = entry;
  }
  assert.equal((bit + 7) >> 3, strip.length, 'bytes after End');
  return Buffer.from(out);
}

/** TIFF predictor 2 in plain JavaScript: each 8-bit sample less the one a pixel before, per row. */
function predicted(rows: Uint8Array, rowSamples: number, channels: number): Buffer {
  const out = Buffer.from(rows);
  for (let start = 0; start < rows.length; start += rowSamples) {
    for (let i = start + rowSamples - 1; i >= start + channels; i--) out[i] = (rows[i] - rows[i - channels]) & 0xff;
  }
  return out;
}

async function roundTrip(name: string, r: Raster, pixFmt?: string): Promise<Buffer> {
  const path = join(dir, `${name}.tiff`);
  await writeImage(path, r, { format: 'tiff' });
  const back = (await readImage(path)).raster;
  assert.deepEqual([back.width, back.height, back.channels, back.bitDepth], [r.width, r.height, r.channels, r.bitDepth], name);
  assert.ok(bytesOf(back.data).equals(bytesOf(r.data)), `${name}: libtiff reads other pixels`);
  if (pixFmt) assert.ok(ffmpegPixels(path, pixFmt).equals(bytesOf(r.data)), `${name}: FFmpeg reads other pixels`);
  return readFile(path);
}

describe('TIFF writer: LZW with the horizontal predictor', () => {
  test('a photo is read back exactly by libtiff and by FFmpeg, and is as small as libvips makes it', async () => {
    const { data, info } = await sharp(join(SAMPLES, 'chelsea.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const photo = raster(info.width, info.height, 3, new Uint8Array(data));
    const file = await roundTrip('photo', photo, 'rgb24');
    const t = tags(file);
    assert.equal(t.get(259), 5, 'compression LZW');
    assert.equal(t.get(317), 2, 'horizontal predictor');
    // The same pixels through libvips' LZW: an encoder that did not build its string table would be far larger.
    const libvips = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .tiff({ compression: 'lzw', predictor: 'horizontal' }).toBuffer();
    assert.ok(file.length < libvips.length * 1.02, `${file.length} bytes against libvips' ${libvips.length}`);
    assert.ok(file.length < data.length * 0.8, `${file.length} bytes for ${data.length} of pixels`);
  });

  test('noise, which fills the string table many times over, and flat areas, which make the longest strings', async () => {
    await roundTrip('noise', raster(700, 500, 3, noise(700 * 500 * 3)), 'rgb24');
    const flat = new Uint8Array(2000 * 300 * 3).fill(128);
    const file = await roundTrip('flat', raster(2000, 300, 3, flat), 'rgb24');
    assert.ok(file.length < flat.length / 100, `a flat image takes ${file.length} bytes`);
  });

  test('grey, grey with alpha, RGBA and 16-bit samples, and images of one pixel, one row and one column', async () => {
    await roundTrip('grey', raster(333, 211, 1, noise(333 * 211).map((v) => v >> 3)), 'gray');
    await roundTrip('grey-alpha', raster(97, 61, 2, noise(97 * 61 * 2, 7)));
    await roundTrip('rgba', raster(64, 48, 4, noise(64 * 48 * 4, 11).map((v) => v & 0xf0)), 'rgba');
    const wide = new Uint16Array(noise(150 * 90 * 4 * 2, 13).buffer).map((v) => v & 0xff0f);
    await roundTrip('rgba16', raster(150, 90, 4, wide), 'rgba64le');
    await roundTrip('grey16', raster(150, 90, 1, new Uint16Array(noise(150 * 90 * 2, 17).buffer)), 'gray16le');
    await roundTrip('one-pixel', raster(1, 1, 3, Uint8Array.from([200, 10, 77])), 'rgb24');
    await roundTrip('one-row', raster(5000, 1, 3, noise(5000 * 3, 19)), 'rgb24');
    await roundTrip('one-column', raster(1, 5000, 3, noise(5000 * 3, 23)), 'rgb24');
  });

  test('every strip is a complete LZW stream: End at the width the reader expects, then nothing', () => {
    // Noise makes about one new code per byte at first: among these lengths, strips end on every code count around
    // the 9 → 10 and 10 → 11 bit boundaries (libtiff and FFmpeg never read that far; a strict reader does).
    for (const length of [...Array.from({ length: 40 }, (_, i) => 240 + i), ...Array.from({ length: 40 }, (_, i) => 740 + i)]) {
      const rows = noise(length, length);
      assert.ok(lzwDecode(lzwStrip(rows, length, 1)).equals(predicted(rows, length, 1)), `${length} bytes`);
    }
    // Many table resets, long strings, a photo's rows.
    const flat = new Uint8Array(60_000).fill(9);
    assert.ok(lzwDecode(lzwStrip(flat, 600, 1)).equals(predicted(flat, 600, 1)));
    const rows = noise(120_000, 3);
    assert.ok(lzwDecode(lzwStrip(rows, 1000, 3)).equals(predicted(rows, 3000, 3)));
  });

  test('a raster handed over is written on the encoder thread: the same bytes, its memory moved there', async () => {
    const photo = raster(300, 200, 3, noise(300 * 200 * 3, 31).map((v) => v & 0xf8));
    const copy = Uint8Array.from(photo.data);
    const here = join(dir, 'here.tiff');
    const there = join(dir, 'there.tiff');
    await writeImage(here, photo, { format: 'tiff' });
    assert.equal(photo.data.byteLength, copy.byteLength, 'kept by a plain write');
    const written = await writeImage(there, photo, { format: 'tiff', handOver: true });
    assert.equal(written.path, there);
    assert.equal(photo.data.byteLength, 0, 'detached once handed over');
    assert.ok((await readFile(there)).equals(await readFile(here)));
    // Several at once, as a folder's files in flight: each lands whole, with its own pixels.
    const many = Array.from({ length: 5 }, (_, i) => raster(64, 48 + i, 3, noise(64 * (48 + i) * 3, 40 + i)));
    const expected = many.map((r) => Buffer.from(r.data));
    await Promise.all(many.map((r, i) => writeImage(join(dir, `many-${i}.tiff`), r, { format: 'tiff', handOver: true })));
    for (const [i, bytes] of expected.entries()) assert.ok(bytesOf((await readImage(join(dir, `many-${i}.tiff`))).raster.data).equals(bytes), `file ${i}`);
    // A small Buffer is a view on Node's shared pool: copied, not moved, and the pool's other users keep their bytes.
    const pooled = Buffer.from(noise(4 * 3 * 3, 50));
    assert.notEqual(pooled.byteLength, pooled.buffer.byteLength);
    await writeImage(join(dir, 'pooled.tiff'), raster(4, 3, 3, pooled), { format: 'tiff', handOver: true });
    assert.ok(bytesOf((await readImage(join(dir, 'pooled.tiff'))).raster.data).equals(Buffer.from(noise(4 * 3 * 3, 50))));
  });

  test('a handed-over write that fails says where, with its kind; one that would replace its input keeps the raster', async () => {
    const blocker = join(dir, 'a-file');
    await writeImage(blocker, raster(2, 2, 1, new Uint8Array(4)), { format: 'tiff' });
    await assert.rejects(writeImage(join(blocker, 'below.tiff'), raster(8, 8, 3, noise(192)), { format: 'tiff', handOver: true }),
      (error: Error) => error.message.includes(join(blocker, 'below.tiff')) && errorCodeOf(error) !== 'canceled');
    const input = join(dir, 'input.tiff');
    await writeImage(input, raster(8, 8, 3, noise(192, 5)), { format: 'tiff' });
    const kept = raster(8, 8, 3, noise(192, 6));
    await assert.rejects(writeImage(input, kept, { format: 'tiff', handOver: true, inputPaths: [input] }), OverwriteInputError);
    assert.equal(kept.data.byteLength, 192);
    assert.ok(bytesOf((await readImage(input)).raster.data).equals(Buffer.from(noise(192, 5))));
  });

  test('EXIF goes into the TIFF as its own directories, from little- and big-endian blocks, read back by ExifTool', async () => {
    // A camera-like JPEG: IFD0 (make, model, artist, copyright), the Exif IFD (exposure, ISO, dates, a comment and
    // the JPEG-only tags) and the GPS IFD; then the same block rewritten big-endian, as many cameras write it.
    const little = join(dir, 'exif-ii.jpg');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#806040' } })
      .withExif({
        IFD0: { Make: 'Canon', Model: 'EOS 5D', Artist: 'A. Person', Copyright: 'Subpixel test' },
        IFD2: { DateTimeOriginal: '2020:01:02 03:04:05', ExposureTime: '1/250', ISOSpeedRatings: '400', UserComment: 'hello', PixelXDimension: '40', PixelYDimension: '30' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 30/1' },
      })
      .jpeg().toFile(little);
    const big = join(dir, 'exif-mm.jpg');
    await writeFile(big, await readFile(little));
    execFileSync('exiftool', ['-q', '-overwrite_original', '-all=', '-tagsfromfile', '@', '-all:all', '-unsafe', '-ExifByteOrder=MM', big]);
    const exiftool = (path: string, ...only: string[]): Record<string, unknown> => JSON.parse(execFileSync('exiftool', ['-j', '-n', '-G1', '-a', ...only, path]).toString())[0];
    assert.equal((await readImage(big)).meta.exif?.subarray(6, 8).toString('latin1'), 'MM', 'the rewritten block is big-endian');

    for (const source of [little, big]) {
      const { raster: pixels, meta } = await readImage(source);
      assert.ok(meta.exif, 'the source has EXIF');
      const out = join(dir, `${source.endsWith('mm.jpg') ? 'mm' : 'ii'}.tiff`);
      const written = await writeImage(out, pixels, { format: 'tiff', meta });
      assert.deepEqual(written.warnings, []);
      const tags = exiftool(out);
      assert.equal(tags['IFD0:Make'], 'Canon', source);
      assert.equal(tags['IFD0:Model'], 'EOS 5D');
      assert.equal(tags['IFD0:Artist'], 'A. Person');
      assert.equal(tags['IFD0:Copyright'], 'Subpixel test');
      assert.equal(tags['ExifIFD:DateTimeOriginal'], '2020:01:02 03:04:05');
      assert.equal(tags['ExifIFD:ExposureTime'], 0.004);
      assert.equal(tags['ExifIFD:ISO'], 400);
      assert.equal(tags['ExifIFD:UserComment'], 'hello');
      assert.equal(tags['GPS:GPSLatitudeRef'], 'N');
      assert.ok(Math.abs(Number(tags['GPS:GPSLatitude']) - (48 + 51 / 60 + 30 / 3600)) < 1e-6, String(tags['GPS:GPSLatitude']));
      // The JPEG-only tags are not carried (TIFF readers flag them), and no thumbnail IFD follows.
      assert.equal(tags['ExifIFD:ExifImageWidth'], undefined);
      assert.equal(tags['ExifIFD:ComponentsConfiguration'], undefined);
      assert.equal(tags['IFD1:ThumbnailOffset'], undefined);
      // Nothing ExifTool's validation objects to, but what the source lacked (its GPS IFD has no version or method).
      const objections = [exiftool(out, '-validate', '-warning')['ExifTool:Warning']].flat().filter((w) => w !== undefined && !/GPSVersionID|GPSProcessingMethod/.test(String(w)));
      assert.deepEqual(objections, [], out);
      // libtiff still reads it, pixels and all.
      const back = await sharp(out).raw().toBuffer();
      assert.ok(back.equals(bytesOf(pixels.data)));
      // The encoder threads (a raster handed over, as the upscale command writes) get the metadata too.
      const handed = out.replace('.tiff', '-handed.tiff');
      await writeImage(handed, { ...pixels, data: Uint8Array.from(pixels.data) }, { format: 'tiff', meta, handOver: true });
      assert.ok((await readFile(handed)).equals(await readFile(out)), 'the encoder thread writes the same file');
    }
  });

  test('the EXIF of a TIFF input (which libvips does not report) reaches JPEG, PNG and TIFF outputs', async () => {
    // A scan as scanners write it: a 16-bit TIFF with camera, date and GPS tags, written by ExifTool after libtiff.
    const scan = join(dir, 'scan.tif');
    const pixels = raster(24, 16, 3, new Uint16Array(24 * 16 * 3).map((_, i) => (i * 977) % 65536));
    await sharp(bytesOf(pixels.data), { raw: { width: 24, height: 16, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'lzw' }).toFile(scan);
    execFileSync('exiftool', ['-q', '-overwrite_original', '-Make=Nikon', '-Model=Coolscan 5000', '-Copyright=Subpixel test',
      '-DateTimeOriginal=1987:06:05 04:03:02', '-GPSLatitude=51.5', '-GPSLatitudeRef=N', scan]);
    assert.equal((await sharp(scan).metadata()).exif, undefined, 'libvips reports no EXIF for TIFF');
    assert.equal((await readImageInfo(scan)).hasExif, true);
    const { raster: decoded, meta } = await readImage(scan);
    assert.equal(decoded.bitDepth, 16);
    assert.ok(meta.exif, 'EXIF read from the TIFF directories');
    for (const format of ['jpg', 'png', 'tiff'] as const) {
      const out = join(dir, `from-scan.${format}`);
      const written = await writeImage(out, decoded, { format, meta });
      assert.deepEqual(written.warnings, [], format);
      const tags = JSON.parse(execFileSync('exiftool', ['-j', '-n', '-a', out]).toString())[0];
      assert.equal(tags.Make, 'Nikon', format);
      assert.equal(tags.Model, 'Coolscan 5000', format);
      assert.equal(tags.Copyright, 'Subpixel test', format);
      assert.equal(tags.DateTimeOriginal, '1987:06:05 04:03:02', format);
      assert.equal(tags.GPSLatitudeRef, 'N', format);
      assert.ok(Math.abs(Number(tags.GPSLatitude) - 51.5) < 1e-6, `${format}: ${tags.GPSLatitude}`);
    }
    // Its Exif IFD pointer damaged: the pixels still read, without EXIF.
    const damaged = join(dir, 'damaged.tif');
    const bytes = await readFile(scan);
    const ifd = bytes.readUInt32LE(4);
    const entries = bytes.readUInt16LE(ifd);
    const pointer = Array.from({ length: entries }, (_, i) => ifd + 2 + i * 12).find((at) => bytes.readUInt16LE(at) === 34665);
    assert.ok(pointer !== undefined, 'the scan has an Exif IFD');
    bytes.writeUInt32LE(0xfffffff0, pointer + 8);
    await writeFile(damaged, bytes);
    const fromDamaged = await readImage(damaged);
    assert.equal(fromDamaged.meta.exif, undefined);
    assert.ok(bytesOf(fromDamaged.raster.data).equals(bytesOf(decoded.data)));
    // A TIFF without EXIF reads as one.
    const plain = join(dir, 'plain.tif');
    await writeImage(plain, raster(4, 4, 3, noise(48, 9)), { format: 'tiff' });
    assert.equal((await readImageInfo(plain)).hasExif, false);
    assert.equal((await readImage(plain)).meta.exif, undefined);
  });

  test('a malformed EXIF block is left out with a warning, and the TIFF is still whole', async () => {
    const pixels = raster(8, 4, 3, noise(8 * 4 * 3, 5));
    const exif = Buffer.concat([Buffer.from('Exif\0\0II*\0', 'latin1'), Buffer.from([8, 0, 0, 0, 40, 0])]); // IFD0 claims 40 entries
    const out = join(dir, 'bad-exif.tiff');
    const written = await writeImage(out, pixels, { format: 'tiff', meta: { format: 'jpg', bitDepth: 8, orientation: 1, exif } });
    assert.deepEqual(written.warnings, ['EXIF block is malformed; not attached']);
    assert.ok((await sharp(out).raw().toBuffer()).equals(bytesOf(pixels.data)));
  });

  test('a strip never takes more than lzwBound bytes, and the rows handed in are left as they were', () => {
    const rows = noise(256 * 1024, 29);
    const before = Buffer.from(rows);
    const strip = lzwStrip(rows, 1024, 4);
    assert.ok(strip.length > rows.length, 'noise does not compress');
    assert.ok(strip.length <= lzwBound(rows.length), `${strip.length} > ${lzwBound(rows.length)}`);
    assert.ok(Buffer.from(rows).equals(before));
    assert.throws(() => lzwStrip(rows.subarray(0, 1000), 1024, 4), /not whole rows/);
  });
});
