/**
 * The WebAssembly output stage (assemble.c): a phase-map graph's outputs in (x2, x3 or x4), the 8-bit RGB raster out.
 * The module is embedded (assemble-wasm.ts), so it loads the same way from the sources, the build and the packaged
 * app, once per thread that uses it. Its memory holds one tile's maps and output at a time: ONNX Runtime writes the
 * maps straight into it; it grows to the largest tile seen (the tile budget bounds that) and stays.
 */
import { createMutex } from '../../../../common/mutex.js';
import { phaseTaps } from '../../../models/bicubic-skip.js';
import type { Scale } from '../../../models/spec.js';
import { lazyKernel } from '../../../wasm-kernel.js';
import { ASSEMBLE_WASM } from './assemble-wasm.js';

interface KernelExports {
  assemble_rgb8_x2: Assemble;
  assemble_rgb8_x3: Assemble;
  assemble_rgb8_x4: Assemble;
  assemble_blocks_rgb8_x2: Assemble;
  assemble_blocks_rgb8_x3: Assemble;
  assemble_blocks_rgb8_x4: Assemble;
}

type Assemble = (phases: number, skip: number, chroma: number, height: number, width: number, taps: number, matrix: number,
  bias: number, scratch: number, out: number) => void;

// Its stack lies below `base`; tiles go above it.
const load = lazyKernel<KernelExports>(ASSEMBLE_WASM);

/** The bicubic taps of the s output phases per scale, LR offsets −2..2 (the graph's chroma phases use the same). */
const TAPS = new Map(([2, 3, 4] as const).map((s) => [s, Float32Array.from(Array.from({ length: s }, (_, p) => phaseTaps(p, s)).flat())]));
/** Repeated edge samples on each side of a scratch row (MARGIN in assemble.c). */
const MARGIN = 4;

/** One tile's buffers in the kernel's memory: fill the maps (ONNX Runtime writes them), then `run` fills `output`. */
export interface AssembleTile {
  /**
   * s² network phase maps, H × W each (map py·s + px); for a net on 2x2 blocks, 4·s² maps of H/2 × W/2 (map
   * (by·s + py)·2s + bx·s + px: phase (py, px) of LR pixel (2y + by, 2x + bx)).
   */
  phases: Float32Array;
  /** The network's input Y (the nearest skip), H × W. */
  skip: Float32Array;
  /** Cb, then Cr, H × W each, on the 0..1 scale. */
  chroma: Float32Array;
  /** (sH) × (sW) × 3 samples once `run` returns. */
  output: Uint8Array;
  run(): void;
}

const align = (n: number): number => (n + 63) & ~63;

/** One tile in the kernel's memory at a time per thread: a second would move (by growing it) or overwrite the first's. */
const tileLock = createMutex();

/**
 * Runs `use` with buffers for a height × width tile at x`scale` in the kernel's memory, alone on this thread; sample c =
 * Σ_k matrix[c·3 + k]·(Y', Cb, Cr)[k] + bias[c] with Y' = phase + skip and Cb, Cr upscaled. The buffers are valid only
 * until `use` settles.
 */
export function withAssembleTile<T>(scale: Scale, height: number, width: number, matrix: ArrayLike<number>,
  bias: ArrayLike<number>, use: (tile: AssembleTile) => Promise<T>, blocks = false): Promise<T> {
  if (blocks && (height % 2 || width % 2)) return Promise.reject(new Error(`phase maps on 2x2 blocks need an even tile, got ${width}x${height}`));
  return tileLock.run(() => use(tileBuffers(scale, height, width, matrix, bias, blocks)));
}

function tileBuffers(scale: Scale, height: number, width: number, matrix: ArrayLike<number>, bias: ArrayLike<number>, blocks: boolean): AssembleTile {
  const { exports, base } = load();
  const plane = height * width;
  const phases = scale * scale;
  const taps = TAPS.get(scale)!;
  const at = { taps: base, matrix: 0, bias: 0, scratch: 0, phases: 0, skip: 0, chroma: 0, output: 0, end: 0 };
  at.matrix = at.taps + taps.length * 4;
  at.bias = at.matrix + 9 * 4;
  at.scratch = align(at.bias + 3 * 4);
  at.phases = align(at.scratch + 2 * (width + 2 * MARGIN) * 4);
  at.skip = align(at.phases + phases * plane * 4);
  at.chroma = align(at.skip + plane * 4);
  at.output = align(at.chroma + 2 * plane * 4);
  at.end = at.output + phases * plane * 3;
  const { memory } = exports;
  if (at.end > memory.buffer.byteLength) {
    try {
      memory.grow(Math.ceil((at.end - memory.buffer.byteLength) / 65536));
    } catch (error) {
      // worded so that the tile loop (tiling.ts isOutOfMemory) retries with smaller tiles
      throw new RangeError(`out of memory: the output stage cannot hold a ${width}x${height} tile (${(error as Error).message})`);
    }
  }
  const { buffer } = memory;
  new Float32Array(buffer, at.taps, taps.length).set(taps);
  new Float32Array(buffer, at.matrix, 9).set(matrix);
  new Float32Array(buffer, at.bias, 3).set(bias);
  return {
    phases: new Float32Array(buffer, at.phases, phases * plane),
    skip: new Float32Array(buffer, at.skip, plane),
    chroma: new Float32Array(buffer, at.chroma, 2 * plane),
    output: new Uint8Array(buffer, at.output, phases * plane * 3),
    run: () => exports[blocks ? `assemble_blocks_rgb8_x${scale}` as const : `assemble_rgb8_x${scale}` as const](at.phases, at.skip, at.chroma, height, width, at.taps, at.matrix, at.bias, at.scratch,
      at.output),
  };
}
