/**
 * ONNX model bytes for an ESPCN-family network, generated from ModelWeights.
 * I/O stays NHWC like the rest of the engine ('lr' [N, H, W, C] → 'sr' [N, H·s, W·s, C]); inside, the graph is NCHW
 * so ORT's CPU provider can apply its NCHWc convolution layout.
 */
import type { onnx as OnnxTypes } from 'onnx-proto';
import { encodeModel, float, FLOAT, floatTensor, hwioToOihw, int, int64Tensor, ints, sampleTensor, str, tensorType, UINT16, UINT8 } from './proto.js';
import { checkWeightShapes } from '../../models/check.js';
import { BICUBIC_SKIP_RADIUS, skipOf, unshuffleOf, validateSpec, type ArchitectureSpec, type ConvWeights, type ModelWeights } from '../../models/spec.js';
import { bicubicPhaseKernel, bicubicSkipKernel } from '../../models/bicubic-skip.js';
import { BT601 } from '../../color.js';

/** Opset 13: DepthToSpace, Tile and PRelu have all had their current semantics since 13 (ORT 1.30 supports up to 23). */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'lr';
export const ONNX_OUTPUT = 'sr';

export interface NetworkOptions {
  /**
   * Stop before depth-to-space: s²·C maps at LR size in DCR order (map (py·s + px)·C + c is output pixel (y·s + py,
   * x·s + px) of channel c), without a nearest skip: the caller adds the input once per phase in its own linear step.
   */
  phasesOnly?: boolean;
  /** Name of the depth-to-space output (a graph output is then written by that op itself, with no copy). */
  output?: string;
  /** Added to every output map (in the last conv's bias: the skip is added after it and is not shifted). */
  outputShift?: number;
  /**
   * An unshuffled net takes inputs of any size (an odd last row or column repeated inside the graph, the output cut
   * back). Without it, its input's height and width must be even: the engine's sessions pad odd tiles themselves
   * (even-size.ts), so that the usual even tile pays for no pad and no cut.
   */
  anySize?: boolean;
  /**
   * With `phasesOnly`, an unshuffled net stops at its 4·s²·C maps at half size, in the order of one depth-to-space by
   * 2s (permuteForOneDepthToSpace), for the output stage to read as they are (kernels/assemble.c, `blocks`).
   */
  blockPhases?: boolean;
}

/**
 * Pixel unshuffle of NCHW `input` by 2 (ArchitectureSpec.unshuffle): space-to-depth, whose channel order
 * (by·2 + bx)·C + c is the one DepthToSpace DCR undoes. With `anySize`, an odd last row or column is repeated first
 * (the graph then takes any size); otherwise the input's height and width must be even (the sessions pad).
 */
function appendUnshuffle(input: string, anySize: boolean, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[]): string {
  let even = input;
  if (anySize) {
    initializers.push(int64Tensor('unshuffle.hw', [2, 3]), int64Tensor('unshuffle.two', [2]), int64Tensor('unshuffle.zeros', [0, 0, 0, 0, 0, 0]));
    const hw = addNode(nodes, 'Gather', [addNode(nodes, 'Shape', [input], 'unshuffle_shape'), 'unshuffle.hw'], 'unshuffle_size');
    const odd = addNode(nodes, 'Mod', [hw, 'unshuffle.two'], 'unshuffle_odd');
    const pads = addNode(nodes, 'Concat', ['unshuffle.zeros', odd], 'unshuffle_pads', [int('axis', 0)]);
    even = addNode(nodes, 'Pad', [input, pads], 'unshuffle_even', [str('mode', 'edge')]);
  }
  return addNode(nodes, 'SpaceToDepth', [even], 'unshuffled', [int('blocksize', 2)]);
}

/** Undoes appendUnshuffle on the last conv's maps: depth-to-space by 2 (with `anySize`, cut to the input's size). */
function appendShuffle(maps: string, anySize: boolean, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[]): string {
  const shuffled = addNode(nodes, 'DepthToSpace', [maps], 'shuffled', [int('blocksize', 2), str('mode', 'DCR')]);
  if (!anySize) return shuffled;
  initializers.push(int64Tensor('shuffle.starts', [0, 0]), int64Tensor('shuffle.axes', [2, 3]));
  return addNode(nodes, 'Slice', [shuffled, 'shuffle.starts', 'unshuffle_size', 'shuffle.axes'], 'shuffled_lr');
}

