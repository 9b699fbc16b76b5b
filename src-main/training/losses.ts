/** The training losses, as TF.js functions (ort-gradients.ts builds the same three into its graph). */
import { tf } from '../engine/backends/tfjs/tf.js';

export type LossName = 'l1' | 'l2' | 'charbonnier';
export const LOSS_NAMES: LossName[] = ['l1', 'l2', 'charbonnier'];

/** Charbonnier's ε². */
export const CHARBONNIER_EPS = 1e-6;

export function lossValue(name: LossName, prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  const diff = tf.sub(prediction, target);
  switch (name) {
    case 'l1': return tf.mean(tf.abs(diff));
    case 'l2': return tf.mean(tf.square(diff));
    case 'charbonnier': return tf.mean(tf.sqrt(tf.add(tf.square(diff), CHARBONNIER_EPS)));
    default: throw new Error(`unknown loss "${String(name)}" (expected ${LOSS_NAMES.join(', ')})`);
  }
}
