import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker.js';
import type { UpscaleResult } from '../engine/upscale.js';
import type { EngineReply, EngineRequest, WorkerUpscaleOptions } from './engine-protocol.js';

export interface UpscaleHooks {
  signal?: AbortSignal;
  onProgress?: (p: { tilesDone: number; tilesTotal: number }) => void;
}

export interface EngineClient {
  upscaleFile(input: string, output: string, options: WorkerUpscaleOptions, hooks?: UpscaleHooks): Promise<UpscaleResult>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: UpscaleResult) => void;
  reject: (e: Error) => void;
  onProgress?: UpscaleHooks['onProgress'];
  worker: Worker;
}

/** Thrown when a request was canceled through its AbortSignal. */
export class UpscaleAbortedError extends Error {
  constructor(input: string) {
    super(`canceled: ${input}`);
    this.name = 'AbortError';
  }
}

/**
 * The engine in a worker thread. One worker holds the loaded models and backend sessions; requests may be
 * sent concurrently and the worker serialises inference while overlapping decode and encode.
 */
export function createEngineClient(): EngineClient {
  let worker: Worker | undefined;
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
    w.on('message', (reply: EngineReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      if (reply.type === 'progress') p.onProgress?.({ tilesDone: reply.tilesDone, tilesTotal: reply.tilesTotal });
      else {
        pending.delete(reply.id);
        if (reply.type === 'done') p.resolve(reply.result);
        else p.reject(reply.aborted ? Object.assign(new Error(reply.message), { name: 'AbortError' }) : new Error(reply.message));
      }
    });
    w.on('error', (error) => failWorker(w, error instanceof Error ? error : new Error(String(error))));
    w.on('exit', (code) => failWorker(w, new Error(`engine worker exited with code ${code}`)));
    worker = w;
    return w;
  };

  return {
    upscaleFile(input, output, options, hooks = {}) {
      if (hooks.signal?.aborted) return Promise.reject(new UpscaleAbortedError(input));
      const w = ensureWorker();
      const id = nextId++;
      const cancel = (): void => w.postMessage({ type: 'cancel', id } satisfies EngineRequest);
      // One signal often covers a whole batch: each request takes its listener off again when it settles.
      const settle = (): void => hooks.signal?.removeEventListener('abort', cancel);
      return new Promise<UpscaleResult>((resolve, reject) => {
        pending.set(id, {
          resolve: (r) => { settle(); resolve(r); },
          reject: (e) => { settle(); reject(e); },
          onProgress: hooks.onProgress,
          worker: w,
        });
        hooks.signal?.addEventListener('abort', cancel, { once: true });
        w.postMessage({ type: 'upscale', id, input, output, options } satisfies EngineRequest);
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
