/**
 * Training parameters (plain arrays, what the trainer and checkpoints hold) and, for TF.js autodiff, the same as
 * tf.Variables with the function that turns them into the plain per-layer convs the deployed ArchitectureSpec
 * describes (identity for 'plain' nets, branch collapse for 'reparam' nets).
 */
import { tf } from '../engine/backends/tfjs/tf.js';
import { convShapes, skipOf, slopeCount, unshuffleOf, validateSpec, type ArchitectureSpec, type ModelWeights } from '../engine/models/spec.js';
import { bicubicSkipMaps, shuffleMaps, unshuffleMaps } from '../engine/models/layers.js';
import { trainableConv2d } from './conv.js';
import { collapseLayer, reparamParamShapes, type LayerParams } from './reparam.js';
import { createRng, type Rng } from './rng.js';

export type NetKind = 'plain' | 'reparam';

/** Host-side copy of every trainable tensor (what checkpoints store). */
export interface TrainWeights {
  spec: ArchitectureSpec;
  kind: NetKind;
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
}

export interface TrainableNet {
  spec: ArchitectureSpec;
  kind: NetKind;
  /** Parameter names in a fixed order (checkpoints and optimiser state follow it). */
  names: string[];
  vars: Record<string, tf.Variable>;
}

/** One deployed conv as tensors. */
export interface LayerTensors {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
  alpha?: tf.Tensor1D;
}

/** Whether conv `layer` is followed by an activation with learned slopes (PReLU, LeakyRelu). */
export function hasAlpha(spec: ArchitectureSpec, layer: number): boolean {
  return slopeCount(spec, layer) > 0;
}

/** Parameter names and shapes, layer by layer ('l<i>.<name>'). */
export function paramShapes(spec: ArchitectureSpec, kind: NetKind): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  convShapes(spec).forEach(({ k, inChannels, outChannels }, i) => {
    if (kind === 'reparam') {
      if (k !== 3) throw new Error('re-parameterised layers must be 3x3');
      for (const [name, shape] of Object.entries(reparamParamShapes(inChannels, outChannels))) out.push([`l${i}.${name}`, shape]);
    } else {
      out.push([`l${i}.kernel`, [k, k, inChannels, outChannels]], [`l${i}.bias`, [outChannels]]);
    }
    if (hasAlpha(spec, i)) out.push([`l${i}.alpha`, [slopeCount(spec, i)]]);
  });
  return out;
}

function glorot(rng: Rng, shape: number[], fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let j = 0; j < data.length; j++) data[j] = (rng.next() * 2 - 1) * limit;
  return data;
}

/** Deterministic initial weights for a fresh training run. */
export function initialTrainWeights(spec: ArchitectureSpec, kind: NetKind, seed: number): TrainWeights {
  validateSpec(spec);
  const rng = createRng(seed);
  const tensors: TrainWeights['tensors'] = {};
  for (const [name, shape] of paramShapes(spec, kind)) {
    const field = name.slice(name.indexOf('.') + 1);
    const size = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (field === 'alpha') data = new Float32Array(size).fill(0.25);
    else if (field.endsWith('scale') || field === 'sobelX.bias' || field === 'sobelY.bias' || field === 'laplacian.bias') {
      data = Float32Array.from({ length: size }, () => rng.normal() * 1e-3);
    } else if (shape.length === 1) data = new Float32Array(size);
    else if (shape.length === 2) data = glorot(rng, shape, shape[0], shape[1]);
    else data = glorot(rng, shape, shape[0] * shape[1] * shape[2], shape[0] * shape[1] * shape[3]);
    tensors[name] = { shape, data };
  }
  return { spec, kind, tensors };
}

/**
 * Weights for `spec` that start from another net's: every tensor of the same name and shape is copied, the rest (the
 * last conv, when only the scale differs: its s² output maps) is initialised afresh. How a net of one scale starts
 * from the body of another's. A per-channel PReLU slope going to one slope per layer (LeakyRelu) becomes the
 * median of the layer's slopes (listed in `converted`): the nearest single slope, which fine-tuning then corrects.
 * A shallower net keeps the source's first layers and its last conv (the hidden layers in between are dropped), so
 * a cheaper net starts from a trained one instead of from scratch.
 */
export function transferTrainWeights(from: TrainWeights, spec: ArchitectureSpec, seed: number): { weights: TrainWeights; fresh: string[]; converted: string[] } {
  const weights = initialTrainWeights(spec, from.kind, seed);
  const fresh: string[] = [];
  const converted: string[] = [];
  const last = spec.widths.length;
  const fromLast = from.spec.widths.length;
  const sourceName = (name: string): string => name.replace(/^l(\d+)\./, (_, i: string) => `l${Number(i) === last ? fromLast : i}.`);
  for (const [name, t] of Object.entries(weights.tensors)) {
    const source = from.tensors[sourceName(name)];
    if (source && source.shape.length === t.shape.length && source.shape.every((d, i) => d === t.shape[i])) {
      t.data = Float32Array.from(source.data);
    } else if (source && name.endsWith('.alpha') && t.data.length === 1 && source.data.length > 1) {
      const sorted = Float32Array.from(source.data).sort();
      t.data = Float32Array.of(sorted[sorted.length >> 1]);
      converted.push(name);
    } else {
      fresh.push(name);
    }
  }
  return { weights, fresh, converted };
}

