/**
 * The deployed convs of training weights, and the chain rule back to the training parameters, on plain arrays.
 * The trainer calls both every step (gradients from onnxruntime come per deployed conv); doing them in TF.js cost
 * hundreds of tiny ops a step, here they are a few small loops. reparam.ts has the same collapse as TF.js ops (for
 * TF.js autodiff) and the branch-by-branch definition both are tested against.
 */
import { convShapes, type ModelWeights } from '../engine/models/spec.js';
import type { TrainWeights } from './nets.js';
import { EDGE_FILTERS, filterSum, type EdgeFilter } from './reparam.js';

/** One deployed conv (kernel HWIO), or its gradient. */
export interface ConvArrays {
  kernel: Float32Array;
  bias: Float32Array;
  alpha?: Float32Array;
}

const EDGES = Object.keys(EDGE_FILTERS) as EdgeFilter[];

function layerParam(w: TrainWeights, layer: number, name: string): Float32Array {
  const t = w.tensors[`l${layer}.${name}`];
  if (!t) throw new Error(`weights lack l${layer}.${name}`);
  return t.data;
}

/** A re-parameterised 3x3 layer's single kernel and bias (see reparam.ts for the branches). */
function collapseReparamLayer(w: TrainWeights, l: number, cin: number, cout: number): { kernel: Float32Array; bias: Float32Array } {
  const p = (name: string): Float32Array => layerParam(w, l, name);
  const kernel = Float32Array.from(p('k3.kernel'));
  const bias = Float32Array.from(p('k3.bias'));
  const a = p('exp.kernel1'); // [in, mid]
  const b = p('exp.kernel3'); // [3, 3, mid, out]
  const b1 = p('exp.bias1');
  const b3 = p('exp.bias3');
  const mid = b1.length;
  const acc = new Float64Array(cout);
  for (let hw = 0; hw < 9; hw++) {
    for (let i = 0; i < cin; i++) {
      acc.fill(0);
      for (let m = 0; m < mid; m++) {
        const am = a[i * mid + m];
        const row = (hw * mid + m) * cout;
        for (let o = 0; o < cout; o++) acc[o] += am * b[row + o];
      }
      const k = (hw * cin + i) * cout;
      for (let o = 0; o < cout; o++) kernel[k + o] += acc[o];
    }
  }
  for (let o = 0; o < cout; o++) {
    let s = b3[o];
    for (let m = 0; m < mid; m++) for (let hw = 0; hw < 9; hw++) s += b1[m] * b[(hw * mid + m) * cout + o];
    bias[o] += s;
  }
  for (const e of EDGES) {
    const f = EDGE_FILTERS[e];
    const k1 = p(`${e}.kernel1`);
    const scale = p(`${e}.scale`);
    const eb1 = p(`${e}.bias1`);
    const eb = p(`${e}.bias`);
    for (let hw = 0; hw < 9; hw++) {
      if (f[hw] === 0) continue;
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) kernel[(hw * cin + i) * cout + o] += f[hw] * k1[i * cout + o] * scale[o];
    }
    for (let o = 0; o < cout; o++) bias[o] += eb1[o] * scale[o] * filterSum(e) + eb[o];
  }
  return { kernel, bias };
}

/** The plain convs the engine runs, from training weights of either kind. */
export function deployedConvs(w: TrainWeights): ConvArrays[] {
  return convShapes(w.spec).map(({ inChannels, outChannels }, l) => {
    const conv = w.kind === 'reparam'
      ? collapseReparamLayer(w, l, inChannels, outChannels)
      : { kernel: layerParam(w, l, 'kernel'), bias: layerParam(w, l, 'bias') };
    const alpha = w.tensors[`l${l}.alpha`];
    return alpha ? { ...conv, alpha: alpha.data } : conv;
  });
}

