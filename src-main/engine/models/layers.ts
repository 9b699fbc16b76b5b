/**
 * The ESPCN family as a TF.js LayersModel, built from (and read back into) plain ModelWeights.
 * Layer names are fixed (conv_<i>, prelu_<i>, skip, add_skip, depth_to_space; unshuffle and shuffle for a net on 2x2
 * blocks) so weights can be found again by name.
 */
import { tf } from '../backends/tfjs/tf.js';
import { BICUBIC_SKIP_RADIUS, convShapes, skipOf, slopeCount, unshuffleOf, validateSpec, type ArchitectureSpec, type ConvWeights, type ModelWeights } from './spec.js';
import { bicubicSkipKernel } from './bicubic-skip.js';
import { checkWeightShapes } from './check.js';

interface DepthToSpaceArgs {
  blockSize: number;
  name?: string;
  trainable?: boolean;
}

/** NHWC depth-to-space (== ONNX DepthToSpace mode DCR); TF.js layers has no built-in one. */
export class DepthToSpace extends tf.layers.Layer {
  static className = 'SubpixelDepthToSpace';
  readonly blockSize: number;

  constructor(args: DepthToSpaceArgs) {
    super(args);
    this.blockSize = args.blockSize;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const b = this.blockSize;
    const [n, h, w, c] = shape;
    return [n, h == null ? null : h * b, w == null ? null : w * b, c == null ? null : c / (b * b)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    return tf.depthToSpace(x, this.blockSize, 'NHWC');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), blockSize: this.blockSize };
  }
}
tf.serialization.registerClass(DepthToSpace);

/**
 * Pixel unshuffle by 2 (ArchitectureSpec.unshuffle), NHWC: an odd last row or column repeated, then space-to-depth,
 * channel (by·2 + bx)·C + c, the order DepthToSpace (DCR) undoes. Made of reshapes and a transpose: TF.js has no
 * space-to-depth op.
 */
export function unshuffleMaps(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    let even = x;
    if (w % 2) even = tf.concat([even, tf.slice(even, [0, 0, w - 1, 0], [-1, -1, 1, -1])], 2);
    if (h % 2) even = tf.concat([even, tf.slice(even, [0, h - 1, 0, 0], [-1, 1, -1, -1])], 1);
    const h2 = (h + 1) >> 1;
    const w2 = (w + 1) >> 1;
    const blocks = tf.transpose(tf.reshape(even, [n, h2, 2, w2, 2, c]), [0, 1, 3, 2, 4, 5]);
    return tf.reshape(blocks, [n, h2, w2, 4 * c]) as tf.Tensor4D;
  });
}

/** Undoes unshuffleMaps on maps [N, ⌈H/2⌉, ⌈W/2⌉, 4·C]: depth-to-space by 2 (DCR), cut to H x W. */
export function shuffleMaps(maps: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    // reshapes and a transpose, which TF.js can differentiate (training's forward runs this too)
    const [n, h2, w2, c4] = maps.shape;
    const c = c4 / 4;
    const full = tf.reshape(tf.transpose(tf.reshape(maps, [n, h2, w2, 2, 2, c]), [0, 1, 3, 2, 4, 5]), [n, 2 * h2, 2 * w2, c]) as tf.Tensor4D;
    return full.shape[1] === height && full.shape[2] === width ? full : tf.slice(full, [0, 0, 0, 0], [-1, height, width, -1]);
  });
}

/** unshuffleMaps as a layer without weights. */
export class Unshuffle extends tf.layers.Layer {
  static className = 'SubpixelUnshuffle';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [n, h == null ? null : Math.ceil(h / 2), w == null ? null : Math.ceil(w / 2), c == null ? null : 4 * c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return unshuffleMaps((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D);
  }
}
tf.serialization.registerClass(Unshuffle);

/** shuffleMaps as a layer: inputs [maps, the network's input], whose size the output takes. */
export class Shuffle extends tf.layers.Layer {
  static className = 'SubpixelShuffle';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [[n, , , c], [, h, w]] = inputShape as tf.Shape[];
    return [n, h, w, c == null ? null : c / 4];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [maps, input] = inputs as tf.Tensor4D[];
    return shuffleMaps(maps, input.shape[1], input.shape[2]);
  }
}
tf.serialization.registerClass(Shuffle);

/** `x` with its outer `r` rows and columns repeated outwards (TF.js pads only with constants or mirrors). */
function edgePad(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const cols = tf.concat([
    tf.tile(tf.slice(x, [0, 0, 0, 0], [-1, -1, 1, -1]), [1, 1, r, 1]), x,
    tf.tile(tf.slice(x, [0, 0, w - 1, 0], [-1, -1, 1, -1]), [1, 1, r, 1]),
  ], 2);
  return tf.concat([
    tf.tile(tf.slice(cols, [0, 0, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1]), cols,
    tf.tile(tf.slice(cols, [0, h - 1, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1]),
  ], 1) as tf.Tensor4D;
}

/** The bicubic skip of NHWC input [N, H, W, C] as [N, H, W, s²·C] phase maps in DCR order (see bicubic-skip.ts). */
export function bicubicSkipMaps(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const kernel = tf.tensor4d(bicubicSkipKernel(s, c), [5, 5, c, s * s * c]);
    return tf.conv2d(edgePad(x, BICUBIC_SKIP_RADIUS), kernel, 1, 'valid');
  });
}

