import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { trainableConv2d } from '../../src-main/training/conv.js';
import { createRng } from '../../src-main/training/rng.js';

function random(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

function maxAbsDiff(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const cases = [
  { n: 2, h: 5, w: 7, ci: 3, co: 4, k: 3 },
  { n: 1, h: 6, w: 4, ci: 1, co: 5, k: 5 },
  { n: 3, h: 4, w: 4, ci: 4, co: 2, k: 1 },
];

async function gradients(backend: string, builtIn: boolean, c: typeof cases[number], seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = random([c.n, c.h, c.w, c.ci], seed);
    const k = random([c.k, c.k, c.ci, c.co], seed + 1);
    const b = random([c.co], seed + 2);
    const weight = random([c.n, c.h, c.w, c.co], seed + 3); // a non-uniform upstream gradient
    const f = (xx: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor): tf.Tensor => {
      const y = builtIn
        ? tf.add(tf.conv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, 1, 'same'), bb)
        : trainableConv2d(xx as tf.Tensor4D, kk as tf.Tensor4D, bb as tf.Tensor1D);
      return tf.sum(tf.mul(y, weight));
    };
    return tf.grads(f)([x, k, b]).map((g) => g.dataSync() as Float32Array);
  });
}

test('forward-conv gradients equal TF.js built-in conv2d gradients (cpu and wasm)', async () => {
  for (const [i, c] of cases.entries()) {
    const reference = await gradients('cpu', true, c, 10 * i);
    for (const backend of ['cpu', 'wasm']) {
      const ours = await gradients(backend, false, c, 10 * i);
      ['input', 'filter', 'bias'].forEach((name, j) => {
        const diff = maxAbsDiff(ours[j], reference[j]);
        assert.ok(diff < 1e-4, `${backend} ${name} gradient differs by ${diff} for ${JSON.stringify(c)}`);
      });
    }
  }
});

test('forward value equals conv2d + bias', async () => {
  await tf.setBackend('wasm');
  const x = random([2, 9, 8, 3], 5) as tf.Tensor4D;
  const k = random([3, 3, 3, 6], 6) as tf.Tensor4D;
  const b = random([6], 7) as tf.Tensor1D;
  const ours = trainableConv2d(x, k, b).dataSync() as Float32Array;
  const ref = tf.add(tf.conv2d(x, k, 1, 'same'), b).dataSync() as Float32Array;
  assert.ok(maxAbsDiff(ours, ref) < 1e-5);
  tf.dispose([x, k, b]);
});
