/**
 * One raster in, one upscaled raster out, tile by tile, so memory depends on the tile and not on the image
 * (apart from the output raster itself).
 *
 * Per tile: the model runs on Y (Y models) or RGB (RGB models); for Y models on colour images the chroma is
 * upscaled with bicubic from the same haloed crop, and alpha likewise; the result is written straight into
 * the output raster. Grey stays grey, 16-bit stays 16-bit.
 *
 * Two ways to run a tile: a fused pixel session (the backend does colour, resampling and quantisation in its own
 * threads: ORT) or a model-only session with those steps in JavaScript (TF.js backends).
 */
import { throwIfAborted } from '../common/errors.js';
import type { ArchitectureSpec } from './models/spec.js';
import { receptiveRadius, unshuffleOf } from './models/spec.js';
import type { InferenceSession, PixelSession } from './backends/types.js';
import type { Plane, Raster } from './raster.js';
import { maxValue } from './raster.js';
import { BT601 } from './color.js';
import { imresize } from './resize.js';
import { isOutOfMemory, planTiles, splitTile, tileSizeForBudget, type Tile } from './tiling.js';

export interface RasterUpscaleOptions {
  /** Inner tile edge in LR pixels; 0 or undefined: from the memory budget. */
  tile?: number;
  signal?: AbortSignal;
  onProgress?: (p: { tilesDone: number; tilesTotal: number }) => void;
}

/** Bicubic upscaling of chroma and alpha reads 2 LR pixels beyond the tile. */
const BICUBIC_RADIUS = 2;
/** Below this edge an out-of-memory failure is reported instead of split further. */
const SMALLEST_TILE = 16;

/** A rectangle of a raster (all channels): a view when it spans whole rows, else a copy. */
function cropRaster(raster: Raster, x: number, y: number, width: number, height: number): Raster {
  const { channels } = raster;
  const rowLength = width * channels;
  if (x === 0 && width === raster.width) {
    const data = raster.data.subarray(y * rowLength, (y + height) * rowLength);
    return { data, width, height, channels: raster.channels, bitDepth: raster.bitDepth };
  }
  const data = raster.bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * raster.width + x) * channels;
    data.set(raster.data.subarray(from, from + rowLength), row * rowLength);
  }
  return { data, width, height, channels: raster.channels, bitDepth: raster.bitDepth };
}

/** Model input for a crop: Y/255 for Y models, RGB in [0, 1] for RGB models (grey replicated). */
function modelInput(crop: Raster, modelChannels: 1 | 3): Float32Array {
  const { width, height, channels, data } = crop;
  const unit = 1 / maxValue(crop.bitDepth);
  const count = width * height;
  const out = new Float32Array(count * modelChannels);
  const colour = channels >= 3;
  const [wr, wg, wb] = BT601.forward[0];
  for (let i = 0, j = 0; i < count; i++, j += channels) {
    const r = data[j] * unit;
    const g = colour ? data[j + 1] * unit : r;
    const b = colour ? data[j + 2] * unit : r;
    if (modelChannels === 1) out[i] = (BT601.offset[0] + wr * r + wg * g + wb * b) / 255;
    else { out[i * 3] = r; out[i * 3 + 1] = g; out[i * 3 + 2] = b; }
  }
  return out;
}

/** One channel of a crop as a float plane on the raster's own scale. */
function channelPlane(crop: Raster, channel: number): Plane {
  const count = crop.width * crop.height;
  const data = new Float32Array(count);
  for (let i = 0, j = channel; i < count; i++, j += crop.channels) data[i] = crop.data[j];
  return { data, width: crop.width, height: crop.height };
}

