/** An interleaved image in memory: rows top to bottom, `channels` samples per pixel. */
export interface Raster {
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
}

/** One channel as floats, row-major (what models, resampling and metrics work on). */
export interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}

export function maxValue(bitDepth: 8 | 16): number {
  return bitDepth === 16 ? 65535 : 255;
}
