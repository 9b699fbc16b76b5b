/**
 * Backend 'onnx': ONNX Runtime (onnxruntime-node) running a graph generated from the model's weights.
 * Execution providers by platform: CUDA (linux/win, when its provider library is installed), DirectML (win),
 * CoreML (mac), then always CPU. A session that fails on a GPU provider is recreated on CPU, keeping the reason.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { unshuffleOf, type ModelWeights, type Scale } from '../../models/spec.js';
import type { Backend, BackendStatus, InferenceSession, PixelSession, SessionOptions } from '../types.js';
import {
  buildOnnxModel, buildPixelsOnnxModel, CHROMA_OUTPUT, hasPhaseMapLayout, ONNX_INPUT, ONNX_OUTPUT, onnxInputDims, PHASES_OUTPUT,
  phaseMapRgb8, PIXELS_INPUT, PIXELS_OUTPUT, SKIP_OUTPUT,
} from './graph.js';
import { cropTopLeft, isOddSize, padToEven } from './even-size.js';
import { withAssembleTile } from './kernels/assemble.js';

type OrtModule = typeof Ort;

let ortPromise: Promise<OrtModule> | undefined;

/** onnxruntime-node, imported on first use so that a missing native addon is an error we can report, not a crash. */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').then((m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule);
  return ortPromise;
}

/** GPU execution providers worth trying here, best first (names as ORT's executionProviders expects). */
export function gpuProviderCandidates(ort: OrtModule, platform: NodeJS.Platform = process.platform): string[] {
  const supported = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const wanted = platform === 'win32' ? ['cuda', 'dml'] : platform === 'darwin' ? ['coreml'] : platform === 'linux' ? ['cuda'] : [];
  return wanted.filter((name) => supported.has(name) && (supported.get(name) || providerLibraryInstalled(name)));
}

/** CUDA ships as a separate download (onnxruntime-node's install script); only try it when its library is there. */
function providerLibraryInstalled(name: string): boolean {
  if (name !== 'cuda') return false;
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const binDir = join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
    const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(binDir, file));
  } catch {
    return false;
  }
}