/** Cb and Cr planes of a colour crop (0..255 scale). */
function chromaPlanes(crop: Raster): [Plane, Plane] {
  const count = crop.width * crop.height;
  const cb = new Float32Array(count);
  const cr = new Float32Array(count);
  const unit = 1 / maxValue(crop.bitDepth);
  const [, fcb, fcr] = BT601.forward;
  for (let i = 0, j = 0; i < count; i++, j += crop.channels) {
    const r = crop.data[j] * unit;
    const g = crop.data[j + 1] * unit;
    const b = crop.data[j + 2] * unit;
    cb[i] = BT601.offset[1] + fcb[0] * r + fcb[1] * g + fcb[2] * b;
    cr[i] = BT601.offset[2] + fcr[0] * r + fcr[1] * g + fcr[2] * b;
  }
  return [{ data: cb, width: crop.width, height: crop.height }, { data: cr, width: crop.width, height: crop.height }];
}

interface TileOutput {
  /** Model output for the haloed crop, (inHeight·s) × (inWidth·s) × model channels. */
  sr: Float32Array;
  chroma?: [Plane, Plane];
  alpha?: Plane;
}

/** Writes the inner part of a tile's results into the output raster, whose first row is output row `outY0`. */
function writeTile(out: Raster, outY0: number, tile: Tile, scale: number, modelChannels: 1 | 3, result: TileOutput): void {
  const max = maxValue(out.bitDepth);
  const srWidth = tile.inWidth * scale;
  const offX = (tile.x - tile.inX) * scale;
  const offY = (tile.y - tile.inY) * scale;
  const width = tile.width * scale;
  const height = tile.height * scale;
  const { channels, data } = out;
  const colour = channels >= 3;
  const hasAlpha = channels === 2 || channels === 4;
  const inv = BT601.inverse;
  const [y0, cb0, cr0] = BT601.offset;
  const clip = (v: number): number => (v <= 0 ? 0 : v >= max ? max : Math.round(v));
  for (let row = 0; row < height; row++) {
    const srRow = (offY + row) * srWidth + offX;
    let o = ((tile.y * scale - outY0 + row) * out.width + tile.x * scale) * channels;
    for (let col = 0; col < width; col++, o += channels) {
      const s = srRow + col;
      if (modelChannels === 1) {
        const dy = result.sr[s] * 255 - y0;
        if (colour && result.chroma) {
          const dcb = result.chroma[0].data[s] - cb0;
          const dcr = result.chroma[1].data[s] - cr0;
          data[o] = clip((inv[0][0] * dy + inv[0][1] * dcb + inv[0][2] * dcr) * max);
          data[o + 1] = clip((inv[1][0] * dy + inv[1][1] * dcb + inv[1][2] * dcr) * max);
          data[o + 2] = clip((inv[2][0] * dy + inv[2][1] * dcb + inv[2][2] * dcr) * max);
        } else {
          data[o] = clip((dy / 219) * max);
        }
      } else {
        const r = result.sr[s * 3];
        const g = result.sr[s * 3 + 1];
        const b = result.sr[s * 3 + 2];
        if (colour) {
          data[o] = clip(r * max);
          data[o + 1] = clip(g * max);
          data[o + 2] = clip(b * max);
        } else {
          data[o] = clip((0.299 * r + 0.587 * g + 0.114 * b) * max);
        }
      }
      if (hasAlpha && result.alpha) data[o + channels - 1] = clip(result.alpha.data[s]);
    }
  }
}

/** What runs the tiles: a fused pixel session for this raster's channels when the backend has one, else a model-only session. */
export type TileSessions = { pixels: PixelSession; model?: InferenceSession } | { pixels?: undefined; model: InferenceSession };

type Samples = Float32Array | Uint8Array | Uint16Array;

/**
 * Copies the inner part of a tile's upscaled output (interleaved, `channels` per pixel) into an output `outWidth`
 * pixels wide, of the same sample type, whose first row is output row `outY0`.
 */
