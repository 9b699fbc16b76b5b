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
  /** Set when a preferred device could not be used and the session fell back (e.g. CUDA failed → CPU). */
  readonly fallbackReason?: string;
  /**
   * The model's float output for one NHWC image (height·s × width·s × channels values). `into`, when given, receives
   * it and is returned: ONNX Runtime then writes straight into it, with no output buffer of its own and no copy.
   */
  run(input: Float32Array, height: number, width: number, into?: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface SessionOptions {
  /** Worker threads the backend may use for one inference (defaults to all cores). */
  threads?: number;
  /** 'auto' (default) uses a GPU when the backend has one, 'cpu' never does. */
  device?: 'auto' | 'cpu';
}

/**
 * The whole per-tile pipeline fused into one backend call: raw raster samples (uint8 or uint16, the raster's own
 * channels, interleaved) in, upscaled samples of the same type and layout out, already clipped and rounded. Backends
 * that can fuse colour conversion and resampling into their graph offer it; the pipeline falls back to model-only
 * sessions plus JavaScript otherwise.
 */
export interface PixelSession {
  readonly backend: string;
  readonly device: string;
  /** `into`, when given, receives the output (height·s × width·s × channels samples of the input's type) and is returned. */
  run<T extends Uint8Array | Uint16Array>(samples: T, height: number, width: number, into?: T): Promise<T>;
  dispose(): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  probe(): Promise<BackendStatus[]>;
  createSession(model: ModelWeights, options?: SessionOptions): Promise<InferenceSession>;
  createPixelSession?(model: ModelWeights, rasterChannels: 1 | 2 | 3 | 4, options?: SessionOptions): Promise<PixelSession>;
}