/**
 * The output conv of an unshuffled net reordered for one DepthToSpace by 2·s: its channel for block pixel (by, bx),
 * phase (py, px) and channel c moves from ((by·2 + bx)·s² + py·s + px)·C + c (depth-to-space by 2, then by s) to
 * ((by·s + py)·2s + bx·s + px)·C + c, so that the two rearrangements and the nearest skip between them become one
 * pass over the output instead of four.
 */
function permuteForOneDepthToSpace(conv: ConvWeights, s: number, c: number): ConvWeights {
  const to = new Int32Array(conv.outChannels);
  for (let by = 0; by < 2; by++) for (let bx = 0; bx < 2; bx++) for (let py = 0; py < s; py++) for (let px = 0; px < s; px++) {
    for (let ch = 0; ch < c; ch++) to[((by * 2 + bx) * s * s + py * s + px) * c + ch] = ((by * s + py) * 2 * s + bx * s + px) * c + ch;
  }
  const kernel = new Float32Array(conv.kernel.length);
  const bias = new Float32Array(conv.bias.length);
  const o = conv.outChannels;
  for (let from = 0; from < o; from++) {
    bias[to[from]] = conv.bias[from];
    for (let i = 0; i < conv.kernel.length / o; i++) kernel[i * o + to[from]] = conv.kernel[i * o + from];
  }
  return { ...conv, kernel, bias };
}

/**
 * The nearest skip of an unshuffled net in the order of permuteForOneDepthToSpace: unshuffled input channel
 * (by·2 + bx)·C + c repeated for every phase, [N, 4·s²·C, H/2, W/2]. Made as a 1x1 conv of zeros and ones (exact,
 * 4·s²·C MACs per block), which ORT lays out as it lays out the net's convs: the Add then runs in that blocked layout
 * and the output conv's maps need no reorder before it (with an Expand, the network took 1–2 ms longer at x4).
 */
function appendBlockSkip(unshuffled: string, s: number, c: number, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[]): string {
  const out = 4 * s * s * c;
  const repeat = new Float32Array(out * 4 * c);
  for (let by = 0; by < 2; by++) for (let bx = 0; bx < 2; bx++) for (let py = 0; py < s; py++) for (let px = 0; px < s; px++) {
    for (let ch = 0; ch < c; ch++) repeat[(((by * s + py) * 2 * s + bx * s + px) * c + ch) * 4 * c + (by * 2 + bx) * c + ch] = 1;
  }
  initializers.push(floatTensor('skip.weight', [out, 4 * c, 1, 1], repeat));
  return addNode(nodes, 'Conv', [unshuffled, 'skip.weight'], 'skip', [ints('kernel_shape', [1, 1])]);
}

function addNode(nodes: OnnxTypes.INodeProto[], opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): string {
  nodes.push({ opType, input, output: [output], name: output, attribute });
  return output;
}

