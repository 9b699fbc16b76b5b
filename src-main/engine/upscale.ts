/**
 * The pipeline the rest of the app calls: one image file in, one upscaled image file out.
 * decode (sharp) → tiles × backend → encode (sharp), written atomically, never over the input.
 * Loaded models and backend sessions are cached for the life of the process (a worker thread in the app).
 */
import { throwIfAborted } from '../common/errors.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Scale } from './models/spec.js';
import { resolveModel, type LoadedModel } from './models/store.js';
import { selectBackend, type BackendPreference } from './backends/select.js';
import type { Backend, InferenceSession, PixelSession } from './backends/types.js';
import { readImage, readImageInfo, writeImage } from './image-io.js';
import { checkOutputLimit } from './output-limit.js';
import { formatFromPath, isWritableFormat, outputFormatFor, type OutputFormat } from '../../src-common/formats.js';
import { upscaleRaster, upscaleRasterBands, type TileSessions } from './pipeline.js';
import { writePngStreamed } from './image-io/png-stream.js';
import { writeTiffStreamed } from './image-io/tiff.js';
import { tileSizeForBudget } from './tiling.js';
import type { Raster } from './raster.js';
import { analyzeInput, chooseModel } from './auto-model.js';
import type { Mutex } from '../common/mutex.js';

export type { OutputFormat };

export interface UpscaleOptions {
  /**
   * Model id or folder. Absent: for upscaleFile, Automatic (per image, the robust or the clean model of `scale`, see
   * auto-model.ts); elsewhere the clean model for `scale`.
   */
  model?: string;
  scale?: Scale;
  /** 'keep' (default): the input's format when writable, else png. */
  format?: OutputFormat | 'keep';
  quality?: number;
  backend?: BackendPreference;
  /** Inner LR tile edge; 0/undefined: from the memory budget. */
  tile?: number;
  keepMetadata?: boolean;
  maxPixels?: number;
  /** Largest output (width x height) to make; checked from the header before any pixel is decoded. */
  maxOutputPixels?: number;
  /** Models folders to search (default: shipped models, then the user's). */
  modelSearchPaths?: string[];
  /** Threads for one inference (default: all cores). */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: { tilesDone: number; tilesTotal: number }) => void;
  /** Serialises inference between concurrent calls while decode/encode overlap. */
  inferenceLock?: Mutex;
  /**
   * A PNG or TIFF output whose raster would take more bytes than this is made and written one row band at a time
   * instead of held whole (default STREAM_OUTPUT_BYTES; 0 streams every PNG and TIFF).
   */
  streamAboveBytes?: number;
}

/** Above this raster size a PNG or TIFF output is streamed in row bands (the whole raster plus sharp's copy cost twice it). */
export const STREAM_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Output rows one band of a streamed upscale holds at most, in bytes. */
export const STREAM_BAND_BYTES = 16 * 1024 * 1024;
/** A streamed upscale's tile working set (tiling.ts budget): smaller than the default, as memory is the point. */
export const STREAM_TILE_BUDGET_BYTES = 32 * 1024 * 1024;

export interface UpscaleResult {
  input: string;
  output: string;
  width: number;
  height: number;
  ms: number;
  model: string;
  /** Why this model, when it was chosen automatically ("robust: JPEG q≈62"). */
  reason?: string;
  backend: string;
}

/** The format a file is written in: explicit, else what the output's extension names, else as outputFormatFor. */
function writtenFormat(inputPath: string, outputPath: string, format: OutputFormat | 'keep' | undefined): OutputFormat {
  if (format && format !== 'keep') return format;
  const named = formatFromPath(outputPath);
  return named && isWritableFormat(named) ? named : outputFormatFor(inputPath, format);
}

export interface EngineModel {
  model: LoadedModel;
  backend: Backend;
  threads?: number;
  /** The model-only session, made on first use: where the backend fuses whole tiles (pixel sessions) it is rarely needed. */
  modelSession(): Promise<InferenceSession>;
}

const models = new Map<string, Promise<LoadedModel>>();
const backends = new Map<string, Promise<Backend>>();
const sessions = new Map<string, Promise<InferenceSession>>();
const pixelSessions = new Map<string, Promise<PixelSession | undefined>>();

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (!value) {
    value = make();
    // A failed load is not cached: the user may install the model or fix the backend and try again.
    value.catch(() => map.delete(key));
    map.set(key, value);
  }
  return value;
}

function backendFor(preference: BackendPreference): Promise<Backend> {
  return cached(backends, preference, async () => (await selectBackend(preference)).backend);
}

/**
 * Picks (once) the backend for `preference` ahead of the first request, so that its start-up (loading ONNX Runtime,
 * probing its devices: about 50 ms on 2 cores) overlaps with that request's decode. A failure is left for the
 * request to report; the promise settles (never rejects) when the pick is over.
 */
export async function prepareBackend(preference: BackendPreference = 'auto'): Promise<void> {
  await backendFor(preference).catch(() => {});
}

