/**
 * Is int8 static quantisation (QDQ) a speed lever for the shipped efficient models on ONNX Runtime's CPU provider?
 * `node --import tsx scripts/bench/int8-probe.ts [--runs 31] [--scales 4,3,2] [--calibration 8] [--speed-only] [--no-profile]`
 *
 * Result (2026-12-07, onnxruntime-node 1.30, 2 intra-op threads, a 2-core Xeon with AVX512-VNNI and AMX shared with
 * trainings, so only in-turn ratios count; ranges are over three runs): no, not for these nets, and it was not
 * adopted. ORT does turn every DQ→Conv→Q into a com.microsoft QLinearConv with channels_last (NHWC), but on 16- and
 * 32-wide 3x3 convs that is far from int8's promise: with Relu, which folds into the conv's QuantizeLinear (zero point
 * 0) so that the int8 graph is nothing but QLinearConvs, the network is 1.21-1.59x faster at x4, 0.95-1.14x at x3 and
 * 1.19-1.27x at x2 (its int8 loss on the x4 Relu pilot: 0.01-0.04 dB), and Relu itself trains 0.3 dB below PReLU
 * (models/TRAINING.md). With PReLU (the shipped models) each hidden layer becomes QLinearConv → DequantizeLinear →
 * PRelu (float, NHWC, slope [1, 1, 1, C]) → QuantizeLinear, and these passes take half the time: 0.83-1.16x at x4,
 * 0.79-0.82x at x3, 1.07-1.20x at x2, while every-conv int8 loses 0.12-0.16 dB Set5 and 0.11-0.12 dB Set14 (the best
 * of min/max, 99.99th-percentile and least-squares ranges, with or without the first and last conv in float, still
 * 0.12-0.13 dB Set5 and 0.075-0.094 dB Set14). With the per-layer LeakyRelu (the trained x4 pilot) ORT runs
 * QLinearConv → com.microsoft QLinearLeakyRelu (a lookup-table pass, not fused into the conv): 1.07-1.24x at x4 (x3
 * 0.96-1.09x, x2 1.10-1.35x on projections), −0.10 dB Set5 and −0.07 dB Set14 (best variant −0.085 and −0.057). So no
 * model we could ship meets the issue's bar (≥ 1.3x on the network at ≤ 0.05 dB). The loss is the uint8 grid, not
 * clipping: 8 or 32 calibration images score within 0.02 dB of each other, and QLinearConv takes one activation scale
 * per tensor, so per-channel activation ranges are not an option.
 *
 * How: for each shipped efficient model it calibrates per-tensor activation ranges on BSD200 LR images (the float
 * network with its intermediate tensors exposed), builds a QDQ network graph (uint8 activations per tensor, int8
 * symmetric per-output-channel weights, int32 bias on the input × weight scale; PReLU stays in float between DQ and Q,
 * as ORT has no QLinear PRelu), and the same for a LeakyRelu and a Relu net (the trained x4 pilots in models/pilots;
 * at x2 and x3 the shipped convs with one slope per layer, speed only). It prints what ORT made of each graph (the
 * optimised graph and a per-op profile), times the network alone float against int8 in turns in one process on a
 * 480x270 (x4), 640x360 (x3) and 960x540 (x2) Y frame, and scores int8 against float on Set5 and Set14 by the
 * engine's evaluation (evaluateDataset).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type * as Ort from 'onnxruntime-node';
import { buildOnnxModel, ONNX_INPUT, ONNX_OUTPUT, onnxInputDims } from '../../src-main/engine/backends/onnx/graph.js';
import { encodeModel, float, floatTensor, hwioToOihw, int, int64Tensor, ints, str, tensorType } from '../../src-main/engine/backends/onnx/proto.js';
import { loadOrt, ortSessionOptions } from '../../src-main/engine/backends/onnx/index.js';
import { skipOf, type ModelWeights } from '../../src-main/engine/models/spec.js';
import { loadModel } from '../../src-main/engine/models/store.js';
import { loadEngineModel, type EngineModel } from '../../src-main/engine/upscale.js';
import { evaluateDataset } from '../../src-main/engine/evaluate.js';
import { readImage } from '../../src-main/engine/image-io.js';
import { imresizeRasterScale, modcrop } from '../../src-main/engine/resize.js';
import { lumaY } from '../../src-main/engine/color.js';
import { quantizeY } from '../../src-main/engine/metrics.js';
import type { InferenceSession } from '../../src-main/engine/backends/types.js';

const { onnx } = onnxProto;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT32 = onnx.TensorProto.DataType.INT32;
const UINT8 = onnx.TensorProto.DataType.UINT8;

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(option('runs', '31'));
const SCALES = option('scales', '4,3,2').split(',').map(Number) as Array<2 | 3 | 4>;
const CALIBRATION_IMAGES = Number(option('calibration', '8'));
const THREADS = 2;
const SPEED_ONLY = args.includes('--speed-only');
const PROFILE = !args.includes('--no-profile');
const repoRoot = new URL('../../', import.meta.url).pathname;
const datasets = join(repoRoot, '../shared/datasets');
const work = mkdtempSync(join(tmpdir(), 'subpixel-int8-'));
const log = (line: string): void => { process.stderr.write(`${line}\n`); };

/** Frame size of the speed rows per scale (all give a 1920x1080 output). */
const FRAME: Record<2 | 3 | 4, [number, number]> = { 4: [480, 270], 3: [640, 360], 2: [960, 540] };

