/** Validation: whole-image SR of each validation image, scored by the standard protocol (Y, shave = scale). */
import { createOnnxSession } from '../engine/backends/onnx/index.js';
import { tf } from '../engine/backends/tfjs/tf.js';
import { evaluatePair } from '../engine/metrics.js';
import type { ArchitectureSpec, ModelWeights } from '../engine/models/spec.js';
import type { Plane } from '../engine/raster.js';
import { forwardImage, type LayerTensors } from './nets.js';

export interface ValScore {
  psnr: number;
  ssim: number;
  images: number;
}

type ValImage = { hrY: Plane; lrY: Plane };

/** Mean PSNR/SSIM over `images` of what `superResolve` makes of each LR Y (0..255 in, 0..255 out). */
async function meanScore(scale: number, images: ValImage[], superResolve: (lrY: Plane) => Promise<Float32Array>): Promise<ValScore | undefined> {
  if (images.length === 0) return undefined;
  let psnr = 0;
  let ssim = 0;
  for (const { hrY, lrY } of images) {
    const sr = { data: await superResolve(lrY), width: lrY.width * scale, height: lrY.height * scale };
    const s = evaluatePair(hrY, sr, scale);
    psnr += s.psnr;
    ssim += s.ssim;
  }
  return { psnr: psnr / images.length, ssim: ssim / images.length, images: images.length };
}

function upscaleY(spec: ArchitectureSpec, layers: LayerTensors[], lrY: Plane): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(lrY.data, [1, lrY.height, lrY.width, 1]).div(255) as tf.Tensor4D;
    return tf.mul(forwardImage(spec, layers, x), 255).dataSync() as Float32Array;
  });
}

function layersFromWeights(w: ModelWeights): LayerTensors[] {
  return w.convs.map((c) => ({
    kernel: tf.tensor4d(c.kernel, [c.kh, c.kw, c.inChannels, c.outChannels]),
    bias: tf.tensor1d(c.bias),
    ...(c.alpha ? { alpha: tf.tensor1d(c.alpha) } : {}),
  }));
}

async function scoreOnTfjs(w: ModelWeights, images: ValImage[]): Promise<ValScore | undefined> {
  const layers = layersFromWeights(w);
  try {
    return await meanScore(w.spec.scale, images, async (lrY) => upscaleY(w.spec, layers, lrY));
  } finally {
    for (const l of layers) tf.dispose([l.kernel, l.bias, ...(l.alpha ? [l.alpha] : [])]);
  }
}

/**
 * Mean PSNR/SSIM of deployed weights on the given images: through onnxruntime, the engine's own backend, when it
 * loads (3–4x faster than tfjs-wasm, same figures to 5 decimals; on TF.js, validation on Set5 and Set14 took a fifth
 * of a shipped training's time), else through TF.js's current backend.
 */
export async function scoreModel(w: ModelWeights, images: ValImage[], threads?: number): Promise<ValScore | undefined> {
  if (images.length === 0 || w.spec.channels !== 1) return scoreOnTfjs(w, images);
  let session;
  try {
    session = await createOnnxSession(w, { threads, device: 'cpu' });
  } catch {
    return scoreOnTfjs(w, images);
  }
  try {
    return await meanScore(w.spec.scale, images, async (lrY) => {
      const sr = await session.run(Float32Array.from(lrY.data, (v) => v / 255), lrY.height, lrY.width);
      for (let i = 0; i < sr.length; i++) sr[i] *= 255;
      return sr;
    });
  } finally {
    await session.dispose();
  }
}
