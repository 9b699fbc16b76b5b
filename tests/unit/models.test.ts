import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildLayersModel, weightsFromLayersModel } from '../../src-main/engine/models/layers.js';
import {
  classicEspcn, macsPerPixel, parameterCount, randomWeights,
  fileSystemIOHandler, listModels, loadModel, loadModelDir, manifestEntryFor, ModelLoadError, readManifest,
  resolveModel, saveModel, upsertManifestEntry, userModelsDir,
  type ArchitectureSpec, type ModelWeights,
} from '../../src-main/engine/models/index.js';

const execFileAsync = promisify(execFile);

const preluRgb: ArchitectureSpec = {
  name: 'espcn-prelu', scale: 3, channels: 3, widths: [32, 16, 16], kernels: [5, 3, 3, 3], activation: 'prelu', residual: true,
};

const bicubicY: ArchitectureSpec = {
  name: 'efficient', scale: 4, channels: 1, widths: [8, 8], kernels: [3, 3, 3], activation: 'prelu', residual: true, skip: 'bicubic',
};

/** A Y net whose convs run on 2x2 blocks of LR pixels. */
const unshuffledY: ArchitectureSpec = { ...bicubicY, scale: 3, activation: 'leakyrelu', skip: 'nearest', unshuffle: 2 };

function assertBitIdentical(a: ModelWeights, b: ModelWeights): void {
  assert.deepEqual(b.spec, a.spec);
  assert.equal(b.convs.length, a.convs.length);
  a.convs.forEach((c, i) => {
    const d = b.convs[i];
    assert.deepEqual([d.kh, d.kw, d.inChannels, d.outChannels], [c.kh, c.kw, c.inChannels, c.outChannels]);
    for (const key of ['kernel', 'bias', 'alpha'] as const) {
      const x = c[key];
      const y = d[key];
      if (!x) { assert.equal(y, undefined, `conv ${i} ${key}`); continue; }
      assert.ok(y, `conv ${i} ${key} missing`);
      assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `conv ${i} ${key} differs`);
    }
  });
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<ModelLoadError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ModelLoadError, `expected ModelLoadError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a ModelLoadError matching ${pattern}`);
}

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'subpixel-models-')); });
after(() => { rmSync(root, { recursive: true, force: true }); });

describe('TF.js layers model', () => {
  it('puts weights in and reads the same bits back out, for every layer kind', () => {
    for (const spec of [classicEspcn(2), classicEspcn(4, 3), preluRgb, { ...classicEspcn(3), activation: 'relu' as const }, bicubicY, { ...bicubicY, activation: 'leakyrelu' as const }, unshuffledY]) {
      const weights = randomWeights(spec, 11);
      weights.convs.forEach((c, i) => { c.bias = c.bias.map((_, j) => (i + 1) * 0.01 * (j - 3)); });
      const model = buildLayersModel(weights);
      try {
        assertBitIdentical(weights, weightsFromLayersModel(model, spec));
        assert.equal(model.countParams(), parameterCount(spec));
      } finally {
        model.dispose();
      }
    }
  });

  it('runs on any input size and upsamples by the scale', () => {
    const model = buildLayersModel(randomWeights(preluRgb, 2));
    const y = tf.tidy(() => model.predict(tf.zeros([1, 1, 9, 3])) as tf.Tensor);
    assert.deepEqual(y.shape, [1, 3, 27, 3]);
    y.dispose();
    model.dispose();
  });

  it('rejects weights whose arrays do not fit the spec', () => {
    const weights = randomWeights(classicEspcn(2), 1);
    weights.convs[1].bias = new Float32Array(7);
    assert.throws(() => buildLayersModel(weights), /conv 1: bias has 7 values, expected 32/);
  });
});

