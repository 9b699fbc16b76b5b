/** Validation: whole-image SR of each validation image, scored by the standard protocol (Y, shave = scale). */
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

/** Mean PSNR/SSIM of deployed weights on the given images. */
export function scoreModel(w: ModelWeights, images: Array<{ hrY: Plane; lrY: Plane }>): ValScore | undefined {
  const layers = layersFromWeights(w);
  try {
    return scoreLayers(w.spec, layers, images);
  } finally {
    for (const l of layers) tf.dispose([l.kernel, l.bias, ...(l.alpha ? [l.alpha] : [])]);
  }
}
