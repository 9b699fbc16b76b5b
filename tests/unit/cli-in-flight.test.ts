import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filesInFlight } from '../../src-main/cli/upscale.js';

const still = (width: number, height: number): { pixels: number; video: boolean } => ({ pixels: width * height, video: false });

test('four files in flight only when every output is frame-sized; photos and videos keep two', () => {
  assert.equal(filesInFlight([still(480, 270), still(480, 270)], 4), 4); // 1920x1080 outputs
  assert.equal(filesInFlight([still(1920, 1080)], 2), 4); // a 4K frame out
  assert.equal(filesInFlight([still(1920, 1080)], 3), 2); // 5760x3240 out: 18.7 MP
  assert.equal(filesInFlight([still(480, 270), still(4000, 3000)], 2), 2); // one 48 MP output in the batch
  assert.equal(filesInFlight([still(480, 270), { pixels: 480 * 270 * 240, video: true }], 4), 2);
});
