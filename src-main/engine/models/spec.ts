/**
 * The ESPCN model family, described as plain data so that every consumer
 * (TF.js layers, the ONNX graph builder, the trainer, MAC counting) reads one definition.
 *
 * Layout conventions (shared by all backends):
 * - tensors are NHWC, float32, pixel values in [0, 1];
 * - conv kernels are HWIO ([kh, kw, inChannels, outChannels]) like TF.js;
 * - every conv is "same" padded, stride 1;
 * - the last conv produces scale² · channels maps, rearranged by depth-to-space
 *   in TF's NHWC order (ONNX DepthToSpace mode DCR).
 */
export type Scale = 2 | 3 | 4;
/**
 * Hidden activations. 'prelu' learns one slope per channel; 'leakyrelu' learns one slope per layer, which ONNX Runtime
 * fuses into its blocked CPU convs (PReLU runs as a separate op outside that layout, about a third of the frame).
 */
export type Activation = 'relu' | 'tanh' | 'prelu' | 'leakyrelu';
export const ACTIVATIONS: Activation[] = ['relu', 'tanh', 'prelu', 'leakyrelu'];

export interface ArchitectureSpec {
  /** 'espcn' for the classic network, other names for variants built from the same parts. */
  name: string;
  scale: Scale;
  /** 1: runs on BT.601 Y; 3: runs on RGB. */
  channels: 1 | 3;
  /** Output channels of each hidden conv, e.g. [64, 32] for classic ESPCN. */
  widths: number[];
  /** Kernel size of each conv, hidden ones first then the output conv: length = widths.length + 1. */
  kernels: number[];
  activation: Activation;
  /** Add the LR input, upscaled by `skip`, to the last conv's maps before depth-to-space. */
  residual: boolean;
  /**
   * How the residual skip upscales the input: 'nearest' (absent: the input repeated to scale² maps per channel) or
   * 'bicubic' (a fixed 5x5 conv per output phase, edges repeated; see bicubic-skip.ts), which leaves the network
   * only what bicubic misses.
   */
  skip?: SkipKind;
  /**
   * Pixel unshuffle. 2: the convs run on the input rearranged space-to-depth by 2 (each 2x2 block of LR pixels becomes
   * 4·C channels at half size; an odd last row or column is repeated first), and their 4·s²·C output maps are
   * rearranged back (depth-to-space, DCR) into the s²·C maps at LR size that the rest of the network takes. At the
   * same MACs per LR pixel each conv is twice as wide, which ONNX Runtime's CPU convs run much nearer their peak
   * (models/TRAINING.md). Absent: 1, the convs run at LR size.
   */
  unshuffle?: 2;
}

export type SkipKind = 'nearest' | 'bicubic';
export const SKIP_KINDS: SkipKind[] = ['nearest', 'bicubic'];

/** The skip a spec deploys with: none for non-residual networks. */
export function skipOf(spec: ArchitectureSpec): SkipKind | 'none' {
  return spec.residual ? spec.skip ?? 'nearest' : 'none';
}

/** Radius (in LR pixels) of the bicubic skip's 5x5 per-phase filters. */
export const BICUBIC_SKIP_RADIUS = 2;

export interface ConvWeights {
  /** HWIO kernel, length kh·kw·in·out. */
  kernel: Float32Array;
  bias: Float32Array;
  kh: number;
  kw: number;
  inChannels: number;
  outChannels: number;
  /** Learned negative slopes after a hidden conv: one per output channel (PReLU) or one for the layer (LeakyRelu). */
  alpha?: Float32Array;
}

export interface ModelWeights {
  spec: ArchitectureSpec;
  /** One entry per conv, in order; hidden layers carry alpha when the activation learns slopes (slopeCount). */
  convs: ConvWeights[];
}

export function classicEspcn(scale: Scale, channels: 1 | 3 = 1): ArchitectureSpec {
  return { name: 'espcn', scale, channels, widths: [64, 32], kernels: [5, 3, 3], activation: 'tanh', residual: false };
}

/** The pixel-unshuffle factor of a spec: 1 when its convs run at LR size. */
export function unshuffleOf(spec: ArchitectureSpec): 1 | 2 {
  return spec.unshuffle ?? 1;
}

/** Channel counts of each conv as [in, out] pairs (with pixel unshuffle, of the half-size maps). */
export function convShapes(spec: ArchitectureSpec): Array<{ k: number; inChannels: number; outChannels: number }> {
  const blocks = unshuffleOf(spec) ** 2;
  const outs = [...spec.widths, spec.scale * spec.scale * spec.channels * blocks];
  let inChannels: number = spec.channels * blocks;
  return outs.map((outChannels, i) => {
    const shape = { k: spec.kernels[i], inChannels, outChannels };
    inChannels = outChannels;
    return shape;
  });
}

