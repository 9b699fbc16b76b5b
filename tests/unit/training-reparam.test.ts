import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { architectureFor, MAX_MACS_PER_PIXEL } from '../../src-main/training/architectures.js';
import { branchwiseConv, type LayerParams } from '../../src-main/training/reparam.js';
import { collapse } from '../../src-main/training/collapse.js';
import { forwardImage, initialTrainWeights, transferTrainWeights, type TrainWeights } from '../../src-main/training/nets.js';
import { createRng } from '../../src-main/training/rng.js';
import { convShapes, macsPerPixel, receptiveRadius, validateSpec, type ModelWeights, type Scale } from '../../src-main/engine/models/spec.js';
import { shuffleMaps, unshuffleMaps } from '../../src-main/engine/models/layers.js';

/** Training weights with every branch clearly non-zero (the initial edge scales are tiny). */
function busyWeights(scale: Scale, seed: number): TrainWeights {
  const w = initialTrainWeights(architectureFor('efficient', scale), 'reparam', seed);
  const rng = createRng(seed + 100);
  for (const t of Object.values(w.tensors)) for (let i = 0; i < t.data.length; i++) t.data[i] += rng.normal() * 0.2;
  return w;
}

function branchwiseImage(w: TrainWeights, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const layers = w.spec.widths.length + 1;
    let h = w.spec.unshuffle ? unshuffleMaps(x) : x;
    for (let i = 0; i < layers; i++) {
      const p: LayerParams = {};
      for (const [name, t] of Object.entries(w.tensors)) {
        if (name.startsWith(`l${i}.`)) p[name.slice(name.indexOf('.') + 1)] = tf.tensor(t.data, t.shape);
      }
      h = branchwiseConv(h, p);
      if (i < layers - 1) h = tf.prelu(h, p.alpha as unknown as tf.Tensor4D);
    }
    if (w.spec.unshuffle) h = shuffleMaps(h, x.shape[1], x.shape[2]);
    h = tf.add(h, tf.tile(x, [1, 1, 1, w.spec.scale ** 2])) as tf.Tensor4D;
    return tf.depthToSpace(h, w.spec.scale, 'NHWC');
  });
}

function plainImage(m: ModelWeights, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => forwardImage(m.spec, m.convs.map((c) => ({
    kernel: tf.tensor4d(c.kernel, [c.kh, c.kw, c.inChannels, c.outChannels]),
    bias: tf.tensor1d(c.bias),
    ...(c.alpha ? { alpha: tf.tensor1d(c.alpha) } : {}),
  })), x));
}

/** The collapsed network's output equals the branch-wise one to 1e-4 (relative to a non-trivial magnitude). */
function assertSameOutput(branchwise: ArrayLike<number>, collapsed: ArrayLike<number>, label: string): void {
  let worst = 0;
  let magnitude = 0;
  for (let i = 0; i < branchwise.length; i++) {
    worst = Math.max(worst, Math.abs(branchwise[i] - collapsed[i]));
    magnitude = Math.max(magnitude, Math.abs(branchwise[i]));
  }
  assert.ok(magnitude > 0.5, 'test network must produce non-trivial output');
  assert.ok(worst < 1e-4 * Math.max(1, magnitude), `${label}: collapse differs by ${worst} (output magnitude ${magnitude})`);
}

test('collapsed efficient model equals the branch-wise network, borders included', async () => {
  await tf.setBackend('wasm');
  for (const scale of [2, 3, 4] as Scale[]) {
    const w = busyWeights(scale, scale);
    const collapsed = collapse(w);
    assert.equal(collapsed.spec.kernels.every((k) => k === 3), true);
    const rng = createRng(7);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 13 * 11 }, () => rng.next()), [2, 13, 11, 1]);
    const a = branchwiseImage(w, x);
    const b = plainImage(collapsed, x);
    assert.deepEqual(a.shape, [2, 13 * scale, 11 * scale, 1]);
    assertSameOutput(a.dataSync(), b.dataSync(), `x${scale}`);
    tf.dispose([x, a, b]);
  }
});

