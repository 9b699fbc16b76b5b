import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { parseDegradeSpec } from '../../src-main/training/degrade-spec.js';
import { needsShared, sharedPath } from '../paths.js';
import { subpixel } from './fixtures/cli-run.js';

const SET5 = sharedPath('datasets', 'eval', 'Set5');

interface Score { psnr: number; ssim: number }
interface EvalDoc {
  degrade?: string; model: string; mean: { bicubic: Score; model: Score };
  models: Array<{ id: string; mean: Score }>; images: Array<{ name: string; models: Record<string, Score> }>;
}


describe('subpixel eval --degrade', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-eval-degrade-'));
  const env = { SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: join(dir, 'models') };
  const a = join(dir, 'models', 'rand-a-x2');
  const b = join(dir, 'models', 'rand-b-x2');

  before(async () => {
    await saveModel(a, randomWeights(classicEspcn(2), 1), { id: 'rand-a-x2' });
    await saveModel(b, randomWeights(classicEspcn(2), 2), { id: 'rand-b-x2' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('specs parse in any order into the order applied, and bad ones are clear errors', () => {
    assert.equal(parseDegradeSpec('jpeg:60+blur:1.2').text, 'blur:1.2+jpeg:60');
    assert.deepEqual(parseDegradeSpec('grain:8:1.5').noise, { kind: 'grain', sigma: 8, correlation: 1.5 });
    assert.deepEqual(parseDegradeSpec('luma-noise:5').noise, { kind: 'gaussian', sigma: 5, luma: true });
    assert.throws(() => parseDegradeSpec('sepia:3'), /unknown step "sepia"/);
    assert.throws(() => parseDegradeSpec('jpeg:0'), /jpeg:0: expected a number from 1 to 100/);
    assert.throws(() => parseDegradeSpec('noise:5+grain:3'), /only one noise step/);
    assert.throws(() => parseDegradeSpec(''), /empty/);
  });

  it('scores bicubic and every model from the same degraded LR, identically on every run', { skip: needsShared('datasets/eval/Set5') }, async () => {
    const args = ['eval', SET5, '-s', '2', '-m', 'rand-a-x2', '-m', 'rand-b-x2', '--degrade', 'jpeg:60+blur:1.2', '--json'];
    const first = await subpixel(args, env);
    assert.equal(first.code, 0, first.stderr);
    const second = await subpixel(args, env);
    assert.equal(second.stdout, first.stdout, 'seeded: the same numbers every run');
    const doc = JSON.parse(first.stdout) as EvalDoc;
    assert.equal(doc.degrade, 'blur:1.2+jpeg:60');
    assert.deepEqual(doc.models.map((m) => m.id), ['rand-a-x2', 'rand-b-x2']);
    assert.equal(doc.model, 'rand-a-x2');
    assert.deepEqual(doc.mean.model, doc.models[0].mean);
    assert.ok(doc.images.every((img) => Object.keys(img.models).length === 2));
    // Published bicubic x2 on clean Set5 is 33.66 dB; blur and JPEG q60 cost well over a dB
    assert.ok(doc.mean.bicubic.psnr < 32.5, `degraded bicubic ${doc.mean.bicubic.psnr}`);

    const noisy = JSON.parse((await subpixel(['eval', SET5, '-s', '2', '--bicubic-only', '--degrade', 'noise:10', '--json'], env)).stdout) as EvalDoc;
    assert.equal(noisy.degrade, 'noise:10');
    assert.ok(noisy.mean.bicubic.psnr < 33 && noisy.mean.bicubic.psnr > 25, `noisy bicubic ${noisy.mean.bicubic.psnr}`);
    assert.notEqual(noisy.mean.bicubic.psnr, doc.mean.bicubic.psnr);

    const all = JSON.parse((await subpixel(['eval', SET5, '-s', '2', '--all', '--degrade', 'grain:6', '--json'], env)).stdout) as EvalDoc;
    assert.deepEqual(all.models.map((m) => m.id).sort(), ['rand-a-x2', 'rand-b-x2']);

    const bad = await subpixel(['eval', SET5, '-s', '2', '--bicubic-only', '--degrade', 'jpeg:fine'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--degrade jpeg:fine: expected a number from 1 to 100/);
  });
});
