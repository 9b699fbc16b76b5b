import type { ModelWeights } from '../models/spec.js';

export type BackendName = 'onnx' | 'tfjs';

export interface BackendStatus {
  /** e.g. 'onnx', 'tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'. */
  name: string;
  available: boolean;
  /** Devices or execution providers usable through this backend, e.g. ['cpu'] or ['cuda:0', 'cpu']. */
  devices: string[];
  /** Why it is unavailable (or which fallback was taken). */
  reason?: string;
}

/**
 * A model loaded on one backend. Input and output are NHWC float32 in [0, 1] (not clipped on output).
 * `run` takes an LR tile of height × width × channels and returns (height·s) × (width·s) × channels.
 */
export interface InferenceSession {
  readonly backend: string;
  readonly device: string;
  run(input: Float32Array, height: number, width: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface SessionOptions {
  /** Worker threads the backend may use for one inference (defaults to all cores). */
  threads?: number;
}

export interface Backend {
  readonly name: BackendName;
  probe(): Promise<BackendStatus[]>;
  createSession(model: ModelWeights, options?: SessionOptions): Promise<InferenceSession>;
}