/** Appends the network (convs, activations, skip, then depth-to-space unless `phasesOnly`) reading NCHW tensor `input`; returns its NCHW output. */
function appendNetwork(weights: ModelWeights, input: string, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[], options: NetworkOptions = {}): string {
  const { spec } = weights;
  const s = spec.scale;
  const last = weights.convs.length - 1;
  const unshuffled = unshuffleOf(spec) === 2;
  const anySize = options.anySize ?? false;
  const oneDepthToSpace = unshuffled && !anySize && !options.phasesOnly && skipOf(spec) === 'nearest';
  const blockPhases = unshuffled && options.phasesOnly === true && options.blockPhases === true;
  let x = unshuffled ? appendUnshuffle(input, anySize, nodes, initializers) : input;
  const blockSkip = oneDepthToSpace ? appendBlockSkip(x, s, spec.channels, nodes, initializers) : undefined;
  const convs = oneDepthToSpace || blockPhases ? [...weights.convs.slice(0, last), permuteForOneDepthToSpace(weights.convs[last], s, spec.channels)] : weights.convs;
  convs.forEach((conv, i) => {
    const w = `conv_${i}.weight`;
    const b = `conv_${i}.bias`;
    const shift = i === last ? options.outputShift ?? 0 : 0;
    initializers.push(
      floatTensor(w, [conv.outChannels, conv.inChannels, conv.kh, conv.kw], hwioToOihw(conv.kernel, conv.kh, conv.kw, conv.inChannels, conv.outChannels)),
      floatTensor(b, [conv.outChannels], shift ? conv.bias.map((v) => v + shift) : conv.bias),
    );
    const ph = Math.floor(conv.kh / 2);
    const pw = Math.floor(conv.kw / 2);
    const y = `conv_${i}`;
    nodes.push({
      opType: 'Conv', input: [x, w, b], output: [y], name: y,
      attribute: [ints('kernel_shape', [conv.kh, conv.kw]), ints('pads', [ph, pw, ph, pw]), ints('strides', [1, 1]), ints('dilations', [1, 1]), int('group', 1)],
    });
    x = y;
    if (i < spec.widths.length) {
      const a = `act_${i}`;
      if (spec.activation === 'prelu') {
        if (!conv.alpha) throw new Error(`conv ${i} has no PReLU alpha`);
        initializers.push(floatTensor(`prelu_${i}.slope`, [conv.outChannels, 1, 1], conv.alpha));
        nodes.push({ opType: 'PRelu', input: [x, `prelu_${i}.slope`], output: [a], name: a });
      } else if (spec.activation === 'leakyrelu') {
        // an attribute, not an input: ORT then fuses it into the conv (NCHWc), which it cannot do for PRelu
        if (conv.alpha?.length !== 1) throw new Error(`conv ${i} has no LeakyRelu slope`);
        nodes.push({ opType: 'LeakyRelu', input: [x], output: [a], name: a, attribute: [float('alpha', conv.alpha[0])] });
      } else {
        nodes.push({ opType: spec.activation === 'tanh' ? 'Tanh' : 'Relu', input: [x], output: [a], name: a });
      }
      x = a;
    }
  });
  if (blockPhases) return x;
  if (oneDepthToSpace) {
    const withSkip = addNode(nodes, 'Add', [x, blockSkip!], 'with_skip');
    return addNode(nodes, 'DepthToSpace', [withSkip], options.output ?? 'sr_nchw', [int('blocksize', 2 * s), str('mode', 'DCR')]);
  }
  if (unshuffled) x = appendShuffle(x, anySize, nodes, initializers);
  const skipKind = options.phasesOnly && skipOf(spec) === 'nearest' ? 'none' : skipOf(spec);
  if (skipKind === 'nearest') {
    // DCR depth index is (by·s + bx)·C + c, so tiling the C input channels s² times is the nearest-neighbour skip.
    initializers.push(int64Tensor('skip.repeats', [1, s * s, 1, 1]));
    nodes.push({ opType: 'Tile', input: [input, 'skip.repeats'], output: ['skip'], name: 'skip' });
  } else if (skipKind === 'bicubic') {
    const c = spec.channels;
    const r = BICUBIC_SKIP_RADIUS;
    initializers.push(int64Tensor('skip.pads', [0, 0, r, r, 0, 0, r, r]));
    nodes.push({ opType: 'Pad', input: [input, 'skip.pads'], output: ['skip_padded'], name: 'skip_padded', attribute: [str('mode', 'edge')] });
    initializers.push(floatTensor('skip.weight', [s * s * c, c, 5, 5], hwioToOihw(bicubicSkipKernel(s, c), 5, 5, c, s * s * c)));
    nodes.push({ opType: 'Conv', input: ['skip_padded', 'skip.weight'], output: ['skip'], name: 'skip', attribute: [ints('kernel_shape', [5, 5])] });
  }
  if (skipKind !== 'none') {
    nodes.push({ opType: 'Add', input: [x, 'skip'], output: ['with_skip'], name: 'add_skip' });
    x = 'with_skip';
  }
  if (options.phasesOnly) return x;
  const output = options.output ?? 'sr_nchw';
  nodes.push({ opType: 'DepthToSpace', input: [x], output: [output], name: 'depth_to_space', attribute: [int('blocksize', s), str('mode', 'DCR')] });
  return output;
}

/**
 * The dims of the model graph's input for one [height, width] plane or image. NHWC [1, H, W, C] in memory either way:
 * with one channel that is also NCHW [1, 1, H, W], which the graph then takes as it is (see buildOnnxModel).
 */
export function onnxInputDims(channels: number, height: number, width: number): number[] {
  return channels === 1 ? [1, 1, height, width] : [1, height, width, channels];
}

