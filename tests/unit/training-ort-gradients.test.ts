import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureFor, type ArchName } from '../../src-main/training/architectures.js';
import { initTrainingBackend } from '../../src-main/training/backend.js';
import { createGradientSource, tfjsGradientSource } from '../../src-main/training/gradients.js';
import type { LossName } from '../../src-main/training/losses.js';
import { collapse, createNet, disposeNet, initialTrainWeights, trainWeightsFromModel, type NetKind } from '../../src-main/training/nets.js';
import { createRng } from '../../src-main/training/rng.js';
import type { Scale } from '../../src-main/engine/models/spec.js';

const cases: Array<[ArchName, Scale, NetKind, LossName]> = [
  ['efficient', 4, 'reparam', 'l1'],
  ['efficient', 2, 'plain', 'charbonnier'],
  ['espcn', 3, 'plain', 'l2'],
  ['espcn', 2, 'plain', 'l1'],
];

for (const [arch, scale, kind, loss] of cases) {
  test(`onnxruntime gradients equal TF.js autodiff: ${arch} x${scale} (${kind}, ${loss})`, async () => {
    const backend = await initTrainingBackend({ prefer: 'onnx', threads: 2 });
    assert.equal(backend.name, 'onnxruntime');
    const spec = architectureFor(arch, scale);
    // start from weights with PReLU slopes away from their init and a trained-looking spread
    const start = initialTrainWeights(spec, kind, 7);
    for (const [name, t] of Object.entries(start.tensors)) if (name.endsWith('alpha')) t.data.fill(0.1);
    const net = createNet(kind === 'plain' ? trainWeightsFromModel(collapse(start)) : start);
    const rng = createRng(3);
    const n = 3;
    const patch = 13;
    const batch = {
      n, patch,
      input: Float32Array.from({ length: n * patch * patch }, () => rng.next()),
      target: Float32Array.from({ length: n * patch * patch * scale * scale }, () => rng.next() - 0.5),
    };
    const onnx = await createGradientSource(net, loss, backend);
    try {
      const a = await onnx.compute(batch);
      const b = await tfjsGradientSource(net, loss).compute(batch);
      assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(b.loss), `loss ${a.loss} vs ${b.loss}`);
      net.names.forEach((name, i) => {
        const scaleOf = Math.max(...b.grads[i].map(Math.abs));
        const worst = Math.max(...a.grads[i].map((v, j) => Math.abs(v - b.grads[i][j])));
        assert.ok(worst <= 1e-4 * scaleOf + 1e-12, `${name}: differs by ${worst} (gradient scale ${scaleOf})`);
      });
      // the edge filters sum to zero, so the bias before them has no effect: every other parameter has a gradient
      const withoutGradient = net.names.filter((_, i) => b.grads[i].every((v) => v === 0));
      assert.deepEqual(withoutGradient, net.names.filter((name) => /(sobelX|sobelY|laplacian)\.bias1$/.test(name)));
    } finally {
      await onnx.close();
      disposeNet(net);
    }
  });
}
