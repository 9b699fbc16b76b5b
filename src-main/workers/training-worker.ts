// Worker-thread entry for fine-tuning: training steps are seconds of CPU each, so they never run on the thread
// that serves IPC, the WebSocket or the window. One worker per fine-tune; it exits when the run ends.
import { parentPort, workerData } from 'node:worker_threads';
import { fineTune } from '../training/finetune.js';
import type { TrainingReply, TrainingRequest, TrainingWorkerData } from './training-protocol.js';

if (!parentPort) throw new Error('training-worker must run in a worker thread');
const port = parentPort;
const send = (reply: TrainingReply): void => port.postMessage(reply);
const controller = new AbortController();
port.on('message', (request: TrainingRequest) => {
  if (request.type === 'cancel') controller.abort();
});

const { options } = workerData as TrainingWorkerData;
fineTune({ ...options, onWarning: (message) => send({ type: 'warning', message }) },
  (progress) => send({ type: 'progress', progress }), controller.signal)
  .then((result) => send({ type: 'done', result }))
  .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }))
  .finally(() => port.close());
