import type { SerializedError } from '../common/errors.js';
import type { UpscaleOptions, UpscaleResult } from '../engine/upscale.js';
import type { VideoProgress, VideoUpscaleOptions, VideoUpscaleResult } from '../video/upscale-video.js';
import type { VideoInfo } from '../video/probe.js';

/** Options that cross the thread boundary (functions and signals stay on the calling side). */
export type WorkerUpscaleOptions = Omit<UpscaleOptions, 'signal' | 'onProgress' | 'inferenceLock'>;

/** Video options that cross the thread boundary. */
export type WorkerVideoOptions = Omit<VideoUpscaleOptions, 'signal' | 'onProgress' | 'onInfo' | 'inferenceLock'>;

export type EngineRequest =
  | { type: 'upscale'; id: number; input: string; output: string; options: WorkerUpscaleOptions }
  | { type: 'video'; id: number; input: string; output: string; options: WorkerVideoOptions }
  | { type: 'cancel'; id: number };

export type EngineReply =
  /** Start-up is over (ONNX Runtime's addon loaded or failed to): from here the thread may be terminated safely. */
  | { type: 'ready' }
  | { type: 'progress'; id: number; tilesDone: number; tilesTotal: number }
  | { type: 'video-progress'; id: number; progress: VideoProgress }
  | { type: 'video-info'; id: number; info: VideoInfo }
  | { type: 'done'; id: number; result: UpscaleResult }
  | { type: 'video-done'; id: number; result: VideoUpscaleResult }
  /** The failure with its kind ('canceled' when the request was canceled; `detail` e.g. a VideoError's 'gap'). */
  | { type: 'error'; id: number; error: SerializedError };
