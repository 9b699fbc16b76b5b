import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel } from '../../src-main/engine/backends/onnx/graph.js';
import { bicubicSkipPlane } from '../../src-main/engine/models/bicubic-skip.js';
import { createOnnxSession, ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';
import { probeBackends, selectBackend } from '../../src-main/engine/backends/select.js';
import { createTfjsSession, type TfjsFlavor } from '../../src-main/engine/backends/tfjs/index.js';
import type { InferenceSession } from '../../src-main/engine/backends/types.js';
import { classicEspcn, randomWeights, skipOf, type ArchitectureSpec, type ModelWeights } from '../../src-main/engine/models/spec.js';

/** Straightforward forward pass (loops, no tricks) to check both backends against. */
function referenceForward(weights: ModelWeights, input: Float32Array, lrHeight: number, lrWidth: number): Float32Array {
  const { spec } = weights;
  // Pixel unshuffle: LR pixel (y, x) of channel c goes to block (y >> 1, x >> 1), channel ((y & 1)·2 + (x & 1))·C + c;
  // an odd last row or column is repeated.
  const u = spec.unshuffle ?? 1;
  const height = Math.ceil(lrHeight / u);
  const width = Math.ceil(lrWidth / u);
  let channels: number = spec.channels * u * u;
  let x = new Float32Array(height * width * channels);
  for (let y = 0; y < height * u; y++) {
    for (let xx = 0; xx < width * u; xx++) {
      for (let c = 0; c < spec.channels; c++) {
        const from = (Math.min(y, lrHeight - 1) * lrWidth + Math.min(xx, lrWidth - 1)) * spec.channels + c;
        x[(Math.floor(y / u) * width + Math.floor(xx / u)) * channels + ((y % u) * u + (xx % u)) * spec.channels + c] = input[from];
      }
    }
  }
  weights.convs.forEach((conv, layer) => {
    const out = new Float32Array(height * width * conv.outChannels);
    const ry = Math.floor(conv.kh / 2);
    const rx = Math.floor(conv.kw / 2);
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        for (let o = 0; o < conv.outChannels; o++) {
          let sum = conv.bias[o];
          for (let ky = 0; ky < conv.kh; ky++) {
            const sy = y + ky - ry;
            if (sy < 0 || sy >= height) continue;
            for (let kx = 0; kx < conv.kw; kx++) {
              const sx = xx + kx - rx;
              if (sx < 0 || sx >= width) continue;
              for (let i = 0; i < channels; i++) {
                sum += x[(sy * width + sx) * channels + i] * conv.kernel[((ky * conv.kw + kx) * channels + i) * conv.outChannels + o];
              }
            }
          }
          if (layer < spec.widths.length) {
            if (spec.activation === 'tanh') sum = Math.tanh(sum);
            else if (spec.activation === 'relu') sum = Math.max(0, sum);
            else if (sum < 0) sum *= (spec.activation === 'leakyrelu' ? conv.alpha?.[0] : conv.alpha?.[o]) ?? NaN;
          }
          out[(y * width + xx) * conv.outChannels + o] = sum;
        }
      }
    }
    x = out;
    channels = conv.outChannels;
  });
  if (u > 1) {
    // back to LR size: block channel ((by·2 + bx)·s² + phase)·… is LR pixel (2y + by, 2x + bx)
    const perPixel = channels / (u * u);
    const maps = new Float32Array(lrHeight * lrWidth * perPixel);
    for (let y = 0; y < lrHeight; y++) {
      for (let xx = 0; xx < lrWidth; xx++) {
        for (let m = 0; m < perPixel; m++) {
          maps[(y * lrWidth + xx) * perPixel + m] = x[(Math.floor(y / u) * width + Math.floor(xx / u)) * channels + ((y % u) * u + (xx % u)) * perPixel + m];
        }
      }
    }
    x = maps;
    channels = perPixel;
  }
  return depthToSpaceWithSkip(spec, x, channels, input, lrHeight, lrWidth);
}

