// The WebAssembly output stage of x2, x3 and x4 8-bit RGB upscales (engine/backends/onnx/kernels): the real module against a
// plain reference, and the real shipped models through it against the whole ONNX graph.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { buildPixelsOnnxModel, hasPhaseMapLayout, rgbOutputMatrix } from '../../src-main/engine/backends/onnx/graph.js';
import { createOnnxPixelSession, ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';
import { withAssembleTile } from '../../src-main/engine/backends/onnx/kernels/assemble.js';
import { bicubicSkipPlane } from '../../src-main/engine/models/bicubic-skip.js';
import { loadModel } from '../../src-main/engine/models/store.js';
import { upscaleRaster } from '../../src-main/engine/pipeline.js';
import type { Raster } from '../../src-main/engine/raster.js';
import { randomWeights, type ModelWeights } from '../../src-main/engine/models/spec.js';
import { architectureFor } from '../../src-main/training/architectures.js';

const SAMPLE = new URL('../../resources/samples/chelsea.png', import.meta.url).pathname;
const repoRoot = new URL('../../', import.meta.url).pathname;

/** Rounds half to even, as ONNX QuantizeLinear does, and clips to 0..255. */
function quantize(v: number): number {
  const floor = Math.floor(v);
  const diff = v - floor;
  const r = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return Math.min(255, Math.max(0, r));
}

/** A deterministic pseudo-random float in [lo, hi) per index. */
const noise = (i: number, seed: number, lo: number, hi: number): number => lo + (hi - lo) * ((((i + 1) * 2654435761 + seed * 40503) >>> 0) % 10007) / 10007;

async function sampleCrop(width: number, height: number): Promise<Raster> {
  const { data, info } = await sharp(SAMPLE).extract({ left: 60, top: 40, width, height }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3, bitDepth: 8 };
}

/** Samples of `a` and `b` that differ, and by how much at most. */
function compare(a: Uint8Array, b: Uint8Array): { differing: number; worst: number } {
  assert.equal(a.length, b.length);
  let differing = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) { differing++; worst = Math.max(worst, d); }
  }
  return { differing, worst };
}