/**
 * Serialized ONNX ModelProto for `weights`: NHWC samples in and out, dynamic N, H and W. A one-channel (Y) model is
 * declared NCHW [N, 1, H, W] → [N, 1, SH, SW], the same bytes as NHWC, so that no transpose runs at either end and
 * depth-to-space writes the output itself (two passes over the output fewer: 1–2 % of an x4 frame, measured in turns).
 */
export function buildOnnxModel(weights: ModelWeights): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const doc = `${spec.name} x${spec.scale}`;
  if (spec.channels === 1) {
    appendNetwork(weights, ONNX_INPUT, nodes, initializers, { output: ONNX_OUTPUT });
    return encodeModel(spec.name, doc, nodes, initializers,
      [{ name: ONNX_INPUT, type: tensorType(['N', 1, 'H', 'W']) }],
      [{ name: ONNX_OUTPUT, type: tensorType(['N', 1, 'SH', 'SW']) }]);
  }
  nodes.push({ opType: 'Transpose', input: [ONNX_INPUT], output: ['x_nchw'], name: 'to_nchw', attribute: [ints('perm', [0, 3, 1, 2])] });
  const sr = appendNetwork(weights, 'x_nchw', nodes, initializers);
  nodes.push({ opType: 'Transpose', input: [sr], output: [ONNX_OUTPUT], name: 'to_nhwc', attribute: [ints('perm', [0, 2, 3, 1])] });
  return encodeModel(spec.name, doc, nodes, initializers,
    [{ name: ONNX_INPUT, type: tensorType(['N', 'H', 'W', spec.channels]) }],
    [{ name: ONNX_OUTPUT, type: tensorType(['N', 'SH', 'SW', spec.channels]) }]);
}

export const EXPORT_INPUT = 'input';
export const EXPORT_OUTPUT = 'output';

/**
 * The plain network for other runtimes (`subpixel export --format onnx`): float NCHW in (`input`, N×C×H×W, values
 * 0–1, Y or RGB as the model's channels), float NCHW out (`output`, N×C×sH×sW), dynamic N, H and W; no colour
 * conversion, clipping or quantisation (those are the caller's, as in vs-mlrt).
 */
export function buildExportOnnxModel(weights: ModelWeights): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const sr = appendNetwork(weights, EXPORT_INPUT, nodes, initializers, { anySize: true });
  nodes.push({ opType: 'Identity', input: [sr], output: [EXPORT_OUTPUT], name: 'output' });
  return encodeModel(spec.name, `${spec.name} x${spec.scale}, ${spec.channels === 1 ? 'Y (BT.601 studio range, 0-1)' : 'RGB 0-1'} NCHW`, nodes, initializers,
    [{ name: EXPORT_INPUT, type: tensorType(['N', spec.channels, 'H', 'W']) }],
    [{ name: EXPORT_OUTPUT, type: tensorType(['N', spec.channels, 'SH', 'SW']) }]);
}

export const PIXELS_INPUT = 'pixels';
export const PIXELS_OUTPUT = 'upscaled';
/** The phase-map outputs of a pixel graph built with `layout: 'phase maps'` (see buildPixelsOnnxModel). */
export const PHASES_OUTPUT = 'y_phases';
export const SKIP_OUTPUT = 'y_lr';
export const CHROMA_OUTPUT = 'chroma_lr';

/**
 * Output sample c of a Y model on a colour raster, on the sample scale (max 255 or 65535), is Σ_k m[c·3 + k]·v[k] with
 * v = (Y − 16, Cb − 128, Cr − 128) on the 0..1 scale: BT.601's inverse, scaled.
 */
export function rgbOutputMatrix(max: number): number[] {
  return BT601.inverse.flatMap((row) => row.map((v) => v * 255 * max));
}

/**
 * How the phase-map layout's outputs make 8-bit samples: sample c = Σ_k matrix[c·3 + k]·(Y', Cb, Cr)[k] + bias[c]. The
 * graph leaves Cb and Cr as the colour conversion makes them (128/255 added), so their share comes off as the bias.
 */
export function phaseMapRgb8(): { matrix: number[]; bias: number[] } {
  const matrix = rgbOutputMatrix(255);
  const bias = [0, 1, 2].map((c) => -(matrix[c * 3 + 1] + matrix[c * 3 + 2]) * (BT601.offset[1] / 255));
  return { matrix, bias };
}

