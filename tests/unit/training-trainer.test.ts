import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { architectureFor } from '../../src-main/training/architectures.js';
import { loadCheckpoint } from '../../src-main/training/checkpoint.js';
import { loadTrainingData, type TrainingData } from '../../src-main/training/data.js';
import { learningRate } from '../../src-main/training/schedule.js';
import { lossValue } from '../../src-main/training/losses.js';
import { DEFAULT_CONFIG, train, type TrainConfig } from '../../src-main/training/trainer.js';
import { collapse } from '../../src-main/training/collapse.js';
import { initialTrainWeights } from '../../src-main/training/nets.js';
import { scoreModel } from '../../src-main/training/validate.js';
import { SAMPLES } from '../paths.js';

let dir: string;
let config: TrainConfig;
let data: TrainingData;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-trainer-'));
  await mkdir(join(dir, 'hr'));
  await mkdir(join(dir, 'val'));
  const crops: Array<[string, number, number]> = [['astronaut.png', 120, 40], ['coffee.png', 200, 100], ['chelsea.png', 100, 60], ['camera.png', 150, 150]];
  for (const [name, left, top] of crops) {
    await sharp(join(SAMPLES, name)).extract({ left, top, width: 128, height: 128 }).png().toFile(join(dir, 'hr', name));
  }
  await sharp(join(SAMPLES, 'astronaut.png')).extract({ left: 250, top: 260, width: 96, height: 96 }).png().toFile(join(dir, 'val', 'a.png'));
  await sharp(join(SAMPLES, 'coffee.png')).extract({ left: 320, top: 200, width: 96, height: 96 }).png().toFile(join(dir, 'val', 'b.png'));
  const spec = architectureFor('efficient', 2);
  config = {
    ...DEFAULT_CONFIG, spec, kind: 'reparam', hrFolders: [join(dir, 'hr')], valFolder: join(dir, 'val'),
    steps: 8, batchSize: 4, patchSize: 16, ema: 0.9, valEvery: 4, checkpointEvery: 4,
    schedule: { schedule: 'cosine', lr: 2e-3, warmupSteps: 0 }, seed: 11,
  };
  data = await loadTrainingData({
    hrFolders: config.hrFolders, valFolder: config.valFolder, scale: 2, patchSize: 16, degradation: config.degradation, seed: 11,
  });
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

for (const prefer of ['wasm', 'onnx'] as const) {
  test(`a canceled run resumed from its checkpoint ends bit-identical to an uninterrupted run (${prefer})`, async () => {
    const straightLoss: number[] = [];
    const straight = await train({ config, data, checkpointDir: join(dir, `ckpt-a-${prefer}`), backend: { prefer }, onProgress: (p) => straightLoss.push(p.loss) });
    assert.equal(straight.status, 'completed');
    assert.equal(straight.step, 8);

    const controller = new AbortController();
    const interrupted = await train({
      config, checkpointDir: join(dir, `ckpt-b-${prefer}`), signal: controller.signal, backend: { prefer },
      onProgress: (p) => { if (p.step === 5) controller.abort(); },
    });
    assert.equal(interrupted.status, 'canceled');
    assert.equal(interrupted.step, 5);
    const saved = await loadCheckpoint(join(dir, `ckpt-b-${prefer}`));
    assert.equal(saved.step, 5);
    const resumedLoss: number[] = [];
    const resumed = await train({ config, resume: saved, checkpointDir: join(dir, `ckpt-b-${prefer}`), backend: { prefer }, onProgress: (p) => resumedLoss.push(p.loss) });
    assert.deepEqual(resumedLoss, straightLoss.slice(5), 'the reported (smoothed) loss continues as if never stopped');
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.step, 8);
    for (const [name, t] of Object.entries(straight.trainWeights.tensors)) {
      assert.deepEqual(resumed.trainWeights.tensors[name].data, t.data, `${name} differs after resume`);
    }
    straight.weights.convs.forEach((c, i) => assert.deepEqual(resumed.weights.convs[i].kernel, c.kernel, `EMA layer ${i}`));
    assert.deepEqual(resumed.history.map((h) => h.psnr), straight.history.map((h) => h.psnr));
  });
}