describe('model store', () => {
  it('save → load is bit-identical, with metadata and provenance kept', async () => {
    for (const [i, spec] of [classicEspcn(2), classicEspcn(3), classicEspcn(4), preluRgb, bicubicY, unshuffledY].entries()) {
      const weights = randomWeights(spec, 100 + i);
      const dir = join(root, 'roundtrip', `m${i}`);
      await saveModel(dir, weights, { id: `m${i}`, description: 'test', training: { datasets: ['t91'], steps: 10, seed: 100 + i } });
      const loaded = await loadModel(dir);
      assert.equal(loaded.id, `m${i}`);
      assert.equal(loaded.dir, dir);
      assert.deepEqual(loaded.meta.training, { datasets: ['t91'], steps: 10, seed: 100 + i });
      assert.deepEqual(loaded.meta.spec, spec);
      assertBitIdentical(weights, loaded.weights);
    }
  });

  it('writes real TF.js layers format: tf.loadLayersModel reads it and predicts like the original', async () => {
    for (const spec of [preluRgb, bicubicY, { ...bicubicY, activation: 'leakyrelu' as const }, unshuffledY]) {
      const weights = randomWeights(spec, 5);
      const dir = join(root, 'tfjs-format', spec.name);
      await saveModel(dir, weights, { id: 'tfjs-format' });
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      assert.equal(json.format, 'layers-model');
      assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
      const loaded = await tf.loadLayersModel(fileSystemIOHandler(dir));
      const original = buildLayersModel(weights);
      const x = tf.randomUniform([1, 7, 5, spec.channels], 0, 1, 'float32', 3);
      const a = original.predict(x) as tf.Tensor;
      const b = loaded.predict(x) as tf.Tensor;
      assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
      assertBitIdentical(weights, weightsFromLayersModel(loaded, spec));
      tf.dispose([x, a, b]);
      original.dispose();
      loaded.dispose();
    }
  });

  it('loads without initialising TF.js', async () => {
    const dir = join(root, 'no-tf');
    await saveModel(dir, randomWeights(classicEspcn(2), 3), { id: 'no-tf' });
    const storeUrl = new URL('../../src-main/engine/models/store.ts', import.meta.url).href;
    const script = `const s = await import(${JSON.stringify(storeUrl)}); const m = await s.loadModelDir(${JSON.stringify(dir)});`
      + ` console.log(JSON.stringify({ id: m.id, convs: m.weights.convs.length, tf: '_tfengine' in globalThis }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop() ?? ''), { id: 'no-tf', convs: 3, tf: false });
  });

  it('gives a clear ModelLoadError for missing, corrupt, truncated and mismatched models', async () => {
    const make = async (name: string): Promise<string> => {
      const dir = join(root, 'bad', name);
      await saveModel(dir, randomWeights(classicEspcn(2), 9), { id: name });
      return dir;
    };
    const missingJson = await make('no-json');
    unlinkSync(join(missingJson, 'model.json'));
    await rejectsWith(loadModel(missingJson), /no-json.*model\.json is missing/);

    const corrupt = await make('corrupt');
    writeFileSync(join(corrupt, 'model.json'), '{"format": "layers-model", "weightsMan');
    await rejectsWith(loadModel(corrupt), /corrupt.*model\.json is not valid JSON/);

    const truncated = await make('truncated');
    const bin = join(truncated, 'weights.bin');
    const size = statSync(bin).size;
    truncateSync(bin, size - 10);
    await rejectsWith(loadModel(truncated), new RegExp(`truncated.*weights are truncated: ${size - 10} bytes, manifest needs ${size}`));

    const longer = await make('longer');
    appendFileSync(join(longer, 'weights.bin'), Buffer.alloc(4));
    await rejectsWith(loadModel(longer), /longer.*longer than its manifest says/);

    const noWeights = await make('no-weights');
    unlinkSync(join(noWeights, 'weights.bin'));
    await rejectsWith(loadModel(noWeights), /no-weights.*weights file .*weights\.bin is missing/);

    // Metadata says widths [64, 16] but the stored tensors are the classic [64, 32] ones.
    const mismatch = await make('mismatch');
    const json = JSON.parse(readFileSync(join(mismatch, 'model.json'), 'utf8'));
    json.userDefinedMetadata.subpixel.spec.widths = [64, 16];
    writeFileSync(join(mismatch, 'model.json'), JSON.stringify(json));
    await rejectsWith(loadModel(mismatch), /mismatch.*conv_1\/kernel has shape \[3, 3, 64, 32\], architecture .* needs \[3, 3, 64, 16\]/);

    const badSpec = await make('bad-spec');
    const json2 = JSON.parse(readFileSync(join(badSpec, 'model.json'), 'utf8'));
    json2.userDefinedMetadata.subpixel.spec.scale = 5;
    writeFileSync(join(badSpec, 'model.json'), JSON.stringify(json2));
    await rejectsWith(loadModel(badSpec), /bad-spec.*invalid architecture spec: unsupported scale 5/);

    const err = await rejectsWith(loadModel('no-such-model', { searchPaths: [join(root, 'bad')] }), /"no-such-model": unknown model id; known models: longer, mismatch, no-weights, truncated \(searched .*\); unreadable: .*"corrupt"/);
    assert.equal(err.model, 'no-such-model');
  });
});

describe('manifest and model folders', () => {
  it('upserts entries, lists manifest and unlisted models, and resolves by id, family + scale, or path', async () => {
    const shipped = join(root, 'shipped');
    const user = join(root, 'user');
    for (const s of [2, 4] as const) {
      const weights = randomWeights(classicEspcn(s), s);
      const dir = join(shipped, `espcn-x${s}`);
      await saveModel(dir, weights, { id: `espcn-x${s}`, training: { datasets: ['t91'] } });
      await upsertManifestEntry(shipped, manifestEntryFor(await loadModelDir(dir), `espcn-x${s}`, { Set5: { [`x${s}`]: { psnr: 30 + s, ssim: 0.9 } } }));
    }
    // Re-upserting replaces in place instead of duplicating.
    const x2 = await loadModelDir(join(shipped, 'espcn-x2'));
    const entries = await upsertManifestEntry(shipped, manifestEntryFor(x2, 'espcn-x2', { Set5: { x2: { psnr: 36.5, ssim: 0.95 } } }));
    assert.deepEqual(entries.map((e) => e.id), ['espcn-x2', 'espcn-x4']);
    const manifest = await readManifest(shipped);
    assert.equal(manifest[0].scores?.Set5.x2?.psnr, 36.5);
    assert.equal(manifest[1].macsPerPixel, macsPerPixel(classicEspcn(4)));
    assert.equal(manifest[1].params, parameterCount(classicEspcn(4)));
    assert.deepEqual(manifest[1].training, { datasets: ['t91'] });

    // A user model with the same id as a shipped one is hidden (first folder wins); an unlisted one is found.
    await saveModel(join(user, 'tuned'), randomWeights(preluRgb, 1), { id: 'my-tuned-x3' });
    await saveModel(join(user, 'dup'), randomWeights(classicEspcn(2), 99), { id: 'espcn-x2' });
    const { models, problems } = await listModels([shipped, user, join(root, 'does-not-exist')]);
    assert.deepEqual(problems, []);
    assert.deepEqual(models.map((m) => [m.id, m.scale, m.entry ? 'manifest' : 'scan']), [
      ['espcn-x2', 2, 'manifest'], ['espcn-x4', 4, 'manifest'], ['my-tuned-x3', 3, 'scan'],
    ]);

    const searchPaths = [shipped, user];
    assert.equal((await resolveModel('espcn', { scale: 4, searchPaths })).id, 'espcn-x4');
    assert.equal((await resolveModel(undefined, { scale: 2, searchPaths })).id, 'espcn-x2');
    assert.equal((await resolveModel('my-tuned-x3', { searchPaths })).weights.spec.channels, 3);
    assert.equal((await resolveModel(join(user, 'dup'), { scale: 2 })).id, 'espcn-x2');
    await rejectsWith(resolveModel('espcn-x4', { scale: 2, searchPaths }), /"espcn-x4": is a x4 model but x2 was requested/);
    await rejectsWith(resolveModel(undefined, { scale: 3, searchPaths: [shipped] }), /no model for x3; known x3 models: none/);
  });

  it('reports a corrupt manifest as a problem without hiding other folders', async () => {
    const broken = join(root, 'broken-manifest');
    await saveModel(join(broken, 'a'), randomWeights(classicEspcn(3), 1), { id: 'a-x3' });
    writeFileSync(join(broken, 'manifest.json'), '[{"id": ');
    await rejectsWith(readManifest(broken), /manifest\.json.*manifest is not valid JSON/);
    const { models, problems } = await listModels([broken]);
    assert.deepEqual(models.map((m) => m.id), ['a-x3']);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /manifest is not valid JSON/);
  });

  it('keeps every entry when several writers in this and other processes update one manifest at once', async () => {
    const folder = join(root, 'concurrent');
    const dir = join(folder, 'espcn-x2');
    await saveModel(dir, randomWeights(classicEspcn(2), 5), { id: 'espcn-x2' });
    const entry = manifestEntryFor(await loadModelDir(dir), 'espcn-x2');
    const manifestUrl = new URL('../../src-main/engine/models/manifest.ts', import.meta.url).href;
    const writer = (prefix: string): Promise<unknown> => execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `const s = await import(${JSON.stringify(manifestUrl)}); const e = ${JSON.stringify(entry)};`
      + ` await Promise.all(Array.from({ length: 15 }, (_, i) => s.upsertManifestEntry(${JSON.stringify(folder)}, { ...e, id: '${prefix}' + i })));`]);
    await Promise.all([
      writer('a'), writer('b'),
      ...Array.from({ length: 15 }, (_, i) => upsertManifestEntry(folder, { ...entry, id: `here${i}` })),
    ]);
    const ids = (await readManifest(folder)).map((e) => e.id).sort();
    const expected = ['a', 'b', 'here'].flatMap((p) => Array.from({ length: 15 }, (_, i) => `${p}${i}`)).sort();
    assert.deepEqual(ids, expected);
    assert.equal(existsSync(join(folder, 'manifest.json.lock')), false, 'the lock is released');
  });

  it('puts user models under SUBPIXEL_HOME when set', () => {
    assert.equal(userModelsDir({ SUBPIXEL_HOME: '/tmp/sp-home' }), '/tmp/sp-home/models');
    assert.equal(userModelsDir({ SUBPIXEL_HOME: '/tmp/sp-home', SUBPIXEL_USER_MODELS_DIR: '/tmp/um' }), '/tmp/um');
  });
});
