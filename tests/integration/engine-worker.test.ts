import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { createEngineClient } from '../../src-main/workers/engine-client.js';

const CLOSE_CHILD = new URL('./fixtures/engine-close-child.ts', import.meta.url).pathname;
const SAMPLE = new URL('../../resources/samples/astronaut.png', import.meta.url).pathname;

describe('engine worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-worker-'));
  const model = join(dir, 'random-x4');
  const engine = createEngineClient();
  before(() => saveModel(model, randomWeights(classicEspcn(4), 9), { id: 'random-x4' }));
  after(async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); });

  it('reports per-tile progress while the calling thread keeps running', async () => {
    const progress: Array<{ tilesDone: number; tilesTotal: number }> = [];
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 10);
    const started = Date.now();
    const result = await engine.upscaleFile(SAMPLE, join(dir, 'out.png'), { model, tile: 64 }, { onProgress: (p) => progress.push(p) });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    assert.equal(result.width, 2048);
    assert.equal(progress.length, 64);
    assert.deepEqual(progress.at(-1), { tilesDone: 64, tilesTotal: 64 });
    // A blocked event loop would deliver almost no ticks; allow for a loaded machine.
    assert.ok(ticks >= elapsed / 10 / 4, `${ticks} ticks in ${elapsed} ms`);
  });

  it('cancels a running upscale and leaves no output or temp file', async () => {
    const controller = new AbortController();
    const output = join(dir, 'canceled.png');
    const pending = engine.upscaleFile(SAMPLE, output, { model, tile: 32 }, {
      signal: controller.signal,
      onProgress: (p) => { if (p.tilesDone === 2) controller.abort(); },
    });
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    assert.ok(!existsSync(output));
    assert.ok(!readdirSync(dir).some((f) => f.includes('subpixel-tmp')));
  });

  it('fails one bad file without breaking the worker', async () => {
    await assert.rejects(engine.upscaleFile(join(dir, 'missing.png'), join(dir, 'x.png'), { model }), /missing\.png/);
    const small = join(dir, 'small.png');
    await sharp(SAMPLE).resize(16, 16).toFile(small);
    const ok = await engine.upscaleFile(small, join(dir, 'small-out.png'), { model });
    assert.equal(ok.width, 64);
  });

  it('closing while the worker still starts never aborts the process (a run where every output exists)', () => {
    // The abort window (ONNX Runtime's addon initialising) is a few ms wide and moves with the machine's load, so the
    // child sweeps sixty closes across where it lies; an unguarded close is caught in some runs, not every one.
    const child = spawnSync(process.execPath, ['--import', 'tsx', CLOSE_CHILD, join(dir, 'missing.png'), '60'], { encoding: 'utf8' });
    assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /closed 60 engines/);
  });
});