export function ortSessionOptions(providers: string[], threads: number): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    // 'all' includes the NCHWc layout transform that makes ORT's CPU convs fast.
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Idle ORT threads sleep instead of spinning: decode and encode share the cores with inference (two files in
    // flight), and spinning threads starved them. Measured on 2 cores: end-to-end 4–11 % faster, in-memory no slower.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

class OrtSession implements InferenceSession {
  readonly backend = 'onnx';

  constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly channels: number,
    private readonly scale: number,
    /** The graph takes only even sizes (a net on 2x2 blocks): odd inputs are padded here and the output cut back. */
    private readonly evenOnly: boolean,
    readonly device: string,
    readonly fallbackReason?: string,
  ) {}

  async run(input: Float32Array, height: number, width: number, into?: Float32Array): Promise<Float32Array> {
    const expected = height * width * this.channels;
    if (input.length !== expected) throw new Error(`input has ${input.length} values, ${height}x${width}x${this.channels} needs ${expected}`);
    const outputLength = expected * this.scale * this.scale;
    if (into && into.length !== outputLength) throw new Error(`output buffer has ${into.length} values, ${height * this.scale}x${width * this.scale}x${this.channels} needs ${outputLength}`);
    if (this.evenOnly && isOddSize(height, width)) {
      const even = padToEven(input, height, width, this.channels);
      const out = await this.run(even.data, even.height, even.width);
      return cropTopLeft(out, even.width * this.scale, this.channels, height * this.scale, width * this.scale, into);
    }
    const tensor = new this.ort.Tensor('float32', input, onnxInputDims(this.channels, height, width));
    // A pre-allocated output is bound as ORT's own: the graph's last node writes the caller's buffer. (onnxruntime-node
    // up to 1.31 still hands back a copy of it as the result's data, which is dropped here.)
    const bound = into && new this.ort.Tensor('float32', into, onnxInputDims(this.channels, height * this.scale, width * this.scale));
    try {
      const results = bound
        ? await this.session.run({ [ONNX_INPUT]: tensor }, { [ONNX_OUTPUT]: bound })
        : await this.session.run({ [ONNX_INPUT]: tensor });
      const out = results[ONNX_OUTPUT];
      const data = out.data;
      if (!(data instanceof Float32Array) || data.length !== outputLength) {
        throw new Error(`ORT returned ${out.type} ${out.dims.join('x')}, expected ${height * this.scale}x${width * this.scale}x${this.channels}`);
      }
      return into ?? data;
    } finally {
      tensor.dispose();
    }
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export interface OnnxSessionInfo {
  /** The generated ONNX model, for inspection (e.g. writing it out for netron). */
  modelBytes: Uint8Array;
}

/** An ORT session on the first provider that accepts the model: GPU candidates, then CPU (keeping why GPUs failed). */
async function createOrtSession(ort: OrtModule, bytes: Uint8Array, options: SessionOptions): Promise<{ session: Ort.InferenceSession; device: string; fallbackReason?: string }> {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const gpus = options.device === 'cpu' ? [] : gpuProviderCandidates(ort);
  let fallbackReason: string | undefined;
  for (const gpu of gpus) {
    try {
      return { session: await ort.InferenceSession.create(bytes, ortSessionOptions([gpu, 'cpu'], threads)), device: gpu };
    } catch (err) {
      fallbackReason = `${fallbackReason ? `${fallbackReason}; ` : ''}${gpu} failed: ${(err as Error).message}`;
    }
  }
  return { session: await ort.InferenceSession.create(bytes, ortSessionOptions(['cpu'], threads)), device: 'cpu', fallbackReason };
}

export async function createOnnxSession(weights: ModelWeights, options: SessionOptions = {}): Promise<InferenceSession> {
  const ort = await loadOrt();
  const { session, device, fallbackReason } = await createOrtSession(ort, buildOnnxModel(weights), options);
  return new OrtSession(ort, session, weights.spec.channels, weights.spec.scale, unshuffleOf(weights.spec) === 2, device, fallbackReason);
}

/**
 * The fused pixel graph for rasters with `rasterChannels` channels. One ORT session per bit depth (its sample type
 * and scale are built into the graph), each made on first use.
 */
export async function createOnnxPixelSession(weights: ModelWeights, rasterChannels: 1 | 2 | 3 | 4, options: SessionOptions = {}): Promise<PixelSession> {
  const ort = await loadOrt();
  const scale = weights.spec.scale;
  const evenOnly = unshuffleOf(weights.spec) === 2;
  // On CPU, 8-bit RGB through a Y model with the nearest skip (most photos and film frames) ends in the WebAssembly
  // output stage: the graph stops at its phase maps, which ORT writes into the kernel's memory. A GPU keeps the whole
  // graph, whose output is what comes back from the device.
  const onCpu = options.device === 'cpu' || gpuProviderCandidates(ort).length === 0;
  const phaseMaps = (bitDepth: 8 | 16): boolean => onCpu && hasPhaseMapLayout(weights.spec, rasterChannels, bitDepth);
  const bySampleType = new Map<8 | 16, Promise<{ session: Ort.InferenceSession; device: string }>>();
  const sessionFor = (bitDepth: 8 | 16): Promise<{ session: Ort.InferenceSession; device: string }> => {
    let made = bySampleType.get(bitDepth);
    if (!made) {
      made = createOrtSession(ort, buildPixelsOnnxModel(weights, rasterChannels, bitDepth, phaseMaps(bitDepth) ? 'phase maps' : 'samples'), options);
      made.catch(() => bySampleType.delete(bitDepth));
      bySampleType.set(bitDepth, made);
    }
    return made;
  };
  // The first session is made now, so that a model ORT rejects fails here and the device is known.
  const { device } = await sessionFor(8);
  const pixels: PixelSession = {
    backend: 'onnx',
    device,
    async run<T extends Uint8Array | Uint16Array>(samples: T, height: number, width: number, into?: T): Promise<T> {
      if (samples.length !== height * width * rasterChannels) {
        throw new Error(`input has ${samples.length} samples, ${height}x${width}x${rasterChannels} needs ${height * width * rasterChannels}`);
      }
      const wide = samples instanceof Uint16Array;
      const type = wide ? 'uint16' : 'uint8';
      const outLength = samples.length * scale * scale;
      if (into && (into.length !== outLength || (into instanceof Uint16Array) !== wide)) {
        throw new Error(`output buffer holds ${into.length} ${into.constructor.name} samples, needs ${outLength} ${type}`);
      }
      if (evenOnly && isOddSize(height, width)) {
        const even = padToEven(samples, height, width, rasterChannels);
        const out = await pixels.run(even.data, even.height, even.width);
        return cropTopLeft(out, even.width * scale, rasterChannels, height * scale, width * scale, into);
      }
      const { session } = await sessionFor(wide ? 16 : 8);
      if (!wide && phaseMaps(8)) {
        const out = (into ?? new Uint8Array(outLength)) as T;
        await assembleInto(ort, session, scale, evenOnly, samples as Uint8Array, height, width, out as Uint8Array);
        return out;
      }
      const input = new ort.Tensor(type, samples, [1, height, width, rasterChannels]);
      // A pre-allocated output: ORT writes the samples straight into the caller's raster, no copy ([H, s, W, s·C] is
      // the interleaved [H·s, W·s, C] in memory).
      const output = into && new ort.Tensor(type, into, [height, scale, width, scale * rasterChannels]);
      try {
        const result = await session.run({ [PIXELS_INPUT]: input }, output ? { [PIXELS_OUTPUT]: output } : [PIXELS_OUTPUT]);
        if (into) return into;
        const data = result[PIXELS_OUTPUT].data;
        if (!(wide ? data instanceof Uint16Array : data instanceof Uint8Array) || data.length !== outLength) throw new Error('ORT returned an output of the wrong size or type');
        return data as T;
      } finally {
        input.dispose();
        output?.dispose();
      }
    },
    async dispose() {
      const made = await Promise.allSettled(bySampleType.values());
      for (const m of made) if (m.status === 'fulfilled') await m.value.session.release();
    },
  };
  return pixels;
}

const RGB8 = phaseMapRgb8();

/** An 8-bit RGB tile through a phase-map graph and the WebAssembly output stage, into `out` (`blocks`: a net on 2x2 blocks). */
function assembleInto(ort: OrtModule, session: Ort.InferenceSession, scale: Scale, blocks: boolean, samples: Uint8Array, height: number,
  width: number, out: Uint8Array): Promise<void> {
  return withAssembleTile(scale, height, width, RGB8.matrix, RGB8.bias, async (tile) => {
    const input = new ort.Tensor('uint8', samples, [1, height, width, 3]);
    const phaseDims = blocks ? [1, 4 * scale * scale, height / 2, width / 2] : [1, scale * scale, height, width];
    const outputs = {
      [PHASES_OUTPUT]: new ort.Tensor('float32', tile.phases, phaseDims),
      [SKIP_OUTPUT]: new ort.Tensor('float32', tile.skip, [1, 1, height, width]),
      [CHROMA_OUTPUT]: new ort.Tensor('float32', tile.chroma, [1, 2, height, width]),
    };
    try {
      await session.run({ [PIXELS_INPUT]: input }, outputs);
      tile.run();
      out.set(tile.output);
    } finally {
      input.dispose();
      for (const t of Object.values(outputs)) t.dispose();
    }
  }, blocks);
}

export async function probeOnnx(): Promise<BackendStatus[]> {
  let ort: OrtModule;
  try {
    ort = await loadOrt();
  } catch (err) {
    return [{ name: 'onnx', available: false, devices: [], reason: `onnxruntime-node did not load: ${(err as Error).message}` }];
  }
  return [{ name: 'onnx', available: true, devices: [...gpuProviderCandidates(ort), 'cpu'] }];
}

export const onnxBackend: Backend = {
  name: 'onnx',
  probe: probeOnnx,
  createSession: createOnnxSession,
  createPixelSession: createOnnxPixelSession,
};

export default onnxBackend;