test('zero-padding a 1x1 branch output (instead of padding with its bias) differs on the border only', async () => {
  // Shows that the border case in the test above is real: a naive branch sum would not collapse exactly.
  await tf.setBackend('wasm');
  const w = busyWeights(2, 9);
  const p: LayerParams = {};
  for (const [name, t] of Object.entries(w.tensors)) if (name.startsWith('l1.')) p[name.slice(3)] = tf.tensor(t.data, t.shape);
  const x = tf.randomUniform([1, 8, 8, 32], 0, 1, 'float32', 3) as tf.Tensor4D;
  const mapped = tf.add(tf.conv2d(x, tf.reshape(p['exp.kernel1'], [1, 1, 32, 64]) as tf.Tensor4D, 1, 'valid'), p['exp.bias1']) as tf.Tensor4D;
  const zeroPadded = tf.conv2d(mapped, p['exp.kernel3'] as tf.Tensor4D, 1, 'same');
  const biasPadded = tf.conv2d(
    tf.add(tf.pad(tf.sub(mapped, p['exp.bias1']), [[0, 0], [1, 1], [1, 1], [0, 0]]), p['exp.bias1']) as tf.Tensor4D,
    p['exp.kernel3'] as tf.Tensor4D, 1, 'valid',
  );
  const diff = tf.abs(tf.sub(zeroPadded, biasPadded));
  assert.ok(tf.max(diff.slice([0, 1, 1, 0], [1, 6, 6, 32])).dataSync()[0] < 1e-4, 'interiors agree');
  assert.ok(tf.max(diff.slice([0, 0, 0, 0], [1, 1, 1, 32])).dataSync()[0] > 1e-2, 'corners differ');
});

test('deployed architectures stay within the MAC budget at x2, x3 and x4', () => {
  for (const scale of [2, 3, 4] as Scale[]) {
    for (const arch of ['espcn', 'efficient'] as const) {
      assert.ok(macsPerPixel(architectureFor(arch, scale)) <= MAX_MACS_PER_PIXEL);
    }
  }
});

test('the bicubic skip is budgeted (25 MACs per phase) and needs a residual network', () => {
  for (const scale of [2, 3, 4] as Scale[]) {
    const spec = architectureFor('efficient', scale, 1, undefined, 'bicubic');
    assert.equal(macsPerPixel(spec), macsPerPixel(architectureFor('efficient', scale)) + 25 * scale * scale);
    assert.ok(macsPerPixel(spec) <= MAX_MACS_PER_PIXEL);
  }
  assert.throws(() => architectureFor('espcn', 3, 1, undefined, 'bicubic'), /only 'efficient'/);
  assert.throws(() => validateSpec({ ...architectureFor('espcn', 3), skip: 'bicubic' }), /needs residual/);
  assert.throws(() => validateSpec({ ...architectureFor('efficient', 3), skip: 'lanczos' as 'bicubic' }), /unknown skip/);
});

test('efficient at another depth: all 3x3, collapses exactly, and the MAC budget still binds', async () => {
  await tf.setBackend('wasm');
  const deep = architectureFor('efficient', 4, 1, [24, 24, 24, 24, 24]);
  assert.deepEqual(deep.kernels, [3, 3, 3, 3, 3, 3]);
  assert.equal(macsPerPixel(deep), 24_408);
  const w = initialTrainWeights(deep, 'reparam', 3);
  const rng = createRng(11);
  for (const t of Object.values(w.tensors)) for (let i = 0; i < t.data.length; i++) t.data[i] += rng.normal() * 0.2;
  const x = tf.tensor4d(Float32Array.from({ length: 13 * 11 }, () => rng.next()), [1, 13, 11, 1]);
  assertSameOutput(branchwiseImage(w, x).dataSync(), plainImage(collapse(w), x).dataSync(), '6x24');
  assert.throws(() => architectureFor('efficient', 4, 1, [40, 40, 40]), /over the 25000 budget/);
  assert.throws(() => architectureFor('espcn', 4, 1, [24, 24]), /only 'efficient'/);
});