/**
 * Whether a pixel graph for this model and raster can stop at its phase maps (`layout: 'phase maps'`): a Y model with
 * the nearest skip on an 8-bit RGB raster, at any scale, the cases kernels/assemble.c assembles (the shipped efficient
 * and robust families on photos and film frames).
 */
export function hasPhaseMapLayout(spec: ArchitectureSpec, rasterChannels: number, bitDepth: 8 | 16): boolean {
  return spec.channels === 1 && rasterChannels === 3 && bitDepth === 8 && skipOf(spec) === 'nearest';
}

/** Renames tensor `from` to `to` wherever a node reads or writes it. */
function renameTensor(nodes: OnnxTypes.INodeProto[], from: string, to: string): void {
  for (const n of nodes) {
    n.input = n.input?.map((x) => (x === from ? to : x));
    n.output = n.output?.map((x) => (x === from ? to : x));
  }
}
/**
 * The pixel graph's opset: 21 is the first where QuantizeLinear writes uint16, so both bit depths quantise in one
 * vectorised op (round half to even and saturate, what Clip + Round + Cast did in three passes over the output).
 */
export const PIXELS_OPSET = 21;

/**
 * The whole per-tile pipeline as one graph, so that colour conversion, chroma and alpha resampling and quantisation
 * run in ORT's threads instead of JavaScript loops: raw samples [1, H, W, C] (uint8 or uint16 as the raster holds
 * them, C = the raster's channels: grey, grey+alpha, RGB, RGBA) → upscaled samples of the same type, rounded half
 * to even and clipped, in the raster's interleaved layout (shaped [H, s, W, s·C], which is [H·s, W·s, C] in
 * memory). No float tensor at output size leaves the graph, and one tile's output is the output raster itself.
 *
 * Y models run on BT.601 studio-range Y (grey g maps to Y = 16 + 219·g); chroma and alpha are upscaled with bicubic
 * (Keys a = −0.5, half-pixel centres, edge samples repeated). RGB models see grey replicated to three channels and
 * their output is turned back into grey with BT.601 luma weights.
 *
 * Everything stays at LR size as s² phase maps until the very end: bicubic upscaling is a 5x5 conv per phase,
 * colour conversion is pointwise and so commutes with depth-to-space, and one batched MatMul maps all phase maps
 * (and the nearest skip's input) to the output samples, in the raster's interleaved order (the sample scale 255 or
 * 65535 folded into its weights, and into the first pointwise step's). Only that MatMul and the quantisation write
 * full-size tensors.
 */
