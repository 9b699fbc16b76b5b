/**
 * Training gradients on ONNX Runtime. ORT has no training API in Node, but the networks we train are short chains of
 * convs and activations whose backward pass is itself a handful of forward ops, so one generated graph computes the
 * loss and the gradient of every deployed conv (kernel, bias, PReLU slope) for a batch:
 *   - input gradient of a conv: a conv of the output gradient with the flipped, in/out-swapped kernel (fed in);
 *   - filter gradient, per kernel tap: the output gradient times the padded input shifted by that tap (a batched
 *     MatMul summed over the batch) — GEMMs of good shape for MLAS, where a conv with a patch-sized kernel is not,
 *     and without materialising all k² shifted copies at once.
 * ORT runs these at about half its inference rate, several times faster than tfjs-wasm. Gradients of the
 * re-parameterised branch parameters follow from the deployed-conv gradients by the chain rule (collapse.ts).
 */
import type * as Ort from 'onnxruntime-node';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { loadOrt } from '../engine/backends/onnx/index.js';
import { encodeModel, FLOAT, hwioToOihw, int, int64Tensor, ints, str, tensorType } from '../engine/backends/onnx/proto.js';
import { convShapes, slopeCount, unshuffleOf, validateSpec, type ArchitectureSpec } from '../engine/models/spec.js';
import type { ConvArrays } from './collapse.js';
import type { Batch } from './data.js';
import { CHARBONNIER_EPS, type LossName } from './losses.js';
import { hasAlpha } from './nets.js';

/** ONNX Slice's "to the end" for a dynamic extent. */
const TO_END = 2 ** 62;

class GraphBuilder {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private count = 0;

  op(opType: string, input: string[], attribute: OnnxTypes.IAttributeProto[] = [], name?: string): string {
    const out = name ?? `${opType.toLowerCase()}_${this.count++}`;
    this.nodes.push({ opType, input, output: [out], name: out, attribute });
    return out;
  }

  scalar(value: number): string {
    const name = `const_${this.count++}`;
    this.initializers.push({ name, dims: [], dataType: FLOAT, floatData: [value] });
    return name;
  }

  ints(values: number[]): string {
    const name = `const_${this.count++}`;
    this.initializers.push(int64Tensor(name, values));
    return name;
  }
}

/**
 * Gradient graph for `spec` and `loss`. Inputs: 'x' [N, C, P, P] (NCHW LR patches), 'target' [N, s²C, P, P]
 * (space-to-depth HR, minus what the network's skip adds), per layer 'w<i>' [O, I, k, k], 'b<i>' [O],
 * 'a<i>' [O, 1, 1] (PReLU), and for i ≥ 1 'wf<i>' [I, O, k, k] (the flipped, transposed kernel). Outputs: 'loss'
 * (mean over all target values) and 'gw<i>', 'gb<i>', 'ga<i>'.
 */
