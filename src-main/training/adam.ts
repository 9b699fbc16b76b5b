/**
 * Adam on plain arrays: the moments checkpoint and restore exactly, the learning rate can change every step, and a
 * step over ~100k parameters is a few loops instead of hundreds of tensor ops.
 */
export interface AdamState {
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
  /** Updates applied so far (for bias correction). */
  t: number;
}

export const BETA1 = 0.9;
export const BETA2 = 0.999;
const EPSILON = 1e-8;

export function createAdam(params: Record<string, { data: Float32Array }>, init?: AdamState): AdamState {
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [name, p] of Object.entries(params)) {
    m[name] = init ? Float32Array.from(init.m[name]) : new Float32Array(p.data.length);
    v[name] = init ? Float32Array.from(init.v[name]) : new Float32Array(p.data.length);
  }
  return { m, v, t: init?.t ?? 0 };
}

/** One update of `params` in place. */
export function adamStep(state: AdamState, params: Record<string, { data: Float32Array }>, grads: Record<string, Float32Array>, lr: number): void {
  state.t++;
  const c1 = 1 - BETA1 ** state.t;
  const c2 = 1 - BETA2 ** state.t;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    if (!g) continue;
    const m = state.m[name];
    const v = state.v[name];
    const w = p.data;
    for (let i = 0; i < w.length; i++) {
      m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
      v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
      w[i] -= (lr * m[i] / c1) / (Math.sqrt(v[i] / c2) + EPSILON);
    }
  }
}
