/**
 * TIFF strips compressed with LZW and the horizontal predictor (kernels/lzw.c, embedded in lzw-wasm.ts). The kernel's
 * memory holds one strip and its compressed bytes at a time; it grows to the largest strip seen and stays.
 */
import { lazyKernel } from '../wasm-kernel.js';
import { LZW_WASM } from './kernels/lzw-wasm.js';

interface KernelExports {
  lzw_strip(input: number, length: number, output: number): number;
  predict_u8(samples: number, rowSamples: number, channels: number, rows: number): void;
  predict_u16(samples: number, rowSamples: number, channels: number, rows: number): void;
}

// Its stack and string table lie below `base`; each strip and its compressed bytes go above it.
const load = lazyKernel<KernelExports>(LZW_WASM);

/** The most bytes `n` input bytes can take: 12 bits each, a Clear code every 3 836 codes, the first Clear and End. */
export function lzwBound(n: number): number {
  return Math.ceil(n * 1.5) + Math.ceil(n / 3836) * 2 + 16;
}

/**
 * One strip: whole rows of `width` pixels of `channels` samples, differenced and LZW-compressed as TIFF's compression
 * 5 with predictor 2 reads them back. `rows` is left as it was; the strip is returned in a buffer of its own.
 */
export function lzwStrip(rows: Uint8Array | Uint16Array, width: number, channels: number): Buffer {
  const rowSamples = width * channels;
  if (rowSamples === 0 || rows.length % rowSamples !== 0) throw new Error(`a strip of ${rows.length} samples is not whole rows of ${rowSamples}`);
  const { exports, base } = load();
  const bytes = rows.byteLength;
  const output = base + ((bytes + 15) & ~15);
  const end = output + lzwBound(bytes);
  const { memory } = exports;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  new Uint8Array(memory.buffer, base, bytes).set(new Uint8Array(rows.buffer, rows.byteOffset, bytes));
  const predict = rows instanceof Uint16Array ? exports.predict_u16 : exports.predict_u8;
  predict(base, rowSamples, channels, rows.length / rowSamples);
  const length = exports.lzw_strip(base, bytes, output);
  return Buffer.from(new Uint8Array(memory.buffer, output, length));
}
