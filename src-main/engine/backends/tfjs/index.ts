/**
 * Backend 'tfjs': the TF.js LayersModel on tfjs-node-gpu, tfjs-node, wasm or cpu (whichever initialises first).
 */
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { buildLayersModel } from '../../models/layers.js';
import type { ModelWeights } from '../../models/spec.js';
import type { Backend, BackendStatus, InferenceSession, SessionOptions } from '../types.js';
import { activateRuntime, initTfjs, probeTfjsFlavors, type TfjsFlavor, type TfjsRuntime } from './runtime.js';

export { initTfjs, isTfjsFlavor, TFJS_FLAVORS, type TfjsFlavor, type TfjsRuntime } from './runtime.js';

export interface TfjsSessionOptions extends SessionOptions {
  /** Try this TF.js flavour first (default: $SUBPIXEL_TFJS_BACKEND); unavailable ones fall back with a reason. */
  tfjsBackend?: TfjsFlavor;
}

class TfjsSession implements InferenceSession {
  readonly backend: TfjsFlavor;
  readonly device: string;
  readonly fallbackReason?: string;
  private disposed = false;

  constructor(private readonly runtime: TfjsRuntime, private readonly model: LayersModel, private readonly channels: number, private readonly scale: number) {
    this.backend = runtime.flavor;
    this.device = runtime.devices[0] ?? 'cpu';
    if (runtime.skipped.length) this.fallbackReason = runtime.skipped.join('; ');
  }

  async run(input: Float32Array, height: number, width: number, into?: Float32Array): Promise<Float32Array> {
    if (this.disposed) throw new Error('session is disposed');
    const expected = height * width * this.channels;
    if (input.length !== expected) throw new Error(`input has ${input.length} values, ${height}x${width}x${this.channels} needs ${expected}`);
    if (into && into.length !== expected * this.scale * this.scale) throw new Error(`output buffer has ${into.length} values, ${height * this.scale}x${width * this.scale}x${this.channels} needs ${expected * this.scale * this.scale}`);
    await activateRuntime(this.runtime);
    const { tf } = this.runtime;
    const out = tf.tidy(() => this.model.predict(tf.tensor4d(input, [1, height, width, this.channels])) as Tensor);
    try {
      const data = await out.data();
      if (!(data instanceof Float32Array) || data.length !== expected * this.scale * this.scale) {
        throw new Error(`TF.js returned ${out.dtype} ${out.shape.join('x')}, expected 1x${height * this.scale}x${width * this.scale}x${this.channels}`);
      }
      if (!into) return data;
      into.set(data);
      return into;
    } finally {
      out.dispose();
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

export async function createTfjsSession(weights: ModelWeights, options: TfjsSessionOptions = {}): Promise<InferenceSession> {
  const runtime = await initTfjs({ prefer: options.tfjsBackend, threads: options.threads });
  const model = buildLayersModel(weights);
  return new TfjsSession(runtime, model, weights.spec.channels, weights.spec.scale);
}

export async function probeTfjs(): Promise<BackendStatus[]> {
  return (await probeTfjsFlavors()).map(({ flavor, available, devices, reason }) => ({
    name: flavor, available, devices, ...(reason ? { reason } : {}),
  }));
}

export const tfjsBackend: Backend = {
  name: 'tfjs',
  probe: probeTfjs,
  createSession: createTfjsSession,
};

export default tfjsBackend;
