import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Raster } from '../../src-main/engine/raster.js';
import {
  lumaToGray, lumaY, rgbToYCbCr, rgbToYCbCrPlanes, yCbCrPlanesToRgb, yCbCrToRgb,
} from '../../src-main/engine/color.js';
import { needsShared, sharedPath } from '../paths.js';

const close = (actual: number, expected: number, tolerance = 1e-9, what = ''): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} != ${expected}`);
};

test('known colours map to MATLAB rgb2ycbcr values', () => {
  const cases: Array<[[number, number, number], [number, number, number]]> = [
    [[0, 0, 0], [16, 128, 128]],
    [[1, 1, 1], [235, 128, 128]],
    [[1, 0, 0], [81.481, 90.203, 240]],
    [[0, 1, 0], [144.553, 53.797, 34.214]],
    [[0, 0, 1], [40.966, 240, 109.786]],
    [[0.5, 0.5, 0.5], [125.5, 128, 128]],
  ];
  for (const [[r, g, b], [y, cb, cr]] of cases) {
    const c = rgbToYCbCr(r, g, b);
    close(c.y, y, 1e-9, `Y of ${r},${g},${b}`);
    close(c.cb, cb, 1e-9, `Cb of ${r},${g},${b}`);
    close(c.cr, cr, 1e-9, `Cr of ${r},${g},${b}`);
    const back = yCbCrToRgb(y, cb, cr);
    close(back[0], r, 1e-12, 'R');
    close(back[1], g, 1e-12, 'G');
    close(back[2], b, 1e-12, 'B');
  }
});

test('8-bit RGB survives a round trip through float YCbCr planes exactly', () => {
  const levels = [0, 1, 17, 64, 127, 128, 200, 254, 255];
  const count = levels.length ** 3;
  const data = new Uint8Array(count * 3);
  let i = 0;
  for (const r of levels) for (const g of levels) for (const b of levels) data.set([r, g, b], 3 * i++);
  const raster: Raster = { data, width: count, height: 1, channels: 3, bitDepth: 8 };
  const planes = rgbToYCbCrPlanes(raster);
  const back = yCbCrPlanesToRgb(planes, 8);
  assert.equal(back.channels, 3);
  assert.deepEqual(back.data, data);
  // The float results themselves are close, not just after rounding.
  for (let p = 0; p < count; p++) {
    const rgb = yCbCrToRgb(planes.y.data[p], planes.cb.data[p], planes.cr.data[p]);
    for (let c = 0; c < 3; c++) close(rgb[c] * 255, data[3 * p + c], 1e-3, `pixel ${p} channel ${c}`);
  }
});

test('a real photo round-trips and lumaY equals the Y plane', { skip: needsShared('datasets/eval/Set5') }, async () => {
  const path = sharedPath('datasets', 'eval', 'Set5', 'HR', 'bird.png');
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const raster: Raster = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
  const planes = rgbToYCbCrPlanes(raster);
  assert.deepEqual(yCbCrPlanesToRgb(planes).data, raster.data);
  const y = lumaY(raster);
  assert.equal(y.width, info.width);
  for (let i = 0; i < y.data.length; i++) close(y.data[i], planes.y.data[i], 1e-4, `Y ${i}`);
});

test('gray rasters use R = G = B, so chroma is neutral and Y = 16 + 219 * gray / max', () => {
  const gray: Raster = { data: Uint8Array.from([0, 255, 51, 200]), width: 2, height: 2, channels: 1, bitDepth: 8 };
  const rgb: Raster = {
    data: Uint8Array.from([0, 0, 0, 255, 255, 255, 51, 51, 51, 200, 200, 200]), width: 2, height: 2, channels: 3, bitDepth: 8,
  };
  const y = lumaY(gray);
  assert.deepEqual(Array.from(y.data), Array.from(lumaY(rgb).data));
  for (let i = 0; i < 4; i++) close(y.data[i], 16 + (219 * gray.data[i]) / 255, 1e-4);
  const planes = rgbToYCbCrPlanes(gray);
  for (let i = 0; i < 4; i++) {
    close(planes.cb.data[i], 128, 1e-4);
    close(planes.cr.data[i], 128, 1e-4);
  }
  assert.deepEqual(lumaToGray(y).data, gray.data);
  // gray + alpha: alpha is ignored
  const grayAlpha: Raster = { data: Uint8Array.from([51, 0, 51, 255, 200, 9, 0, 77]), width: 2, height: 2, channels: 2, bitDepth: 8 };
  assert.deepEqual(Array.from(lumaY(grayAlpha).data), Array.from(lumaY({ ...gray, data: Uint8Array.from([51, 51, 200, 0]) }).data));
});

test('16-bit rasters are scaled by 65535 and results stay on the 0..255 scale', () => {
  const raster: Raster = {
    data: Uint16Array.from([65535, 65535, 65535, 0, 0, 0, 65535, 0, 0, 1000, 30000, 60000]),
    width: 4, height: 1, channels: 3, bitDepth: 16,
  };
  const planes = rgbToYCbCrPlanes(raster);
  close(planes.y.data[0], 235, 1e-4);
  close(planes.y.data[1], 16, 1e-4);
  close(planes.y.data[2], 81.481, 1e-4);
  close(planes.cr.data[2], 240, 1e-4);
  const back = yCbCrPlanesToRgb(planes, 16);
  assert.ok(back.data instanceof Uint16Array);
  assert.deepEqual(back.data, raster.data);
});

test('RGBA: alpha is ignored going in and can be carried back out', () => {
  const raster: Raster = { data: Uint8Array.from([10, 20, 30, 128, 250, 5, 90, 0]), width: 2, height: 1, channels: 4, bitDepth: 8 };
  const planes = rgbToYCbCrPlanes(raster);
  const alpha = { data: Float32Array.from([128, 0]), width: 2, height: 1 };
  const back = yCbCrPlanesToRgb(planes, 8, alpha);
  assert.equal(back.channels, 4);
  assert.deepEqual(back.data, raster.data);
});

test('out-of-gamut YCbCr is clipped when converted to a raster; mismatched planes are rejected', () => {
  const plane = (v: number) => ({ data: Float32Array.from([v]), width: 1, height: 1 });
  // (250, 128, 240) is R ≈ 451, G ≈ 181.4, B ≈ 272.5 on the 8-bit scale; (10, 240, 16) is R ≈ -185.7, G ≈ 40.2, B ≈ 218.9.
  const back = yCbCrPlanesToRgb({ y: plane(250), cb: plane(128), cr: plane(240) });
  assert.deepEqual(Array.from(back.data), [255, 181, 255]);
  const low = yCbCrPlanesToRgb({ y: plane(10), cb: plane(240), cr: plane(16) });
  assert.deepEqual(Array.from(low.data), [0, 40, 219]);
  assert.throws(
    () => yCbCrPlanesToRgb({ y: plane(16), cb: { data: new Float32Array(2), width: 2, height: 1 }, cr: plane(128) }),
    /cb plane is 2x1, y plane is 1x1/,
  );
  assert.throws(() => lumaY({ data: new Uint8Array(5), width: 2, height: 1, channels: 3, bitDepth: 8 }), /expected 2x1x3/);
});
