/**
 * A "same"-padded, stride-1 2-D convolution whose gradients use only forward convolutions.
 *
 * tfjs-backend-wasm registers no Conv2DBackpropFilter and tfjs-cpu's is very slow, so the filter gradient is
 * computed as a forward conv: with batch and channels swapped, the padded input is convolved ("valid") with the
 * output gradient used as an H×W filter, which yields exactly the kh×kw×in×out filter gradient.
 * The input gradient is a forward conv of the output gradient with the spatially flipped, in/out-swapped kernel.
 */
import { tf } from '../engine/backends/tfjs/tf.js';

type ConvFn = (x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;

/** Filter gradient of conv2d(x, kernel, 'same') for odd kh, kw. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number): tf.Tensor4D {
  return tf.tidy(() => {
    const ph = (kh - 1) / 2;
    const pw = (kw - 1) / 2;
    const padded = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
    // [N, H+2p, W+2p, Cin] → [Cin, H+2p, W+2p, N]: input channels become the batch, the batch becomes channels
    const xT = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
    // [N, H, W, Cout] → [H, W, N, Cout]: the output gradient becomes an H×W filter from N to Cout
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const g = tf.conv2d(xT, dyT, 1, 'valid'); // [Cin, kh, kw, Cout]
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Input gradient of conv2d(x, kernel, 'same') for odd kernels: a forward conv with the flipped, transposed kernel. */
export function conv2dInputGrad(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dy, flipped, 1, 'same');
  });
}

/** conv2d(x, kernel, 'same') + bias, differentiable in all three arguments with forward-conv gradients. */
export const trainableConv2d: ConvFn = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x4, k4, bias] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    if (k4.shape[0] % 2 === 0 || k4.shape[1] % 2 === 0) throw new Error('trainableConv2d needs odd kernel sizes');
    save([x4, k4]);
    const value = tf.add(tf.conv2d(x4, k4, 1, 'same'), bias) as tf.Tensor4D;
    const gradFunc = (dy4: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sk] = saved as [tf.Tensor4D, tf.Tensor4D];
      return [
        conv2dInputGrad(dy4, sk),
        conv2dFilterGrad(sx, dy4, sk.shape[0], sk.shape[1]),
        tf.sum(dy4, [0, 1, 2]),
      ];
    };
    return { value, gradFunc };
  },
) as unknown as ConvFn;
