/**
 * Odd tiles for graphs that take only even sizes (a net on 2x2 blocks, see ArchitectureSpec.unshuffle): the input
 * grows by its last row and column repeated, which is what the graph's own padding would do, and the output is cut
 * back. Only a tile at the right or bottom edge of an odd-sized image pays for these copies.
 */
type Samples = Float32Array | Uint8Array | Uint16Array;

export function isOddSize(height: number, width: number): boolean {
  return height % 2 === 1 || width % 2 === 1;
}

/** An interleaved height x width x channels array grown to even height and width, edges repeated. */
export function padToEven<T extends Samples>(data: T, height: number, width: number, channels: number): { data: T; height: number; width: number } {
  const evenHeight = height + (height % 2);
  const evenWidth = width + (width % 2);
  const out = new (data.constructor as new (length: number) => T)(evenHeight * evenWidth * channels);
  const row = width * channels;
  const evenRow = evenWidth * channels;
  for (let y = 0; y < evenHeight; y++) {
    const from = Math.min(y, height - 1) * row;
    out.set(data.subarray(from, from + row), y * evenRow);
    if (evenWidth > width) out.set(data.subarray(from + row - channels, from + row), y * evenRow + row);
  }
  return { data: out, height: evenHeight, width: evenWidth };
}

/** The top-left height x width corner of an interleaved fullHeight x fullWidth x channels array, into `into` when given. */
export function cropTopLeft<T extends Samples>(data: T, fullWidth: number, channels: number, height: number, width: number, into?: T): T {
  const out = into ?? new (data.constructor as new (length: number) => T)(height * width * channels);
  const row = width * channels;
  for (let y = 0; y < height; y++) out.set(data.subarray(y * fullWidth * channels, y * fullWidth * channels + row), y * row);
  return out;
}
