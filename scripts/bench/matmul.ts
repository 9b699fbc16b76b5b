/** The machine's ceiling: ORT's own MatMul (the best-tuned GEMM we can call), in GMAC/s. */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';

const { onnx } = onnxProto;

/**
 * The same model with its first output cut to one corner element, so that what it computes stays inside ORT.
 * onnxruntime-node (up to 1.31) copies every output into a new ArrayBuffer; with the whole product as the output, that
 * copy (16 MB for the 2048³ MatMul, 8 MB for a 1920x1080 float frame) lands in fresh memory each run, and where the
 * kernel's page faults are slow it took up to half a run's time: one machine read the MatMul at 80–96 GMAC/s with its
 * product returned and 128–186 with the corner only, in the same minutes. Compute is compared with compute.
 */
export function cornerOnly(model: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const full = graph.output![0];
  const tensorType = full.type!.tensorType!;
  const rank = tensorType.shape!.dim!.length;
  graph.initializer!.push(
    { name: 'corner.starts', dims: [rank], dataType: onnx.TensorProto.DataType.INT64, int64Data: new Array(rank).fill(0) },
    { name: 'corner.ends', dims: [rank], dataType: onnx.TensorProto.DataType.INT64, int64Data: new Array(rank).fill(1) },
  );
  graph.node!.push({ opType: 'Slice', input: [full.name!, 'corner.starts', 'corner.ends'], output: ['corner'], name: 'corner' });
  graph.output = [{ name: 'corner', type: { tensorType: { elemType: tensorType.elemType, shape: { dim: new Array(rank).fill({ dimValue: 1 }) } } } }];
  return onnx.ModelProto.encode(proto).finish();
}

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

/** One n³ MatMul on ORT (its product kept inside ORT), to be timed beside other work; `gmacs(ms)` turns its time into GMAC/s. */
export async function createMatMul(threads: number, n = 2048): Promise<{ run: () => Promise<unknown>; gmacs: (ms: number) => number; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(cornerOnly(matMulModel(n)), ortSessionOptions(['cpu'], threads));
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]);
  return {
    run: () => session.run({ a }),
    gmacs: (ms) => (n * n * n) / (ms / 1000) / 1e9,
    release: () => session.release(),
  };
}
