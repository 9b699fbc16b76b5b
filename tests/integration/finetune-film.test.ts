import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readManifest } from '../../src-main/engine/models/manifest.js';
import { loadModel } from '../../src-main/engine/models/store.js';
import { fineTune } from '../../src-main/training/finetune.js';
import type { TrainProgress } from '../../src-main/training/trainer.js';
import { SAMPLES } from '../paths.js';

/**
 * A shipped model (models/ of the repository, or SUBPIXEL_MODELS_DIR): the robust one, where a film fine-tune should
 * start. In these 300 steps robust-x2 gains 0.43 dB on the film-degraded validation; the nine-layer clean x2 gains
 * only 0.07 (deep narrow nets move slowly in a short fine-tune; the old four-layer x2 gained 0.34).
 */
const BASE = 'robust-x2';
let dir: string;
const savedHome = process.env.SUBPIXEL_HOME;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-finetune-'));
  process.env.SUBPIXEL_HOME = join(dir, 'home');
  await mkdir(join(dir, 'hr'));
  await mkdir(join(dir, 'val'));
  const train: Array<[string, number, number]> = [
    ['astronaut.png', 100, 40], ['astronaut.png', 300, 300], ['coffee.png', 150, 60], ['chelsea.png', 90, 40], ['camera.png', 60, 250], ['rocket.jpg', 150, 100],
  ];
  for (const [i, [name, left, top]] of train.entries()) {
    await sharp(join(SAMPLES, name)).extract({ left, top, width: 144, height: 144 }).png().toFile(join(dir, 'hr', `${i}.png`));
  }
  const val: Array<[string, number, number]> = [['astronaut.png', 220, 180], ['coffee.png', 380, 220], ['chelsea.png', 250, 150]];
  for (const [i, [name, left, top]] of val.entries()) {
    await sharp(join(SAMPLES, name)).extract({ left, top, width: 120, height: 120 }).png().toFile(join(dir, 'val', `${i}.png`));
  }
});

after(async () => {
  if (savedHome === undefined) delete process.env.SUBPIXEL_HOME; else process.env.SUBPIXEL_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

test('fine-tuning a shipped model under the film degradation raises validation PSNR on that degradation', async () => {
  const events: TrainProgress[] = [];
  const result = await fineTune({
    baseModel: BASE, hrFolders: [join(dir, 'hr')], valFolder: join(dir, 'val'), degradation: 'film',
    steps: 300, batchSize: 8, patchSize: 24, learningRate: 1e-3, id: 'film-test', valEvery: 100,
  }, (p) => events.push(p));
  assert.equal(result.status, 'completed');
  assert.ok(result.before && result.after);
  assert.ok(result.after.psnr > result.before.psnr + 0.1,
    `validation PSNR under film: ${result.before.psnr.toFixed(2)} → ${result.after.psnr.toFixed(2)} dB`);
  assert.equal(result.stats.trainImages, 6);
  assert.equal(result.stats.valImages, 3);

  assert.equal(events.length, 300);
  assert.ok(events.every((e, i) => e.step === i + 1 && e.totalSteps === 300 && e.lr > 0 && Number.isFinite(e.loss)));
  assert.ok(events[events.length - 1].val, 'progress carries the last validation scores');

  const modelsDir = join(dir, 'home', 'models');
  assert.equal(result.dir, join(modelsDir, 'film-test'));
  const loaded = await loadModel(result.dir);
  assert.equal(loaded.weights.spec.scale, 2);
  assert.equal(loaded.meta.training?.baseModel, BASE);
  const entry = (await readManifest(modelsDir)).find((e) => e.id === 'film-test') as unknown as Record<string, unknown> & { training: { baseModel: string; steps: number } };
  assert.ok(entry, 'manifest entry written');
  assert.equal(entry.training.baseModel, BASE);
  assert.equal(entry.training.steps, 300);
  const validation = entry.validation as { before: { psnr: number }; after: { psnr: number } };
  assert.equal(validation.after.psnr, result.after.psnr);
  assert.equal(validation.before.psnr, result.before.psnr);
});

test('a canceled fine-tune keeps a checkpoint and resumes to completion', async () => {
  const controller = new AbortController();
  const first = await fineTune({
    baseModel: BASE, hrFolders: [join(dir, 'hr')], valFolder: join(dir, 'val'), degradation: 'noise',
    steps: 40, batchSize: 4, patchSize: 16, id: 'noise-test', checkpointEvery: 1000,
  }, (p) => { if (p.step === 15) controller.abort(); }, controller.signal);
  assert.equal(first.status, 'canceled');
  assert.equal(first.steps, 15);
  assert.ok(existsSync(join(first.checkpointDir, 'checkpoint.json')));
  assert.ok(!existsSync(join(first.dir, 'model.json')), 'no model until the fine-tune completes');
  const second = await fineTune({ baseModel: BASE, hrFolders: [join(dir, 'hr')], resume: first.checkpointDir, steps: 40 });
  assert.equal(second.status, 'completed');
  assert.equal(second.steps, 40);
});
