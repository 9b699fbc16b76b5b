import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateNoiseSigma } from '../../src-main/engine/noise-level.js';
import { applyNoise } from '../../src-main/training/degrade.js';
import { createRng } from '../../src-main/training/rng.js';

test('the luma noise estimate measures added noise back, and smooth structure is not noise', () => {
  const w = 256;
  const ramp = { data: new Uint8Array(w * w).map((_, i) => i % w), width: w, height: w, channels: 1 as const, bitDepth: 8 as const };
  assert.ok(estimateNoiseSigma(ramp) < 0.5, `a clean ramp reads ${estimateNoiseSigma(ramp)}`);
  for (const sigma of [3, 8, 15]) {
    const noisy = { ...ramp, data: new Uint8Array(w * w).fill(128) };
    applyNoise(noisy, { kind: 'gaussian', sigma, luma: true }, createRng(sigma));
    const est = estimateNoiseSigma(noisy);
    assert.ok(Math.abs(est / sigma - 1) < 0.12, `σ ${sigma} reads ${est.toFixed(2)}`);
  }
  // a wide image is read in its centred window; the estimate stays the same
  const wide = { data: new Uint8Array(2600 * 200).fill(100), width: 2600, height: 200, channels: 1 as const, bitDepth: 8 as const };
  applyNoise(wide, { kind: 'gaussian', sigma: 8, luma: true }, createRng(5));
  assert.ok(Math.abs(estimateNoiseSigma(wide) / 8 - 1) < 0.12, `wide image reads ${estimateNoiseSigma(wide)}`);
});
