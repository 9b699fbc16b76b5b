import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { fineTuneInWorker } from '../../src-main/workers/training-client.js';

const SAMPLES = new URL('../../resources/samples/', import.meta.url).pathname;

describe('fine-tuning in a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-train-worker-'));
  const base = join(dir, 'base-x2');
  before(async () => {
    await saveModel(base, randomWeights({ ...classicEspcn(2), widths: [16, 8] }, 3), { id: 'base-x2' });
    mkdirSync(join(dir, 'hr'));
    for (const [i, name] of ['astronaut.png', 'coffee.png', 'chelsea.png'].entries()) {
      await sharp(join(SAMPLES, name)).extract({ left: 50, top: 40, width: 96, height: 96 }).png().toFile(join(dir, 'hr', `${i}.png`));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports progress while the calling thread keeps running, and writes the model', async () => {
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 10);
    const steps: number[] = [];
    const started = Date.now();
    const result = await fineTuneInWorker(
      { baseModel: base, hrFolders: [join(dir, 'hr')], steps: 12, batchSize: 4, patchSize: 16, valEvery: 6, outDir: join(dir, 'tuned'), id: 'tuned' },
      (p) => steps.push(p.step),
    );
    clearInterval(timer);
    assert.equal(result.status, 'completed');
    assert.equal(result.steps, 12);
    assert.ok(steps.includes(12));
    assert.ok(existsSync(join(dir, 'tuned', 'model.json')));
    assert.ok(ticks >= (Date.now() - started) / 10 / 4, `${ticks} ticks: the calling thread was blocked`);
  });

  it('a fast run reports about ten times a second, never holding back a validation score or the last step', async () => {
    const reports: Array<{ step: number; val?: number }> = [];
    const started = performance.now();
    const result = await fineTuneInWorker(
      { baseModel: base, hrFolders: [join(dir, 'hr')], steps: 1500, batchSize: 2, patchSize: 16, valEvery: 500, outDir: join(dir, 'fast'), id: 'fast' },
      (p) => reports.push({ step: p.step, ...(p.val ? { val: p.val.step } : {}) }),
    );
    const elapsedMs = performance.now() - started;
    assert.equal(result.status, 'completed');
    assert.ok(reports.length <= elapsedMs / 100 + 5, `${reports.length} reports in ${elapsedMs.toFixed(0)} ms`);
    assert.ok(reports.length < 1500 / 4, `${reports.length} reports for 1500 steps: not one per step`);
    for (const step of [500, 1000, 1500]) assert.ok(reports.some((r) => r.step === step && r.val === step), `validation at ${step} reported`);
    assert.equal(reports.at(-1)!.step, 1500);
  });

  it('cancel checkpoints and stops; a bad base model is a clear error', async () => {
    const controller = new AbortController();
    const result = await fineTuneInWorker(
      { baseModel: base, hrFolders: [join(dir, 'hr')], steps: 5000, batchSize: 4, patchSize: 16, outDir: join(dir, 'canceled'), id: 'canceled' },
      (p) => { if (p.step >= 3) controller.abort(); },
      controller.signal,
    );
    assert.equal(result.status, 'canceled');
    assert.ok(result.steps < 5000);
    assert.ok(existsSync(result.checkpointDir));
    await assert.rejects(fineTuneInWorker({ baseModel: join(dir, 'missing'), hrFolders: [join(dir, 'hr')], steps: 2 }), /missing/);
  });
});
