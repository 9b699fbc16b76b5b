/**
 * ORT's own convolution on a frame, layer shapes alone: what the network's convs can reach on this machine, timed
 * beside the MatMul ceiling. Four 3x3 convs with LeakyRelu in a row (as the network's hidden layers run, in ORT's
 * blocked layout, one reorder in and one out), their output cut to one corner like the ceiling's.
 *
 * Why two widths: ORT's AVX-512 direct-conv kernel keeps one 16-lane accumulator per output pixel and block of 16
 * output channels, six pixels at a time. With 16 output channels that is six independent FMA chains, fewer than two
 * FMA pipes of four cycles' latency keep busy (eight), so a 16-wide layer is held to about 6/8 of what the kernel
 * does with 32 output channels (twelve chains). The rows show that bound in the same run as the network's ratio.
 */
import * as ort from 'onnxruntime-node';
import { ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';
import { encodeModel, float, floatTensor, ints, tensorType } from '../../src-main/engine/backends/onnx/proto.js';
import { buildOnnxModel, ONNX_INPUT, onnxInputDims } from '../../src-main/engine/backends/onnx/graph.js';
import { macsPerPixel, randomWeights } from '../../src-main/engine/models/spec.js';
import { architectureFor } from '../../src-main/training/architectures.js';
import { cornerOnly } from './matmul.js';

const LAYERS = 4;

function convChain(width: number, height: number, frameW: number): Uint8Array {
  const nodes = [];
  const initializers = [];
  let x = 'x';
  for (let l = 0; l < LAYERS; l++) {
    // Fixed pseudo-random weights in [-0.05, 0.05): the kernel's speed does not depend on them.
    const w = new Float32Array(width * width * 9).map((_, i) => ((((i + l * 7919) * 2654435761) >>> 0) % 1000) / 10000 - 0.05);
    initializers.push(floatTensor(`w${l}`, [width, width, 3, 3], w), floatTensor(`b${l}`, [width], new Float32Array(width)));
    nodes.push({ opType: 'Conv', input: [x, `w${l}`, `b${l}`], output: [`c${l}`], name: `c${l}`, attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] });
    nodes.push({ opType: 'LeakyRelu', input: [`c${l}`], output: [`a${l}`], name: `a${l}`, attribute: [float('alpha', 0.1)] });
    x = `a${l}`;
  }
  const dims = [1, width, height, frameW];
  return cornerOnly(encodeModel(`conv-${width}`, `${LAYERS} 3x3 convs of ${width}`, nodes, initializers,
    [{ name: 'x', type: tensorType(dims) }], [{ name: x, type: tensorType(dims) }]));
}

/** A chain of 3x3 convs `width` → `width` over a frameW x frameH frame, to time in turns; `gmacs(ms)` gives its rate. */
export async function createConvLayers(width: number, frameW: number, frameH: number, threads: number): Promise<{
  label: string; run: () => Promise<unknown>; gmacs: (ms: number) => number; release: () => Promise<void>;
}> {
  const session = await ort.InferenceSession.create(convChain(width, frameH, frameW), ortSessionOptions(['cpu'], threads));
  const x = new ort.Tensor('float32', new Float32Array(width * frameH * frameW).map((_, i) => (i % 251) / 251), [1, width, frameH, frameW]);
  return {
    label: `${LAYERS} convs 3x3 ${width}→${width}`,
    run: () => session.run({ x }),
    gmacs: (ms) => (LAYERS * frameW * frameH * width * width * 9) / (ms / 1000) / 1e9,
    release: () => session.release(),
  };
}

/**
 * A network of the shipped nets' MAC budget whose convs all have 32 outputs or more: the x4 net on 2x2 blocks of LR
 * pixels (ArchitectureSpec.unshuffle; ten 3x3 convs of 32, 23 328 MACs per LR pixel) with random weights, its graph
 * built as the engine builds it, its output cut to one corner like the ceiling's. What the layer shape buys here,
 * timed beside the shipped network; its quality is a training question (models/TRAINING.md).
 */
export async function createBlockNetwork(frameW: number, frameH: number, threads: number): Promise<{
  label: string; run: () => Promise<unknown>; gmacs: (ms: number) => number; release: () => Promise<void>;
}> {
  const spec = architectureFor('efficient', 4, 1, Array<number>(9).fill(32), undefined, 'leakyrelu', 2);
  const session = await ort.InferenceSession.create(cornerOnly(buildOnnxModel(randomWeights(spec, 1))), ortSessionOptions(['cpu'], threads));
  const x = new ort.Tensor('float32', new Float32Array(frameH * frameW).map((_, i) => (i % 251) / 251), onnxInputDims(1, frameH, frameW));
  return {
    label: `x4 net on 2x2 blocks, ten 3x3 convs of 32 (${macsPerPixel(spec)} MAC/px, random weights)`,
    run: () => session.run({ [ONNX_INPUT]: x }),
    gmacs: (ms) => (frameW * frameH * macsPerPixel(spec)) / (ms / 1000) / 1e9,
    release: () => session.release(),
  };
}