/** A plain trainable copy of deployed weights (fine-tuning starts here). */
export function trainWeightsFromModel(weights: ModelWeights): TrainWeights {
  const tensors: TrainWeights['tensors'] = {};
  weights.convs.forEach((c, i) => {
    tensors[`l${i}.kernel`] = { shape: [c.kh, c.kw, c.inChannels, c.outChannels], data: Float32Array.from(c.kernel) };
    tensors[`l${i}.bias`] = { shape: [c.outChannels], data: Float32Array.from(c.bias) };
    if (hasAlpha(weights.spec, i)) {
      if (!c.alpha) throw new Error(`layer ${i} of a ${weights.spec.activation} model has no slope`);
      tensors[`l${i}.alpha`] = { shape: [slopeCount(weights.spec, i)], data: Float32Array.from(c.alpha) };
    }
  });
  return { spec: weights.spec, kind: 'plain', tensors };
}

export function createNet(w: TrainWeights): TrainableNet {
  const names = paramShapes(w.spec, w.kind).map(([name]) => name);
  const vars: Record<string, tf.Variable> = {};
  for (const name of names) {
    const t = w.tensors[name];
    if (!t) throw new Error(`weights lack ${name}`);
    vars[name] = tf.variable(tf.tensor(t.data, t.shape), true, undefined);
  }
  return { spec: w.spec, kind: w.kind, names, vars };
}

export function disposeNet(net: TrainableNet): void {
  for (const v of Object.values(net.vars)) v.dispose();
}

/** Deployed convs as (differentiable) functions of the given parameter tensors. */
export function layerTensors(spec: ArchitectureSpec, kind: NetKind, params: Record<string, tf.Tensor>): LayerTensors[] {
  return convShapes(spec).map((_, i) => {
    let kernel: tf.Tensor4D;
    let bias: tf.Tensor1D;
    if (kind === 'reparam') {
      const layer: LayerParams = {};
      const prefix = `l${i}.`;
      for (const [name, t] of Object.entries(params)) if (name.startsWith(prefix)) layer[name.slice(prefix.length)] = t;
      ({ kernel, bias } = collapseLayer(layer));
    } else {
      kernel = params[`l${i}.kernel`] as tf.Tensor4D;
      bias = params[`l${i}.bias`] as tf.Tensor1D;
    }
    const alpha = hasAlpha(spec, i) ? params[`l${i}.alpha`] as tf.Tensor1D : undefined;
    return alpha ? { kernel, bias, alpha } : { kernel, bias };
  });
}

export function netLayers(net: TrainableNet): LayerTensors[] {
  return layerTensors(net.spec, net.kind, net.vars);
}

/**
 * The last conv's output (N, h, w, s²·C) for LR input x in [0, 1], before the residual skip and depth-to-space.
 * Training compares this with space-to-depth targets, which needs neither op in the graph.
 */
export function forwardMaps(spec: ArchitectureSpec, layers: LayerTensors[], x: tf.Tensor4D): tf.Tensor4D {
  const unshuffled = unshuffleOf(spec) === 2;
  let h = unshuffled ? unshuffleMaps(x) : x;
  layers.forEach((l, i) => {
    h = trainableConv2d(h, l.kernel, l.bias);
    if (i < layers.length - 1) {
      if (spec.activation === 'tanh') h = tf.tanh(h);
      else if (spec.activation === 'relu') h = tf.relu(h);
      else h = tf.prelu(h, l.alpha as unknown as tf.Tensor4D);
    }
  });
  return unshuffled ? shuffleMaps(h, x.shape[1], x.shape[2]) : h;
}

/**
 * Full inference: LR (N, h, w, C) in [0, 1] → SR (N, h·s, w·s, C), unclipped. The residual skip broadcasts the
 * input over the s² sub-pixel maps and depth-to-space (DCR) is a reshape/transpose: on wasm both are several
 * times faster than Tile and DepthToSpace.
 */
export function forwardImage(spec: ArchitectureSpec, layers: LayerTensors[], x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const s = spec.scale;
    let maps: tf.Tensor = tf.reshape(forwardMaps(spec, layers, x), [n, h, w, s * s, c]);
    if (skipOf(spec) === 'nearest') maps = tf.add(maps, tf.reshape(x, [n, h, w, 1, c]));
    else if (skipOf(spec) === 'bicubic') maps = tf.add(maps, tf.reshape(bicubicSkipMaps(x, s), [n, h, w, s * s, c]));
    const blocks = tf.transpose(tf.reshape(maps, [n, h, w, s, s, c]), [0, 1, 3, 2, 4, 5]);
    return tf.reshape(blocks, [n, h * s, w * s, c]) as tf.Tensor4D;
  });
}