export function buildPixelsOnnxModel(weights: ModelWeights, rasterChannels: 1 | 2 | 3 | 4, bitDepth: 8 | 16 = 8, layout: 'samples' | 'phase maps' = 'samples'): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  if (layout === 'phase maps' && !hasPhaseMapLayout(spec, rasterChannels, bitDepth)) {
    throw new Error(`no phase-map layout for ${spec.name} on ${rasterChannels}-channel ${bitDepth}-bit rasters`);
  }
  const s = spec.scale;
  const phases = s * s;
  const max = bitDepth === 16 ? 65535 : 255;
  const sampleType = bitDepth === 16 ? UINT16 : UINT8;
  const colour = rasterChannels >= 3;
  const colourChannels = colour ? 3 : 1;
  const hasAlpha = rasterChannels === 2 || rasterChannels === 4;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): string => addNode(nodes, opType, input, output, attribute);
  const constant = (name: string, dims: number[], values: ArrayLike<number>): string => {
    initializers.push(floatTensor(name, dims, Float32Array.from(values)));
    return name;
  };
  const pointwise = (name: string, input: string, matrix: number[][], bias: number[]): string => {
    const w = constant(`${name}.weight`, [matrix.length, matrix[0].length, 1, 1], matrix.flat());
    const b = constant(`${name}.bias`, [bias.length], bias);
    return node('Conv', [input, w, b], name, [ints('kernel_shape', [1, 1])]);
  };
  const slice = (name: string, input: string, from: number, to: number): string => {
    initializers.push(int64Tensor(`${name}.starts`, [from]), int64Tensor(`${name}.ends`, [to]), int64Tensor(`${name}.axes`, [1]));
    return node('Slice', [input, `${name}.starts`, `${name}.ends`, `${name}.axes`], name);
  };

  // Samples stay on their own scale (0..max) until a step needs [0, 1]: the pointwise colour steps take 1/max in
  // their weights, alpha is resampled on its own scale and passes straight through to the output.
  const rawNhwc = node('Cast', [PIXELS_INPUT], 'raw_nhwc', [int('to', FLOAT)]);
  const raw = node('Transpose', [rawNhwc], 'raw', [ints('perm', [0, 3, 1, 2])]);
  const colourIn = hasAlpha ? slice('colour_in', raw, 0, colourChannels) : raw;
  const forward = BT601.forward.map((r) => [...r]);
  const offset = BT601.offset.map((o) => o / 255);

  // Phase maps feeding the final MatMul, with how each output sample is made from them.
  let main: string;
  let modelInput: string;
  const resampled: string[] = [];
  if (spec.channels === 1) {
    const ycc = colour
      ? pointwise('to_ycc', colourIn, forward.map((r) => r.map((v) => v / 255 / max)), offset)
      : pointwise('grey_to_y', colourIn, [[219 / 255 / max]], [16 / 255]);
    // Y and chroma leave their stages centred (Y − 16, Cb − 128, Cr − 128, on the 0..1 scale), so the map to output
    // samples is linear with no bias: one batched MatMul.
    modelInput = colour ? slice('y', ycc, 0, 1) : ycc;
    main = appendNetwork(weights, modelInput, nodes, initializers, { phasesOnly: true, outputShift: -offset[0], blockPhases: layout === 'phase maps' });
    if (colour) resampled.push(slice('chroma', ycc, 1, 3));
  } else {
    const unit = node('Mul', [colourIn, constant('unit_scale', [], [1 / max])], 'colour_unit');
    const rgb = colour ? unit : node('Concat', [unit, unit, unit], 'grey_as_rgb', [int('axis', 1)]);
    modelInput = rgb;
    main = appendNetwork(weights, rgb, nodes, initializers, { phasesOnly: true });
  }
  if (hasAlpha) resampled.push(slice('alpha', raw, rasterChannels - 1, rasterChannels));
  if (layout === 'phase maps') {
    // Stop here: the network's phase maps, its input (the nearest skip) and Cb and Cr at LR size, as they are, for
    // kernels/assemble.c to upscale the chroma and make the samples in one pass.
    renameTensor(nodes, main, PHASES_OUTPUT);
    renameTensor(nodes, modelInput, SKIP_OUTPUT);
    renameTensor(nodes, resampled[0], CHROMA_OUTPUT);
    return encodeModel(`${spec.name}-phase-maps`, `${spec.name} x${s}, 3-channel 8-bit pixels to phase maps`, nodes, initializers,
      [{ name: PIXELS_INPUT, type: tensorType([1, 'H', 'W', rasterChannels], sampleType) }],
      [
        { name: PHASES_OUTPUT, type: tensorType(unshuffleOf(spec) === 2 ? [1, 4 * phases, 'H2', 'W2'] : [1, phases, 'H', 'W']) },
        { name: SKIP_OUTPUT, type: tensorType([1, 1, 'H', 'W']) },
        { name: CHROMA_OUTPUT, type: tensorType([1, 2, 'H', 'W']) },
      ], PIXELS_OPSET);
  }

  // The nearest skip adds the model's input to every phase map: as C more sources with the phase maps' weights, the
  // MatMul below adds it, where a Tile and an Add at s²·C maps used to.
  const skipMaps = skipOf(spec) === 'nearest' ? spec.channels : 0;
  const groups = resampled.length === 0 ? 0 : spec.channels === 1 && colour ? 2 + (hasAlpha ? 1 : 0) : 1;
  const parts = skipMaps ? [main, modelInput] : [main];
  if (groups) {
    const stacked = resampled.length > 1 ? node('Concat', resampled, 'to_resample', [int('axis', 1)]) : resampled[0];
    initializers.push(int64Tensor('edge.pads', [0, 0, 2, 2, 0, 0, 2, 2]));
    const padded = node('Pad', [stacked, 'edge.pads'], 'resample_padded', [str('mode', 'edge')]);
    // One dense conv (map group·s² + phase reads only its own plane; the other weights are zero): ORT runs it in its
    // blocked layout, where the grouped conv it replaces ran at a third of the speed.
    const kernel = bicubicPhaseKernel(s);
    const w = new Float32Array(groups * phases * groups * 25);
    for (let g = 0; g < groups; g++) {
      for (let phase = 0; phase < phases; phase++) w.set(kernel.subarray(phase * 25, (phase + 1) * 25), ((g * phases + phase) * groups + g) * 25);
    }
    // Bicubic weights sum to 1, so a bias shifts the upscaled chroma exactly as shifting its input would.
    const chromaShift = Array.from({ length: groups * phases }, (_, i) => (spec.channels === 1 && colour && i < 2 * phases ? -offset[1 + Math.floor(i / phases)] : 0));
    parts.push(node('Conv', [padded, constant('bicubic.weight', [groups * phases, groups, 5, 5], w), constant('bicubic.bias', [groups * phases], chromaShift)], 'bicubic_phases', [
      ints('kernel_shape', [5, 5]),
    ]));
  }
  const sources = parts.length > 1 ? node('Concat', parts, 'phase_maps', [int('axis', 1)]) : main;

  // Source map indices: main maps are DCR (phase·C + c), then the skip's C input maps, then the resampled maps
  // grouped (group·s² + phase). Output sample c of phase (py, px), on the sample scale, is
  // Σ_k weight[py][k][px·C + c] · source k.
  const mainMaps = phases * spec.channels;
  const sourceCount = mainMaps + skipMaps + groups * phases;
  const resampledIndex = (group: number, phase: number): number => mainMaps + skipMaps + group * phases + phase;
  const rowLength = s * rasterChannels;
  const toSamples = new Float32Array(s * sourceCount * rowLength);
  const rgb = rgbOutputMatrix(max);
  for (let py = 0; py < s; py++) {
    for (let px = 0; px < s; px++) {
      const phase = py * s + px;
      for (let c = 0; c < rasterChannels; c++) {
        const set = (source: number, value: number): void => { toSamples[(py * sourceCount + source) * rowLength + px * rasterChannels + c] = value; };
        // model output channel k of this phase, and the skip's input channel k with it
        const setModel = (k: number, value: number): void => {
          set(phase * spec.channels + k, value);
          if (skipMaps) set(mainMaps + k, value);
        };
        if (hasAlpha && c === rasterChannels - 1) {
          set(resampledIndex(groups - 1, phase), 1); // alpha is resampled on the sample scale already
        } else if (spec.channels === 1 && colour) {
          setModel(0, rgb[c * 3]);
          set(resampledIndex(0, phase), rgb[c * 3 + 1]);
          set(resampledIndex(1, phase), rgb[c * 3 + 2]);
        } else if (spec.channels === 1) {
          setModel(0, (255 / 219) * max);
        } else if (colour) {
          setModel(c, max);
        } else {
          [0.299, 0.587, 0.114].forEach((wgt, k) => setModel(k, wgt * max));
        }
      }
    }
  }
  // [1, K, H, W] → [H, 1, W, K] (NHWC, one row of LR pixels per batch) times [s, K, s·C] is [H, s, W, s·C]: output
  // row y·s + py as s·C samples per LR pixel, which is the interleaved raster [H·s, W·s, C] in memory. The graph's
  // output keeps that shape, so ORT quantises straight into the caller's raster: no transpose and no copy at output
  // size.
  const sourcesNhwc = node('Transpose', [sources], 'sources_nhwc', [ints('perm', [0, 2, 3, 1])]);
  initializers.push(int64Tensor('rows_shape', [-1, 1, 0, 0]));
  const rows = node('Reshape', [sourcesNhwc, 'rows_shape'], 'source_rows');
  const samples = node('MatMul', [rows, constant('to_samples.weight', [s, sourceCount, rowLength], toSamples)], 'samples');
  initializers.push(floatTensor('quant.scale', [], Float32Array.of(1)), sampleTensor('quant.zero', sampleType, []));
  node('QuantizeLinear', [samples, 'quant.scale', 'quant.zero'], PIXELS_OUTPUT);
  return encodeModel(`${spec.name}-pixels`, `${spec.name} x${s}, ${rasterChannels}-channel ${bitDepth}-bit pixels`, nodes, initializers,
    [{ name: PIXELS_INPUT, type: tensorType([1, 'H', 'W', rasterChannels], sampleType) }],
    [{ name: PIXELS_OUTPUT, type: tensorType(['H', s, 'W', s * rasterChannels], sampleType) }], PIXELS_OPSET);
}