/** Deployable ModelWeights (copies) from training weights. */
export function collapse(w: TrainWeights): ModelWeights {
  const shapes = convShapes(w.spec);
  return {
    spec: w.spec,
    convs: deployedConvs(w).map((c, i) => ({
      kernel: Float32Array.from(c.kernel), bias: Float32Array.from(c.bias), kh: shapes[i].k, kw: shapes[i].k,
      inChannels: shapes[i].inChannels, outChannels: shapes[i].outChannels, ...(c.alpha ? { alpha: Float32Array.from(c.alpha) } : {}),
    })),
  };
}

function chainReparamLayer(w: TrainWeights, l: number, cin: number, cout: number, g: ConvArrays, out: Record<string, Float32Array>): void {
  const p = (name: string): Float32Array => layerParam(w, l, name);
  const key = (name: string): string => `l${l}.${name}`;
  const gk = g.kernel;
  const gb = g.bias;
  out[key('k3.kernel')] = Float32Array.from(gk);
  out[key('k3.bias')] = Float32Array.from(gb);
  out[key('exp.bias3')] = Float32Array.from(gb);
  const a = p('exp.kernel1');
  const b = p('exp.kernel3');
  const b1 = p('exp.bias1');
  const mid = b1.length;
  const ga = new Float32Array(cin * mid);
  const gB = new Float32Array(9 * mid * cout);
  const gb1 = new Float32Array(mid);
  for (let m = 0; m < mid; m++) {
    let sb1 = 0;
    for (let hw = 0; hw < 9; hw++) {
      const brow = (hw * mid + m) * cout;
      for (let o = 0; o < cout; o++) {
        sb1 += gb[o] * b[brow + o];
        gB[brow + o] = b1[m] * gb[o];
      }
      for (let i = 0; i < cin; i++) {
        const krow = (hw * cin + i) * cout;
        const am = a[i * mid + m];
        let s = 0;
        for (let o = 0; o < cout; o++) {
          s += gk[krow + o] * b[brow + o];
          gB[brow + o] += am * gk[krow + o];
        }
        ga[i * mid + m] += s;
      }
    }
    gb1[m] = sb1;
  }
  out[key('exp.kernel1')] = ga;
  out[key('exp.kernel3')] = gB;
  out[key('exp.bias1')] = gb1;
  for (const e of EDGES) {
    const f = EDGE_FILTERS[e];
    const k1 = p(`${e}.kernel1`);
    const scale = p(`${e}.scale`);
    const eb1 = p(`${e}.bias1`);
    const gk1 = new Float32Array(cin * cout);
    const gscale = new Float32Array(cout);
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) {
        let filtered = 0; // Σ_hw F[hw]·gK[hw, i, o]
        for (let hw = 0; hw < 9; hw++) if (f[hw] !== 0) filtered += f[hw] * gk[(hw * cin + i) * cout + o];
        gk1[i * cout + o] = scale[o] * filtered;
        gscale[o] += k1[i * cout + o] * filtered;
      }
    }
    const gbias1 = new Float32Array(cout);
    for (let o = 0; o < cout; o++) {
      gscale[o] += eb1[o] * filterSum(e) * gb[o];
      gbias1[o] = scale[o] * filterSum(e) * gb[o];
    }
    out[key(`${e}.kernel1`)] = gk1;
    out[key(`${e}.scale`)] = gscale;
    out[key(`${e}.bias1`)] = gbias1;
    out[key(`${e}.bias`)] = Float32Array.from(gb);
  }
}

/** Gradients of the training parameters from gradients of the deployed convs (the chain rule through collapse). */
export function chainToParams(w: TrainWeights, grads: ConvArrays[]): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  convShapes(w.spec).forEach(({ inChannels, outChannels }, l) => {
    const g = grads[l];
    if (w.kind === 'reparam') chainReparamLayer(w, l, inChannels, outChannels, g, out);
    else {
      out[`l${l}.kernel`] = g.kernel;
      out[`l${l}.bias`] = g.bias;
    }
    if (w.tensors[`l${l}.alpha`]) {
      if (!g.alpha) throw new Error(`no PReLU slope gradient for layer ${l}`);
      out[`l${l}.alpha`] = g.alpha;
    }
  });
  return out;
}
