import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { lumaY } from '../../src-main/engine/color.js';
import { blockiness } from '../../src-main/engine/metrics.js';
import type { Raster } from '../../src-main/engine/raster.js';
import { imresize } from '../../src-main/engine/resize.js';
import { createRng } from '../../src-main/training/rng.js';

const SAMPLES = join(import.meta.dirname, '../../resources/samples');

async function decode(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
}

test('blockiness: about 1 without blocks, far above for flat blocks, and it grows as JPEG quality falls', async () => {
  const rng = createRng(1);
  const w = 96;
  const noise = { data: Float32Array.from({ length: w * w }, () => rng.next() * 255), width: w, height: w };
  assert.ok(Math.abs(blockiness(noise, 8) - 1) < 0.1, `white noise ${blockiness(noise, 8)}`);
  const levels = Array.from({ length: 144 }, () => rng.next() * 255);
  const blocks = { data: Float32Array.from({ length: w * w }, (_, i) => levels[Math.floor((i / w) / 8) * 12 + Math.floor((i % w) / 8)]), width: w, height: w };
  assert.equal(blockiness(blocks, 8), Infinity, 'steps only on the grid');
  // the same blocks a pixel off the grid read as no grid blockiness
  assert.ok(blockiness(blocks, 7) < 1);

  const png = await sharp(join(SAMPLES, 'coffee.png')).extract({ left: 0, top: 0, width: 320, height: 240 }).png().toBuffer();
  const original = lumaY(await decode(png));
  const base = blockiness(original, 8);
  assert.ok(Math.abs(base - 1) < 0.15, `clean photo ${base}`);
  const q = async (quality: number): Promise<number> => blockiness(lumaY(await decode(await sharp(png).jpeg({ quality }).toBuffer())), 8);
  const q80 = await q(80);
  const q30 = await q(30);
  assert.ok(q30 > q80 && q80 > base, `q30 ${q30}, q80 ${q80}, png ${base}`);
  // upscaled by 2, the JPEG grid is every 16 pixels
  const jpegY = lumaY(await decode(await sharp(png).jpeg({ quality: 30 }).toBuffer()));
  const up = imresize(jpegY, jpegY.width * 2, jpegY.height * 2);
  assert.ok(blockiness(up, 16) > 1.1, `bicubic x2 of q30 ${blockiness(up, 16)}`);
  assert.throws(() => blockiness(noise, 1), /period/);
});