describe('the WebAssembly output stage (x2, x3 and x4, 8-bit RGB, Y models)', () => {
  /** Fills a tile with random maps in the layout under test (`blocks` or not), runs the kernel, compares with a plain reference. */
  async function checkAgainstReference(s: 2 | 3 | 4, height: number, width: number, blocks: boolean, seed: number): Promise<void> {
    const matrix = rgbOutputMatrix(255);
    const bias = [0.7, -3.1, 12.4];
    const plane = height * width;
    // s² maps of H x W (map (oy mod s)·s + ox mod s); on 2x2 blocks 4·s² maps of H/2 x W/2, map (oy mod 2s)·2s + ox mod 2s
    const phaseAt = (oy: number, ox: number): number => (blocks
      ? ((oy % (2 * s)) * 2 * s + (ox % (2 * s))) * (plane / 4) + Math.floor(oy / (2 * s)) * (width / 2) + Math.floor(ox / (2 * s))
      : ((oy % s) * s + (ox % s)) * plane + Math.floor(oy / s) * width + Math.floor(ox / s));
    await withAssembleTile(s, height, width, matrix, bias, async (tile) => {
      tile.phases.forEach((_, i) => { tile.phases[i] = noise(i, seed, -0.3, 0.6); });
      tile.skip.forEach((_, i) => { tile.skip[i] = noise(i, seed + 1, 0.06, 0.92); });
      tile.chroma.forEach((_, i) => { tile.chroma[i] = noise(i, seed + 2, 0.06, 0.94); });
      const cb = bicubicSkipPlane({ data: tile.chroma.slice(0, plane), width, height }, s);
      const cr = bicubicSkipPlane({ data: tile.chroma.slice(plane), width, height }, s);
      const expected = new Uint8Array(s * s * plane * 3);
      for (let oy = 0; oy < height * s; oy++) {
        for (let ox = 0; ox < width * s; ox++) {
          const y = tile.phases[phaseAt(oy, ox)] + tile.skip[Math.floor(oy / s) * width + Math.floor(ox / s)];
          const o = oy * width * s + ox;
          for (let c = 0; c < 3; c++) {
            expected[o * 3 + c] = quantize(matrix[c * 3] * y + matrix[c * 3 + 1] * cb.data[o] + matrix[c * 3 + 2] * cr.data[o] + bias[c]);
          }
        }
      }
      tile.run();
      const { differing, worst } = compare(tile.output, expected);
      // float sums in another order may land a rare tie one level apart
      assert.ok(worst <= 1 && differing <= Math.max(2, expected.length * 1e-3), `${height}x${width}: ${differing} samples differ, by up to ${worst}`);
    }, blocks);
  }

  for (const s of [2, 3, 4] as const) it(`x${s}: assembles random phase maps as a plain reference does: bicubic chroma with repeated edges, rounding half to even`, async () => {
    // tails (widths not a multiple of 4), one-pixel tiles, and a plain case
    for (const [height, width] of [[1, 1], [3, 5], [7, 13], [2, 8], [9, 33]]) await checkAgainstReference(s, height, width, false, 1);
  });

  for (const s of [2, 3, 4] as const) it(`x${s}: reads the half-size maps of a net on 2x2 blocks as their depth-to-space by 2s would`, async () => {
    for (const [height, width] of [[2, 2], [4, 6], [6, 10], [8, 34]]) await checkAgainstReference(s, height, width, true, 4);
    await assert.rejects(withAssembleTile(s, 3, 4, rgbOutputMatrix(255), [0, 0, 0], async () => undefined, true), /need an even tile, got 4x3/);
  });

  it('is used for 8-bit RGB through Y models with the nearest skip, and only there', async () => {
    for (const id of ['efficient-x2', 'efficient-x3', 'efficient-x4', 'robust-x2']) {
      const spec = (await loadModel(id)).weights.spec;
      assert.equal(hasPhaseMapLayout(spec, 3, 8), true, id);
      assert.equal(hasPhaseMapLayout(spec, 3, 16), false, id);
      assert.equal(hasPhaseMapLayout(spec, 4, 8), false, id);
      assert.equal(hasPhaseMapLayout(spec, 1, 8), false, id);
    }
    const classic = (await loadModel('espcn-x3')).weights;
    assert.equal(hasPhaseMapLayout(classic.spec, 3, 8), false, 'the classic ESPCN has no nearest skip');
    assert.throws(() => buildPixelsOnnxModel(classic, 3, 8, 'phase maps'), /no phase-map layout/);
  });

  const unshuffled = (scale: 2 | 3 | 4): ModelWeights => {
    const spec = { ...architectureFor('efficient', scale, 1, [32, 32, 32], undefined, 'leakyrelu', 2), name: 'efficient' };
    const weights = randomWeights(spec, scale);
    // small weights, so that the output stays near the skip and the samples are not all clipped
    for (const c of weights.convs) c.kernel.forEach((v, i) => { c.kernel[i] = v * 0.3; });
    return weights;
  };
  for (const id of ['efficient-x2', 'robust-x2', 'efficient-x3', 'robust-x3', 'efficient-x4', 'robust-x4', 'unshuffled-x2', 'unshuffled-x3', 'unshuffled-x4']) {
    it(`${id}: a photo crop comes out as the whole ONNX graph makes it, within one level, tiled or not`, async () => {
      const weights = id.startsWith('unshuffled') ? unshuffled(Number(id.at(-1)) as 2 | 3 | 4) : (await loadModel(id)).weights;
      const session = await createOnnxPixelSession(weights, 3, { threads: 2, device: 'cpu' });
      const whole = await ort.InferenceSession.create(buildPixelsOnnxModel(weights, 3, 8, 'samples'), ortSessionOptions(['cpu'], 2));
      try {
        // (the graph of a net on 2x2 blocks takes even sizes; the session pads odd ones, as pipeline.test.ts checks)
        for (const [width, height] of id.startsWith('unshuffled') ? [[202, 96], [64, 48], [4, 2]] : [[203, 97], [64, 48], [3, 2]]) {
          const raster = await sampleCrop(width, height);
          const fast = await session.run(raster.data as Uint8Array, height, width);
          const input = new ort.Tensor('uint8', raster.data as Uint8Array, [1, height, width, 3]);
          const reference = (await whole.run({ pixels: input })).upscaled.data as Uint8Array;
          const { differing, worst } = compare(fast, reference);
          assert.ok(worst <= 1 && differing <= fast.length * 1e-3, `${width}x${height}: ${differing} of ${fast.length} samples differ, by up to ${worst}`);
          if (width >= 64) {
            const tiled = await upscaleRaster(raster, { pixels: session }, weights.spec, { tile: 24 });
            assert.deepEqual(tiled.data, fast, `${width}x${height}: tiles of 24 differ from one call`);
          }
        }
      } finally {
        await session.dispose();
        await whole.release();
      }
    });
  }

  it('is embedded as the build of its C source', () => {
    const run = spawnSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });
});