/**
 * Multiply-accumulates per LR pixel: the convs, and the bicubic skip's 5x5 filter per phase and channel
 * (activations, the nearest skip and depth-to-space are free by comparison).
 */
export function macsPerPixel(spec: ArchitectureSpec): number {
  const skip = skipOf(spec) === 'bicubic' ? 25 * spec.scale * spec.scale * spec.channels : 0;
  // with pixel unshuffle each conv runs once per 2x2 block of LR pixels
  const convs = convShapes(spec).reduce((sum, c) => sum + c.k * c.k * c.inChannels * c.outChannels, 0) / unshuffleOf(spec) ** 2;
  return convs + skip;
}

/** How many learned slopes follow conv `layer`: one per channel for PReLU, one for LeakyRelu, none otherwise. */
export function slopeCount(spec: ArchitectureSpec, layer: number): number {
  if (layer >= spec.widths.length) return 0;
  return spec.activation === 'prelu' ? spec.widths[layer] : spec.activation === 'leakyrelu' ? 1 : 0;
}

export function parameterCount(spec: ArchitectureSpec): number {
  return convShapes(spec).reduce((sum, c, i) => sum + c.k * c.k * c.inChannels * c.outChannels + c.outChannels + slopeCount(spec, i), 0);
}

/**
 * How many LR pixels one output pixel depends on in each direction:
 * the halo a tile needs so that tiled inference equals whole-image inference. With pixel unshuffle each conv reaches
 * a 2x2 block further, and a pixel's block reaches one more pixel on one side; rounded up to whole blocks, so that a
 * tile's haloed input starts on the whole image's block grid (tiles then equal whole-image inference).
 */
export function receptiveRadius(spec: ArchitectureSpec): number {
  const u = unshuffleOf(spec);
  const reach = spec.kernels.reduce((r, k) => r + Math.floor(k / 2), 0);
  const convs = u === 1 ? reach : u * (reach + 1);
  return skipOf(spec) === 'bicubic' ? Math.max(convs, BICUBIC_SKIP_RADIUS) : convs;
}

export function validateSpec(spec: ArchitectureSpec): void {
  if (![2, 3, 4].includes(spec.scale)) throw new Error(`unsupported scale ${spec.scale}`);
  if (spec.channels !== 1 && spec.channels !== 3) throw new Error(`channels must be 1 or 3, got ${spec.channels}`);
  if (spec.kernels.length !== spec.widths.length + 1) {
    throw new Error(`kernels (${spec.kernels.length}) must have one more entry than widths (${spec.widths.length})`);
  }
  if (spec.kernels.some((k) => k < 1 || k % 2 === 0)) throw new Error('kernel sizes must be odd and positive');
  if (!ACTIVATIONS.includes(spec.activation)) throw new Error(`unknown activation ${spec.activation}`);
  if (spec.unshuffle !== undefined && spec.unshuffle !== 2) throw new Error(`unshuffle must be 2 when given, got ${spec.unshuffle}`);
  if (spec.skip !== undefined) {
    if (!SKIP_KINDS.includes(spec.skip)) throw new Error(`unknown skip ${spec.skip}`);
    if (!spec.residual) throw new Error('a skip kind needs residual: true');
  }
}

/** Deterministic random weights (for tests and as the trainer's initialisation). */
export function randomWeights(spec: ArchitectureSpec, seed = 1): ModelWeights {
  validateSpec(spec);
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    // xorshift32: tiny, fast, reproducible across platforms
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 0x100000000;
  };
  const convs = convShapes(spec).map(({ k, inChannels, outChannels }, i) => {
    const fanIn = k * k * inChannels;
    const fanOut = k * k * outChannels;
    const limit = Math.sqrt(6 / (fanIn + fanOut)); // Glorot uniform
    const kernel = new Float32Array(k * k * inChannels * outChannels);
    for (let j = 0; j < kernel.length; j++) kernel[j] = (uniform() * 2 - 1) * limit;
    const conv: ConvWeights = { kernel, bias: new Float32Array(outChannels), kh: k, kw: k, inChannels, outChannels };
    if (slopeCount(spec, i)) conv.alpha = new Float32Array(slopeCount(spec, i)).fill(0.25);
    return conv;
  });
  return { spec, convs };
}
