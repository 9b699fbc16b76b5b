/** Small builders for ONNX protobuf messages (onnx-proto), shared by the engine's graphs and the training graphs. */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const UINT8 = onnx.TensorProto.DataType.UINT8;
export const UINT16 = onnx.TensorProto.DataType.UINT16;

export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTypes.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function int64Tensor(name: string, values: number[]): OnnxTypes.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

/** A uint8 or uint16 tensor of zeros (e.g. a quantisation zero point). */
export function sampleTensor(name: string, dataType: typeof UINT8 | typeof UINT16, dims: number[]): OnnxTypes.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  return { name, dims, dataType, rawData: new Uint8Array(count * (dataType === UINT16 ? 2 : 1)) };
}

export function ints(name: string, values: number[]): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

export function int(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

export function float(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

export function str(name: string, value: string): OnnxTypes.IAttributeProto {
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

export function tensorType(dims: Array<number | string>, elemType: number = FLOAT): OnnxTypes.ITypeProto {
  return {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

export function encodeModel(name: string, doc: string, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[],
  inputs: OnnxTypes.IValueInfoProto[], outputs: OnnxTypes.IValueInfoProto[], opset = 13): Uint8Array {
  return onnx.ModelProto.encode({
    // The IR version that introduced each opset (7: opset 13, 10: opsets 21 to 22); ORT 1.30 reads up to 11.
    irVersion: opset >= 21 ? 10 : 7,
    producerName: 'subpixel',
    producerVersion: '1',
    modelVersion: 1,
    docString: doc,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: nodes, initializer: initializers, input: inputs, output: outputs },
  }).finish();
}
