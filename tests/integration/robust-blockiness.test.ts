/**
 * No block amplification: on JPEG q50 inputs (Set14, MATLAB-bicubic LR then JPEG), the shipped robust model of each
 * scale leaves the 8·s-pixel JPEG grid no more visible than bicubic does. Scales without a shipped robust model are
 * skipped (and say so).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lumaY } from '../../src-main/engine/color.js';
import { superResolveY } from '../../src-main/engine/evaluate.js';
import { readImage } from '../../src-main/engine/image-io.js';
import { blockiness, quantizeY } from '../../src-main/engine/metrics.js';
import { listModels, modelOfFamily, shippedModelsDir } from '../../src-main/engine/models/store.js';
import { imresize, modcrop } from '../../src-main/engine/resize.js';
import { loadEngineModel } from '../../src-main/engine/upscale.js';
import { toTrainingRaster } from '../../src-main/training/data.js';
import { degradeBySpec, parseDegradeSpec } from '../../src-main/training/degrade-spec.js';
import { needsShared, sharedPath } from '../paths.js';

const SET14 = sharedPath('datasets', 'eval', 'Set14', 'HR');
const { models } = await listModels([shippedModelsDir()]);

describe('robust models and JPEG blocks', { skip: needsShared('datasets/eval/Set14/HR') }, () => {
  for (const scale of [2, 3, 4] as const) {
    const robust = modelOfFamily(models, scale, 'robust');
    it(`x${scale}: the robust model's output on JPEG q50 is no blockier than bicubic's`, { skip: robust ? false : `no robust x${scale} model is shipped` }, async () => {
      const engine = await loadEngineModel({ model: robust!.id, scale });
      const spec = parseDegradeSpec('jpeg:50');
      let model = 0;
      let bicubic = 0;
      const names = (await readdir(SET14)).filter((f) => f.endsWith('.png')).sort();
      for (const [i, name] of names.entries()) {
        const hr = modcrop(toTrainingRaster((await readImage(join(SET14, name))).raster), scale);
        const lr = await degradeBySpec(hr, scale, spec, i);
        const period = 8 * scale;
        model += blockiness(await superResolveY(engine, lr), period);
        bicubic += blockiness(imresize(quantizeY(lumaY(lr)), hr.width, hr.height), period);
      }
      assert.ok(model <= bicubic, `mean blockiness ${robust!.id} ${(model / names.length).toFixed(3)} vs bicubic ${(bicubic / names.length).toFixed(3)}`);
    });
  }
});
