import type { Worker } from 'node:worker_threads';
import { AbortError, CodedError, deserializeError } from '../common/errors.js';
import { startWorker } from '../common/worker.js';
import type { UpscaleResult } from '../engine/upscale.js';
import type { VideoProgress, VideoUpscaleResult } from '../video/upscale-video.js';
import type { VideoInfo } from '../video/probe.js';
import type { EngineReply, EngineRequest, WorkerUpscaleOptions, WorkerVideoOptions } from './engine-protocol.js';

export interface UpscaleHooks {
  signal?: AbortSignal;
  onProgress?: (p: { tilesDone: number; tilesTotal: number }) => void;
}

export interface VideoHooks {
  signal?: AbortSignal;
  onProgress?: (p: VideoProgress) => void;
  onInfo?: (info: VideoInfo) => void;
}

export interface EngineClient {
  /** Starts the worker (loading the engine's modules) before the first request needs it. */
  warm(): void;
  upscaleFile(input: string, output: string, options: WorkerUpscaleOptions, hooks?: UpscaleHooks): Promise<UpscaleResult>;
  /** A video file or frame sequence, in the same worker (see video/upscale-video.ts). */
  upscaleVideo(input: string, output: string, options: WorkerVideoOptions, hooks?: VideoHooks): Promise<VideoUpscaleResult>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: UpscaleResult | VideoUpscaleResult) => void;
  reject: (e: Error) => void;
  onProgress?: UpscaleHooks['onProgress'];
  video?: VideoHooks;
  worker: Worker;
}

/**
 * The engine in a worker thread. One worker holds the loaded models and backend sessions; requests may be
 * sent concurrently and the worker serialises inference while overlapping decode and encode.
 */
export function createEngineClient(): EngineClient {
  let worker: Worker | undefined;
  /** Settles when the current worker's start-up is over ('ready') or it is gone: only then may it be terminated. */
  let started: Promise<void> = Promise.resolve();
  let nextId = 1;
  const pending = new Map<number, Pending>();

  /** Fails the requests a dead worker held; a newer worker and its requests are left alone. */
  const failWorker = (w: Worker, error: Error): void => {
    for (const [id, p] of pending) if (p.worker === w) { pending.delete(id); p.reject(error); }
    if (worker === w) worker = undefined;
  };

  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const w = startWorker(new URL('./engine-worker.js', import.meta.url));
    let markStarted = (): void => {};
    started = new Promise<void>((resolve) => { markStarted = resolve; });
    w.on('exit', () => markStarted());
    w.on('message', (reply: EngineReply) => {
      if (reply.type === 'ready') { markStarted(); return; }
      const p = pending.get(reply.id);
      if (!p) return;
      if (reply.type === 'progress') p.onProgress?.({ tilesDone: reply.tilesDone, tilesTotal: reply.tilesTotal });
      else if (reply.type === 'video-progress') p.video?.onProgress?.(reply.progress);
      else if (reply.type === 'video-info') p.video?.onInfo?.(reply.info);
      else {
        pending.delete(reply.id);
        if (reply.type === 'done' || reply.type === 'video-done') p.resolve(reply.result);
        else p.reject(deserializeError(reply.error));
      }
    });
    w.on('error', (error) => failWorker(w, error instanceof Error ? error : new CodedError('internal', String(error))));
    w.on('exit', (code) => failWorker(w, new CodedError('internal', `engine worker exited with code ${code}`)));
    worker = w;
    return w;
  };

  /** Sends one request; its listener on the (often batch-wide) signal goes again when it settles. */
  const request = <R>(input: string, signal: AbortSignal | undefined, message: (id: number) => EngineRequest, hooks: Pick<Pending, 'onProgress' | 'video'>): Promise<R> => {
    if (signal?.aborted) return Promise.reject(new AbortError(`canceled: ${input}`));
    const w = ensureWorker();
    const id = nextId++;
    const cancel = (): void => w.postMessage({ type: 'cancel', id } satisfies EngineRequest);
    const settle = (): void => signal?.removeEventListener('abort', cancel);
    return new Promise<R>((resolve, reject) => {
      pending.set(id, {
        resolve: (r) => { settle(); resolve(r as R); },
        reject: (e) => { settle(); reject(e); },
        ...hooks,
        worker: w,
      });
      signal?.addEventListener('abort', cancel, { once: true });
      w.postMessage(message(id));
    });
  };

  return {
    warm() {
      ensureWorker();
    },
    upscaleFile(input, output, options, hooks = {}) {
      return request<UpscaleResult>(input, hooks.signal, (id) => ({ type: 'upscale', id, input, output, options }), { onProgress: hooks.onProgress });
    },
    upscaleVideo(input, output, options, hooks = {}) {
      return request<VideoUpscaleResult>(input, hooks.signal, (id) => ({ type: 'video', id, input, output, options }), { video: hooks });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (!w) return;
      // A run with nothing to do (every output exists) closes while the worker still loads ONNX Runtime; terminating
      // it inside the addon's initialisation aborts the process (SIGABRT), so its start-up is let finish first.
      await started;
      await w.terminate();
    },
  };
}
