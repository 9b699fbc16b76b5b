/**
 * ONNX model bytes for an ESPCN-family network, generated from ModelWeights.
 * I/O stays NHWC like the rest of the engine ('lr' [N, H, W, C] → 'sr' [N, H·s, W·s, C]); inside, the graph is NCHW
 * so ORT's CPU provider can apply its NCHWc convolution layout.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { checkWeightShapes } from '../../models/check.js';
import { validateSpec, type ModelWeights } from '../../models/spec.js';

const { onnx } = onnxProto;

/** Opset 13: DepthToSpace, Tile and PRelu have all had their current semantics since 13 (ORT 1.30 supports up to 23). */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'lr';
export const ONNX_OUTPUT = 'sr';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTypes.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

function int64Tensor(name: string, values: number[]): OnnxTypes.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

function ints(name: string, values: number[]): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

function int(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function str(name: string, value: string): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
}

/** HWIO (TF.js) → OIHW (ONNX). */
export function hwioToOihw(kernel: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          out[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o];
        }
      }
    }
  }
  return out;
}

/** Serialized ONNX ModelProto for `weights`. Dynamic N, H and W. */
export function buildOnnxModel(weights: ModelWeights): Uint8Array {
  const { spec } = weights;
  validateSpec(spec);
  checkWeightShapes(weights);
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const s = spec.scale;

  nodes.push({ opType: 'Transpose', input: [ONNX_INPUT], output: ['x_nchw'], name: 'to_nchw', attribute: [ints('perm', [0, 3, 1, 2])] });
  let x = 'x_nchw';
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
  if (spec.residual) {
    // DCR depth index is (by·s + bx)·C + c, so tiling the C input channels s² times is the nearest-neighbour skip.
    initializers.push(int64Tensor('skip.repeats', [1, s * s, 1, 1]));
    nodes.push({ opType: 'Tile', input: ['x_nchw', 'skip.repeats'], output: ['skip'], name: 'skip' });
    nodes.push({ opType: 'Add', input: [x, 'skip'], output: ['with_skip'], name: 'add_skip' });
    x = 'with_skip';
  }
  nodes.push({ opType: 'DepthToSpace', input: [x], output: ['sr_nchw'], name: 'depth_to_space', attribute: [int('blocksize', s), str('mode', 'DCR')] });
  nodes.push({ opType: 'Transpose', input: ['sr_nchw'], output: [ONNX_OUTPUT], name: 'to_nhwc', attribute: [ints('perm', [0, 2, 3, 1])] });

  const tensorType = (dims: Array<number | string>): OnnxTypes.ITypeProto => ({
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  });
  const model: OnnxTypes.IModelProto = {
    irVersion: 7, // ORT accepts 3..10; 7 is the IR of opset 13
    producerName: 'subpixel',
    producerVersion: '1',
    modelVersion: 1,
    docString: `${spec.name} x${spec.scale}`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: spec.name,
      node: nodes,
      initializer: initializers,
      input: [{ name: ONNX_INPUT, type: tensorType(['N', 'H', 'W', spec.channels]) }],
      output: [{ name: ONNX_OUTPUT, type: tensorType(['N', 'SH', 'SW', spec.channels]) }],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
