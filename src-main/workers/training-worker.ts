// Worker-thread entry for fine-tuning: training steps are seconds of CPU each, so they never run on the thread
// that serves IPC, the WebSocket or the window. One worker per fine-tune; it exits when the run ends.
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../common/errors.js';
import { throttleLatest } from '../common/throttle.js';
import { fineTune } from '../training/finetune.js';
import type { TrainProgress } from '../training/trainer.js';
import type { TrainingReply, TrainingRequest, TrainingWorkerData } from './training-protocol.js';

if (!parentPort) throw new Error('training-worker must run in a worker thread');
const port = parentPort;
const send = (reply: TrainingReply): void => port.postMessage(reply);
const controller = new AbortController();
port.on('message', (request: TrainingRequest) => {
  if (request.type === 'cancel') controller.abort();
});

// Small models train at over a thousand steps a second: a report per step would keep the receiving thread (and the
// window behind it) so far behind that a cancel seemed to take minutes. Ten reports a second is plenty for a progress
// bar and a chart; validation scores and the last step are never held back.
const PROGRESS_INTERVAL_MS = 100;
const progress = throttleLatest<TrainProgress>((p) => send({ type: 'progress', progress: p }), PROGRESS_INTERVAL_MS,
  (p) => p.step === p.totalSteps || p.val?.step === p.step);

const { options } = workerData as TrainingWorkerData;
fineTune({ ...options, onWarning: (message) => send({ type: 'warning', message }) }, (p) => progress.push(p), controller.signal)
  .then((result) => { progress.flush(); send({ type: 'done', result }); })
  .catch((error: unknown) => { progress.flush(); send({ type: 'error', error: serializeError(error) }); })
  .finally(() => port.close());
