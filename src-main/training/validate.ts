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

export function upscaleY(spec: ArchitectureSpec, layers: LayerTensors[], lrY: Plane): Plane {
  return tf.tidy(() => {
    const x = tf.tensor4d(lrY.data, [1, lrY.height, lrY.width, 1]).div(255) as tf.Tensor4D;
    const y = tf.mul(forwardImage(spec, layers, x), 255);
    return { data: y.dataSync() as Float32Array, width: lrY.width * spec.scale, height: lrY.height * spec.scale };
  });
}

export function scoreLayers(spec: ArchitectureSpec, layers: LayerTensors[], images: Array<{ hrY: Plane; lrY: Plane }>): ValScore | undefined {
  if (images.length === 0) return undefined;
  let psnr = 0;
  let ssim = 0;
  for (const img of images) {
    const s = evaluatePair(img.hrY, upscaleY(spec, layers, img.lrY), spec.scale);
    psnr += s.psnr;
    ssim += s.ssim;
  }
  return { psnr: psnr / images.length, ssim: ssim / images.length, images: images.length };
}

export function layersFromWeights(w: ModelWeights): LayerTensors[] {
  return w.convs.map((c) => ({
    kernel: tf.tensor4d(c.kernel, [c.kh, c.kw, c.inChannels, c.outChannels]),
    bias: tf.tensor1d(c.bias),
    ...(c.alpha ? { alpha: tf.tensor1d(c.alpha) } : {}),
  }));
}

/** Mean PSNR/SSIM of deployed weights on the given images, on TF.js's current backend. */
export function scoreModel(w: ModelWeights, images: Array<{ hrY: Plane; lrY: Plane }>): ValScore | undefined {
  const layers = layersFromWeights(w);
  try {
    return scoreLayers(w.spec, layers, images);
  } finally {
    for (const l of layers) tf.dispose([l.kernel, l.bias, ...(l.alpha ? [l.alpha] : [])]);
  }
}

/**
 * The same scores through onnxruntime, the engine's own backend, when it loads (several times faster than
 * tfjs-wasm: validation on Set5 and Set14 took a fifth of a shipped training's time), else through TF.js.
 */
export async function scoreModelFast(w: ModelWeights, images: Array<{ hrY: Plane; lrY: Plane }>, threads?: number): Promise<ValScore | undefined> {
  if (images.length === 0 || w.spec.channels !== 1) return scoreModel(w, images);
  let session;
  try {
    session = await createOnnxSession(w, { threads, device: 'cpu' });
  } catch {
    return scoreModel(w, images);
  }
  try {
    let psnr = 0;
    let ssim = 0;
    for (const { hrY, lrY } of images) {
      const input = new Float32Array(lrY.data.length);
      for (let i = 0; i < input.length; i++) input[i] = lrY.data[i] / 255;
      const sr = await session.run(input, lrY.height, lrY.width);
      for (let i = 0; i < sr.length; i++) sr[i] *= 255;
      const s = evaluatePair(hrY, { data: sr, width: lrY.width * w.spec.scale, height: lrY.height * w.spec.scale }, w.spec.scale);
      psnr += s.psnr;
      ssim += s.ssim;
    }
    return { psnr: psnr / images.length, ssim: ssim / images.length, images: images.length };
  } finally {
    await session.dispose();
  }
}
