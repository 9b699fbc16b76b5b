/**
 * Adam written out over tf.Variables, so its moments can be checkpointed and restored exactly and the learning rate
 * can change every step.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamState {
  m: Record<string, tf.Variable>;
  v: Record<string, tf.Variable>;
  /** Updates applied so far (for bias correction). */
  t: number;
}

export const BETA1 = 0.9;
export const BETA2 = 0.999;
const EPSILON = 1e-8;

export function createAdam(vars: Record<string, tf.Variable>, init?: { m: Record<string, Float32Array>; v: Record<string, Float32Array>; t: number }): AdamState {
  const m: Record<string, tf.Variable> = {};
  const v: Record<string, tf.Variable> = {};
  for (const [name, p] of Object.entries(vars)) {
    m[name] = tf.variable(init ? tf.tensor(init.m[name], p.shape) : tf.zerosLike(p), false);
    v[name] = tf.variable(init ? tf.tensor(init.v[name], p.shape) : tf.zerosLike(p), false);
  }
  return { m, v, t: init?.t ?? 0 };
}

export function adamStep(state: AdamState, vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
  state.t++;
  const c1 = 1 - BETA1 ** state.t;
  const c2 = 1 - BETA2 ** state.t;
  tf.tidy(() => {
    for (const [name, p] of Object.entries(vars)) {
      const g = grads[name];
      if (!g) continue;
      const m = tf.add(tf.mul(state.m[name], BETA1), tf.mul(g, 1 - BETA1));
      const v = tf.add(tf.mul(state.v[name], BETA2), tf.mul(tf.square(g), 1 - BETA2));
      state.m[name].assign(m);
      state.v[name].assign(v);
      const update = tf.div(tf.mul(m, lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), EPSILON));
      p.assign(tf.sub(p, update));
    }
  });
}

export function disposeAdam(state: AdamState): void {
  tf.dispose([...Object.values(state.m), ...Object.values(state.v)]);
}
