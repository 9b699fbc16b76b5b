import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { xmpWithUprightOrientation } from '../../src-main/engine/image-io/xmp.js';
import type { Raster } from '../../src-main/engine/raster.js';
import {
  ImageReadError,
  ImageWriteError,
  OverwriteInputError,
  assertNotInput,
  extensionFor,
  formatFromPath,
  readImage,
  readImageInfo,
  writeImage,
  type ImageReadErrorKind,
} from '../../src-main/engine/image-io.js';
import { writeFileAtomic } from '../../src-main/common/atomic-write.js';
import { DEFAULT_PNG_COMPRESSION } from '../../src-main/engine/image-io/write.js';
import { PNG_SIGNATURE, pngChunk, pngIhdr } from '../../src-main/engine/image-io/metadata-carrier.js';
import { SAMPLES } from '../paths.js';

let dir: string;
const at = (name: string): string => join(dir, name);

/** A small colour photo (48x32) as PNG, the source of most fixtures. */
let photoPng: Buffer;

function pixel(raster: Raster, x: number, y: number): number[] {
  const start = (y * raster.width + x) * raster.channels;
  return Array.from(raster.data.subarray(start, start + raster.channels));
}

function patterned16(width: number, height: number, channels: 1 | 2 | 3 | 4): Raster {
  const data = new Uint16Array(width * height * channels);
  // Covers low and high bytes independently, so any 8-bit truncation shows.
  for (let i = 0; i < data.length; i++) data[i] = (i * 40503 + 7) % 65536;
  return { data, width, height, channels, bitDepth: 16 };
}

function patterned8(width: number, height: number, channels: 1 | 2 | 3 | 4): Raster {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 97 + 13) % 256;
  return { data, width, height, channels, bitDepth: 8 };
}

