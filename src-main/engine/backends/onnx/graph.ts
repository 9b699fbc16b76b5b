/**
 * ONNX model bytes for an ESPCN-family network, generated from ModelWeights.
 * I/O stays NHWC like the rest of the engine ('lr' [N, H, W, C] → 'sr' [N, H·s, W·s, C]); inside, the graph is NCHW
 * so ORT's CPU provider can apply its NCHWc convolution layout.
 */
import type { onnx as OnnxTypes } from 'onnx-proto';
import { encodeModel, floatTensor, hwioToOihw, int, int64Tensor, ints, str, tensorType } from './proto.js';
import { checkWeightShapes } from '../../models/check.js';
import { BICUBIC_SKIP_RADIUS, skipOf, validateSpec, type ModelWeights } from '../../models/spec.js';
import { bicubicPhaseKernel, bicubicSkipKernel } from '../../models/bicubic-skip.js';
import { BT601 } from '../../color.js';

/** Opset 13: DepthToSpace, Tile and PRelu have all had their current semantics since 13 (ORT 1.30 supports up to 23). */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'lr';
export const ONNX_OUTPUT = 'sr';

/**
 * Appends the network (convs, activations, skip and, unless `phasesOnly`, depth-to-space) reading NCHW tensor
 * `input`; returns the name of its NCHW output. With `phasesOnly` the output stays at LR size with s²·C maps in
 * DCR order (map (py·s + px)·C + c is output pixel (y·s + py, x·s + px) of channel c).
 */
function appendNetwork(weights: ModelWeights, input: string, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[], phasesOnly = false): string {
  const { spec } = weights;
  const s = spec.scale;
  let x = input;
  weights.convs.forEach((conv, i) => {
    const w = `conv_${i}.weight`;
    const b = `conv_${i}.bias`;
    initializers.push(
      floatTensor(w, [conv.outChannels, conv.inChannels, conv.kh, conv.kw], hwioToOihw(conv.kernel, conv.kh, conv.kw, conv.inChannels, conv.outChannels)),
      floatTensor(b, [conv.outChannels], conv.bias),
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
      } else {
        nodes.push({ opType: spec.activation === 'tanh' ? 'Tanh' : 'Relu', input: [x], output: [a], name: a });
      }
      x = a;
    }
  });
  const skipKind = skipOf(spec);
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
  if (phasesOnly) return x;
  nodes.push({ opType: 'DepthToSpace', input: [x], output: ['sr_nchw'], name: 'depth_to_space', attribute: [int('blocksize', s), str('mode', 'DCR')] });
  return 'sr_nchw';
}

/** Serialized ONNX ModelProto for `weights`. Dynamic N, H and W. */
export function buildOnnxModel(weights: ModelWeights): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  nodes.push({ opType: 'Transpose', input: [ONNX_INPUT], output: ['x_nchw'], name: 'to_nchw', attribute: [ints('perm', [0, 3, 1, 2])] });
  const sr = appendNetwork(weights, 'x_nchw', nodes, initializers);
  nodes.push({ opType: 'Transpose', input: [sr], output: [ONNX_OUTPUT], name: 'to_nhwc', attribute: [ints('perm', [0, 2, 3, 1])] });
  return encodeModel(spec.name, `${spec.name} x${spec.scale}`, nodes, initializers,
    [{ name: ONNX_INPUT, type: tensorType(['N', 'H', 'W', spec.channels]) }],
    [{ name: ONNX_OUTPUT, type: tensorType(['N', 'SH', 'SW', spec.channels]) }]);
}

export const PIXELS_INPUT = 'pixels';
export const PIXELS_MAX = 'max_value';
export const PIXELS_OUTPUT = 'upscaled';

/**
 * The whole per-tile pipeline as one graph, so that colour conversion, chroma and alpha resampling and quantisation
 * run in ORT's threads instead of JavaScript loops: raw samples [1, H, W, C] (0..max, C = the raster's channels:
 * grey, grey+alpha, RGB, RGBA) → upscaled samples [1, H·s, W·s, C], clipped and rounded (half to even).
 *
 * Y models run on BT.601 studio-range Y (grey g maps to Y = 16 + 219·g); chroma and alpha are upscaled with bicubic
 * (Keys a = −0.5, half-pixel centres, edge samples repeated). RGB models see grey replicated to three channels and
 * their output is turned back into grey with BT.601 luma weights.
 *
 * Everything stays at LR size as s² phase maps until the very end: bicubic upscaling is a 5x5 conv per phase,
 * colour conversion is pointwise and so commutes with depth-to-space, and one 1x1 conv maps all phase maps to the
 * output samples. Only the final depth-to-space and transpose touch full-size tensors.
 */