test('per-patch degradations (prefetched, seeded by the step): a resumed photo run ends bit-identical to an uninterrupted one', async () => {
  const photo: TrainConfig = { ...config, degradation: { preset: 'photo' }, steps: 6, checkpointEvery: 3, valEvery: 3 };
  const straight = await train({ config: photo, checkpointDir: join(dir, 'ckpt-photo-a'), backend: { prefer: 'onnx' } });
  assert.equal(straight.step, 6);
  const controller = new AbortController();
  const interrupted = await train({
    config: photo, checkpointDir: join(dir, 'ckpt-photo-b'), signal: controller.signal, backend: { prefer: 'onnx' },
    onProgress: (p) => { if (p.step === 4) controller.abort(); },
  });
  assert.equal(interrupted.step, 4);
  const resumed = await train({ config: photo, resume: await loadCheckpoint(join(dir, 'ckpt-photo-b')), checkpointDir: join(dir, 'ckpt-photo-b'), backend: { prefer: 'onnx' } });
  assert.equal(resumed.step, 6);
  for (const [name, t] of Object.entries(straight.trainWeights.tensors)) {
    assert.deepEqual(resumed.trainWeights.tensors[name].data, t.data, `${name} differs after resume`);
  }
  // validation runs on the same degraded Set (fixed seed), not the clean one
  assert.deepEqual(resumed.history.map((h) => h.psnr), straight.history.map((h) => h.psnr));
});

test('training improves validation PSNR over the initial weights', async () => {
  const initial = await scoreModel(collapse(initialTrainWeights(config.spec, 'reparam', config.seed)), data.val);
  const progress: number[] = [];
  const outcome = await train({
    config: { ...config, steps: 120, valEvery: 120, checkpointEvery: 0, ema: 0, batchSize: 8, patchSize: 24 },
    onProgress: (p) => progress.push(p.loss),
  });
  assert.ok(initial && outcome.val);
  assert.ok(outcome.val.psnr > initial.psnr + 8, `validation ${initial.psnr.toFixed(2)} → ${outcome.val.psnr.toFixed(2)} dB`);
  assert.ok(progress[progress.length - 1] < progress[0], 'loss decreased');
  assert.equal(outcome.weights.spec.kernels.join(), '3,3,3,3', 'deployed as plain 3x3 convs');
});

test('the run hands back its best-validating weights, not only its last ones', async () => {
  // A learning rate far too high makes validation jump around: the best point is rarely the last.
  const outcome = await train({ config: { ...config, steps: 12, valEvery: 2, checkpointEvery: 0, ema: 0, schedule: { schedule: 'cosine', lr: 3e-2, warmupSteps: 0 } }, data });
  assert.ok(outcome.best && outcome.history.length === 6);
  const top = Math.max(...outcome.history.map((h) => h.psnr));
  assert.equal(outcome.best.val.psnr, top);
  const rescored = await scoreModel(outcome.best.weights, data.val);
  assert.ok(rescored && Math.abs(rescored.psnr - top) < 1e-6, `kept weights score ${rescored?.psnr} dB, best validation ${top} dB`);
  if (outcome.best.val.step !== outcome.step) assert.ok(outcome.val!.psnr <= top);
});

test('with a bicubic skip the network learns only what bicubic misses, and validation adds the same skip', async () => {
  const spec = architectureFor('efficient', 2, 1, undefined, 'bicubic');
  // a zero last conv deploys as the skip alone: plain bicubic
  const zeroed = collapse(initialTrainWeights(spec, 'reparam', 3));
  const last = zeroed.convs[zeroed.convs.length - 1];
  last.kernel.fill(0);
  last.bias.fill(0);
  const bicubic = await scoreModel(zeroed, data.val);
  const outcome = await train({
    config: { ...config, spec, steps: 300, valEvery: 300, checkpointEvery: 0, ema: 0, batchSize: 8, patchSize: 24 },
    backend: { prefer: 'onnx' },
  });
  assert.ok(bicubic && outcome.val);
  assert.deepEqual(outcome.weights.spec.skip, 'bicubic');
  assert.ok(outcome.val.psnr > bicubic.psnr + 0.3, `bicubic ${bicubic.psnr.toFixed(2)} dB, trained ${outcome.val.psnr.toFixed(2)} dB`);
});

