import type { UpscaleOptions, UpscaleResult } from '../engine/upscale.js';

/** Options that cross the thread boundary (functions and signals stay on the calling side). */
export type WorkerUpscaleOptions = Omit<UpscaleOptions, 'signal' | 'onProgress' | 'inferenceLock'>;

export type EngineRequest =
  | { type: 'upscale'; id: number; input: string; output: string; options: WorkerUpscaleOptions }
  | { type: 'cancel'; id: number };

export type EngineReply =
  | { type: 'progress'; id: number; tilesDone: number; tilesTotal: number }
  | { type: 'done'; id: number; result: UpscaleResult }
  | { type: 'error'; id: number; message: string; aborted: boolean };