test('pixel unshuffle: convs on 2x2 blocks count a quarter of their MACs, reach whole blocks, and collapse exactly', async () => {
  await tf.setBackend('wasm');
  const spec = architectureFor('efficient', 4, 1, [32, 32, 32, 32, 32, 32, 32, 32, 32], undefined, 'leakyrelu', 2);
  assert.deepEqual(convShapes(spec).map((c) => [c.inChannels, c.outChannels]), [[4, 32], ...Array(8).fill([32, 32]), [32, 64]]);
  assert.equal(macsPerPixel(spec), (4 * 32 + 8 * 32 * 32 + 32 * 64) * 9 / 4);
  // ten 3x3 convs reach ten blocks; a pixel's block one more pixel on one side: 21, rounded up to whole blocks
  assert.equal(receptiveRadius(spec), 22);
  assert.throws(() => architectureFor('efficient', 4, 1, [32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32], undefined, 'leakyrelu', 2), /over the 25000 budget/);
  assert.throws(() => validateSpec({ ...spec, unshuffle: 3 as 2 }), /unshuffle must be 2/);
  const w = initialTrainWeights({ ...spec, widths: [8, 8], kernels: [3, 3, 3] }, 'reparam', 3);
  const rng = createRng(12);
  for (const t of Object.values(w.tensors)) for (let i = 0; i < t.data.length; i++) t.data[i] += rng.normal() * 0.2;
  const x = tf.tensor4d(Float32Array.from({ length: 13 * 11 }, () => rng.next()), [1, 13, 11, 1]);
  assertSameOutput(branchwiseImage(w, x).dataSync(), plainImage(collapse(w), x).dataSync(), 'unshuffled');
});

test('a net of another scale starts from the body of a trained one: every layer but the last copied, the last fresh', () => {
  const x3 = { ...architectureFor('efficient', 3, 1, [16, 16, 16, 16, 16, 16, 16, 16, 16, 16]), name: 'efficient' };
  const trained = initialTrainWeights(x3, 'reparam', 7);
  const x2 = { ...x3, scale: 2 as Scale };
  const { weights, fresh } = transferTrainWeights(trained, x2, 1);
  assert.ok(fresh.length > 0 && fresh.every((name) => name.startsWith('l10.')), fresh.join(', '));
  for (const [name, t] of Object.entries(weights.tensors)) {
    if (fresh.includes(name)) assert.notDeepEqual(t.shape, trained.tensors[name].shape, name);
    else assert.deepEqual(t.data, trained.tensors[name].data, name);
  }
  // and the result is a valid x2 net whose last conv has 4 output maps
  assert.equal(collapse(weights).convs.at(-1)!.outChannels, 4);
});

test('a PReLU net converts to one LeakyRelu slope per layer: the median of its slopes, every kernel copied', () => {
  const prelu = { ...architectureFor('efficient', 4, 1, [16, 16, 16]), name: 'efficient' };
  const trained = initialTrainWeights(prelu, 'reparam', 5);
  trained.tensors['l1.alpha'].data = Float32Array.from({ length: 16 }, (_, i) => (i - 5) / 10);
  const leaky = { ...prelu, activation: 'leakyrelu' as const };
  const { weights, fresh, converted } = transferTrainWeights(trained, leaky, 1);
  assert.deepEqual(fresh, []);
  assert.deepEqual(converted, ['l0.alpha', 'l1.alpha', 'l2.alpha']);
  assert.deepEqual([...weights.tensors['l1.alpha'].data], [Math.fround(0.3)]);
  for (const name of Object.keys(weights.tensors).filter((n) => !n.endsWith('.alpha'))) assert.deepEqual(weights.tensors[name].data, trained.tensors[name].data, name);
  const deployed = collapse(weights);
  assert.equal(deployed.spec.activation, 'leakyrelu');
  assert.equal(deployed.convs[1].alpha!.length, 1);
});

test('a shallower net keeps the first layers and the last conv of a trained one, the hidden layers between dropped', () => {
  const deep = { ...architectureFor('efficient', 4, 1, [16, 16, 16, 16, 16]), name: 'efficient' };
  const trained = initialTrainWeights(deep, 'reparam', 9);
  const shallow = { ...deep, widths: [16, 16, 16], kernels: [3, 3, 3, 3] };
  const { weights, fresh } = transferTrainWeights(trained, shallow, 1);
  assert.deepEqual(fresh, []);
  for (const [name, t] of Object.entries(weights.tensors)) {
    const source = name.startsWith('l3.') ? name.replace('l3.', 'l5.') : name;
    assert.deepEqual(t.data, trained.tensors[source].data, `${name} from ${source}`);
  }
  const deployed = collapse(weights);
  assert.equal(deployed.convs.length, 4);
  assert.deepEqual(deployed.convs[3].kernel, collapse(trained).convs[5].kernel);
});