function depthToSpaceWithSkip(spec: ArchitectureSpec, x: Float32Array, channels: number, input: Float32Array, height: number, width: number): Float32Array {
  const s = spec.scale;
  const c = spec.channels;
  const sr = new Float32Array(height * s * width * s * c);
  for (let y = 0; y < height; y++) {
    for (let xx = 0; xx < width; xx++) {
      for (let by = 0; by < s; by++) {
        for (let bx = 0; bx < s; bx++) {
          for (let ch = 0; ch < c; ch++) {
            let v = x[(y * width + xx) * channels + (by * s + bx) * c + ch];
            if (skipOf(spec) === 'nearest') v += input[(y * width + xx) * c + ch];
            if (skipOf(spec) === 'bicubic') v += bicubicAt(input, height, width, c, ch, y * s + by, xx * s + bx, s);
            sr[((y * s + by) * width * s + xx * s + bx) * c + ch] = v;
          }
        }
      }
    }
  }
  return sr;
}

/** Keys-cubic upscaling of one output sample, written out directly: taps at the 4 nearest LR samples, edges repeated. */
function bicubicAt(input: Float32Array, height: number, width: number, c: number, ch: number, oy: number, ox: number, s: number): number {
  const keys = (t: number): number => {
    const a = Math.abs(t);
    return a <= 1 ? 1.5 * a ** 3 - 2.5 * a ** 2 + 1 : a < 2 ? -0.5 * a ** 3 + 2.5 * a ** 2 - 4 * a + 2 : 0;
  };
  const uy = (oy + 0.5) / s - 0.5;
  const ux = (ox + 0.5) / s - 0.5;
  let v = 0;
  for (let jy = Math.floor(uy) - 1; jy <= Math.floor(uy) + 2; jy++) {
    for (let jx = Math.floor(ux) - 1; jx <= Math.floor(ux) + 2; jx++) {
      const sy = Math.min(height - 1, Math.max(0, jy));
      const sx = Math.min(width - 1, Math.max(0, jx));
      v += keys(uy - jy) * keys(ux - jx) * input[(sy * width + sx) * c + ch];
    }
  }
  return v;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomInput(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 0x100000000;
  });
}

const preluRgb: ArchitectureSpec = {
  name: 'espcn-prelu', scale: 2, channels: 3, widths: [32, 16, 16], kernels: [5, 3, 3, 3], activation: 'prelu', residual: true,
};
const bicubicY: ArchitectureSpec = {
  name: 'efficient', scale: 4, channels: 1, widths: [8, 8], kernels: [3, 3, 3], activation: 'prelu', residual: true, skip: 'bicubic',
};
const specs: ArchitectureSpec[] = [
  classicEspcn(2), classicEspcn(3), classicEspcn(4), preluRgb, { ...classicEspcn(3, 3), activation: 'relu', residual: true },
  bicubicY, { ...preluRgb, scale: 3, skip: 'bicubic' }, { ...bicubicY, activation: 'leakyrelu', skip: 'nearest' },
  // pixel unshuffle: a Y net with the nearest skip, and an RGB one with PReLU and the bicubic skip
  { ...bicubicY, scale: 3, activation: 'leakyrelu', skip: undefined, unshuffle: 2 }, { ...preluRgb, skip: 'bicubic', unshuffle: 2 },
];
const sizes: Array<[number, number]> = [[17, 23], [1, 9], [9, 1], [6, 8]];

describe('ONNX and TF.js backends agree with a reference forward pass', () => {
  for (const spec of specs) {
    const label = `${spec.name} x${spec.scale} C${spec.channels} ${spec.activation} skip ${skipOf(spec)} [${spec.widths}]${spec.unshuffle ? ' unshuffled' : ''}`;
    it(label, async () => {
      const weights = randomWeights(spec, 42);
      // Non-zero biases and PReLU slopes that differ per channel, so mixed-up channels cannot go unnoticed.
      weights.convs.forEach((c, i) => {
        c.bias = c.bias.map((_, j) => 0.05 * Math.sin(i * 7 + j));
        if (c.alpha) c.alpha = c.alpha.map((_, j) => 0.1 + 0.02 * j);
      });
      const sessions: InferenceSession[] = [await createOnnxSession(weights, { threads: 2 })];
      for (const flavor of ['tfjs-wasm', 'tfjs-cpu'] as TfjsFlavor[]) sessions.push(await createTfjsSession(weights, { tfjsBackend: flavor, threads: 2 }));
      assert.deepEqual(sessions.map((s) => s.backend), ['onnx', 'tfjs-wasm', 'tfjs-cpu']);
      try {
        for (const [h, w] of sizes) {
          const input = randomInput(h * w * spec.channels, h * 100 + w);
          const expected = referenceForward(weights, input, h, w);
          const outputs = [];
          for (const s of sessions) outputs.push(await s.run(input, h, w));
          outputs.forEach((out, i) => {
            assert.ok(maxAbsDiff(out, expected) < 1e-4, `${sessions[i].backend} vs reference at ${h}x${w}: ${maxAbsDiff(out, expected)}`);
          });
          assert.ok(maxAbsDiff(outputs[0], outputs[1]) < 1e-4, `onnx vs tfjs-wasm at ${h}x${w}`);
        }
      } finally {
        for (const s of sessions) await s.dispose();
      }
    });
  }
});

