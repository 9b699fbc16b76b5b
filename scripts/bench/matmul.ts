/** The machine's ceiling: ORT's own MatMul (the best-tuned GEMM we can call), in GMAC/s. */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';

const { onnx } = onnxProto;

function matMulModel(n: number): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const b = new Float32Array(n * n).map((_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const valueInfo = (name: string) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'subpixel-bench',
    graph: {
      name: 'matmul',
      node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }],
      initializer: [{ name: 'b', dims: [n, n], dataType: FLOAT, rawData: new Uint8Array(b.buffer) }],
      input: [valueInfo('a')],
      output: [valueInfo('c')],
    },
  }).finish();
}

/** One n³ MatMul on ORT, to be timed beside other work; `gmacs(ms)` turns its time into GMAC/s. */
export async function createMatMul(threads: number, n = 2048): Promise<{ run: () => Promise<unknown>; gmacs: (ms: number) => number; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(matMulModel(n), ortSessionOptions(['cpu'], threads));
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  return {
    run: () => session.run({ a }),
    gmacs: (ms) => (n * n * n) / (ms / 1000) / 1e9,
    release: () => session.release(),
  };
}