export function buildGradientModel(spec: ArchitectureSpec, loss: LossName): Uint8Array {
  validateSpec(spec);
  const shapes = convShapes(spec);
  const g = new GraphBuilder();
  const inputs: OnnxTypes.IValueInfoProto[] = [
    { name: 'x', type: tensorType(['N', spec.channels, 'P', 'P']) },
    { name: 'target', type: tensorType(['N', spec.scale * spec.scale * spec.channels, 'P', 'P']) },
  ];
  const outputs: OnnxTypes.IValueInfoProto[] = [{ name: 'loss', type: tensorType([]) }];
  const pre: string[] = [];
  const post: string[] = [];
  // Pixel unshuffle (patches are even): the convs run on x space-to-depth by 2 and their maps go back by depth-to-space.
  const unshuffled = unshuffleOf(spec) === 2;
  let h = unshuffled ? g.op('SpaceToDepth', ['x'], [int('blocksize', 2)]) : 'x';
  shapes.forEach(({ k, inChannels, outChannels }, i) => {
    const p = (k - 1) / 2;
    inputs.push({ name: `w${i}`, type: tensorType([outChannels, inChannels, k, k]) }, { name: `b${i}`, type: tensorType([outChannels]) });
    if (i > 0) inputs.push({ name: `wf${i}`, type: tensorType([inChannels, outChannels, k, k]) });
    if (hasAlpha(spec, i)) inputs.push({ name: `a${i}`, type: tensorType([slopeCount(spec, i), 1, 1]) });
    outputs.push({ name: `gw${i}`, type: tensorType([outChannels, inChannels, k, k]) }, { name: `gb${i}`, type: tensorType([outChannels]) });
    if (hasAlpha(spec, i)) outputs.push({ name: `ga${i}`, type: tensorType([slopeCount(spec, i)]) });
    post.push(h);
    const z = g.op('Conv', [h, `w${i}`, `b${i}`], [ints('pads', [p, p, p, p])], `z${i}`);
    pre.push(z);
    if (i < shapes.length - 1) {
      if (hasAlpha(spec, i)) h = g.op('PRelu', [z, `a${i}`]); // LeakyRelu's one slope broadcasts
      else if (spec.activation === 'relu') h = g.op('Relu', [z]);
      else h = g.op('Tanh', [z]);
    } else h = z;
  });

  if (unshuffled) h = g.op('DepthToSpace', [h], [int('blocksize', 2), str('mode', 'DCR')]);
  const diff = g.op('Sub', [h, 'target']);
  const invCount = g.op('Reciprocal', [g.op('Cast', [g.op('Size', [diff])], [int('to', FLOAT)])]);
  let dOut: string;
  let perValue: string;
  if (loss === 'l1') {
    perValue = g.op('Abs', [diff]);
    dOut = g.op('Mul', [g.op('Sign', [diff]), invCount]);
  } else if (loss === 'l2') {
    perValue = g.op('Mul', [diff, diff]);
    dOut = g.op('Mul', [diff, g.op('Add', [invCount, invCount])]);
  } else {
    perValue = g.op('Sqrt', [g.op('Add', [g.op('Mul', [diff, diff]), g.scalar(CHARBONNIER_EPS)])]);
    dOut = g.op('Mul', [g.op('Div', [diff, perValue]), invCount]);
  }
  g.op('ReduceMean', [perValue], [int('keepdims', 0)], 'loss');

  const batchChannelsFlat = (t: string, channels: number): string => g.op('Reshape', [t, g.ints([0, channels, -1])]);
  // depth-to-space only moves values: its gradient is the inverse move
  let dz = unshuffled ? g.op('SpaceToDepth', [dOut], [int('blocksize', 2)]) : dOut;
  for (let i = shapes.length - 1; i >= 0; i--) {
    const { k, inChannels, outChannels } = shapes[i];
    const p = (k - 1) / 2;
    const input = post[i];
    g.op('ReduceSum', [dz, g.ints([0, 2, 3])], [int('keepdims', 0)], `gb${i}`);
    // filter gradient, one kernel tap at a time: Σ_n dz[n] · (padded input shifted by the tap)[n]ᵀ
    const padded = p > 0 ? g.op('Pad', [input, g.ints([0, 0, p, p, 0, 0, p, p])]) : input;
    const dzFlat = batchChannelsFlat(dz, outChannels);
    const taps: string[] = [];
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++) {
        const endY = ky - 2 * p < 0 ? ky - 2 * p : TO_END;
        const endX = kx - 2 * p < 0 ? kx - 2 * p : TO_END;
        const view = g.op('Slice', [padded, g.ints([ky, kx]), g.ints([endY, endX]), g.ints([2, 3])]);
        const cols = g.op('Transpose', [batchChannelsFlat(view, inChannels)], [ints('perm', [0, 2, 1])]);
        const perSample = g.op('MatMul', [dzFlat, cols]); // [N, O, I]
        taps.push(g.op('ReduceSum', [perSample, g.ints([0])], [int('keepdims', 0)]));
      }
    }
    const stacked = g.op('Concat', taps.map((t) => g.op('Unsqueeze', [t, g.ints([2])])), [int('axis', 2)]); // [O, I, k²]
    g.op('Reshape', [stacked, g.ints([outChannels, inChannels, k, k])], [], `gw${i}`);
    if (i === 0) break;
    const dh = g.op('Conv', [dz, `wf${i}`], [ints('pads', [p, p, p, p])]);
    const z = pre[i - 1];
    if (hasAlpha(spec, i - 1)) {
      const zero = g.scalar(0);
      const positive = g.op('Greater', [z, zero]);
      const slopeGrad = g.op('Mul', [dh, g.op('Min', [z, zero])]);
      if (spec.activation === 'prelu') g.op('ReduceSum', [slopeGrad, g.ints([0, 2, 3])], [int('keepdims', 0)], `ga${i - 1}`);
      else g.op('ReduceSum', [g.op('ReduceSum', [slopeGrad, g.ints([0, 2, 3])], [int('keepdims', 0)]), g.ints([0])], [int('keepdims', 1)], `ga${i - 1}`);
      dz = g.op('Where', [positive, dh, g.op('Mul', [dh, `a${i - 1}`])]);
    } else if (spec.activation === 'relu') {
      dz = g.op('Where', [g.op('Greater', [z, g.scalar(0)]), dh, g.scalar(0)]);
    } else {
      const t = post[i];
      dz = g.op('Sub', [dh, g.op('Mul', [dh, g.op('Mul', [t, t])])]);
    }
  }
  return encodeModel(`${spec.name}-gradients`, `${spec.name} x${spec.scale} ${loss} loss and gradients`, g.nodes, g.initializers, inputs, outputs);
}