test('a net on 2x2 blocks (pixel unshuffle) trains on onnxruntime and deploys unshuffled; an odd patch is refused', async () => {
  const spec = architectureFor('efficient', 2, 1, [16, 16], undefined, 'leakyrelu', 2);
  await assert.rejects(train({ config: { ...config, spec, patchSize: 23 }, data }), /patch size must be even for this model/);
  const initial = await scoreModel(collapse(initialTrainWeights(spec, 'reparam', config.seed)), data.val);
  const outcome = await train({
    config: { ...config, spec, steps: 120, valEvery: 120, checkpointEvery: 0, ema: 0, batchSize: 8, patchSize: 24 },
    backend: { prefer: 'onnx' },
  });
  assert.ok(initial && outcome.val);
  assert.ok(outcome.val.psnr > initial.psnr + 8, `validation ${initial.psnr.toFixed(2)} → ${outcome.val.psnr.toFixed(2)} dB`);
  assert.equal(outcome.weights.spec.unshuffle, 2);
  assert.deepEqual(outcome.weights.convs.map((c) => c.inChannels), [4, 16, 16]);
});

test('losses and schedules', async () => {
  await tf.setBackend('wasm');
  const p = tf.tensor([0, 1, 3]);
  const t = tf.tensor([1, 1, 1]);
  assert.ok(Math.abs(lossValue('l1', p, t).dataSync()[0] - 1) < 1e-6);
  assert.ok(Math.abs(lossValue('l2', p, t).dataSync()[0] - 5 / 3) < 1e-6);
  assert.ok(Math.abs(lossValue('charbonnier', p, t).dataSync()[0] - 1) < 1e-3);
  const cosine = { schedule: 'cosine' as const, lr: 1e-3, lrMin: 1e-5 };
  assert.equal(learningRate(cosine, 0, 100), 1e-3);
  assert.ok(Math.abs(learningRate(cosine, 100, 100) - 1e-5) < 1e-12);
  assert.ok(Math.abs(learningRate(cosine, 50, 100) - (1e-5 + 0.5 * (1e-3 - 1e-5))) < 1e-12);
  assert.equal(learningRate({ schedule: 'step', lr: 1, stepEvery: 10, stepGamma: 0.5 }, 25, 100), 0.25);
  assert.equal(learningRate({ schedule: 'constant', lr: 1, warmupSteps: 10 }, 4, 100), 0.5);
});

const sameTraining = [
  ['two data-parallel TF.js gradient workers', { backend: { prefer: 'wasm' as const }, workers: 2 }],
  ['onnxruntime gradients on two threads', { backend: { prefer: 'onnx' as const, threads: 2 } }],
] as const;
for (const [what, options] of sameTraining) test(`${what} train like TF.js in one thread (up to float rounding)`, async () => {
  const c = { ...config, steps: 4, checkpointEvery: 0, valEvery: 0, ema: 0 };
  const one = await train({ config: c, data, backend: { prefer: 'wasm' } });
  const two = await train({ config: c, data, ...options });
  let worst = 0;
  for (const [name, t] of Object.entries(one.trainWeights.tensors)) {
    const u = two.trainWeights.tensors[name].data;
    for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - u[i]));
  }
  assert.ok(worst < 1e-4, `weights differ by ${worst}`);
  const start = initialTrainWeights(config.spec, 'reparam', config.seed).tensors['l0.k3.kernel'].data;
  const moved = one.trainWeights.tensors['l0.k3.kernel'].data.some((v, i) => Math.abs(v - start[i]) > 1e-4);
  assert.ok(moved, 'the compared runs actually trained');
});