// ---------------------------------------------------------------------------------------------------------------
// Calibration: per-tensor ranges of every conv output and activation output of the float network.

interface Range { min: number; max: number }
type Calibration = Map<string, Range>;

/** The float network graph with its conv_i and act_i tensors added as outputs. */
function withIntermediateOutputs(bytes: Uint8Array, names: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  for (const name of names) model.graph!.output!.push({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  return onnx.ModelProto.encode(model).finish();
}

/** LR Y planes (0..1, rounded to 8 bits like the evaluation's) made from BSD200 HR images by MATLAB bicubic. */
async function calibrationInputs(scale: number, count: number): Promise<Array<{ data: Float32Array; width: number; height: number }>> {
  const dir = join(datasets, 'train/bsd200');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  const step = Math.max(1, Math.floor(files.length / count));
  const out = [];
  for (let i = 0; i < count; i++) {
    const hr = modcrop((await readImage(join(dir, files[i * step]))).raster, scale);
    const y = quantizeY(lumaY(imresizeRasterScale(hr, 1 / scale)));
    out.push({ data: y.data.map((v) => v / 255), width: y.width, height: y.height });
  }
  return out;
}

type CalibrationMethod = 'minmax' | 'p9999' | 'mse';

/** Squared error of quantising the (sorted) samples with the range's uint8 parameters, clipping included. */
function quantisationError(sorted: Float32Array, range: Range): number {
  const { scale, zero } = uint8Params(range);
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) {
    const q = Math.min(255, Math.max(0, Math.round(sorted[i] / scale) + zero));
    const d = (q - zero) * scale - sorted[i];
    sum += d * d;
  }
  return sum;
}

/**
 * Every tensor's lowest and highest value ('minmax'), its 0.01th and 99.99th percentile ('p9999'), or the pair of
 * percentiles (0 to 1 % off each end) whose uint8 grid quantises the samples with the least squared error ('mse').
 */
async function calibrate(ort: typeof Ort, weights: ModelWeights, inputs: Array<{ data: Float32Array; width: number; height: number }>, how: CalibrationMethod): Promise<Calibration> {
  const names: string[] = [];
  weights.convs.forEach((_, i) => { names.push(`conv_${i}`); if (i < weights.spec.widths.length) names.push(`act_${i}`); });
  const session = await ort.InferenceSession.create(withIntermediateOutputs(buildOnnxModel(weights), names), ortSessionOptions(['cpu'], THREADS));
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  const ranges = new Map<string, Range>(names.map((n) => [n, { min: Infinity, max: -Infinity }]));
  for (const input of inputs) {
    const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', input.data, onnxInputDims(1, input.height, input.width)) }, names);
    for (const name of names) {
      const data = result[name].data as Float32Array;
      const range = ranges.get(name)!;
      const kept = samples.get(name)!;
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (v < range.min) range.min = v;
        if (v > range.max) range.max = v;
        if (i % 7 === 0) kept.push(v);
      }
    }
  }
  await session.release();
  if (how === 'minmax') return ranges;
  const out: Calibration = new Map();
  const at = (sorted: Float32Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  for (const [name, kept] of samples) {
    const sorted = Float32Array.from(kept).sort();
    if (how === 'p9999') {
      out.set(name, { min: at(sorted, 0.0001), max: at(sorted, 0.9999) });
      continue;
    }
    const cuts = [0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
    let best = { range: ranges.get(name)!, error: quantisationError(sorted, ranges.get(name)!) };
    for (const low of cuts) {
      for (const high of cuts) {
        const range = { min: at(sorted, low), max: at(sorted, 1 - high) };
        const error = quantisationError(sorted, range);
        if (error < best.error) best = { range, error };
      }
    }
    out.set(name, best.range);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The QDQ network graph: float in and out like buildOnnxModel, QDQ pairs around every conv.

interface QuantParams { scale: number; zero: number }

/** uint8 asymmetric parameters covering the range and zero (so that zero padding is exact). */
function uint8Params({ min, max }: Range): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = (hi - lo) / 255 || 1;
  return { scale, zero: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

function rawTensor(name: string, dataType: number, dims: number[], bytes: ArrayBufferView): OnnxTypes.ITensorProto {
  return { name, dims, dataType, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

interface QdqOptions {
  /** Keep the first conv in float (it reads the input directly). */
  firstFloat?: boolean;
  /** Keep the last conv in float (its output goes to the float skip). */
  lastFloat?: boolean;
}

function buildQdqOnnxModel(weights: ModelWeights, calibration: Calibration, options: QdqOptions = {}): Uint8Array {
  const { spec } = weights;
  const s = spec.scale;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []): string => {
    nodes.push({ opType, input, output: [output], name: output, attribute });
    return output;
  };
  /** Q then DQ of a float tensor with per-tensor uint8 parameters. */
  const qdq = (x: string, p: QuantParams): string => {
    initializers.push(floatTensor(`${x}.q_scale`, [], Float32Array.of(p.scale)), rawTensor(`${x}.q_zero`, UINT8, [], Uint8Array.of(p.zero)));
    const q = node('QuantizeLinear', [x, `${x}.q_scale`, `${x}.q_zero`], `${x}_q`);
    return node('DequantizeLinear', [q, `${x}.q_scale`, `${x}.q_zero`], `${x}_dq`);
  };
  const last = weights.convs.length - 1;
  // One channel (Y): NCHW in and out, the same bytes as NHWC, as buildOnnxModel declares it.
  if (spec.channels !== 1) throw new Error('the probe handles Y models only');
  const input = ONNX_INPUT;
  // 8-bit Y in 0..1 is exact at scale 1/255, zero point 0.
  let x = options.firstFloat ? input : qdq(input, { scale: 1 / 255, zero: 0 });
  let xParams: QuantParams = { scale: 1 / 255, zero: 0 };
  weights.convs.forEach((conv, i) => {
    const oihw = hwioToOihw(conv.kernel, conv.kh, conv.kw, conv.inChannels, conv.outChannels);
    const dims = [conv.outChannels, conv.inChannels, conv.kh, conv.kw];
    const inFloat = (i === 0 && options.firstFloat) || (i === last && options.lastFloat);
    let w = `conv_${i}.weight`;
    let b = `conv_${i}.bias`;
    if (inFloat) {
      initializers.push(floatTensor(w, dims, oihw), floatTensor(b, [conv.outChannels], conv.bias));
    } else {
      // int8 symmetric per output channel; int32 bias on the scale input scale × weight scale, zero point 0.
      const per = oihw.length / conv.outChannels;
      const wScale = new Float32Array(conv.outChannels);
      const wq = new Int8Array(oihw.length);
      const bScale = new Float32Array(conv.outChannels);
      const bq = new Int32Array(conv.outChannels);
      for (let o = 0; o < conv.outChannels; o++) {
        let peak = 0;
        for (let k = 0; k < per; k++) peak = Math.max(peak, Math.abs(oihw[o * per + k]));
        wScale[o] = peak / 127 || 1;
        for (let k = 0; k < per; k++) wq[o * per + k] = Math.round(oihw[o * per + k] / wScale[o]);
        bScale[o] = xParams.scale * wScale[o];
        bq[o] = Math.round(conv.bias[o] / bScale[o]);
      }
      initializers.push(
        rawTensor(`${w}_q`, INT8, dims, wq), floatTensor(`${w}.scale`, [conv.outChannels], wScale), rawTensor(`${w}.zero`, INT8, [conv.outChannels], new Int8Array(conv.outChannels)),
        rawTensor(`${b}_q`, INT32, [conv.outChannels], bq), floatTensor(`${b}.scale`, [conv.outChannels], bScale), rawTensor(`${b}.zero`, INT32, [conv.outChannels], new Int32Array(conv.outChannels)),
      );
      w = node('DequantizeLinear', [`${w}_q`, `${w}.scale`, `${w}.zero`], `${w}_dq`, [int('axis', 0)]);
      b = node('DequantizeLinear', [`${b}_q`, `${b}.scale`, `${b}.zero`], `${b}_dq`, [int('axis', 0)]);
    }
    const ph = Math.floor(conv.kh / 2);
    const pw = Math.floor(conv.kw / 2);
    let y = node('Conv', [x, w, b], `conv_${i}`, [ints('kernel_shape', [conv.kh, conv.kw]), ints('pads', [ph, pw, ph, pw]), ints('strides', [1, 1]), ints('dilations', [1, 1]), int('group', 1)]);
    if (i < spec.widths.length) {
      const actParams = uint8Params(calibration.get(`act_${i}`)!);
      if (spec.activation === 'relu') {
        // Relu then Q with zero point 0: ORT drops the Relu into the Q, and the conv becomes one QLinearConv.
        y = node('Relu', [y], `act_${i}`);
        y = qdq(y, { scale: actParams.scale, zero: 0 });
        xParams = { scale: actParams.scale, zero: 0 };
      } else {
        y = qdq(y, uint8Params(calibration.get(`conv_${i}`)!));
        if (spec.activation === 'prelu') {
          initializers.push(floatTensor(`prelu_${i}.slope`, [conv.outChannels, 1, 1], conv.alpha!));
          y = node('PRelu', [y, `prelu_${i}.slope`], `act_${i}`);
        } else if (spec.activation === 'leakyrelu') {
          y = node('LeakyRelu', [y], `act_${i}`, [float('alpha', conv.alpha![0])]);
        } else {
          throw new Error(`no QDQ form for ${spec.activation}`);
        }
        y = qdq(y, actParams);
        xParams = actParams;
      }
    } else if (!(i === last && options.lastFloat)) {
      y = qdq(y, uint8Params(calibration.get(`conv_${i}`)!));
    }
    x = y;
  });
  if (skipOf(spec) !== 'nearest') throw new Error('the probe handles the nearest skip only');
  initializers.push(int64Tensor('skip.repeats', [1, s * s, 1, 1]));
  const skip = node('Tile', [input, 'skip.repeats'], 'skip');
  x = node('Add', [x, skip], 'with_skip');
  node('DepthToSpace', [x], ONNX_OUTPUT, [int('blocksize', s), str('mode', 'DCR')]);
  return encodeModel(`${spec.name}-qdq`, `${spec.name} x${s} int8 QDQ`, nodes, initializers,
    [{ name: ONNX_INPUT, type: tensorType(['N', 1, 'H', 'W']) }],
    [{ name: ONNX_OUTPUT, type: tensorType(['N', 1, 'SH', 'SW']) }]);
}

// ---------------------------------------------------------------------------------------------------------------
// What ORT runs: the optimised graph's ops and a per-op time profile.

async function optimisedOps(ort: typeof Ort, bytes: Uint8Array, label: string): Promise<string> {
  const path = join(work, `${label}.opt.onnx`);
  const session = await ort.InferenceSession.create(bytes, { ...ortSessionOptions(['cpu'], THREADS), optimizedModelFilePath: path });
  await session.release();
  const model = onnx.ModelProto.decode(readFileSync(path));
  const counts = new Map<string, number>();
  for (const n of model.graph!.node!) {
    const channelsLast = n.attribute?.find((a) => a.name === 'channels_last' && Number(a.i) === 1);
    const activation = n.attribute?.find((a) => a.name === 'activation');
    const key = `${n.domain ? `${n.domain}.` : ''}${n.opType}${channelsLast ? '(NHWC)' : ''}${activation ? `+${new TextDecoder().decode(activation.s!)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, c]) => `${c}x ${k}`).join(', ');
}

async function profile(ort: typeof Ort, bytes: Uint8Array, label: string, feed: Ort.Tensor, runs = 5): Promise<string> {
  const prefix = join(work, `${label}-profile`);
  const session = await ort.InferenceSession.create(bytes, { ...ortSessionOptions(['cpu'], THREADS), enableProfiling: true, profileFilePrefix: prefix });
  for (let i = 0; i < runs; i++) await session.run({ [ONNX_INPUT]: feed });
  session.endProfiling();
  await session.release();
  const file = readdirSync(work).filter((f) => f.startsWith(`${label}-profile`)).map((f) => join(work, f))[0];
  const events = JSON.parse(readFileSync(file, 'utf8')) as Array<{ cat: string; name: string; dur: number; args?: { op_name?: string } }>;
  const byOp = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
    byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur / 1000 / runs);
  }
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  return [...byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => `${op} ${ms.toFixed(1)} ms (${Math.round((100 * ms) / total)} %)`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// Speed in turns, quality by the engine's evaluation.

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Each job's times, run in turns (a, b, a, b, …) after one warm-up each. */
async function timeInTurns(fns: Array<() => Promise<unknown>>, runs: number): Promise<number[][]> {
  for (const fn of fns) await fn();
  const times = fns.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      times[j].push(performance.now() - t);
    }
  }
  return times;
}

/** An engine session on a ready graph (the same session options as the engine's). */
async function graphSession(ort: typeof Ort, bytes: Uint8Array, scale: number): Promise<InferenceSession> {
  const session = await ort.InferenceSession.create(bytes, ortSessionOptions(['cpu'], THREADS));
  return {
    backend: 'onnx', device: 'cpu',
    async run(input, height, width) {
      const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', input, onnxInputDims(1, height, width)) });
      const data = result[ONNX_OUTPUT].data as Float32Array;
      if (data.length !== input.length * scale * scale) throw new Error('unexpected output size');
      return data;
    },
    dispose: () => session.release(),
  };
}

function engineOn(base: EngineModel, id: string, weights: ModelWeights, session: InferenceSession): EngineModel {
  return { ...base, model: { ...base.model, id, dir: `${base.model.dir}#${id}`, weights }, modelSession: async () => session };
}

/** A frame's grey levels as the network input (a photo squeezed to the size: for timing, not scoring). */
async function frameY(width: number, height: number): Promise<Float32Array> {
  const photo = join(repoRoot, 'resources/samples/astronaut.png');
  const { data } = await sharp(photo).resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => v / 255);
}

/** The same convs with one LeakyRelu slope per layer (the median PReLU one) or Relu: a speed stand-in, not a model. */
function withLayerSlopes(weights: ModelWeights, activation: 'leakyrelu' | 'relu'): ModelWeights {
  const mid = (a: Float32Array): number => [...a].sort((p, q) => p - q)[a.length >> 1];
  return {
    spec: { ...weights.spec, activation },
    convs: weights.convs.map((c) => (c.alpha ? { ...c, alpha: activation === 'relu' ? undefined : Float32Array.of(mid(c.alpha)) } : c)),
  };
}

async function main(): Promise<void> {
  const ort = await loadOrt();
  log(`onnxruntime-node ${ort.env.versions.common}, ${THREADS} threads, ${RUNS} runs in turns; work in ${work}`);
  const table: string[] = [];
  for (const scale of SCALES) {
    const id = `efficient-x${scale}`;
    const model = await loadModel(join(repoRoot, 'models', id));
    const base = await loadEngineModel({ model: model.dir, threads: THREADS });
    const calibrationSet = await calibrationInputs(scale, CALIBRATION_IMAGES);
    const [w, h] = FRAME[scale];
    const frame = await frameY(w, h);
    const feed = new ort.Tensor('float32', frame, onnxInputDims(1, h, w));
    // LeakyRelu and Relu: the trained x4 pilots where they exist (models/pilots), else the shipped convs with one
    // slope per layer, which times the same graph but scores nothing (speed only).
    const pilot = async (activation: 'leakyrelu' | 'relu'): Promise<{ weights: ModelWeights; quality: boolean; from: string }> => {
      const dir = join(repoRoot, 'models/pilots', `pilot-x${scale}-d11-${activation === 'relu' ? 'relu' : 'leaky'}`);
      if (existsSync(dir)) return { weights: (await loadModel(dir)).weights, quality: true, from: basename(dir) };
      return { weights: withLayerSlopes(model.weights, activation), quality: false, from: `${id} projection, speed only` };
    };
    const leaky = await pilot('leakyrelu');
    const relu = await pilot('relu');
    const variants: Array<{ label: string; weights: ModelWeights; quality: boolean }> = [
      { label: `shipped (${id}, ${model.weights.spec.activation})`, weights: model.weights, quality: true },
      { label: `LeakyRelu (${leaky.from})`, weights: leaky.weights, quality: leaky.quality },
      { label: `Relu (${relu.from})`, weights: relu.weights, quality: relu.quality },
    ];
    const timed: Array<{ run: () => Promise<unknown>; session: Ort.InferenceSession }> = [];
    const rows: Array<{ label: string; quality: string }> = [];
    for (const v of variants) {
      // The timed int8 graph: every conv int8, ranges by least squared error (speed does not depend on the ranges).
      const mse = await calibrate(ort, v.weights, calibrationSet, 'mse');
      const floatBytes = buildOnnxModel(v.weights);
      const int8Bytes = buildQdqOnnxModel(v.weights, mse);
      const tag = `${id}-${v.label.split(' ')[0].toLowerCase()}`;
      log(`${id} ${v.label}`);
      if (PROFILE) {
        log(`${id} ${v.label}: float runs ${await optimisedOps(ort, floatBytes, `${tag}-float`)}`);
        log(`${id} ${v.label}: int8 runs ${await optimisedOps(ort, int8Bytes, `${tag}-int8`)}`);
        log(`${id} ${v.label}: float profile ${await profile(ort, floatBytes, `${tag}-float`, feed)}`);
        log(`${id} ${v.label}: int8 profile ${await profile(ort, int8Bytes, `${tag}-int8`, feed)}`);
      }
      const floatSession = await ort.InferenceSession.create(floatBytes, ortSessionOptions(['cpu'], THREADS));
      const int8Session = await ort.InferenceSession.create(int8Bytes, ortSessionOptions(['cpu'], THREADS));
      timed.push({ run: () => floatSession.run({ [ONNX_INPUT]: feed }), session: floatSession }, { run: () => int8Session.run({ [ONNX_INPUT]: feed }), session: int8Session });
      let quality = v.quality ? '' : '(speed only)';
      if (v.quality && !SPEED_ONLY) {
        const p9999 = await calibrate(ort, v.weights, calibrationSet, 'p9999');
        const minmax = await calibrate(ort, v.weights, calibrationSet, 'minmax');
        const deltas: string[] = [];
        const engines = [
          engineOn(base, 'float', v.weights, await graphSession(ort, floatBytes, scale)),
          engineOn(base, 'int8-minmax', v.weights, await graphSession(ort, buildQdqOnnxModel(v.weights, minmax), scale)),
          engineOn(base, 'int8-p9999', v.weights, await graphSession(ort, buildQdqOnnxModel(v.weights, p9999), scale)),
          engineOn(base, 'int8-mse', v.weights, await graphSession(ort, int8Bytes, scale)),
          engineOn(base, 'int8-mse-first+last-float', v.weights, await graphSession(ort, buildQdqOnnxModel(v.weights, mse, { firstFloat: true, lastFloat: true }), scale)),
        ];
        for (const set of ['Set5', 'Set14']) {
          const scores = await evaluateDataset(join(datasets, 'eval', set), scale, engines);
          const [f, ...q] = scores.models!;
          deltas.push(`${set} float ${f.mean.psnr.toFixed(3)} dB, ${q.map((m) => `${m.id} ${(m.mean.psnr - f.mean.psnr >= 0 ? '+' : '')}${(m.mean.psnr - f.mean.psnr).toFixed(3)}`).join(', ')}`);
        }
        for (const e of engines) await (await e.modelSession()).dispose();
        quality = deltas.join('; ');
        log(`${id} ${v.label}: ${quality}`);
      }
      rows.push({ label: v.label, quality });
    }
    const times = await timeInTurns(timed.map((t) => t.run), RUNS);
    for (const t of timed) await t.session.release();
    rows.forEach((r, i) => {
      const [f, q] = [times[2 * i], times[2 * i + 1]];
      // The ratio is the median of each turn's float/int8 pair (run back to back, so a slow spell of this shared
      // machine lands on both), beside the medians of each.
      const ratio = median(f.map((t, k) => t / q[k]));
      const line = `x${scale} ${w}x${h} ${r.label}: float ${median(f).toFixed(1)} ms, int8 ${median(q).toFixed(1)} ms, int8 speed-up ${ratio.toFixed(2)}x (of medians ${(median(f) / median(q)).toFixed(2)}x); ${r.quality}`;
      table.push(line);
      log(line);
    });
  }
  process.stdout.write(`\n${table.join('\n')}\n`);
}

await main();