describe('depth-to-space and skip ordering on hand-built weights', () => {
  // One 1x1 conv with a zero kernel: output = bias (+ input when residual), so every output position is known.
  function constantModel(scale: 2 | 3, residual: boolean): ModelWeights {
    const spec: ArchitectureSpec = { name: 'd2s', scale, channels: 3, widths: [], kernels: [1], activation: 'relu', residual };
    const depth = scale * scale * 3;
    return {
      spec,
      convs: [{ kernel: new Float32Array(3 * depth), bias: Float32Array.from({ length: depth }, (_, d) => residual ? 0 : d), kh: 1, kw: 1, inChannels: 3, outChannels: depth }],
    };
  }

  for (const scale of [2, 3] as const) {
    it(`x${scale}: sub-pixel (by, bx) of channel c comes from depth (by·s + bx)·C + c`, async () => {
      const weights = constantModel(scale, false);
      const h = 2;
      const w = 3;
      for (const session of [await createOnnxSession(weights, { threads: 1 }), await createTfjsSession(weights, { tfjsBackend: 'tfjs-cpu' })]) {
        const out = await session.run(new Float32Array(h * w * 3), h, w);
        for (let Y = 0; Y < h * scale; Y++) {
          for (let X = 0; X < w * scale; X++) {
            for (let c = 0; c < 3; c++) {
              const want = ((Y % scale) * scale + (X % scale)) * 3 + c;
              assert.equal(out[(Y * w * scale + X) * 3 + c], want, `${session.backend} at (${Y}, ${X}, ${c})`);
            }
          }
        }
        await session.dispose();
      }
    });

    it(`x${scale}: the residual skip is a nearest-neighbour upsample of the RGB input`, async () => {
      const weights = constantModel(scale, true);
      const h = 3;
      const w = 2;
      const input = Float32Array.from({ length: h * w * 3 }, (_, i) => i + 1);
      for (const session of [await createOnnxSession(weights, { threads: 1 }), await createTfjsSession(weights, { tfjsBackend: 'tfjs-wasm' })]) {
        const out = await session.run(input, h, w);
        for (let Y = 0; Y < h * scale; Y++) {
          for (let X = 0; X < w * scale; X++) {
            for (let c = 0; c < 3; c++) {
              const want = input[(Math.floor(Y / scale) * w + Math.floor(X / scale)) * 3 + c];
              assert.equal(out[(Y * w * scale + X) * 3 + c], want, `${session.backend} at (${Y}, ${X}, ${c})`);
            }
          }
        }
        await session.dispose();
      }
    });
  }
});

describe('bicubic skip', () => {
  it('training targets use the same upscale as inference (bicubicSkipPlane vs the ONNX and TF.js skip)', async () => {
    const spec: ArchitectureSpec = { name: 'skip-only', scale: 3, channels: 1, widths: [], kernels: [1], activation: 'relu', residual: true, skip: 'bicubic' };
    const weights: ModelWeights = { spec, convs: [{ kernel: new Float32Array(9), bias: new Float32Array(9), kh: 1, kw: 1, inChannels: 1, outChannels: 9 }] };
    const [h, w] = [7, 11];
    const input = randomInput(h * w, 3);
    const plane = bicubicSkipPlane({ data: input, width: w, height: h }, 3);
    for (const session of [await createOnnxSession(weights, { threads: 1 }), await createTfjsSession(weights, { tfjsBackend: 'tfjs-wasm' })]) {
      assert.ok(maxAbsDiff(await session.run(input, h, w), plane.data) < 1e-6, session.backend);
      await session.dispose();
    }
    assert.ok(maxAbsDiff(plane.data, referenceForward(weights, input, h, w)) < 1e-6, 'the reference forward agrees');
  });
});