/** The bicubic skip as a layer without weights (its filters follow from the scale). */
export class BicubicSkip extends tf.layers.Layer {
  static className = 'SubpixelBicubicSkip';
  readonly scale: number;

  constructor(args: { scale: number; name?: string; trainable?: boolean }) {
    super(args);
    this.scale = args.scale;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [n, h, w, c == null ? null : c * this.scale * this.scale];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return bicubicSkipMaps((Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D, this.scale);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}
tf.serialization.registerClass(BicubicSkip);

export function convLayerName(index: number): string {
  return `conv_${index}`;
}

export function preluLayerName(index: number): string {
  return `prelu_${index}`;
}

/**
 * Builds the network for `weights.spec` and loads the given weights into it.
 * Input shape [null, null, null, channels], so any tile size runs.
 */
export function buildLayersModel(weights: ModelWeights): tf.LayersModel {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const model = buildLayersModelFromSpec(spec);
  tf.tidy(() => {
    weights.convs.forEach((conv, i) => {
      model.getLayer(convLayerName(i)).setWeights([
        tf.tensor4d(conv.kernel, [conv.kh, conv.kw, conv.inChannels, conv.outChannels]),
        tf.tensor1d(conv.bias),
      ]);
      if (conv.alpha) model.getLayer(preluLayerName(i)).setWeights([tf.tensor3d(conv.alpha, [1, 1, conv.alpha.length])]);
    });
  });
  return model;
}

/** The untrained network for a spec (initialisers are TF.js defaults; callers usually set weights next). */
export function buildLayersModelFromSpec(spec: ArchitectureSpec): tf.LayersModel {
  validateSpec(spec);
  const shapes = convShapes(spec);
  const input = tf.input({ shape: [null, null, spec.channels], name: 'lr' });
  const unshuffled = unshuffleOf(spec) === 2;
  let x = unshuffled ? new Unshuffle({ name: 'unshuffle' }).apply(input) as tf.SymbolicTensor : input;
  shapes.forEach(({ k, outChannels }, i) => {
    const hidden = i < spec.widths.length;
    const learned = hidden && slopeCount(spec, i) > 0;
    const fused = hidden && !learned ? spec.activation as 'relu' | 'tanh' : 'linear';
    x = tf.layers.conv2d({
      name: convLayerName(i), filters: outChannels, kernelSize: k, padding: 'same', activation: fused, useBias: true,
    }).apply(x) as tf.SymbolicTensor;
    if (learned) {
      // LeakyRelu with a learned slope is a PReLU whose one slope is shared by every pixel and channel
      const sharedAxes = spec.activation === 'leakyrelu' ? [1, 2, 3] : [1, 2];
      x = tf.layers.prelu({ name: preluLayerName(i), sharedAxes }).apply(x) as tf.SymbolicTensor;
    }
  });
  if (unshuffled) x = new Shuffle({ name: 'shuffle' }).apply([x, input]) as tf.SymbolicTensor;
  const skipKind = skipOf(spec);
  if (skipKind !== 'none') {
    // DCR order puts sub-pixel (by, bx) of channel c at depth (by·s + bx)·C + c: the nearest skip repeats the whole
    // C-channel input s² times along depth; the bicubic skip's kernel (bicubicSkipKernel) is laid out the same way.
    const skip = (skipKind === 'nearest'
      ? tf.layers.concatenate({ name: 'skip', axis: -1 }).apply(Array.from({ length: spec.scale * spec.scale }, () => input))
      : new BicubicSkip({ name: 'skip', scale: spec.scale }).apply(input)) as tf.SymbolicTensor;
    x = tf.layers.add({ name: 'add_skip' }).apply([x, skip]) as tf.SymbolicTensor;
  }
  const output = new DepthToSpace({ name: 'depth_to_space', blockSize: spec.scale }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: spec.name });
}

/** Reads the weights of a model built by buildLayersModel (or loaded from disk) back into plain arrays. */
export function weightsFromLayersModel(model: tf.LayersModel, spec: ArchitectureSpec): ModelWeights {
  validateSpec(spec);
  const convs = convShapes(spec).map(({ k, inChannels, outChannels }, i): ConvWeights => {
    const [kernel, bias] = model.getLayer(convLayerName(i)).getWeights();
    const expected = [k, k, inChannels, outChannels].join('x');
    if (kernel.shape.join('x') !== expected) {
      throw new Error(`layer ${convLayerName(i)} has kernel ${kernel.shape.join('x')}, spec expects ${expected}`);
    }
    const conv: ConvWeights = {
      kernel: Float32Array.from(kernel.dataSync()), bias: Float32Array.from(bias.dataSync()),
      kh: k, kw: k, inChannels, outChannels,
    };
    if (slopeCount(spec, i)) {
      conv.alpha = Float32Array.from(model.getLayer(preluLayerName(i)).getWeights()[0].dataSync());
    }
    return conv;
  });
  return { spec, convs };
}
