/**
 * Issue 18, item 10: a PNG or TIFF output too large to hold comfortably is upscaled and written row band by row band.
 * The streamed file decodes to exactly the pixels of the whole-raster path, carries the same metadata, and the
 * process that makes a 12000x8000 output never holds anything near its raster.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { readImage } from '../../src-main/engine/image-io.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { randomWeights } from '../../src-main/engine/models/spec.js';
import { upscaleFile } from '../../src-main/engine/upscale.js';
import { isAbortError } from '../../src-main/common/errors.js';
import { tempDir, tinySpec } from './fixtures/services-fixtures.js';

const SAMPLE = new URL('../../resources/samples/chelsea.png', import.meta.url).pathname;
/** The memory benchmark's child: one upscaleFile with default settings, then its peak RSS (VmHWM) before and after. */
const CHILD = new URL('../../scripts/bench/rss-child.ts', import.meta.url).pathname;

async function tinyModel(dir: string, scale: 2 | 4): Promise<string> {
  const path = join(dir, `tiny-x${scale}`);
  await saveModel(path, randomWeights(tinySpec(scale), 7), { id: `tiny-x${scale}`, description: 'test model with random weights' });
  return path;
}

/** A crop of the sample as a PNG with `channels` and `bitDepth`, a density, EXIF, XMP and (colour only) an ICC profile. */
async function samplePng(path: string, channels: 1 | 2 | 3 | 4, bitDepth: 8 | 16): Promise<void> {
  const [width, height] = [210, 150];
  const gray = channels <= 2;
  const colours = gray ? 1 : 3;
  const { data } = await sharp(SAMPLE).extract({ left: 60, top: 40, width, height })
    .toColourspace(gray ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb')
    .raw({ depth: bitDepth === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const source = bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data);
  const pixels = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  const max = bitDepth === 16 ? 65535 : 255;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < colours; c++) pixels[i * channels + c] = source[i * colours + c];
    // A diagonal alpha ramp, so the alpha channel has detail to upscale.
    if (channels === 2 || channels === 4) pixels[i * channels + colours] = Math.round((((i % width) + 2 * Math.floor(i / width)) % 256) / 255 * max);
  }
  let img = sharp(pixels, { raw: { width, height, channels } })
    .toColourspace(gray ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb')
    .png().withDensity(300).withExif({ IFD0: { Copyright: 'Subpixel test', Orientation: '1' } })
    .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Label="Subpixel label"/></rdf:RDF></x:xmpmeta>');
  if (!gray) img = img.withIccProfile('p3');
  await img.toFile(path);
  const written = await readImage(path);
  assert.deepEqual([written.raster.channels, written.raster.bitDepth], [channels, bitDepth]);
}

/**
 * How a file was encoded, to tell the streamed PNG writer from sharp's: the PNG's row filter types (the streamed PNG
 * filters every row with Paeth, type 4), or the TIFF's compression tag (LZW, 5, on both paths).
 */
function encoding(path: string): string {
  const file = readFileSync(path);
  if (file.subarray(0, 2).toString('latin1') === 'II') {
    const ifd = file.readUInt32LE(4);
    for (let i = 0; i < file.readUInt16LE(ifd); i++) {
      const entry = ifd + 2 + i * 12;
      if (file.readUInt16LE(entry) === 259) return `tiff compression ${file.readUInt16LE(entry + 8)}`;
    }
    return 'tiff without compression tag';
  }
  const idat: Buffer[] = [];
  let width = 0;
  let bytesPerPixel = 0;
  for (let at = 8; at < file.length;) {
    const length = file.readUInt32BE(at);
    const type = file.subarray(at + 4, at + 8).toString('latin1');
    if (type === 'IHDR') {
      width = file.readUInt32BE(at + 8);
      bytesPerPixel = ({ 0: 1, 4: 2, 2: 3, 6: 4 } as Record<number, number>)[file[at + 17]] * (file[at + 16] / 8);
    }
    if (type === 'IDAT') idat.push(file.subarray(at + 8, at + 8 + length));
    at += length + 12;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const filters = new Set<number>();
  for (let at = 0; at < raw.length; at += 1 + width * bytesPerPixel) filters.add(raw[at]);
  return `png filters ${[...filters].sort().join(',')}`;
}

const VARIANTS = [
  ['png', 4, 8], ['png', 1, 16], ['png', 1, 8], ['png', 2, 8], ['png', 4, 16], ['png', 3, 8],
  ['tiff', 3, 8], ['tiff', 4, 16], ['tiff', 1, 16], ['tiff', 2, 8],
] as const;

describe('streamed PNG and TIFF output', () => {
  for (const [format, channels, bitDepth] of VARIANTS) {
    it(`${format}, ${channels}-channel ${bitDepth}-bit: same pixels and metadata as the whole-raster path`, { timeout: 120_000 }, async () => {
      const dir = await tempDir('png-stream');
      try {
        const model = await tinyModel(dir.path, 2);
        const input = join(dir.path, 'in.png');
        await samplePng(input, channels, bitDepth);
        const whole = join(dir.path, `whole.${format}`);
        const streamed = join(dir.path, `streamed.${format}`);
        // Tiles of 40 LR pixels: four row bands of uneven content, each band several tiles wide.
        await upscaleFile(input, whole, { model, tile: 40, format, streamAboveBytes: Infinity });
        let tiles = 0;
        await upscaleFile(input, streamed, { model, tile: 40, format, streamAboveBytes: 0, onProgress: () => { tiles++; } });
        assert.ok(tiles > 4);
        const [a, b] = [(await readImage(whole)).raster, (await readImage(streamed)).raster];
        assert.deepEqual([b.width, b.height, b.channels, b.bitDepth], [420, 300, channels, bitDepth]);
        assert.deepEqual([a.width, a.height, a.channels, a.bitDepth], [420, 300, channels, bitDepth]);
        assert.ok(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
          'streamed pixels differ from the whole-raster path');
        const [ma, mb] = [await sharp(whole).metadata(), await sharp(streamed).metadata()];
        assert.equal(mb.depth, bitDepth === 16 ? 'ushort' : 'uchar');
        assert.equal(mb.channels, channels);
        assert.equal(mb.density, ma.density);
        assert.equal(mb.density, 300);
        assert.equal(mb.orientation ?? 1, 1);
        assert.equal(Boolean(mb.icc), channels >= 3);
        assert.ok(mb.icc === undefined || mb.icc.equals(ma.icc!));
        assert.equal(mb.format, format);
        // XMP: libvips writes it into whole PNGs, our writers into streamed PNGs and every TIFF.
        assert.match(mb.xmp?.toString('utf8') ?? '', /Subpixel label/);
        assert.ok(mb.xmp?.equals(ma.xmp!), 'the streamed file carries the same XMP');
        if (format === 'png') {
          assert.equal(encoding(streamed), 'png filters 4');
          assert.notEqual(encoding(whole), encoding(streamed));
        } else {
          // One TIFF writer for both: strips are cut from the rows as they come, so the files are the same bytes.
          assert.equal(encoding(streamed), 'tiff compression 5');
          assert.ok(readFileSync(streamed).equals(readFileSync(whole)), 'streamed TIFF differs from the whole-raster one');
        }
        if (format === 'png') {
          assert.ok(mb.exif && ma.exif);
          assert.match(mb.exif.toString('latin1'), /Subpixel test/);
        } else {
          // TIFF holds EXIF as directories of its own, which libvips does not report: ExifTool reads them.
          const copyright = execFileSync('exiftool', ['-s3', '-Copyright', streamed]).toString().trim();
          assert.equal(copyright, 'Subpixel test');
        }
        assert.deepEqual(await readdir(dir.path).then((n) => n.filter((f) => f.includes('subpixel-tmp'))), []);
      } finally {
        await dir.cleanup();
      }
    });
  }

  for (const format of ['png', 'tiff'] as const) {
    it(`${format} cancelled half way: the abort comes out as an abort, and neither the output nor a temp file is left`, { timeout: 120_000 }, async () => {
      const dir = await tempDir('png-stream-abort');
      try {
        const model = await tinyModel(dir.path, 2);
        const input = join(dir.path, 'in.png');
        await samplePng(input, 3, 8);
        const controller = new AbortController();
        let tiles = 0;
        await assert.rejects(
          upscaleFile(input, join(dir.path, `out.${format}`), {
            model, tile: 40, format, streamAboveBytes: 0, signal: controller.signal,
            onProgress: () => { if (++tiles === 7) controller.abort(); },
          }),
          (error: unknown) => isAbortError(error),
        );
        assert.equal(tiles, 7);
        assert.deepEqual((await readdir(dir.path)).sort(), ['in.png', 'tiny-x2']);
      } finally {
        await dir.cleanup();
      }
    });
  }

  it('3000x2000 → x4 RGB: the 12000x8000 output streams, peak RSS well below its 288 MB raster', { timeout: 600_000 }, async () => {
    const dir = await tempDir('png-stream-peak');
    try {
      const model = await tinyModel(dir.path, 4);
      const input = join(dir.path, 'big.png');
      await sharp(SAMPLE).resize(3000, 2000, { fit: 'fill' }).png({ compressionLevel: 1 }).toFile(input);
      const output = join(dir.path, 'big-x4.png');
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, input, output, model], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d; });
      child.stderr.on('data', (d: Buffer) => { stderr += d; });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, stderr);
      const { width, height, startRssBytes, maxRssBytes } = JSON.parse(stdout) as { width: number; height: number; startRssBytes: number; maxRssBytes: number };
      assert.deepEqual([width, height], [12000, 8000]);
      const rasterBytes = 12000 * 8000 * 3;
      // What the upscale added to the process's peak (Node, tsx, sharp and the code loaded are there before it).
      const grown = maxRssBytes - startRssBytes;
      console.log(`peak RSS grew ${(grown / 1e6).toFixed(0)} MB for a ${(rasterBytes / 1e6).toFixed(0)} MB output raster`);
      assert.ok(grown < rasterBytes * 0.6, `peak RSS grew ${grown} bytes: not well below the raster's ${rasterBytes}`);
      const meta = await sharp(output).metadata();
      assert.deepEqual([meta.width, meta.height, meta.channels, meta.format], [12000, 8000, 3, 'png']);
      // The whole file decodes (every IDAT chunk and CRC is sound): its last rows have the image's content.
      const { data } = await sharp(output, { limitInputPixels: false }).extract({ left: 0, top: 7990, width: 12000, height: 10 }).raw().toBuffer({ resolveWithObject: true });
      assert.ok(data.some((v) => v > 0));
    } finally {
      await dir.cleanup();
    }
  });
});
