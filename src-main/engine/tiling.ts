import type { ArchitectureSpec } from './models/spec.js';
import { receptiveRadius, unshuffleOf } from './models/spec.js';

/**
 * A rectangle of the LR image that one inference call produces output for (`x, y, width, height`),
 * and the larger rectangle actually fed to the model (`inX, inY, inWidth, inHeight`): the same area
 * grown by the halo on every side, clipped at the image border.
 *
 * Where the halo is clipped the model's own zero padding coincides with the image border, and where it
 * is not clipped it is at least the receptive radius, so every output pixel of the inner area sees
 * exactly the input it would see in whole-image inference.
 */
export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
  inX: number;
  inY: number;
  inWidth: number;
  inHeight: number;
}

/** A network on 2x2 blocks (pixel unshuffle) needs every tile's haloed input to start on the image's block grid. */
function roundUpTo(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

export function planTiles(imageWidth: number, imageHeight: number, tileSize: number, haloAtLeast: number, align = 1): Tile[] {
  if (imageWidth < 1 || imageHeight < 1) throw new Error(`cannot tile an empty image (${imageWidth}x${imageHeight})`);
  const size = Math.max(1, Math.floor(tileSize));
  const onGrid = (n: number): number => roundUpTo(n, align);
  const halo = onGrid(haloAtLeast);
  // Even tiles (1920 at 1024 → 2 × 960, not 1024 + 896; 1080 → 2 × 540, not 1024 + 56): thin leftover strips
  // cost a whole call each and waste most of their work on halo.
  const tileWidth = onGrid(Math.ceil(imageWidth / Math.ceil(imageWidth / size)));
  const tileHeight = onGrid(Math.ceil(imageHeight / Math.ceil(imageHeight / size)));
  const tiles: Tile[] = [];
  for (let y = 0; y < imageHeight; y += tileHeight) {
    for (let x = 0; x < imageWidth; x += tileWidth) {
      const width = Math.min(tileWidth, imageWidth - x);
      const height = Math.min(tileHeight, imageHeight - y);
      const inX = Math.max(0, x - halo);
      const inY = Math.max(0, y - halo);
      const inWidth = Math.min(imageWidth, x + width + halo) - inX;
      const inHeight = Math.min(imageHeight, y + height + halo) - inY;
      tiles.push({ x, y, width, height, inX, inY, inWidth, inHeight });
    }
  }
  return tiles;
}

/**
 * Bytes one LR pixel of a tile costs during inference, all float32: the widest pair of adjacent activations (input
 * and output of a conv live together), the im2col scratch a backend may build for the widest conv, and the s²·C
 * phase maps of the output stage (network phases, bicubic chroma/alpha phases, and the few full-size copies the
 * fused graph makes while quantising and interleaving them). Deliberately pessimistic, so the budget holds on
 * every backend.
 */
export function bytesPerTilePixel(spec: ArchitectureSpec): number {
  // with pixel unshuffle the convs' maps hold one value per channel for each 2x2 block of LR pixels
  const blocks = unshuffleOf(spec) ** 2;
  const maps = [spec.channels * blocks, ...spec.widths, spec.scale * spec.scale * spec.channels * blocks];
  let widestPair = 0;
  let widestIm2col = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    widestPair = Math.max(widestPair, (maps[i] + maps[i + 1]) / blocks);
    widestIm2col = Math.max(widestIm2col, (spec.kernels[i] * spec.kernels[i] * maps[i]) / blocks);
  }
  const phases = spec.scale * spec.scale;
  const rasterChannels = 4;
  const outputStage = 2 * phases * (spec.channels + 3) + 5 * phases * rasterChannels;
  return 4 * (widestPair + widestIm2col + outputStage);
}

/** Tiles are sized so their working set stays near this; the output raster is extra. */
export const DEFAULT_TILE_BUDGET_BYTES = 384 * 1024 * 1024;
const MIN_TILE = 32;
const MAX_TILE = 1024;

/** The largest square tile (inner edge, LR pixels) whose haloed input fits the memory budget. */
export function tileSizeForBudget(spec: ArchitectureSpec, budgetBytes = DEFAULT_TILE_BUDGET_BYTES): number {
  const halo = receptiveRadius(spec);
  const pixels = budgetBytes / bytesPerTilePixel(spec);
  const edge = Math.floor(Math.sqrt(pixels)) - 2 * halo;
  return Math.max(MIN_TILE, Math.min(MAX_TILE, edge));
}

/** Heuristic: does this error mean the backend ran out of memory (so a smaller tile may succeed)? */
export function isOutOfMemory(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /out of memory|\boom\b|bad_alloc|failed to allocate|allocation failed|RangeError: Array buffer allocation|resource exhausted/i.test(text);
}

/** Splits a tile into up to four tiles of half the edge, each with its own halo recomputed. */
export function splitTile(tile: Tile, haloAtLeast: number, imageWidth: number, imageHeight: number, align = 1): Tile[] {
  const half = Math.max(1, Math.ceil(Math.max(tile.width, tile.height) / 2));
  const halo = roundUpTo(haloAtLeast, align);
  return planTiles(tile.width, tile.height, half, 0, align).map((t) => {
    const x = tile.x + t.x;
    const y = tile.y + t.y;
    const inX = Math.max(0, x - halo);
    const inY = Math.max(0, y - halo);
    return {
      x, y, width: t.width, height: t.height, inX, inY,
      inWidth: Math.min(imageWidth, x + t.width + halo) - inX,
      inHeight: Math.min(imageHeight, y + t.height + halo) - inY,
    };
  });
}
