/**
 * Re-parameterisable conv blocks (edge-oriented, after the idea of ECBSR): during training each 3x3 conv is the sum of
 *   - a plain 3x3 conv,
 *   - a 1x1 conv expanding to 2·out channels followed by a 3x3 conv,
 *   - three 1x1 convs each followed by a fixed Sobel-x / Sobel-y / Laplacian depthwise filter with a learned
 *     per-channel scale and bias.
 * All branches are linear, so their sum is one 3x3 conv. `collapseLayer` computes that kernel and bias with
 * differentiable tensor ops: the trainer runs a single conv per layer (training costs what inference costs) while the
 * gradients still reach every branch parameter. `branchwiseConv` evaluates the branches one by one, padding each 1x1
 * output with its own bias value (not zero) so that the sum equals the collapsed conv on the borders as well.
 */
import { tf } from '../engine/backends/tfjs/tf.js';

export const EDGE_FILTERS = {
  sobelX: [1, 0, -1, 2, 0, -2, 1, 0, -1],
  sobelY: [1, 2, 1, 0, 0, 0, -1, -2, -1],
  laplacian: [0, 1, 0, 1, -4, 1, 0, 1, 0],
} as const;
export type EdgeFilter = keyof typeof EDGE_FILTERS;
const EDGES = Object.keys(EDGE_FILTERS) as EdgeFilter[];

/** Expansion of the 1x1 → 3x3 branch (intermediate channels = EXPAND · out). */
export const EXPAND = 2;

/** Parameter names and shapes of one re-parameterisable 3x3 layer. */
export function reparamParamShapes(inChannels: number, outChannels: number): Record<string, number[]> {
  const mid = EXPAND * outChannels;
  const shapes: Record<string, number[]> = {
    'k3.kernel': [3, 3, inChannels, outChannels], 'k3.bias': [outChannels],
    'exp.kernel1': [inChannels, mid], 'exp.bias1': [mid],
    'exp.kernel3': [3, 3, mid, outChannels], 'exp.bias3': [outChannels],
  };
  for (const e of EDGES) {
    shapes[`${e}.kernel1`] = [inChannels, outChannels];
    shapes[`${e}.bias1`] = [outChannels];
    shapes[`${e}.scale`] = [outChannels];
    shapes[`${e}.bias`] = [outChannels];
  }
  return shapes;
}

export type LayerParams = Record<string, tf.Tensor>;

function filterTensor(e: EdgeFilter): tf.Tensor4D {
  return tf.tensor4d(EDGE_FILTERS[e] as unknown as number[], [3, 3, 1, 1]);
}

/** Sum of an edge filter's taps (what a constant input becomes). */
export function filterSum(e: EdgeFilter): number {
  return EDGE_FILTERS[e].reduce((s: number, v: number) => s + v, 0);
}

/** The single 3x3 kernel (HWIO) and bias equal to the sum of the branches. */
export function collapseLayer(p: LayerParams): { kernel: tf.Tensor4D; bias: tf.Tensor1D } {
  return tf.tidy(() => {
    const [, , inChannels, outChannels] = p['k3.kernel'].shape;
    const mid = p['exp.bias1'].shape[0];
    // 1x1 (in→mid) then 3x3 (mid→out): K[h,w,i,o] = Σm A[i,m]·B[h,w,m,o]
    const b3 = tf.reshape(tf.transpose(p['exp.kernel3'], [2, 0, 1, 3]), [mid, 9 * outChannels]);
    const expandKernel = tf.transpose(
      tf.reshape(tf.matMul(p['exp.kernel1'] as tf.Tensor2D, b3 as tf.Tensor2D), [inChannels, 3, 3, outChannels]),
      [1, 2, 0, 3],
    );
    const expandBias = tf.add(
      tf.reshape(tf.matMul(tf.reshape(p['exp.bias1'], [1, mid]) as tf.Tensor2D, tf.sum(p['exp.kernel3'], [0, 1]) as tf.Tensor2D), [outChannels]),
      p['exp.bias3'],
    );
    let kernel: tf.Tensor = tf.add(p['k3.kernel'], expandKernel);
    let bias: tf.Tensor = tf.add(p['k3.bias'], expandBias);
    for (const e of EDGES) {
      const scaled = tf.mul(p[`${e}.kernel1`], tf.reshape(p[`${e}.scale`], [1, outChannels])); // [in, out]
      kernel = tf.add(kernel, tf.mul(filterTensor(e), tf.reshape(scaled, [1, 1, inChannels, outChannels])));
      bias = tf.add(bias, tf.add(tf.mul(tf.mul(p[`${e}.bias1`], p[`${e}.scale`]), filterSum(e)), p[`${e}.bias`]));
    }
    return { kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D };
  });
}

/** Pads a 1x1 conv's output by one pixel with its bias value, as the 1x1 conv of a zero-padded input would give. */
function padWithBias(y: tf.Tensor4D, bias: tf.Tensor): tf.Tensor4D {
  return tf.add(tf.pad(tf.sub(y, bias), [[0, 0], [1, 1], [1, 1], [0, 0]]), bias) as tf.Tensor4D;
}

function conv1x1(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [inChannels, outChannels] = kernel.shape;
  return tf.add(tf.conv2d(x, tf.reshape(kernel, [1, 1, inChannels, outChannels]) as tf.Tensor4D, 1, 'valid'), bias) as tf.Tensor4D;
}

/** The layer evaluated branch by branch (the training-time definition; used to prove collapse exact). */
export function branchwiseConv(x: tf.Tensor4D, p: LayerParams): tf.Tensor4D {
  return tf.tidy(() => {
    const outChannels = p['k3.bias'].shape[0];
    let y: tf.Tensor = tf.add(tf.conv2d(x, p['k3.kernel'] as tf.Tensor4D, 1, 'same'), p['k3.bias']);
    const expanded = padWithBias(conv1x1(x, p['exp.kernel1'], p['exp.bias1']), p['exp.bias1']);
    y = tf.add(y, tf.add(tf.conv2d(expanded, p['exp.kernel3'] as tf.Tensor4D, 1, 'valid'), p['exp.bias3']));
    for (const e of EDGES) {
      const mapped = padWithBias(conv1x1(x, p[`${e}.kernel1`], p[`${e}.bias1`]), p[`${e}.bias1`]);
      const depthwise = tf.mul(tf.tile(filterTensor(e), [1, 1, outChannels, 1]), tf.reshape(p[`${e}.scale`], [1, 1, outChannels, 1]));
      y = tf.add(y, tf.add(tf.depthwiseConv2d(mapped, depthwise as tf.Tensor4D, 1, 'valid'), p[`${e}.bias`]));
    }
    return y as tf.Tensor4D;
  });
}
