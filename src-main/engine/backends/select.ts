/**
 * Chooses the inference backend: 'auto' tries ONNX Runtime then TF.js; a named one is tried first and the other
 * is the fallback. Each backend module is imported only when tried, so a broken native addon (onnxruntime-node,
 * tfjs-node) becomes a recorded reason instead of a crash.
 */
import type { Backend, BackendName, BackendStatus } from './types.js';

export type BackendPreference = 'auto' | BackendName;

export interface SelectedBackend {
  backend: Backend;
  /** Why earlier candidates were passed over (empty when the first choice worked). */
  skipped: string[];
}

const loaders: Record<BackendName, () => Promise<Backend>> = {
  onnx: async () => (await import('./onnx/index.js')).onnxBackend,
  tfjs: async () => (await import('./tfjs/index.js')).tfjsBackend,
};

export function backendOrder(preference: BackendPreference): BackendName[] {
  if (preference === 'tfjs') return ['tfjs', 'onnx'];
  if (preference === 'onnx' || preference === 'auto') return ['onnx', 'tfjs'];
  throw new Error(`unknown backend '${String(preference)}' (expected auto, onnx or tfjs)`);
}

/** A backend counts as initialised when its module loads and its probe reports at least one usable entry. */
async function initialise(name: BackendName): Promise<Backend> {
  const backend = await loaders[name]();
  const statuses = await backend.probe();
  if (!statuses.some((s) => s.available)) {
    throw new Error(statuses.map((s) => `${s.name === name ? '' : `${s.name}: `}${s.reason ?? 'unavailable'}`).join('; ') || 'no devices');
  }
  return backend;
}

export async function selectBackend(preference: BackendPreference = 'auto'): Promise<SelectedBackend> {
  const skipped: string[] = [];
  for (const name of backendOrder(preference)) {
    try {
      return { backend: await initialise(name), skipped };
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no inference backend could be initialised (${skipped.join('; ')})`);
}

/** Every backend and sub-backend with its devices or the reason it is unavailable (for `subpixel info`). */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of ['onnx', 'tfjs'] as const) {
    try {
      out.push(...(await (await loaders[name]()).probe()));
    } catch (err) {
      out.push({ name, available: false, devices: [], reason: `did not load: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}
