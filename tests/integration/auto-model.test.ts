import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { AUTO_THRESHOLDS, chooseModel } from '../../src-main/engine/auto-model.js';
import { estimateNoiseSigma } from '../../src-main/engine/noise-level.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { loadModelDir, saveModel } from '../../src-main/engine/models/store.js';
import { manifestEntryFor, MANIFEST_JSON } from '../../src-main/engine/models/manifest.js';
import { upscaleFile } from '../../src-main/engine/upscale.js';
import { upscaleVideo } from '../../src-main/video/upscale-video.js';
import { JobQueue } from '../../src-main/jobs/queue.js';
import { engineRunner } from '../../src-main/jobs/engine-runner.js';
import { createEngineClient } from '../../src-main/workers/engine-client.js';
import { applyNoise } from '../../src-main/training/degrade.js';
import { createRng } from '../../src-main/training/rng.js';

const run = promisify(execFile);
const ffmpegRun = (...args: string[]) => run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
/** false where ffmpeg runs, else why the video case is skipped. */
function findFfmpegSync(): false | string {
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'ffmpeg is not installed';
  }
}
const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;
const SAMPLES = new URL('../../resources/samples/', import.meta.url).pathname;

describe('Automatic model choice', () => {
  let dir: string;
  let models: string;
  let cleanOnly: string;
  const inputs = { png: '', jpeg: '', noisy: '', jpeg95: '' };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'subpixel-auto-'));
    // a clean and a "robust" model of x2 (tiny random nets: the choice, not the quality, is under test)
    models = join(dir, 'models');
    await saveModel(join(models, 'tiny-x2'), randomWeights(classicEspcn(2), 1), { id: 'tiny-x2' });
    await saveModel(join(models, 'tiny-robust-x2'), randomWeights(classicEspcn(2), 2), { id: 'tiny-robust-x2' });
    const entries = [
      manifestEntryFor(await loadModelDir(join(models, 'tiny-x2')), 'tiny-x2'),
      { ...manifestEntryFor(await loadModelDir(join(models, 'tiny-robust-x2')), 'tiny-robust-x2'), family: 'robust', degradation: 'photo' },
    ];
    await writeFile(join(models, MANIFEST_JSON), JSON.stringify({ version: 1, models: entries }));
    cleanOnly = join(dir, 'clean-only');
    await saveModel(join(cleanOnly, 'tiny-x2'), randomWeights(classicEspcn(2), 1), { id: 'tiny-x2' });

    await mkdir(join(dir, 'in'));
    const crop = sharp(join(SAMPLES, 'camera.png')).extract({ left: 100, top: 100, width: 160, height: 120 }).toColourspace('srgb');
    const { data, info } = await crop.clone().raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    inputs.png = join(dir, 'in', 'clean.png');
    inputs.jpeg = join(dir, 'in', 'photo.jpg');
    inputs.jpeg95 = join(dir, 'in', 'fine.jpg');
    inputs.noisy = join(dir, 'in', 'noisy.png');
    await sharp(data, raw).png().toFile(inputs.png);
    await sharp(data, raw).jpeg({ quality: 60 }).toFile(inputs.jpeg);
    await sharp(data, raw).jpeg({ quality: 95 }).toFile(inputs.jpeg95);
    const noisy = { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels as 3, bitDepth: 8 as const };
    applyNoise(noisy, { kind: 'gaussian', sigma: 10, luma: false }, createRng(1));
    assert.ok(estimateNoiseSigma(noisy) >= AUTO_THRESHOLDS.noiseSigma);
    await sharp(Buffer.from(noisy.data), raw).png().toFile(inputs.noisy);
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('clean PNG → clean model; JPEG q60 → robust; noisy PNG → robust; JPEG q95 → clean; the reason says why', async () => {
    const out = (name: string): string => join(dir, 'out', `${name}.png`);
    const o = { scale: 2 as const, modelSearchPaths: [models] };
    const clean = await upscaleFile(inputs.png, out('clean'), o);
    assert.equal(clean.model, 'tiny-x2');
    assert.match(clean.reason ?? '', /^clean: no JPEG history, noise σ≈\d/);
    const jpeg = await upscaleFile(inputs.jpeg, out('photo'), o);
    assert.equal(jpeg.model, 'tiny-robust-x2');
    assert.equal(jpeg.reason, 'robust: JPEG q≈60');
    const noisy = await upscaleFile(inputs.noisy, out('noisy'), o);
    assert.equal(noisy.model, 'tiny-robust-x2');
    assert.match(noisy.reason ?? '', /^robust: noise σ≈\d/);
    const fine = await upscaleFile(inputs.jpeg95, out('fine'), o);
    assert.equal(fine.model, 'tiny-x2');
    assert.match(fine.reason ?? '', /^clean: JPEG q≈95/);
    // -m overrides: no reason, the given model
    const given = await upscaleFile(inputs.jpeg, out('given'), { ...o, model: 'tiny-x2' });
    assert.equal(given.model, 'tiny-x2');
    assert.equal(given.reason, undefined);
  });

  it('videos and frame sequences: a few sampled frames choose, and the choice reaches the result and the queue item', { skip: findFfmpegSync() }, async () => {
    const clean = join(dir, 'in', 'render.mkv');
    const grainy = join(dir, 'in', 'grainy.mkv');
    // Lossless (FFV1), so the noise stays as made: a clean test pattern, and the same with strong temporal noise.
    await ffmpegRun('-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=24', '-t', '1', '-c:v', 'ffv1', clean);
    await ffmpegRun('-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=24', '-t', '1', '-vf', 'noise=alls=30:allf=t', '-c:v', 'ffv1', grainy);
    const scans = join(dir, 'in', 'scans');
    await mkdir(scans);
    await ffmpegRun('-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=24', '-frames:v', '3', join(scans, 'shot_%04d.png'));
    for (const n of [1, 2, 3]) {
      const png = join(scans, `shot_000${n}.png`);
      await sharp(png).jpeg({ quality: 60 }).toFile(join(scans, `shot_000${n}.jpg`));
      await rm(png);
    }
    const options = { scale: 2 as const, modelSearchPaths: [models] };
    const fromClean = await upscaleVideo(clean, join(dir, 'out', 'render_x2.mkv'), options);
    assert.equal(fromClean.model, 'tiny-x2');
    assert.match(fromClean.reason ?? '', /^clean: no JPEG history, noise σ≈\d/);
    const fromGrain = await upscaleVideo(grainy, join(dir, 'out', 'grainy_x2.mkv'), options);
    assert.equal(fromGrain.model, 'tiny-robust-x2');
    assert.match(fromGrain.reason ?? '', /^robust: noise σ≈\d/);
    const fromScans = await upscaleVideo(join(scans, 'shot_%04d.jpg'), join(dir, 'out', 'shots'), options);
    assert.equal(fromScans.model, 'tiny-robust-x2');
    assert.match(fromScans.reason ?? '', /^robust: JPEG q≈60/);
    assert.equal((await upscaleVideo(grainy, join(dir, 'out', 'given_x2.mkv'), { ...options, model: 'tiny-x2' })).reason, undefined, 'a given model has no reason');

    const client = createEngineClient();
    const queue = await JobQueue.open({ journalPath: join(dir, 'video-queue.jsonl'), runner: engineRunner(client, { modelSearchPaths: [models] }) });
    try {
      const added = await queue.addPaths([grainy], { model: null, scale: 2, outputDir: join(dir, 'queued-video') });
      assert.equal(added.items.length, 1, added.problems.join('; '));
      await queue.idle();
      const item = queue.list().find((i) => i.id === added.items[0].id);
      assert.equal(item?.state, 'done', item?.error ?? '');
      assert.equal(item?.result?.model, 'tiny-robust-x2');
      assert.match(item?.result?.reason ?? '', /^robust: noise σ≈\d/);
    } finally {
      await queue.close();
      await client.close();
    }
  });

  it('without a robust model of the scale the clean one runs, and the reason says so', async () => {
    const choice = await chooseModel({ jpegQuality: 60, noiseSigma: 1 }, 2, [cleanOnly]);
    assert.deepEqual(choice, { model: 'tiny-x2', family: 'clean', reason: 'clean: JPEG q≈60, but no robust x2 model is installed' });
  });

  it('the choice travels to the CLI line, --json and the queue item', async () => {
    const env = { ...process.env, SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: models };
    const { stdout } = await run(process.execPath, [BIN, 'upscale', inputs.jpeg, inputs.png, '-o', join(dir, 'cli'), '-s', '2', '--json'], { env });
    const doc = JSON.parse(stdout) as { done: Array<{ input: string; model: string; reason: string }> };
    const byInput = Object.fromEntries(doc.done.map((d) => [d.input, d]));
    assert.equal(byInput[inputs.jpeg].model, 'tiny-robust-x2');
    assert.equal(byInput[inputs.jpeg].reason, 'robust: JPEG q≈60');
    assert.equal(byInput[inputs.png].model, 'tiny-x2');
    const words = await run(process.execPath, [BIN, 'upscale', inputs.jpeg, '-o', join(dir, 'cli-words'), '-s', '2'], { env });
    assert.match(words.stderr, /done .*photo\.jpg → .*\(\d+x\d+, tiny-robust-x2, robust: JPEG q≈60, \d+ ms\)/);

    const client = createEngineClient();
    const queue = await JobQueue.open({ journalPath: join(dir, 'queue.jsonl'), runner: engineRunner(client, { modelSearchPaths: [models] }) });
    try {
      const added = await queue.addPaths([inputs.jpeg], { model: null, scale: 2, outputDir: join(dir, 'queued') });
      assert.equal(added.items.length, 1, added.problems.join('; '));
      await queue.idle();
      const item = queue.list().find((i) => i.id === added.items[0].id);
      assert.equal(item?.state, 'done', item?.error ?? '');
      assert.equal(item?.result?.model, 'tiny-robust-x2');
      assert.equal(item?.result?.reason, 'robust: JPEG q≈60');
    } finally {
      await queue.close();
      await client.close();
    }
  });
});