async function rejectsWith(promise: Promise<unknown>, kind: ImageReadErrorKind, path: string, message: RegExp): Promise<ImageReadError> {
  const error = await promise.then(
    () => assert.fail('expected an ImageReadError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ImageReadError, `got ${String(error)}`);
  assert.equal(error.kind, kind, error.message);
  assert.equal(error.path, path);
  assert.match(error.message, message);
  return error;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-image-io-'));
  photoPng = await sharp(join(SAMPLES, 'chelsea.png')).resize(48, 32, { fit: 'fill' }).png().toBuffer();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('format helpers', () => {
  test('formatFromPath maps extensions case-insensitively', () => {
    assert.equal(formatFromPath('/a/b/photo.JPEG'), 'jpg');
    assert.equal(formatFromPath('x.jpg'), 'jpg');
    assert.equal(formatFromPath('x.tif'), 'tiff');
    assert.equal(formatFromPath('x.webp'), 'webp');
    assert.equal(formatFromPath('x.avif'), 'avif');
    assert.equal(formatFromPath('x.gif'), 'gif');
    assert.equal(formatFromPath('x.bmp'), undefined);
    assert.equal(formatFromPath('noext'), undefined);
  });
  test('extensionFor normalises jpeg to jpg', () => {
    assert.equal(extensionFor('jpeg'), 'jpg');
    assert.equal(extensionFor('jpg'), 'jpg');
    assert.equal(extensionFor('png'), 'png');
    assert.equal(extensionFor('tiff'), 'tiff');
  });
});

describe('readImage decodes every supported format', () => {
  const encoders = {
    jpg: (s: Sharp) => s.jpeg(),
    png: (s: Sharp) => s.png(),
    webp: (s: Sharp) => s.webp(),
    tiff: (s: Sharp) => s.tiff(),
    avif: (s: Sharp) => s.avif({ effort: 0 }),
    gif: (s: Sharp) => s.gif(),
  } as const;
  for (const [format, encode] of Object.entries(encoders)) {
    test(format, async () => {
      const path = at(`photo.${format}`);
      await encode(sharp(photoPng)).toFile(path);
      const info = await readImageInfo(path);
      const { raster, format: decodedFormat, meta } = await readImage(path);
      assert.equal(decodedFormat, format);
      assert.equal(meta.format, format);
      assert.deepEqual([raster.width, raster.height, raster.bitDepth], [48, 32, 8]);
      assert.ok(raster.data instanceof Uint8Array);
      assert.equal(raster.channels, info.channels);
      assert.equal(raster.channels, format === 'gif' && info.hasAlpha ? 4 : 3);
      assert.equal(raster.data.length, 48 * 32 * raster.channels);
      assert.deepEqual([info.width, info.height, info.format, info.bitDepth], [48, 32, format, 8]);
      // Decoded content is the photo, not noise: mean of the red channel close to the source's.
      const source = await sharp(photoPng).raw().toBuffer();
      let diff = 0;
      for (let i = 0; i < 48 * 32; i++) diff += Math.abs(raster.data[i * raster.channels] - source[i * 3]);
      assert.ok(diff / (48 * 32) < 20, `mean red difference ${diff / (48 * 32)}`);
    });
  }

  test('animated GIF: only the first frame', async () => {
    const frame = (r: number, b: number) =>
      sharp({ create: { width: 8, height: 6, channels: 3, background: { r, g: 0, b } } }).png().toBuffer();
    const path = at('animated.gif');
    await sharp([await frame(255, 0), await frame(0, 255)], { join: { animated: true } }).gif().toFile(path);
    const info = await readImageInfo(path);
    assert.equal(info.pages, 2);
    const { raster } = await readImage(path);
    assert.deepEqual([raster.width, raster.height], [8, 6]);
    const [r, g, b] = pixel(raster, 4, 3);
    assert.ok(r > 200 && g < 40 && b < 40, `first frame is red, got ${[r, g, b]}`);
  });

  test('CMYK JPEG is converted to RGB and its CMYK profile dropped', async () => {
    const path = at('cmyk.jpg');
    await sharp(photoPng).toColourspace('cmyk').jpeg().toFile(path);
    assert.equal((await sharp(path).metadata()).space, 'cmyk');
    const info = await readImageInfo(path);
    assert.deepEqual([info.channels, info.hasIcc], [3, false]);
    const { raster, meta } = await readImage(path);
    assert.equal(raster.channels, 3);
    assert.equal(meta.icc, undefined);
    const source = await sharp(photoPng).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < source.length; i++) diff += Math.abs(raster.data[i] - source[i]);
    assert.ok(diff / source.length < 25, `mean difference ${diff / source.length}`);
  });

  test('palette PNG becomes RGB', async () => {
    const path = at('palette.png');
    await sharp(photoPng).png({ palette: true, colours: 16 }).toFile(path);
    assert.equal((await sharp(path).metadata()).isPalette, true);
    const { raster } = await readImage(path);
    assert.equal(raster.channels, 3);
    assert.equal(raster.bitDepth, 8);
  });

  test('gray stays one channel, gray+alpha two', async () => {
    const gray = at('gray.png');
    await sharp(join(SAMPLES, 'camera.png')).resize(32).toColourspace('b-w').png().toFile(gray);
    assert.equal((await sharp(gray).metadata()).channels, 1);
    const decoded = await readImage(gray);
    assert.equal(decoded.raster.channels, 1);
    assert.equal((await readImageInfo(gray)).channels, 1);

    for (const format of ['png', 'jpg', 'tiff'] as const) {
      const out = at(`gray-out.${format}`);
      await writeImage(out, decoded.raster, { format });
      assert.equal((await readImage(out)).raster.channels, 1, format);
    }
    // WebP and sharp's AVIF encoder have no gray mode: they store R = G = B.
    for (const format of ['webp', 'avif'] as const) {
      const out = at(`gray-out.${format}`);
      await writeImage(out, decoded.raster, { format, quality: 100 });
      const back = (await readImage(out)).raster;
      assert.equal(back.channels, 3, format);
      const [r, g, b] = pixel(back, 16, 16);
      assert.ok(Math.abs(r - g) <= 2 && Math.abs(g - b) <= 2, `${format}: ${[r, g, b]}`);
    }
    const grayAlpha = patterned8(9, 7, 2);
    await writeImage(at('ga.png'), grayAlpha, { format: 'png' });
    const back = await readImage(at('ga.png'));
    assert.equal(back.raster.channels, 2);
    assert.deepEqual(back.raster.data, grayAlpha.data);
  });
});

describe('bit depth and alpha', () => {
  for (const format of ['png', 'tiff'] as const) {
    for (const channels of [1, 2, 3, 4] as const) {
      test(`16-bit ${format} with ${channels} channel(s) round-trips exactly`, async () => {
        const raster = patterned16(11, 7, channels);
        const path = at(`deep-${channels}.${format}`);
        const result = await writeImage(path, raster, { format });
        assert.equal(result.bitDepth, 16);
        assert.equal((await readImageInfo(path)).bitDepth, 16);
        const back = await readImage(path);
        assert.equal(back.raster.bitDepth, 16);
        assert.equal(back.meta.bitDepth, 16);
        assert.ok(back.raster.data instanceof Uint16Array);
        assert.equal(back.raster.channels, channels);
        assert.deepEqual(back.raster.data, raster.data);
      });
    }
  }

  test('16-bit photo PNG decodes as 16-bit', async () => {
    const path = at('photo16.png');
    await sharp(photoPng).toColourspace('rgb16').png().toFile(path);
    const { raster } = await readImage(path);
    assert.equal(raster.bitDepth, 16);
    assert.ok(raster.data instanceof Uint16Array);
    assert.ok(Math.max(...raster.data) > 255, 'values use the 16-bit range');
  });

  test('16-bit raster written as jpg/webp/avif becomes 8-bit with matching values', async () => {
    const width = 16;
    const data = new Uint16Array(width * 4 * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(i / 3) % width * 4096;
    const raster: Raster = { data, width, height: 4, channels: 3, bitDepth: 16 };
    for (const format of ['jpg', 'webp', 'avif'] as const) {
      const path = at(`down.${format}`);
      const result = await writeImage(path, raster, { format, quality: 100 });
      assert.equal(result.bitDepth, 8);
      const back = await readImage(path);
      assert.equal(back.raster.bitDepth, 8);
      const [r] = pixel(back.raster, 8, 1);
      assert.ok(Math.abs(r - (8 * 4096) / 257) < 12, `${format}: got ${r}, want about ${(8 * 4096) / 257}`);
    }
  });

  test('alpha is kept in png, webp, tiff and avif', async () => {
    const raster = patterned8(10, 6, 4);
    for (const format of ['png', 'webp', 'tiff', 'avif'] as const) {
      const path = at(`alpha.${format}`);
      await writeImage(path, raster, { format, quality: 100 });
      const back = await readImage(path);
      assert.equal(back.raster.channels, 4, format);
      assert.equal((await readImageInfo(path)).hasAlpha, true);
      if (format === 'png' || format === 'tiff') assert.deepEqual(back.raster.data, raster.data, format);
      else assert.equal(back.raster.data[3], raster.data[3], `${format} alpha`);
    }
  });

  test('jpg flattens alpha on white', async () => {
    const raster: Raster = { data: new Uint8Array(8 * 8 * 4), width: 8, height: 8, channels: 4, bitDepth: 8 };
    // Left half opaque black, right half fully transparent black.
    for (let y = 0; y < 8; y++) for (let x = 0; x < 4; x++) raster.data[(y * 8 + x) * 4 + 3] = 255;
    const path = at('flat.jpg');
    await writeImage(path, raster, { format: 'jpg', quality: 100 });
    const { raster: back } = await readImage(path);
    assert.equal(back.channels, 3);
    assert.ok(pixel(back, 1, 4).every((v) => v < 20), `opaque stays black: ${pixel(back, 1, 4)}`);
    assert.ok(pixel(back, 6, 4).every((v) => v > 235), `transparent becomes white: ${pixel(back, 6, 4)}`);
  });

  test('raster given as a view into a larger buffer is written from its own bytes', async () => {
    const big = new Uint8Array(100 + 5 * 4 * 3);
    big.fill(200);
    const view = big.subarray(100);
    for (let i = 0; i < view.length; i++) view[i] = i;
    await writeImage(at('view.png'), { data: view, width: 5, height: 4, channels: 3, bitDepth: 8 }, { format: 'png' });
    assert.deepEqual((await readImage(at('view.png'))).raster.data, view);
  });
});

describe('orientation and metadata', () => {
  test('EXIF orientation 6 decodes upright', async () => {
    // Stored 32x16 with a white block at the stored top-left; orientation 6 means "rotate 90° clockwise to view".
    const stored = Buffer.alloc(32 * 16 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) stored.fill(255, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3);
    const path = at('rotated.jpg');
    await sharp(stored, { raw: { width: 32, height: 16, channels: 3 } })
      .withExif({ IFD0: { Copyright: 'Subpixel test' } })
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 100 })
      .toFile(path);
    assert.equal((await sharp(path).metadata()).orientation, 6);

    const info = await readImageInfo(path);
    assert.deepEqual([info.width, info.height, info.orientation, info.hasExif], [16, 32, 6, true]);
    const { raster, meta } = await readImage(path);
    assert.deepEqual([raster.width, raster.height], [16, 32]);
    assert.equal(meta.orientation, 6);
    assert.ok(pixel(raster, 12, 3)[0] > 200, 'block is now at the top right');
    assert.ok(pixel(raster, 3, 3)[0] < 50, 'top left is dark');
    assert.ok(pixel(raster, 12, 28)[0] < 50, 'bottom right is dark');

    // Written back: EXIF kept (other tags too) but orientation reset, since the pixels are already upright.
    for (const format of ['jpg', 'png', 'webp', 'avif'] as const) {
      const out = at(`rotated-out.${format}`);
      await writeImage(out, raster, { format, meta });
      const written = await sharp(out).metadata();
      assert.ok(written.exif, `${format} has EXIF`);
      assert.ok(written.exif.includes('Subpixel test'), `${format} keeps other EXIF tags`);
      assert.equal(written.orientation ?? 1, 1, format);
      const again = await readImage(out);
      assert.deepEqual([again.raster.width, again.raster.height], [16, 32], format);
    }
  });

  test('XMP (ratings, keywords) reaches every format, its orientation set upright like EXIF', async () => {
    const xmp = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
      + 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
      + 'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="4" tiff:Orientation="6">'
      + '<dc:subject><rdf:Bag><rdf:li>Subpixel keyword</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>';
    const path = at('with-xmp.jpg');
    await sharp(Buffer.alloc(32 * 16 * 3, 90), { raw: { width: 32, height: 16, channels: 3 } })
      .withMetadata({ orientation: 6 }).withXmp(xmp).jpeg({ quality: 95 }).toFile(path);
    const { raster, meta } = await readImage(path);
    assert.ok(meta.xmp?.toString('utf8').includes('Subpixel keyword'), 'XMP read');
    assert.deepEqual([raster.width, raster.height], [16, 32], 'decoded upright');
    for (const format of ['jpg', 'png', 'webp', 'avif', 'tiff'] as const) {
      const out = at(`xmp-out.${format}`);
      await writeImage(out, raster, { format, meta });
      const written = (await sharp(out).metadata()).xmp?.toString('utf8') ?? '';
      assert.ok(written.includes('Subpixel keyword') && written.includes('xmp:Rating="4"'), `${format} keeps the XMP`);
      assert.ok(written.includes('tiff:Orientation="1"') && !written.includes('tiff:Orientation="6"'), `${format}: XMP orientation upright`);
    }
    // The element form Adobe's tools also write.
    assert.equal(xmpWithUprightOrientation(Buffer.from('<tiff:Orientation> 8 </tiff:Orientation>')).toString(), '<tiff:Orientation>1</tiff:Orientation>');
    // Not carried when metadata is not kept.
    await writeImage(at('xmp-stripped.png'), raster, { format: 'png', meta, keepMetadata: false });
    assert.equal((await sharp(at('xmp-stripped.png')).metadata()).xmp, undefined);
  });

  test('ICC profile: pixels stay in its encoding and the profile survives read → write', async () => {
    const path = at('p3.png');
    await sharp(photoPng).withIccProfile('p3').png().toFile(path);
    const sourceIcc = (await sharp(path).metadata()).icc;
    assert.ok(sourceIcc);
    const decoded = await readImage(path);
    assert.ok(decoded.meta.icc?.equals(sourceIcc));
    assert.equal((await readImageInfo(path)).hasIcc, true);
    const encoded = await sharp(path, { ignoreIcc: true }).raw().toBuffer();
    assert.ok(Buffer.from(decoded.raster.data).equals(encoded), 'no colour conversion on read');

    for (const format of ['png', 'jpg', 'webp', 'tiff', 'avif'] as const) {
      const out = at(`p3-out.${format}`);
      const result = await writeImage(out, decoded.raster, { format, meta: decoded.meta });
      assert.deepEqual(result.warnings, []);
      assert.ok((await sharp(out).metadata()).icc?.equals(sourceIcc), `${format} carries the source profile`);
    }
    // Lossless output holds exactly the decoded values.
    assert.deepEqual((await readImage(at('p3-out.png'))).raster.data, decoded.raster.data);
    assert.deepEqual((await readImage(at('p3-out.tiff'))).raster.data, decoded.raster.data);

    const stripped = at('p3-stripped.png');
    await writeImage(stripped, decoded.raster, { format: 'png', meta: decoded.meta, keepMetadata: false });
    assert.equal((await readImageInfo(stripped)).hasIcc, false);
  });

  test('16-bit image keeps its ICC profile', async () => {
    const path = at('p3-16.png');
    await sharp(photoPng).withIccProfile('p3').toColourspace('rgb16').png().toFile(path);
    const decoded = await readImage(path);
    assert.equal(decoded.raster.bitDepth, 16);
    await writeImage(at('p3-16-out.png'), decoded.raster, { format: 'png', meta: decoded.meta });
    const back = await readImage(at('p3-16-out.png'));
    assert.ok(back.meta.icc?.equals(decoded.meta.icc!));
    assert.deepEqual(back.raster.data, decoded.raster.data);
  });

  test('an RGB profile is not forced onto gray pixels', async () => {
    const decoded = await readImage(at('p3.png'));
    const gray = patterned8(4, 4, 1);
    const result = await writeImage(at('mismatch.png'), gray, { format: 'png', meta: decoded.meta });
    assert.match(result.warnings.join(), /does not fit gray/);
    assert.equal((await readImageInfo(at('mismatch.png'))).hasIcc, false);
  });

  test('density is preserved', async () => {
    const path = at('dpi.png');
    await sharp(photoPng).withDensity(300).png().toFile(path);
    const decoded = await readImage(path);
    assert.equal(decoded.meta.density, 300);
    for (const format of ['png', 'jpg', 'tiff'] as const) {
      const out = at(`dpi-out.${format}`);
      await writeImage(out, decoded.raster, { format, meta: decoded.meta });
      assert.equal((await readImageInfo(out)).density, 300, format);
    }
  });
});

describe('bad input gives a clear ImageReadError', () => {
  test('missing file', async () => {
    const path = at('nope.png');
    await rejectsWith(readImage(path), 'not-found', path, /file not found/);
    await rejectsWith(readImageInfo(path), 'not-found', path, /file not found/);
  });

  test('directory', async () => {
    const path = at('a-folder.png');
    await mkdir(path);
    await rejectsWith(readImage(path), 'directory', path, /is a directory/);
  });

  test('empty file', async () => {
    const path = at('empty.jpg');
    await writeFile(path, '');
    await rejectsWith(readImage(path), 'empty', path, /empty/);
  });

  test('text file named .jpg', async () => {
    const path = at('notes.jpg');
    await writeFile(path, 'these are not the pixels you are looking for\n'.repeat(20));
    await rejectsWith(readImage(path), 'not-image', path, /not an image file/);
  });

  test('random bytes named .png', async () => {
    const path = at('noise.png');
    await writeFile(path, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    await rejectsWith(readImage(path), 'not-image', path, /not an image file/);
  });

  test('PNG signature followed by garbage', async () => {
    const path = at('garbage.png');
    await writeFile(path, Buffer.concat([PNG_SIGNATURE, Buffer.alloc(200, 0x41)]));
    await rejectsWith(readImage(path), 'corrupt', path, /PNG file is truncated or corrupt/);
  });

  test('truncated PNG', async () => {
    const path = at('truncated.png');
    const whole = await sharp(photoPng).png({ compressionLevel: 0 }).toBuffer();
    await writeFile(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await rejectsWith(readImage(path), 'corrupt', path, /PNG file is truncated or corrupt/);
  });

  test('truncated JPEG', async () => {
    const path = at('truncated.jpg');
    const whole = await sharp(photoPng).jpeg().toBuffer();
    await writeFile(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await rejectsWith(readImage(path), 'corrupt', path, /JPEG|JPG/);
  });

  test('unsupported format is named', async () => {
    const path = at('old.bmp');
    const header = Buffer.alloc(64);
    header.write('BM', 0, 'latin1');
    await writeFile(path, header);
    await rejectsWith(readImage(path), 'unsupported-format', path, /BMP images are not supported \(supported: jpg, png/);
  });

  test('PNG header claiming 100000x100000 is refused before decoding', async () => {
    const path = at('bomb.png');
    const idat = pngChunk('IDAT', deflateSync(Buffer.alloc(1 + 100000 * 3).subarray(0, 64)));
    await writeFile(path, Buffer.concat([PNG_SIGNATURE, pngIhdr(100000, 100000, 8, 2), idat, pngChunk('IEND', Buffer.alloc(0))]));
    const message = /image is 100000x100000 = 10000 MP, over the limit of 268 MP \(set maxPixels to raise it\)/;
    await rejectsWith(readImage(path), 'too-large', path, message);
    await rejectsWith(readImageInfo(path), 'too-large', path, message);
  });

  test('maxPixels is configurable', async () => {
    const path = at('photo.png');
    await rejectsWith(readImage(path, { maxPixels: 1000 }), 'too-large', path, /48x32 = 0\.00154 MP, over the limit of 0\.001 MP/);
    assert.equal((await readImage(path, { maxPixels: 48 * 32 })).raster.width, 48);
  });
});

describe('writing', () => {
  const raster = (): Raster => ({
    data: new Uint8Array(photoRaw),
    width: 48,
    height: 32,
    channels: 3,
    bitDepth: 8,
  });
  let photoRaw: Buffer;
  before(async () => {
    photoRaw = await sharp(photoPng).raw().toBuffer();
  });

  for (const format of ['jpg', 'webp', 'avif'] as const) {
    test(`quality changes ${format} size`, async () => {
      await writeImage(at(`q-low.${format}`), raster(), { format, quality: 20 });
      await writeImage(at(`q-high.${format}`), raster(), { format, quality: 95 });
      const low = (await readFile(at(`q-low.${format}`))).length;
      const high = (await readFile(at(`q-high.${format}`))).length;
      assert.ok(low < high, `${format}: q20 ${low} bytes, q95 ${high} bytes`);
    });
  }

  test('compression changes png size', async () => {
    await writeImage(at('c0.png'), raster(), { format: 'png', compression: 0 });
    await writeImage(at('c9.png'), raster(), { format: 'png', compression: 9 });
    const c0 = (await readFile(at('c0.png'))).length;
    const c9 = (await readFile(at('c9.png'))).length;
    assert.ok(c9 < c0, `level 0 ${c0} bytes, level 9 ${c9} bytes`);
  });

  test('PNG rows are filtered: a photo upscale is well under the size of its unfiltered encoding, and lossless', async () => {
    const { data, info } = await sharp(join(SAMPLES, 'chelsea.png')).resize({ width: 902, kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
    const upscaled: Raster = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
    await writeImage(at('filtered.png'), upscaled, { format: 'png' });
    const written = (await readFile(at('filtered.png'))).length;
    const unfiltered = (await sharp(data, { raw: info }).png({ compressionLevel: DEFAULT_PNG_COMPRESSION, adaptiveFiltering: false }).toBuffer()).length;
    assert.ok(written < 0.7 * unfiltered, `filtered ${written} bytes, unfiltered ${unfiltered} bytes`);
    assert.deepEqual((await readImage(at('filtered.png'))).raster.data, upscaled.data);
  });

  test('format "jpeg" is accepted and written as JPEG', async () => {
    const result = await writeImage(at('named.jpeg'), raster(), { format: 'jpeg' });
    assert.equal(result.format, 'jpg');
    assert.equal((await sharp(at('named.jpeg')).metadata()).format, 'jpeg');
  });

  test('invalid options and rasters are refused', async () => {
    await assert.rejects(writeImage(at('x.jpg'), raster(), { format: 'jpg', quality: 0 }), ImageWriteError);
    await assert.rejects(writeImage(at('x.png'), raster(), { format: 'png', compression: 12 }), ImageWriteError);
    const short = { ...raster(), height: 40 };
    await assert.rejects(writeImage(at('x.png'), short, { format: 'png' }), /expected 48x40x3/);
    await assert.rejects(writeImage(at('x.png'), { ...raster(), bitDepth: 16 }, { format: 'png' }), ImageWriteError);
  });

  async function leftovers(): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.includes('subpixel-tmp'));
  }

  test('writeFileAtomic: temp file beside the target, renamed into place', async () => {
    const target = at('atomic.txt');
    let seen = '';
    await writeFileAtomic(target, async (tempPath) => {
      seen = tempPath;
      await writeFile(tempPath, 'done');
    });
    assert.match(seen, /\/\.atomic\.txt\.subpixel-tmp-[0-9a-f]{4}-\d+-[0-9a-f]+$/);
    assert.equal(await readFile(target, 'utf8'), 'done');
    assert.deepEqual(await leftovers(), []);
  });

  test('writeFileAtomic: a failing writer leaves no temp file and the old content', async () => {
    const target = at('keep.txt');
    await writeFile(target, 'old');
    await assert.rejects(
      writeFileAtomic(target, async (tempPath) => {
        await writeFile(tempPath, 'half');
        throw new Error('encoder died');
      }),
      /encoder died/,
    );
    assert.equal(await readFile(target, 'utf8'), 'old');
    assert.deepEqual(await leftovers(), []);
  });

  test('writeImage failure (target is a directory) leaves no partial output', async () => {
    const target = at('occupied.png');
    await mkdir(target);
    await assert.rejects(writeImage(target, raster(), { format: 'png' }), (e: unknown) => e instanceof ImageWriteError && e.path === target);
    assert.deepEqual(await leftovers(), []);
    await assert.rejects(writeImage(at('no/such/dir/out.png'), raster(), { format: 'png' }), ImageWriteError);
    assert.deepEqual(await leftovers(), []);
  });

  test('never writes over an input, even through a symlink', async () => {
    const input = at('input.png');
    await writeFile(input, photoPng);
    const link = at('link-to-input.png');
    await symlink(input, link);
    for (const target of [input, link, join(dir, '.', 'input.png')]) {
      await assert.rejects(writeImage(target, raster(), { format: 'png', inputPaths: [input] }), OverwriteInputError);
    }
    assert.ok((await readFile(input)).equals(photoPng), 'input untouched');
    await assert.rejects(assertNotInput(input, [link]), OverwriteInputError);
    await assertNotInput(at('elsewhere.png'), [input]);
    await writeImage(at('elsewhere.png'), raster(), { format: 'png', inputPaths: [input] });
  });
});
