/** Small builders for ONNX protobuf messages (onnx-proto), shared by the engine's graphs and the training graphs. */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTypes.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function int64Tensor(name: string, values: number[]): OnnxTypes.ITensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

export function ints(name: string, values: number[]): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

export function int(name: string, value: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
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

export function tensorType(dims: Array<number | string>): OnnxTypes.ITypeProto {
  return {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

export function encodeModel(name: string, doc: string, nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[],
  inputs: OnnxTypes.IValueInfoProto[], outputs: OnnxTypes.IValueInfoProto[], opset = 13): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7, // ORT accepts 3..10; 7 is the IR of opset 13
    producerName: 'subpixel',
    producerVersion: '1',
    modelVersion: 1,
    docString: doc,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: nodes, initializer: initializers, input: inputs, output: outputs },
  }).finish();
}