function placeTile(sr: Samples, tile: Tile, scale: number, channels: number, target: Samples, outWidth: number, outY0 = 0): void {
  const srWidth = tile.inWidth * scale;
  const offX = (tile.x - tile.inX) * scale;
  const offY = (tile.y - tile.inY) * scale;
  const rowLength = tile.width * scale * channels;
  for (let row = 0; row < tile.height * scale; row++) {
    const from = ((offY + row) * srWidth + offX) * channels;
    target.set(sr.subarray(from, from + rowLength), ((tile.y * scale - outY0 + row) * outWidth + tile.x * scale) * channels);
  }
}

async function runTile(raster: Raster, out: Raster, outY0: number, tile: Tile, sessions: TileSessions, spec: ArchitectureSpec): Promise<void> {
  const { scale } = spec;
  const crop = cropRaster(raster, tile.inX, tile.inY, tile.inWidth, tile.inHeight);
  if (sessions.pixels) {
    if (tile.inWidth === raster.width && tile.inHeight === raster.height) {
      // One tile is the whole image: the graph writes the output raster itself.
      await sessions.pixels.run(crop.data, tile.inHeight, tile.inWidth, out.data);
      return;
    }
    placeTile(await sessions.pixels.run(crop.data, tile.inHeight, tile.inWidth), tile, scale, out.channels, out.data, out.width, outY0);
    return;
  }
  const sr = await sessions.model.run(modelInput(crop, spec.channels), tile.inHeight, tile.inWidth);
  const srWidth = tile.inWidth * scale;
  const srHeight = tile.inHeight * scale;
  const result: TileOutput = { sr };
  if (spec.channels === 1 && raster.channels >= 3) {
    const [cb, cr] = chromaPlanes(crop);
    result.chroma = [imresize(cb, srWidth, srHeight), imresize(cr, srWidth, srHeight)];
  }
  if (raster.channels === 2 || raster.channels === 4) result.alpha = imresize(channelPlane(crop, raster.channels - 1), srWidth, srHeight);
  writeTile(out, outY0, tile, scale, spec.channels, result);
}

function emptyRaster(width: number, height: number, like: Raster): Raster {
  const length = width * height * like.channels;
  return {
    data: like.bitDepth === 16 ? new Uint16Array(length) : new Uint8Array(length),
    width, height, channels: like.channels, bitDepth: like.bitDepth,
  };
}

/** The tile loop's state across calls: the (possibly halved) tile limit and the progress count. */
interface TileRun {
  limit: number;
  tilesDone: number;
  tilesTotal: number;
}

/**
 * Runs `queue` into `out` (output rows from `outY0`), splitting tiles over the limit and halving the limit for this
 * and every later tile when the backend runs out of memory.
 */
async function runTiles(
  raster: Raster, out: Raster, outY0: number, queue: Tile[], run: TileRun,
  sessions: TileSessions, spec: ArchitectureSpec, halo: number, options: RasterUpscaleOptions,
): Promise<void> {
  while (queue.length) {
    throwIfAborted(options.signal);
    const tile = queue.shift()!;
    const edge = Math.max(tile.width, tile.height);
    if (edge > run.limit) {
      const parts = splitTile(tile, halo, raster.width, raster.height, unshuffleOf(spec));
      queue.unshift(...parts);
      run.tilesTotal += parts.length - 1;
      continue;
    }
    try {
      await runTile(raster, out, outY0, tile, sessions, spec);
    } catch (error) {
      if (!isOutOfMemory(error) || edge <= SMALLEST_TILE) throw error;
      run.limit = Math.max(SMALLEST_TILE, Math.ceil(edge / 2));
      queue.unshift(tile);
      continue;
    }
    run.tilesDone++;
    options.onProgress?.({ tilesDone: run.tilesDone, tilesTotal: run.tilesTotal });
  }
}

