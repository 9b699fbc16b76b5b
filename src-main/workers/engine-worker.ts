// Worker-thread entry: runs upscale requests so the calling thread (CLI, Electron main, server) never stalls.
// Several requests may be in flight: decode and encode of neighbours overlap while one holds the inference lock.
import { parentPort } from 'node:worker_threads';
import { upscaleFile } from '../engine/upscale.js';
import { createMutex } from '../common/mutex.js';
import type { EngineReply, EngineRequest } from './engine-protocol.js';

if (!parentPort) throw new Error('engine-worker must run in a worker thread');
const port = parentPort;
const inferenceLock = createMutex();
const running = new Map<number, AbortController>();
const send = (reply: EngineReply): void => port.postMessage(reply);

port.on('message', (request: EngineRequest) => {
  if (request.type === 'cancel') {
    running.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  upscaleFile(request.input, request.output, {
    ...request.options,
    inferenceLock,
    signal: controller.signal,
    onProgress: (p) => send({ type: 'progress', id: request.id, ...p }),
  })
    .then((result) => send({ type: 'done', id: request.id, result }))
    .catch((error: unknown) => send({
      type: 'error',
      id: request.id,
      message: error instanceof Error ? error.message : String(error),
      aborted: controller.signal.aborted,
    }))
    .finally(() => running.delete(request.id));
});
