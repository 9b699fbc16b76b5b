/**
 * Picks the TF.js backend for training: tfjs-node-gpu or tfjs-node when installed (optional peer dependencies,
 * so they are looked up at run time), else WebAssembly, else the plain JS cpu backend.
 */
import * as tf from '@tensorflow/tfjs';

export interface TrainingBackendInfo {
  /** 'tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm' or 'tfjs-cpu'. */
  name: string;
  threads: number;
}

export interface TrainingBackendOptions {
  /** Force a backend (tests compare against 'cpu'); default: the fastest available. */
  prefer?: 'native' | 'wasm' | 'cpu';
  /** wasm threads; 1 keeps results bit-reproducible and leaves cores to other work. */
  threads?: number;
}

let active: TrainingBackendInfo | undefined;

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

export async function initTrainingBackend(options: TrainingBackendOptions = {}): Promise<TrainingBackendInfo> {
  if (active) return active;
  const prefer = options.prefer ?? 'native';
  if (prefer === 'native') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (await tryImport(pkg) && (await tf.setBackend('tensorflow'))) {
        await tf.ready();
        active = { name: pkg.replace('@tensorflow/', ''), threads: 0 };
        return active;
      }
    }
  }
  if (prefer !== 'cpu') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const threads = Math.max(1, options.threads ?? 1);
    wasm.setThreadsCount(threads);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      active = { name: 'tfjs-wasm', threads };
      return active;
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  active = { name: 'tfjs-cpu', threads: 1 };
  return active;
}
