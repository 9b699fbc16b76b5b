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
  | { type: 'progress'; id: number; tilesDone: number; tilesTotal: number }
  | { type: 'video-progress'; id: number; progress: VideoProgress }
  | { type: 'video-info'; id: number; info: VideoInfo }
  | { type: 'done'; id: number; result: UpscaleResult }
  | { type: 'video-done'; id: number; result: VideoUpscaleResult }
  /** `kind`: the error's kind where it has one (VideoError), so callers can tell bad input from failures. */
  | { type: 'error'; id: number; message: string; aborted: boolean; kind?: string };
