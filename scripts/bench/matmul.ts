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

export async function matMulGmacs(threads: number, n = 2048, runs = 5): Promise<number> {
  const session = await ort.InferenceSession.create(matMulModel(n), ortSessionOptions(['cpu'], threads));
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  await session.run({ a });
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run({ a });
    best = Math.min(best, performance.now() - t);
  }
  await session.release();
  return (n * n * n) / (best / 1000) / 1e9;
}
