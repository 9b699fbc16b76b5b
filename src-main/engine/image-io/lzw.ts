/**
 * TIFF strips compressed with LZW and the horizontal predictor (kernels/lzw.c). The module is embedded (lzw-wasm.ts),
 * so it loads the same way from the sources, the build and the packaged app, once per thread that uses it. Its memory
 * holds one strip and its compressed bytes at a time; it grows to the largest strip seen and stays.
 */
import { LZW_WASM } from './kernels/lzw-wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  lzw_strip(input: number, length: number, output: number): number;
  predict_u8(samples: number, rowSamples: number, channels: number, rows: number): void;
  predict_u16(samples: number, rowSamples: number, channels: number, rows: number): void;
}

let kernel: { exports: KernelExports; base: number } | undefined;

function load(): { exports: KernelExports; base: number } {
  if (!kernel) {
    const exports = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(LZW_WASM, 'base64'))).exports as unknown as KernelExports;
    // The module's stack and string table sit below its initial size; strips go above it.
    kernel = { exports, base: exports.memory.buffer.byteLength };
  }
  return kernel;
}

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
