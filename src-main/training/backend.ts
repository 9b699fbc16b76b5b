/**
 * Picks what computes training gradients:
 *   - tfjs-node-gpu or tfjs-node when installed (optional, so looked up at run time);
 *   - else ONNX Runtime (ort-gradients.ts), several times faster than tfjs-wasm on CPU, with tfjs-wasm doing the
 *     small work beside it (re-parameterisation, Adam, validation);
 *   - else tfjs-wasm, else the plain JS cpu backend.
 */
import { availableParallelism } from 'node:os';
import { tf } from '../engine/backends/tfjs/tf.js';
import { loadOrt } from '../engine/backends/onnx/index.js';

export interface TrainingBackendInfo {
  /** 'tfjs-node-gpu', 'tfjs-node', 'onnxruntime', 'tfjs-wasm' or 'tfjs-cpu'. */
  name: string;
  /** Threads gradients run on (0: the library decides). */
  threads: number;
}

export type TrainingBackendPreference = 'native' | 'onnx' | 'wasm' | 'cpu';

export interface TrainingBackendOptions {
  /** Start the search here (tests force 'wasm' or 'cpu'); default 'native', the fastest available. */
  prefer?: TrainingBackendPreference;
  /**
   * Gradient threads for onnxruntime (default: all cores) and wasm (which Node runs single-threaded anyway). A run is
   * bit-reproducible for a given thread count; other counts differ only by float rounding.
   */
  threads?: number;
}

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

/** Switches TF.js to `name`; the threads it really runs (Node has no wasm threads), or 0 when it can't. */
async function useTfjs(name: 'wasm' | 'cpu', threads: number): Promise<number> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;
  if (name === 'wasm') {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(name))) return 0;
  await tf.ready();
  return wasm ? wasm.getThreadsCount() : 1;
}

/** Sets the TF.js backend for training and says what computes gradients. */
export async function initTrainingBackend(options: TrainingBackendOptions = {}): Promise<TrainingBackendInfo> {
  const prefer = options.prefer ?? 'native';
  if (prefer === 'native') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (await tryImport(pkg) && (await tf.setBackend('tensorflow'))) {
        await tf.ready();
        return { name: pkg.replace('@tensorflow/', ''), threads: 0 };
      }
    }
  }
  if (prefer === 'native' || prefer === 'onnx') {
    const ort = await loadOrt().then(() => true, () => false);
    if (ort && ((await useTfjs('wasm', 1)) > 0 || (await useTfjs('cpu', 1)) > 0)) {
      return { name: 'onnxruntime', threads: Math.max(1, options.threads ?? availableParallelism()) };
    }
  }
  if (prefer !== 'cpu') {
    const threads = await useTfjs('wasm', Math.max(1, options.threads ?? 1));
    if (threads > 0) return { name: 'tfjs-wasm', threads };
  }
  await useTfjs('cpu', 1);
  return { name: 'tfjs-cpu', threads: 1 };
}