/** HWIO kernel → [I, O, kh, kw] with both spatial axes reversed (the input-gradient conv's weights). */
function flippedTransposed(kernel: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < k; y++) {
    for (let x = 0; x < k; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) out[((i * cout + o) * k + (k - 1 - y)) * k + (k - 1 - x)] = kernel[((y * k + x) * cin + i) * cout + o];
      }
    }
  }
  return out;
}

/** OIHW → HWIO. */
function oihwToHwio(kernel: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) out[((y * k + x) * cin + i) * cout + o] = kernel[((o * cin + i) * k + y) * k + x];
    }
  }
  return out;
}

/** [N, P, P, C] → [N, C, P, P]. */
function nhwcToNchw(data: Float32Array, n: number, p: number, c: number): Float32Array {
  if (c === 1) return data;
  const out = new Float32Array(data.length);
  const plane = p * p;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let j = 0; j < plane; j++) for (let ch = 0; ch < c; ch++) out[base + ch * plane + j] = data[base + j * c + ch];
  }
  return out;
}

export interface OrtGradients {
  /** Mean loss of `batch` and its gradients with respect to each deployed conv. */
  compute(layers: ConvArrays[], batch: Batch): Promise<{ loss: number; grads: ConvArrays[] }>;
  close(): Promise<void>;
}

export async function createOrtGradients(spec: ArchitectureSpec, loss: LossName, threads = 1): Promise<OrtGradients> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(buildGradientModel(spec, loss), {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: Math.max(1, threads), interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const shapes = convShapes(spec);
  const s2c = spec.scale * spec.scale * spec.channels;
  return {
    async compute(layers, batch) {
      const { n, patch } = batch;
      const feeds: Record<string, Ort.Tensor> = {
        x: new ort.Tensor('float32', nhwcToNchw(batch.input, n, patch, spec.channels), [n, spec.channels, patch, patch]),
        target: new ort.Tensor('float32', nhwcToNchw(batch.target, n, patch, s2c), [n, s2c, patch, patch]),
      };
      shapes.forEach(({ k, inChannels, outChannels }, i) => {
        const l = layers[i];
        feeds[`w${i}`] = new ort.Tensor('float32', hwioToOihw(l.kernel, k, k, inChannels, outChannels), [outChannels, inChannels, k, k]);
        feeds[`b${i}`] = new ort.Tensor('float32', l.bias, [outChannels]);
        if (i > 0) feeds[`wf${i}`] = new ort.Tensor('float32', flippedTransposed(l.kernel, k, inChannels, outChannels), [inChannels, outChannels, k, k]);
        if (hasAlpha(spec, i)) {
          if (!l.alpha) throw new Error(`layer ${i} needs a PReLU slope`);
          feeds[`a${i}`] = new ort.Tensor('float32', l.alpha, [slopeCount(spec, i), 1, 1]);
        }
      });
      const out = await session.run(feeds);
      const grads = shapes.map(({ k, inChannels, outChannels }, i): ConvArrays => ({
        kernel: oihwToHwio(out[`gw${i}`].data as Float32Array, k, inChannels, outChannels),
        bias: Float32Array.from(out[`gb${i}`].data as Float32Array),
        ...(hasAlpha(spec, i) ? { alpha: Float32Array.from(out[`ga${i}`].data as Float32Array) } : {}),
      }));
      return { loss: (out.loss.data as Float32Array)[0], grads };
    },
    async close() { await session.release(); },
  };
}
