import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { estimateJpegQuality, ijgQuantTable } from '../../src-main/engine/image-io/jpeg-quality.js';

const SAMPLES = join(import.meta.dirname, '../../resources/samples');

test('JPEG quality from the DQT markers: behind EXIF, progressive, gray, other encoders\' tables, not a JPEG', async () => {
  const photo = sharp(join(SAMPLES, 'coffee.png')).resize(200);
  // EXIF (APP1) and an ICC profile (APP2) before the tables; progressive scans
  const withMeta = await photo.clone().withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(4000) } } }).jpeg({ quality: 72, progressive: true }).toBuffer();
  assert.deepEqual(estimateJpegQuality(withMeta), { quality: 72, exact: true });
  const gray = await photo.clone().grayscale().jpeg({ quality: 41 }).toBuffer();
  assert.deepEqual(estimateJpegQuality(gray), { quality: 41, exact: true });
  // mozjpeg's own tables (not the standard ones): no exact match, an equivalent quality near the one asked for
  const moz = estimateJpegQuality(await photo.clone().jpeg({ quality: 60, mozjpeg: true }).toBuffer());
  assert.ok(moz && !moz.exact && Math.abs(moz.quality - 60) <= 15, JSON.stringify(moz));
  assert.equal(ijgQuantTable(50, false)[0], 16, 'quality 50 is the standard table itself');
  assert.equal(estimateJpegQuality(await photo.clone().png().toBuffer()), undefined);
  assert.equal(estimateJpegQuality(Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0x00])), undefined, 'a truncated file reads as no tables');
});
