import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adamStep, createAdam } from '../../src-main/training/adam.js';

const close = (a: number, b: number, tol = 1e-6): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('Adam: bias-corrected steps of size lr along the gradient sign, and exact resume from saved moments', () => {
  const params = { w: { data: Float32Array.from([1, -2, 0.5]) } };
  const adam = createAdam(params);
  const g = { w: Float32Array.from([0.3, -4, 0]) };
  adamStep(adam, params, g, 0.01);
  // m̂ = g, v̂ = g² after one step, so each weight moves by lr·sign(g) (and not at all where g = 0)
  assert.ok(close(params.w.data[0], 1 - 0.01) && close(params.w.data[1], -2 + 0.01) && params.w.data[2] === 0.5, `${params.w.data}`);
  adamStep(adam, params, g, 0.01);
  assert.ok(close(params.w.data[0], 1 - 0.02) && close(params.w.data[1], -2 + 0.02), 'a constant gradient keeps the step size');

  const saved = { t: adam.t, m: { w: Float32Array.from(adam.m.w) }, v: { w: Float32Array.from(adam.v.w) } };
  const copy = { w: { data: Float32Array.from(params.w.data) } };
  const resumed = createAdam(copy, saved);
  const g2 = { w: Float32Array.from([-1, 0.5, 2]) };
  adamStep(adam, params, g2, 0.005);
  adamStep(resumed, copy, g2, 0.005);
  assert.deepEqual(copy.w.data, params.w.data);
  assert.equal(resumed.t, 3);
});
