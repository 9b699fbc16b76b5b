import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights, type ArchitectureSpec } from '../../src-main/engine/models/spec.js';
import { createOnnxPixelSession, createOnnxSession } from '../../src-main/engine/backends/onnx/index.js';
import type { InferenceSession, PixelSession } from '../../src-main/engine/backends/types.js';
import { inferTiled, upscaleRaster } from '../../src-main/engine/pipeline.js';
import { imresize } from '../../src-main/engine/resize.js';
import { readImage } from '../../src-main/engine/image-io.js';
import { tileSizeForBudget } from '../../src-main/engine/tiling.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { loadEngineModel, tileSessionsFor, upscaleFile } from '../../src-main/engine/upscale.js';
import type { Raster } from '../../src-main/engine/raster.js';

const SAMPLE = new URL('../../resources/samples/chelsea.png', import.meta.url).pathname;
const rgbPrelu: ArchitectureSpec = { name: 'test-rgb', scale: 2, channels: 3, widths: [16, 8], kernels: [3, 3, 3], activation: 'prelu', residual: true };

async function sampleCrop(width: number, height: number, channels: 1 | 3, bitDepth: 8 | 16 = 8): Promise<Raster> {
  let img = sharp(SAMPLE).extract({ left: 100, top: 80, width, height });
  if (channels === 1) img = img.toColourspace(bitDepth === 16 ? 'grey16' : 'b-w');
  else if (bitDepth === 16) img = img.toColourspace('rgb16');
  const { data, info } = await img.raw({ depth: bitDepth === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const samples = bitDepth === 16 ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) : new Uint8Array(data);
  return { data: samples, width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, bitDepth };
}

/** A grey+alpha or RGBA raster with a smooth alpha ramp (so bicubic alpha has something to do). */
function withAlphaRamp(opaque: Raster): Raster {
  const from = opaque.channels;
  const to = from + 1;
  const data = new Uint8Array(opaque.width * opaque.height * to);
  for (let i = 0; i < opaque.width * opaque.height; i++) {
    data.set(opaque.data.subarray(i * from, (i + 1) * from), i * to);
    data[i * to + from] = Math.round((255 * (i % opaque.width)) / Math.max(1, opaque.width - 1));
  }
  return { data, width: opaque.width, height: opaque.height, channels: to as 2 | 4, bitDepth: 8 };
}

describe('tiled upscaling equals whole-image upscaling', () => {
  const sessions = new Map<string, InferenceSession>();
  const pixelSessions = new Map<string, PixelSession>();
  // 1x1 convs: the halo tiles need comes from the bicubic skip alone
  const bicubicSkip: ArchitectureSpec = { name: 'test-bicubic-skip', scale: 4, channels: 1, widths: [8], kernels: [1, 1], activation: 'prelu', residual: true, skip: 'bicubic' };
  // the shipped family's shape: Y, nearest skip, a fused activation
  const yNearest: ArchitectureSpec = { name: 'test-y-nearest', scale: 4, channels: 1, widths: [8, 8], kernels: [3, 3, 3], activation: 'leakyrelu', residual: true };
  // pixel unshuffle: tiles must start on the whole image's 2x2 grid, odd edges included
  const yUnshuffled: ArchitectureSpec = { ...yNearest, name: 'test-y-unshuffled', scale: 3, unshuffle: 2 };
  const specs: ArchitectureSpec[] = [classicEspcn(3), rgbPrelu, bicubicSkip, yNearest, yUnshuffled];
  before(async () => {
    for (const spec of specs) {
      const weights = randomWeights(spec, 7);
      sessions.set(spec.name, await createOnnxSession(weights, { threads: 2 }));
      for (const channels of [1, 2, 3, 4] as const) pixelSessions.set(`${spec.name}/${channels}`, await createOnnxPixelSession(weights, channels, { threads: 2 }));
    }
  });
  after(async () => { for (const s of [...sessions.values(), ...pixelSessions.values()]) await s.dispose(); });

  const cases: Array<[string, number, number, 1 | 3 | 4]> = [
    ['RGB 37x29', 37, 29, 3], ['grey 23x41', 23, 41, 1], ['RGBA 19x17', 19, 17, 4],
    ['1-pixel-wide 1x33', 1, 33, 3], ['1-pixel-high 40x1', 40, 1, 3], ['tiny 1x1', 1, 1, 3], ['tiny 2x3', 2, 3, 1],
  ];
  for (const spec of specs) {
    for (const [label, w, h, channels] of cases) {
      it(`${spec.name} x${spec.scale}: ${label}, tiles of 7 and 16 px`, async () => {
        let raster = await sampleCrop(w, h, channels === 4 ? 3 : channels);
        if (channels === 4) raster = withAlphaRamp(raster);
        const model = sessions.get(spec.name)!;
        const fused = { model, pixels: pixelSessions.get(`${spec.name}/${raster.channels}`)! };
        for (const [path, tileSessions] of [['JavaScript', { model }], ['fused', fused]] as const) {
          const whole = await upscaleRaster(raster, tileSessions, spec, { tile: 4096 });
          assert.equal(whole.width, w * spec.scale);
          assert.equal(whole.height, h * spec.scale);
          assert.equal(whole.channels, raster.channels);
          for (const tile of [7, 16]) {
            const tiled = await upscaleRaster(raster, tileSessions, spec, { tile });
            assert.deepEqual(tiled.data, whole.data, `${path} path: tile ${tile} differs from whole-image output`);
          }
        }
      });
    }
  }

  for (const spec of specs) {
    it(`${spec.name} x${spec.scale}: evaluation's float path, tiles of 7 px, equals one whole-image call`, async () => {
      const [w, h] = [37, 29];
      const input = Float32Array.from({ length: w * h * spec.channels }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
      const whole = await inferTiled(sessions.get(spec.name)!, spec, input, w, h, 4096);
      const tiled = await inferTiled(sessions.get(spec.name)!, spec, input, w, h, 7);
      let worst = 0;
      for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(whole[i] - tiled[i]));
      assert.ok(worst < 1e-5, `largest difference ${worst}`);
    });
  }

  for (const spec of [rgbPrelu, yNearest]) {
    it(`${spec.name}: a model session writes its output into the caller's buffer`, async () => {
      const [w, h] = [23, 17];
      const session = sessions.get(spec.name)!;
      const input = Float32Array.from({ length: w * h * spec.channels }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.21));
      const own = await session.run(input, h, w);
      const into = new Float32Array(own.length).fill(Number.NaN);
      const written = await session.run(input, h, w, into);
      assert.equal(written, into, 'the given buffer is what comes back');
      assert.deepEqual(into, own);
      const short = new Float32Array(own.length - 1);
      await assert.rejects(session.run(input, h, w, short), /output buffer has \d+ values, \d+x\d+x\d+ needs \d+/);
      assert.ok(short.every((v) => v === 0), 'a buffer of the wrong size is left untouched');
    });
  }

  it('grey input gives the same pixels as the same image stored as RGB (Y model)', async () => {
    const spec = classicEspcn(3);
    const grey = await sampleCrop(31, 26, 1);
    const rgb: Raster = { ...grey, channels: 3, data: new Uint8Array(grey.data.length * 3).map((_, i) => grey.data[Math.floor(i / 3)]) };
    const fromGrey = await upscaleRaster(grey, { model: sessions.get(spec.name)! }, spec, { tile: 8 });
    const fromRgb = await upscaleRaster(rgb, { model: sessions.get(spec.name)! }, spec, { tile: 8 });
    assert.equal(fromGrey.channels, 1);
    for (let i = 0; i < fromGrey.data.length; i++) assert.ok(Math.abs(fromGrey.data[i] - fromRgb.data[i * 3]) <= 1);
  });

  for (const spec of specs) {
    for (const channels of [1, 2, 3, 4] as const) {
      it(`${spec.name}: the fused ORT path matches the JavaScript path (${channels} channels, interior within 1 level)`, async () => {
        let raster = await sampleCrop(41, 35, channels <= 2 ? 1 : 3);
        if (channels === 2 || channels === 4) raster = withAlphaRamp(raster);
        const js = await upscaleRaster(raster, { model: sessions.get(spec.name)! }, spec, { tile: 16 });
        const fused = await upscaleRaster(raster, { model: sessions.get(spec.name)!, pixels: pixelSessions.get(`${spec.name}/${channels}`)! }, spec, { tile: 16 });
        // Borders differ by design: MATLAB's mirrored edge in JavaScript, a repeated edge sample in the graph.
        const border = 2 * spec.scale;
        let worst = 0;
        for (let y = border; y < js.height - border; y++) {
          for (let x = border; x < js.width - border; x++) {
            for (let c = 0; c < channels; c++) {
              const i = (y * js.width + x) * channels + c;
              worst = Math.max(worst, Math.abs(js.data[i] - fused.data[i]));
            }
          }
        }
        assert.ok(worst <= 1, `largest difference ${worst}`);
      });
    }
  }

  it('alpha is upscaled with bicubic and re-attached', async () => {
    const spec = classicEspcn(3);
    const rgba = withAlphaRamp(await sampleCrop(20, 12, 3));
    const out = await upscaleRaster(rgba, { model: sessions.get(spec.name)! }, spec, { tile: 4096 });
    const alpha = { data: Float32Array.from({ length: 20 * 12 }, (_, i) => rgba.data[i * 4 + 3]), width: 20, height: 12 };
    const expected = imresize(alpha, 60, 36);
    for (let i = 0; i < 60 * 36; i++) assert.equal(out.data[i * 4 + 3], Math.min(255, Math.max(0, Math.round(expected.data[i]))));
  });

  it('16-bit input stays 16-bit with more than 8 bits of precision', async () => {
    const spec = classicEspcn(3);
    const raster = await sampleCrop(24, 18, 3, 16);
    const out = await upscaleRaster(raster, { model: sessions.get(spec.name)! }, spec, {});
    assert.equal(out.bitDepth, 16);
    assert.ok(out.data instanceof Uint16Array);
    assert.ok(Array.from(out.data).some((v) => v % 257 !== 0), 'values are not just 8-bit values scaled up');
  });

  it('an out-of-memory failure halves the tile and the result stays exact', async () => {
    const spec = classicEspcn(3);
    const real = sessions.get(spec.name)!;
    // Fault injection at the boundary of the third-party runtime: refuse inputs above 400 pixels as ORT would when
    // its arena cannot grow.
    const refusals: number[] = [];
    const limited: InferenceSession = {
      backend: real.backend,
      device: real.device,
      run: (input, height, width) => {
        if (height * width > 400) { refusals.push(height * width); return Promise.reject(new Error('Failed to allocate memory for requested buffer')); }
        return real.run(input, height, width);
      },
      dispose: () => Promise.resolve(),
    };
    const raster = await sampleCrop(45, 38, 3);
    const progress: number[] = [];
    const out = await upscaleRaster(raster, { model: limited }, spec, { tile: 40, onProgress: (p) => progress.push(p.tilesTotal) });
    const reference = await upscaleRaster(raster, { model: real }, spec, { tile: 4096 });
    assert.ok(refusals.length >= 1);
    assert.deepEqual(out.data, reference.data);
    assert.ok(progress.at(-1)! > 4, 'the split tiles were counted');
  });

  it('an image within the tile budget\'s area is one tile even when an edge is longer than the square tile', async () => {
    const spec = classicEspcn(3);
    const limit = tileSizeForBudget(spec);
    const pixels = pixelSessions.get(`${spec.name}/3`)!;
    const stripe = (width: number, height: number): Raster => ({
      data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7 + (i % 251)) % 256), width, height, channels: 3, bitDepth: 8,
    });
    const tilesOf = async (raster: Raster, tile?: number): Promise<{ tiles: number; out: Raster }> => {
      let tiles = 0;
      const out = await upscaleRaster(raster, { pixels }, spec, { ...(tile ? { tile } : {}), onProgress: (p) => { tiles = p.tilesTotal; } });
      return { tiles, out };
    };
    const wide = stripe(limit + 60, 40);
    const whole = await tilesOf(wide);
    assert.equal(whole.tiles, 1);
    assert.deepEqual(whole.out.data, (await tilesOf(wide, 16)).out.data);
    // over the area: tiled as before
    assert.ok((await tilesOf(stripe(limit + 60, limit))).tiles > 1);
  });

  it('cancels between tiles', async () => {
    const spec = classicEspcn(3);
    const controller = new AbortController();
    const raster = await sampleCrop(64, 64, 3);
    await assert.rejects(
      upscaleRaster(raster, { model: sessions.get(spec.name)! }, spec, { tile: 8, signal: controller.signal, onProgress: () => controller.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
  });
});

describe('upscaleFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-pipeline-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps 16-bit depth and the ICC profile, and never writes over its input', async () => {
    const model = join(dir, 'model-x2');
    await saveModel(model, randomWeights(classicEspcn(2), 3), { id: 'random-x2' });
    const input = join(dir, 'deep.png');
    await sharp(SAMPLE).resize(40, 30).toColourspace('rgb16').withIccProfile('p3').png().toFile(input);
    const output = join(dir, 'out', 'deep.png');
    const result = await upscaleFile(input, output, { model });
    assert.equal(result.width, 80);
    const meta = await sharp(output).metadata();
    assert.equal(meta.width, 80);
    assert.equal(meta.height, 60);
    assert.equal(meta.depth, 'ushort');
    assert.ok(meta.icc && meta.icc.length > 0);
    const decoded = await readImage(output);
    assert.equal(decoded.raster.bitDepth, 16);
    await assert.rejects(upscaleFile(input, input, { model }), /input/);
    assert.equal((await sharp(input).metadata()).width, 40, 'the input is untouched');
  });

  it('writes the format the output name asks for when none is given (jpg in, png out)', async () => {
    const model = join(dir, 'model-x2');
    const input = join(dir, 'photo.jpg');
    await sharp(SAMPLE).resize(20, 16).jpeg().toFile(input);
    await upscaleFile(input, join(dir, 'photo-out.png'), { model });
    assert.equal((await sharp(join(dir, 'photo-out.png')).metadata()).format, 'png');
    await upscaleFile(input, join(dir, 'photo-out.tif'), { model, format: 'webp' });
    assert.equal((await sharp(join(dir, 'photo-out.tif')).metadata()).format, 'webp', 'an explicit format wins');
  });

  it('runs tiles fused on onnxruntime without building a model-only session; tfjs gets the model-only one', async () => {
    const model = join(dir, 'model-x2');
    const onnx = await tileSessionsFor(await loadEngineModel({ model, backend: 'onnx' }), 3);
    assert.ok(onnx.pixels);
    assert.equal(onnx.model, undefined);
    const tfjs = await tileSessionsFor(await loadEngineModel({ model, backend: 'tfjs' }), 3);
    assert.equal(tfjs.pixels, undefined);
    assert.ok(tfjs.model);
    const result = await upscaleFile(SAMPLE, join(dir, 'fused.png'), { model, backend: 'onnx' });
    assert.match(result.backend, /^onnx\//);
  });

  it('reports a missing model clearly', async () => {
    await assert.rejects(upscaleFile(SAMPLE, join(dir, 'x.png'), { model: join(dir, 'no-such-model') }), /no-such-model/);
  });
});