/** Loads (once) the model and picks the backend that will run it. */
export async function loadEngineModel(options: Pick<UpscaleOptions, 'model' | 'scale' | 'backend' | 'modelSearchPaths' | 'threads'>): Promise<EngineModel> {
  if (!options.model && !options.scale) throw new Error('give a model or a scale');
  const searchPaths = options.modelSearchPaths;
  const modelKey = JSON.stringify([options.model ?? null, options.scale ?? null, searchPaths ?? null]);
  const model = await cached(models, modelKey, () => resolveModel(options.model, { scale: options.scale, searchPaths }));
  const backend = await backendFor(options.backend ?? 'auto');
  const { threads } = options;
  return {
    model, backend, threads,
    modelSession: () => cached(sessions, JSON.stringify([model.dir, backend.name, threads ?? null]), () => backend.createSession(model.weights, { threads })),
  };
}

/** The sessions that run tiles of a raster with `channels` channels: fused when the backend can, else model-only. */
export async function tileSessionsFor(engine: EngineModel, channels: 1 | 2 | 3 | 4): Promise<TileSessions> {
  const { backend, model } = engine;
  const pixels = backend.createPixelSession
    ? await cached(pixelSessions, JSON.stringify([model.dir, backend.name, engine.threads ?? null, channels]),
      () => backend.createPixelSession!(model.weights, channels, { threads: engine.threads }))
    : undefined;
  return pixels ? { pixels } : { model: await engine.modelSession() };
}

export async function upscaleFile(input: string, output: string, options: UpscaleOptions): Promise<UpscaleResult> {
  const started = performance.now();
  const auto = options.model === undefined && options.scale !== undefined;
  // Automatic choice needs the pixels first; an explicit model is loaded before decoding (a missing one fails fast).
  let engine = auto ? undefined : await loadEngineModel(options);
  throwIfAborted(options.signal);
  // Before allocating anything: an output too large for memory fails with its size, not "Invalid typed array length".
  const scale = engine?.model.weights.spec.scale ?? options.scale;
  if (scale) {
    const header = await readImageInfo(input, { maxPixels: options.maxPixels });
    checkOutputLimit(input, header.width * scale, header.height * scale, options.maxOutputPixels);
  }
  const decoded = await readImage(input, { maxPixels: options.maxPixels });
  let reason: string | undefined;
  if (!engine) {
    const choice = await chooseModel(await analyzeInput(input, decoded.raster), options.scale!, options.modelSearchPaths);
    reason = choice.reason;
    engine = await loadEngineModel({ ...options, model: choice.model });
    throwIfAborted(options.signal);
  }
  const { model } = engine;
  const tileSessions = await tileSessionsFor(engine, decoded.raster.channels);
  const ran = tileSessions.pixels ?? tileSessions.model;
  const format = writtenFormat(input, output, options.format);
  const { spec } = model.weights;
  const source = decoded.raster;
  const width = source.width * spec.scale;
  const height = source.height * spec.scale;
  const rowBytes = width * source.channels * (source.bitDepth / 8);
  const stream = (format === 'png' || format === 'tiff') && rowBytes * height > (options.streamAboveBytes ?? STREAM_OUTPUT_BYTES);
  await mkdir(dirname(output), { recursive: true });
  const locked = <T>(run: () => Promise<T>): Promise<T> => (options.inferenceLock ? options.inferenceLock.run(run) : run());
  if (stream) {
    // Tiles no taller than a band's share of LR rows, so one band of output rows stays within STREAM_BAND_BYTES.
    const bandRows = Math.max(1, Math.floor(STREAM_BAND_BYTES / rowBytes / spec.scale));
    const tile = Math.min(options.tile && options.tile > 0 ? options.tile : tileSizeForBudget(spec, STREAM_TILE_BUDGET_BYTES), bandRows);
    const writeStreamed = format === 'png' ? writePngStreamed : writeTiffStreamed;
    await writeStreamed(output, { width, height, channels: source.channels, bitDepth: source.bitDepth }, {
      meta: decoded.meta,
      keepMetadata: options.keepMetadata,
      inputPaths: [input],
    }, (push) => upscaleRasterBands(source, tileSessions, spec, { tile, signal: options.signal, onProgress: options.onProgress },
      // Each band runs under the lock on its own, so concurrent jobs interleave with this one's encoding.
      (band: Raster) => push(band), locked));
  } else {
    const raster = await locked(() => upscaleRaster(source, tileSessions, spec, {
      tile: options.tile,
      signal: options.signal,
      onProgress: options.onProgress,
    }));
    await writeImage(output, raster, {
      format,
      quality: options.quality,
      meta: decoded.meta,
      keepMetadata: options.keepMetadata,
      inputPaths: [input],
      // nothing reads the raster after this
      handOver: true,
    });
  }
  return {
    input,
    output,
    width,
    height,
    ms: Math.round(performance.now() - started),
    model: model.id,
    ...(reason ? { reason } : {}),
    backend: `${ran.backend}/${ran.device}`,
  };
}