describe('ONNX backend', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'subpixel-onnx-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs on CPU when asked, and rejects input of the wrong length', async () => {
    const session = await createOnnxSession(randomWeights(classicEspcn(2), 1), { device: 'cpu', threads: 1 });
    assert.equal(session.device, 'cpu');
    assert.equal(session.fallbackReason, undefined);
    await assert.rejects(session.run(new Float32Array(10), 3, 4), /input has 10 values, 3x4x1 needs 12/);
    await session.dispose();
  });

  const hasAvx2 = process.platform === 'linux' && /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  it('gets ORT\'s NCHWc convolutions with Tanh fused (x86 with AVX2)', { skip: !hasAvx2 && 'needs x86 AVX2 for NCHWc' }, async () => {
    const path = join(scratch, 'optimized.onnx');
    const session = await ort.InferenceSession.create(buildOnnxModel(randomWeights(classicEspcn(4), 1)), {
      ...ortSessionOptions(['cpu'], 1), optimizedModelFilePath: path, logSeverityLevel: 3,
    });
    await session.release();
    const graph = onnxProto.onnx.ModelProto.decode(readFileSync(path)).graph;
    const nchwcConvs = (graph?.node ?? []).filter((n) => n.domain === 'com.microsoft.nchwc' && n.opType === 'Conv');
    assert.equal(nchwcConvs.length, 3);
    const activations = nchwcConvs.map((n) => (n.attribute ?? []).find((a) => a.name === 'activation')?.s).map((s) => (s ? new TextDecoder().decode(s) : ''));
    assert.deepEqual(activations, ['Tanh', 'Tanh', '']);
  });
});

describe('backend selection', () => {
  it("'auto' picks onnx; 'tfjs' picks tfjs; an unknown name is an error", async () => {
    const auto = await selectBackend('auto');
    assert.equal(auto.backend.name, 'onnx');
    assert.deepEqual(auto.skipped, []);
    assert.equal((await selectBackend('tfjs')).backend.name, 'tfjs');
    await assert.rejects(selectBackend('bogus' as 'auto'), /unknown backend 'bogus'/);
  });

  it('forcing tfjs-node (not installed here) falls back to wasm and says why', async () => {
    const session = await createTfjsSession(randomWeights(classicEspcn(2), 1), { tfjsBackend: 'tfjs-node' });
    try {
      assert.equal(session.backend, 'tfjs-wasm');
      assert.match(session.fallbackReason ?? '', /tfjs-node: @tensorflow\/tfjs-node is not installed/);
    } finally {
      await session.dispose();
    }
  });

  it('probeBackends lists onnx and every TF.js flavour with devices or a reason', async () => {
    const statuses = await probeBackends();
    assert.deepEqual(statuses.map((s) => s.name), ['onnx', 'tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu']);
    const byName = new Map(statuses.map((s) => [s.name, s]));
    assert.equal(byName.get('onnx')?.available, true);
    assert.equal(byName.get('onnx')?.devices.at(-1), 'cpu');
    assert.equal(byName.get('tfjs-cpu')?.available, true);
    assert.equal(byName.get('tfjs-wasm')?.available, true);
    for (const s of statuses) if (!s.available) assert.ok(s.reason, `${s.name} unavailable without a reason`);
  });

  it('falls back to tfjs when onnxruntime-node cannot be imported, keeping the reason', () => {
    // A resolve hook makes onnxruntime-node unresolvable in a child process: the state of a machine without it.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier === 'onnxruntime-node') { const e = new Error("Cannot find package 'onnxruntime-node'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; }
      return next(specifier, context); }`;
    const selectUrl = new URL('../../src-main/engine/backends/select.ts', import.meta.url).href;
    const script = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const { selectBackend } = await import(${JSON.stringify(selectUrl)});
      const { backend, skipped } = await selectBackend('auto');
      console.log(JSON.stringify({ name: backend.name, skipped }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop() ?? '') as { name: string; skipped: string[] };
    assert.equal(result.name, 'tfjs');
    assert.equal(result.skipped.length, 1);
    assert.match(result.skipped[0], /^onnx: onnxruntime-node did not load: Cannot find package 'onnxruntime-node'/);
  });
});
