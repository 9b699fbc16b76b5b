import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureFor, type ArchName } from '../../src-main/training/architectures.js';
import { initTrainingBackend } from '../../src-main/training/backend.js';
import { createGradientSource, tfjsGradientSource } from '../../src-main/training/gradients.js';
import type { LossName } from '../../src-main/training/losses.js';
import { collapse, deployedConvs } from '../../src-main/training/collapse.js';
import { createOrtGradients } from '../../src-main/training/ort-gradients.js';
import { createOrtGradientPool } from '../../src-main/training/ort-gradient-pool.js';
import { initialTrainWeights, paramShapes, trainWeightsFromModel, type NetKind } from '../../src-main/training/nets.js';
import { createRng } from '../../src-main/training/rng.js';
import type { Activation, Scale } from '../../src-main/engine/models/spec.js';

const cases: Array<[ArchName, Scale, NetKind, LossName, number[]?, Activation?, 2?]> = [
  ['efficient', 4, 'reparam', 'l1'],
  ['efficient', 4, 'reparam', 'l1', [16, 16, 16, 16], 'relu'],
  ['efficient', 3, 'reparam', 'l1', [16, 16, 16, 16], 'leakyrelu'],
  ['efficient', 3, 'reparam', 'l1', [24, 24, 24, 24, 24]],
  ['efficient', 4, 'reparam', 'l1', [32, 32, 32], 'leakyrelu', 2],
  ['efficient', 3, 'plain', 'l2', [16, 16], 'prelu', 2],
  ['efficient', 2, 'plain', 'charbonnier'],
  ['espcn', 3, 'plain', 'l2'],
  ['espcn', 2, 'plain', 'l1'],
];

for (const [arch, scale, kind, loss, widths, activation, unshuffle] of cases) {
  test(`onnxruntime gradients equal TF.js autodiff: ${arch}${widths ? ` ${widths.join('-')}` : ''}${activation ? ` ${activation}` : ''}${unshuffle ? ' unshuffled' : ''} x${scale} (${kind}, ${loss})`, async () => {
    const backend = await initTrainingBackend({ prefer: 'onnx', threads: 2 });
    assert.equal(backend.name, 'onnxruntime');
    const spec = architectureFor(arch, scale, 1, widths, undefined, activation, unshuffle);
    // start from weights with PReLU slopes away from their init and a trained-looking spread
    const start = initialTrainWeights(spec, kind, 7);
    for (const [name, t] of Object.entries(start.tensors)) if (name.endsWith('alpha')) t.data.fill(0.1);
    const weights = kind === 'plain' ? trainWeightsFromModel(collapse(start)) : start;
    const names = paramShapes(spec, kind).map(([name]) => name);
    const rng = createRng(3);
    const n = 3;
    const patch = unshuffle ? 14 : 13; // an unshuffled net trains on whole 2x2 blocks
    const batch = {
      n, patch,
      input: Float32Array.from({ length: n * patch * patch }, () => rng.next()),
      target: Float32Array.from({ length: n * patch * patch * scale * scale }, () => rng.next() - 0.5),
    };
    const onnx = await createGradientSource(spec, kind, loss, backend);
    const tfjs = tfjsGradientSource(spec, kind, loss);
    try {
      const a = await onnx.compute(weights, batch);
      const b = await tfjs.compute(weights, batch);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(b.loss), `loss ${a.loss} vs ${b.loss}`);
      assert.deepEqual(Object.keys(a.grads).sort(), [...names].sort());
      names.forEach((name) => {
        const scaleOf = Math.max(...b.grads[name].map(Math.abs));
        const worst = Math.max(...a.grads[name].map((v, j) => Math.abs(v - b.grads[name][j])));
        assert.ok(worst <= 1e-4 * scaleOf + 1e-12, `${name}: differs by ${worst} (gradient scale ${scaleOf})`);
      });
      // the edge filters sum to zero, so the bias before them has no effect: every other parameter has a gradient
      const withoutGradient = names.filter((name) => b.grads[name].every((v) => v === 0));
      assert.deepEqual(withoutGradient, names.filter((name) => /(sobelX|sobelY|laplacian)\.bias1$/.test(name)));
    } finally {
      await onnx.close();
      await tfjs.close();
    }
  });
}

test('with several threads the batch is split over worker sessions: the same gradients as one session, uneven shards included; a failure comes back', async () => {
  const spec = architectureFor('efficient', 3, 1, [16, 16, 16], undefined, 'leakyrelu');
  const layers = deployedConvs(initialTrainWeights(spec, 'reparam', 5));
  const rng = createRng(9);
  const n = 5; // three workers: shards of 2, 2 and 1
  const patch = 11;
  const batch = {
    n, patch,
    input: Float32Array.from({ length: n * patch * patch }, () => rng.next()),
    target: Float32Array.from({ length: n * patch * patch * 9 }, () => rng.next() - 0.5),
  };
  const single = await createOrtGradients(spec, 'l1', 1);
  const pool = await createOrtGradientPool(spec, 'l1', 3);
  try {
    const a = await single.compute(layers, batch);
    const b = await pool.compute(layers, batch);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * Math.abs(a.loss), `loss ${a.loss} vs ${b.loss}`);
    a.grads.forEach((g, i) => {
      for (const part of ['kernel', 'bias', 'alpha'] as const) {
        const x = g[part];
        const y = b.grads[i][part];
        if (!x || !y) { assert.equal(x, y, `layer ${i} ${part}`); continue; }
        const scale = Math.max(...x.map(Math.abs));
        const worst = Math.max(...x.map((v, j) => Math.abs(v - y[j])));
        assert.ok(worst <= 1e-5 * scale + 1e-12, `layer ${i} ${part} differs by ${worst} (scale ${scale})`);
      }
    });
    // A layer of the wrong shape fails in the worker, and the failure reaches the caller.
    const broken = layers.map((l, i) => (i === 1 ? { ...l, kernel: l.kernel.subarray(0, 10) } : l));
    await assert.rejects(pool.compute(broken, batch));
    // The pool still serves the next batch.
    assert.equal((await pool.compute(layers, batch)).loss, b.loss);
  } finally {
    await single.close();
    await pool.close();
  }
});