function startRun(raster: Raster, spec: ArchitectureSpec, options: RasterUpscaleOptions): { run: TileRun; tiles: Tile[]; halo: number } {
  const halo = Math.max(receptiveRadius(spec), BICUBIC_RADIUS);
  const { width, height } = raster;
  const given = options.tile !== undefined && options.tile > 0;
  let limit = given ? options.tile! : tileSizeForBudget(spec);
  // The budget is an area: an image no larger than the square tile's haloed input runs as one tile even when one edge
  // is longer (a 480x270 frame at x3 and x4). One call instead of two recomputes no halo and lets ORT write the output
  // raster itself: 14–16 % faster per frame on 2 threads.
  if (!given && width * height <= (limit + 2 * halo) ** 2) limit = Math.max(width, height);
  const tiles = planTiles(width, height, limit, halo, unshuffleOf(spec));
  return { run: { limit, tilesDone: 0, tilesTotal: tiles.length }, tiles, halo };
}

export async function upscaleRaster(
  raster: Raster,
  sessions: TileSessions,
  spec: ArchitectureSpec,
  options: RasterUpscaleOptions = {},
): Promise<Raster> {
  const out = emptyRaster(raster.width * spec.scale, raster.height * spec.scale, raster);
  const { run, tiles, halo } = startRun(raster, spec, options);
  await runTiles(raster, out, 0, tiles, run, sessions, spec, halo, options);
  return out;
}

/**
 * The same upscale as upscaleRaster, made one row band of tiles at a time: each finished band of output rows (full
 * width, top to bottom) goes to `onBand` before the next is made, so only one band is ever held. The pixels are those
 * of upscaleRaster with the same tile size (tiles carry exact halos, so tiling never changes a pixel).
 */
export async function upscaleRasterBands(
  raster: Raster,
  sessions: TileSessions,
  spec: ArchitectureSpec,
  options: RasterUpscaleOptions,
  onBand: (band: Raster) => Promise<void>,
  /** Runs one band's inference (an inference lock), so other work may interleave between bands. */
  runBand: (inference: () => Promise<void>) => Promise<void> = (inference) => inference(),
): Promise<void> {
  const { scale } = spec;
  const { run, tiles, halo } = startRun(raster, spec, options);
  let out: Raster | undefined;
  for (let first = 0; first < tiles.length;) {
    const y = tiles[first].y;
    let end = first;
    while (end < tiles.length && tiles[end].y === y) end++;
    const band = tiles.slice(first, end);
    // Bands after the first reuse its raster (the last may be shorter): every pixel of a band is rewritten.
    const rows = band[0].height * scale;
    if (!out || out.height !== rows) out = emptyRaster(raster.width * scale, rows, raster);
    const target = out;
    await runBand(() => runTiles(raster, target, y * scale, band, run, sessions, spec, halo, options));
    await onBand(target);
    first = end;
  }
}

/**
 * Runs a model over a whole float image (NHWC, model channels) tile by tile and returns the whole float output:
 * what evaluation needs (scores are taken on the unquantised model output's Y).
 */
export async function inferTiled(
  session: InferenceSession,
  spec: ArchitectureSpec,
  input: Float32Array,
  width: number,
  height: number,
  tileSize?: number,
): Promise<Float32Array> {
  const { scale, channels } = spec;
  const halo = receptiveRadius(spec);
  const out = new Float32Array(width * scale * height * scale * channels);
  const tiles = planTiles(width, height, tileSize && tileSize > 0 ? tileSize : tileSizeForBudget(spec), halo, unshuffleOf(spec));
  // One tile is the whole image: the session writes the output itself.
  if (tiles.length === 1 && tiles[0].inWidth === width && tiles[0].inHeight === height) return session.run(input, height, width, out);
  for (const tile of tiles) {
    const tileInput = new Float32Array(tile.inWidth * tile.inHeight * channels);
    for (let row = 0; row < tile.inHeight; row++) {
      const from = ((tile.inY + row) * width + tile.inX) * channels;
      tileInput.set(input.subarray(from, from + tile.inWidth * channels), row * tile.inWidth * channels);
    }
    placeTile(await session.run(tileInput, tile.inHeight, tile.inWidth), tile, scale, channels, out, width * scale);
  }
  return out;
}