export function buildPixelsOnnxModel(weights: ModelWeights, rasterChannels: 1 | 2 | 3 | 4): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const s = spec.scale;
  const phases = s * s;
  const colour = rasterChannels >= 3;
  const colourChannels = colour ? 3 : 1;
  const hasAlpha = rasterChannels === 2 || rasterChannels === 4;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): string => {
    nodes.push({ opType, input, output: [output], name: output, attribute });
    return output;
  };
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

  const unitNhwc = node('Div', [PIXELS_INPUT, PIXELS_MAX], 'unit_nhwc');
  const unit = node('Transpose', [unitNhwc], 'unit', [ints('perm', [0, 3, 1, 2])]);
  const colourIn = hasAlpha ? slice('colour_in', unit, 0, colourChannels) : unit;
  const forward = BT601.forward.map((r) => [...r]);
  const offset = BT601.offset.map((o) => o / 255);

  // Phase maps feeding the final 1x1 conv, with how each output sample is made from them.
  let main: string;
  const resampled: string[] = [];
  if (spec.channels === 1) {
    const ycc = colour
      ? pointwise('to_ycc', colourIn, forward.map((r) => r.map((v) => v / 255)), offset)
      : pointwise('grey_to_y', colourIn, [[219 / 255]], [16 / 255]);
    main = appendNetwork(weights, colour ? slice('y', ycc, 0, 1) : ycc, nodes, initializers, true);
    if (colour) resampled.push(slice('chroma', ycc, 1, 3));
  } else {
    const rgb = colour ? colourIn : node('Concat', [colourIn, colourIn, colourIn], 'grey_as_rgb', [int('axis', 1)]);
    main = appendNetwork(weights, rgb, nodes, initializers, true);
  }
  if (hasAlpha) resampled.push(slice('alpha', unit, rasterChannels - 1, rasterChannels));

  let sources = main;
  const groups = resampled.length === 0 ? 0 : spec.channels === 1 && colour ? 2 + (hasAlpha ? 1 : 0) : 1;
  if (groups) {
    const stacked = resampled.length > 1 ? node('Concat', resampled, 'to_resample', [int('axis', 1)]) : resampled[0];
    initializers.push(int64Tensor('edge.pads', [0, 0, 2, 2, 0, 0, 2, 2]));
    const padded = node('Pad', [stacked, 'edge.pads'], 'resample_padded', [str('mode', 'edge')]);
    const kernel = bicubicPhaseKernel(s);
    const w = new Float32Array(groups * kernel.length);
    for (let g = 0; g < groups; g++) w.set(kernel, g * kernel.length);
    const up = node('Conv', [padded, constant('bicubic.weight', [groups * phases, 1, 5, 5], w)], 'bicubic_phases', [
      ints('kernel_shape', [5, 5]), int('group', groups),
    ]);
    sources = node('Concat', [main, up], 'phase_maps', [int('axis', 1)]);
  }

  // Source map indices: main maps are DCR (phase·C + c); resampled maps are grouped (group·s² + phase).
  const mainChannels = spec.channels;
  const sourceCount = phases * mainChannels + groups * phases;
  const resampledIndex = (group: number, phase: number): number => phases * mainChannels + group * phases + phase;
  const matrix: number[][] = [];
  const bias: number[] = [];
  const inverse = BT601.inverse.map((r) => r.map((v) => v * 255));
  for (let phase = 0; phase < phases; phase++) {
    for (let c = 0; c < rasterChannels; c++) {
      const row = new Array<number>(sourceCount).fill(0);
      let b = 0;
      const isAlpha = hasAlpha && c === rasterChannels - 1;
      if (isAlpha) {
        row[resampledIndex(groups - 1, phase)] = 1;
      } else if (spec.channels === 1 && colour) {
        // RGB from (Y, Cb, Cr)/255: inverse matrix, offsets folded into the bias.
        row[phase] = inverse[c][0];
        row[resampledIndex(0, phase)] = inverse[c][1];
        row[resampledIndex(1, phase)] = inverse[c][2];
        b = -inverse[c].reduce((sum, v, j) => sum + v * offset[j], 0);
      } else if (spec.channels === 1) {
        row[phase] = 255 / 219;
        b = -16 / 219;
      } else if (colour) {
        row[phase * 3 + c] = 1;
      } else {
        [0.299, 0.587, 0.114].forEach((wgt, k) => { row[phase * 3 + k] = wgt; });
      }
      matrix.push(row);
      bias.push(b);
    }
  }
  const combined = pointwise('to_samples_unit', sources, matrix, bias);
  const samples = node('Mul', [combined, PIXELS_MAX], 'samples');
  const clipped = node('Clip', [samples, constant('zero', [], [0]), PIXELS_MAX], 'clipped');
  const rounded = node('Round', [clipped], 'rounded');
  // Depth-to-space (DCR) and NCHW → NHWC as one transpose: [1, s·s·C, H, W] viewed as [1, s, s, C, H, W] becomes
  // [1, H, s, W, s, C], which is [1, H·s, W·s, C] in memory. One pass over the full-size samples instead of two.
  const size = node('Shape', [rounded], 'lr_shape');
  initializers.push(int64Tensor('hw.starts', [2]), int64Tensor('hw.ends', [4]), int64Tensor('phase_dims', [1, s, s, rasterChannels]),
    int64Tensor('scale_hw', [s, s]), int64Tensor('batch_dim', [1]), int64Tensor('channel_dim', [rasterChannels]));
  const hw = node('Slice', [size, 'hw.starts', 'hw.ends'], 'lr_hw');
  const phaseShape = node('Concat', ['phase_dims', hw], 'phase_shape', [int('axis', 0)]);
  const outShape = node('Concat', ['batch_dim', node('Mul', [hw, 'scale_hw'], 'sr_hw'), 'channel_dim'], 'sr_shape', [int('axis', 0)]);
  const phased = node('Reshape', [rounded, phaseShape], 'phased');
  const interleaved = node('Transpose', [phased], 'interleaved', [ints('perm', [0, 4, 1, 5, 2, 3])]);
  node('Reshape', [interleaved, outShape], PIXELS_OUTPUT);
  return encodeModel(`${spec.name}-pixels`, `${spec.name} x${s}, ${rasterChannels}-channel pixels`, nodes, initializers,
    [{ name: PIXELS_INPUT, type: tensorType([1, 'H', 'W', rasterChannels]) }, { name: PIXELS_MAX, type: tensorType([]) }],
    [{ name: PIXELS_OUTPUT, type: tensorType([1, 'SH', 'SW', rasterChannels]) }]);
}
