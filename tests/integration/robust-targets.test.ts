/**
 * The robust family's promises, measured as `subpixel eval` measures them (Set14, MATLAB-bicubic LR, then the
 * seeded degradation; Y-PSNR, shave = scale): on JPEG q75 and on Gaussian noise σ 10 the robust model beats bicubic
 * by at least 0.6 dB at x2 and 0.4 dB at x4 and is no worse than the clean model on the same input; on clean input
 * it stays within 0.5 dB of the clean model. Scales without a shipped robust model are skipped (and say so).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateDataset } from '../../src-main/engine/evaluate.js';
import { defaultModelOf, listModels, modelOfFamily, shippedModelsDir } from '../../src-main/engine/models/store.js';
import { loadEngineModel } from '../../src-main/engine/upscale.js';
import { degradedEvaluation, parseDegradeSpec } from '../../src-main/training/degrade-spec.js';
import { needsShared, sharedPath } from '../paths.js';

const SET14 = sharedPath('datasets', 'eval', 'Set14');
const { models } = await listModels([shippedModelsDir()]);
const MARGIN_OVER_BICUBIC = { 2: 0.6, 4: 0.4 } as const;
const CLEAN_INPUT_TOLERANCE = 0.5;

describe('robust models against bicubic and the clean models on Set14', { skip: needsShared('datasets/eval/Set14/HR') }, () => {
  for (const scale of [2, 4] as const) {
    const robust = modelOfFamily(models, scale, 'robust');
    const clean = defaultModelOf(models, scale);
    const skip = robust && clean ? false : `no ${robust ? 'clean' : 'robust'} x${scale} model is shipped`;
    const scores = async (degrade?: string) => {
      const engines = [await loadEngineModel({ model: robust!.id, scale }), await loadEngineModel({ model: clean!.id, scale })];
      const spec = degrade === undefined ? undefined : parseDegradeSpec(degrade);
      const result = await evaluateDataset(SET14, scale, engines, degradedEvaluation(spec, scale));
      const [r, c] = result.models!.map((m) => m.mean.psnr);
      return { bicubic: result.mean.bicubic.psnr, robust: r, clean: c };
    };
    for (const degrade of ['jpeg:75', 'noise:10']) {
      it(`x${scale}, ${degrade}: robust ≥ bicubic + ${MARGIN_OVER_BICUBIC[scale]} dB and ≥ the clean model`, { skip }, async () => {
        const s = await scores(degrade);
        const said = `robust ${s.robust.toFixed(3)}, clean ${s.clean.toFixed(3)}, bicubic ${s.bicubic.toFixed(3)} dB`;
        assert.ok(s.robust >= s.bicubic + MARGIN_OVER_BICUBIC[scale], said);
        assert.ok(s.robust >= s.clean, said);
      });
    }
    it(`x${scale}, clean input: robust within ${CLEAN_INPUT_TOLERANCE} dB of the clean model`, { skip }, async () => {
      const s = await scores();
      assert.ok(s.robust >= s.clean - CLEAN_INPUT_TOLERANCE, `robust ${s.robust.toFixed(3)}, clean ${s.clean.toFixed(3)} dB`);
    });
  }
});
