// Worker-thread entry: runs upscale requests so the calling thread (CLI, Electron main, server) never stalls.
// Several requests may be in flight: decode and encode of neighbours overlap while one holds the inference lock.
import { parentPort } from 'node:worker_threads';
import { prepareBackend, upscaleFile } from '../engine/upscale.js';
import { AbortError, serializeError } from '../common/errors.js';
import { createMutex } from '../common/mutex.js';
import type { EngineReply, EngineRequest } from './engine-protocol.js';

if (!parentPort) throw new Error('engine-worker must run in a worker thread');
const port = parentPort;
const inferenceLock = createMutex();
const running = new Map<number, AbortController>();
const send = (reply: EngineReply): void => port.postMessage(reply);
// The default backend loads while the first request decodes (most requests leave the backend to 'auto'). Terminating
// the thread while a native addon initialises aborts the whole process, so the client waits for 'ready' to close.
void prepareBackend().finally(() => send({ type: 'ready' }));

port.on('message', (request: EngineRequest) => {
  if (request.type === 'cancel') {
    running.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  const { id } = request;
  // Video runs here too: ffmpeg decodes and encodes in child processes, frames are inferred on this thread's
  // sessions (sharing the inference lock with stills), and only progress crosses back. Its modules load with the
  // first video, so that a run of stills starts sooner.
  const work: Promise<void> = request.type === 'video'
    ? import('../video/upscale-video.js').then(({ upscaleVideo }) => upscaleVideo(request.input, request.output, {
      ...request.options,
      inferenceLock,
      signal: controller.signal,
      onInfo: (info) => send({ type: 'video-info', id, info }),
      onProgress: (progress) => send({ type: 'video-progress', id, progress }),
    })).then((result) => send({ type: 'video-done', id, result }))
    : upscaleFile(request.input, request.output, {
      ...request.options,
      inferenceLock,
      signal: controller.signal,
      onProgress: (p) => send({ type: 'progress', id, ...p }),
    }).then((result) => send({ type: 'done', id, result }));
  work
    .catch((error: unknown) => send({
      type: 'error',
      id: request.id,
      // A cancel that lands while the engine is inside a step it cannot interrupt still reads as a cancel.
      error: serializeError(controller.signal.aborted ? new AbortError(`canceled: ${request.input}`, { cause: error }) : error),
    }))
    .finally(() => running.delete(request.id));
});
