import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { classicEspcn, randomWeights, type ArchitectureSpec } from '../../src-main/engine/models/spec.js';
import { loadModelDir, saveModel } from '../../src-main/engine/models/store.js';
import { loadEngineModel } from '../../src-main/engine/upscale.js';
import { architectureFor } from '../../src-main/training/architectures.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

/** NCHW → NHWC (the engine's tile layout) for one image. */
function toNhwc(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[i * c + ch] = x[ch * h * w + i];
  return out;
}

describe('subpixel export', () => {
  let dir: string;
  const models: Array<{ id: string; spec: ArchitectureSpec }> = [
    { id: 'prelu-nearest-x2', spec: { ...architectureFor('efficient', 2), name: 'efficient' } },
    { id: 'prelu-bicubic-x4', spec: { ...architectureFor('efficient', 4, 1, [16, 16, 16], 'bicubic'), name: 'efficient' } },
    { id: 'tanh-rgb-x3', spec: classicEspcn(3, 3) },
    // on 2x2 blocks: the exported graph itself takes odd sizes
    { id: 'leaky-unshuffled-x3', spec: { ...architectureFor('efficient', 3, 1, [16, 16], undefined, 'leakyrelu', 2), name: 'efficient' } },
  ];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'subpixel-export-'));
    for (const [i, m] of models.entries()) await saveModel(join(dir, m.id), randomWeights(m.spec, i + 1), { id: m.id });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  for (const m of models) {
    it(`--format onnx (${m.id}): a fresh ORT session matches the engine's network to 1e-5 at any size`, async () => {
      const file = join(dir, `${m.id}.onnx`);
      const { stdout } = await run(process.execPath, [BIN, 'export', join(dir, m.id), '--format', 'onnx', '-o', file, '--json']);
      assert.equal((JSON.parse(stdout) as { model: string }).model, m.id);
      const session = await ort.InferenceSession.create(await readFile(file));
      assert.deepEqual(session.inputNames, ['input']);
      assert.deepEqual(session.outputNames, ['output']);
      const engine = await loadEngineModel({ model: join(dir, m.id), backend: 'tfjs' });
      const reference = await engine.modelSession();
      const { scale: s, channels: c } = m.spec;
      for (const [h, w] of [[17, 23], [40, 9]]) {
        const x = Float32Array.from({ length: c * h * w }, (_, i) => ((i * 2654435761) % 1000) / 1000);
        const got = (await session.run({ input: new ort.Tensor('float32', x, [1, c, h, w]) })).output;
        assert.deepEqual(got.dims, [1, c, h * s, w * s]);
        const want = await reference.run(toNhwc(x, c, h, w), h, w);
        const nhwc = toNhwc(got.data as Float32Array, c, h * s, w * s);
        let max = 0;
        for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(nhwc[i] - want[i]));
        assert.ok(max < 1e-5, `${h}x${w}: max difference ${max}`);
      }
      await session.release();
    });
  }

  it('--format tfjs copies the stored model; bad formats and models are clear errors', async () => {
    const out = join(dir, 'tfjs-copy');
    await run(process.execPath, [BIN, 'export', join(dir, 'tanh-rgb-x3'), '--format', 'tfjs', '-o', out]);
    const copy = await loadModelDir(out);
    const original = await loadModelDir(join(dir, 'tanh-rgb-x3'));
    assert.deepEqual(copy.weights.convs.map((c) => Array.from(c.kernel)), original.weights.convs.map((c) => Array.from(c.kernel)));
    await assert.rejects(run(process.execPath, [BIN, 'export', join(dir, 'tanh-rgb-x3'), '--format', 'tfjs', '-o', out]), /is not empty/);
    await assert.rejects(run(process.execPath, [BIN, 'export', join(dir, 'tanh-rgb-x3'), '--format', 'coreml', '-o', join(dir, 'x')]), /--format must be onnx or tfjs/);
    await assert.rejects(run(process.execPath, [BIN, 'export', join(dir, 'nope'), '--format', 'onnx', '-o', join(dir, 'x.onnx')]), /nope/);
  });
});
