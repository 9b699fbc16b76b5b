/**
 * The README's table of degraded inputs: Set5 and Set14 at x2 and x4, clean and degraded LR (the seeded
 * `subpixel eval --degrade` protocol), bicubic against the default clean model and the robust model of each scale.
 *   node --import tsx scripts/degraded-table.ts [--sets Set5,Set14] [--scales 2,4]
 * Prints a Markdown table (Y-PSNR dB, shave = scale) on stdout; progress on stderr.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateDataset } from '../src-main/engine/evaluate.js';
import type { Scale } from '../src-main/engine/models/spec.js';
import { defaultModelOf, listModels, modelOfFamily, shippedModelsDir } from '../src-main/engine/models/store.js';
import { loadEngineModel } from '../src-main/engine/upscale.js';
import { degradedEvaluation, parseDegradeSpec } from '../src-main/training/degrade-spec.js';

const CONDITIONS = ['clean', 'jpeg:75', 'jpeg:50', 'noise:10', 'blur:1.2+jpeg:60'];
const { values } = parseArgs({ options: { sets: { type: 'string', default: 'Set5,Set14' }, scales: { type: 'string', default: '2,4' } } });
const sets = values.sets.split(',');
const scales = values.scales.split(',').map(Number) as Scale[];
const datasets = resolve('../shared/datasets/eval');
const { models } = await listModels([shippedModelsDir()]);

const lines = [`| set | scale | model | ${CONDITIONS.join(' | ')} |`, `|---|---|---|${CONDITIONS.map(() => '---|').join('')}`];
for (const set of sets) {
  for (const scale of scales) {
    const clean = defaultModelOf(models, scale);
    const robust = modelOfFamily(models, scale, 'robust');
    const chosen = [clean, robust].filter((m) => m !== undefined);
    const engines = await Promise.all(chosen.map((m) => loadEngineModel({ model: m.id, scale })));
    const rows = new Map<string, string[]>([['bicubic', []], ...chosen.map((m) => [m.id, []] as [string, string[]])]);
    for (const condition of CONDITIONS) {
      process.stderr.write(`${set} x${scale} ${condition}\n`);
      const spec = condition === 'clean' ? undefined : parseDegradeSpec(condition);
      const scores = await evaluateDataset(join(datasets, set), scale, engines, degradedEvaluation(spec, scale));
      rows.get('bicubic')!.push(scores.mean.bicubic.psnr.toFixed(2));
      for (const m of scores.models ?? []) rows.get(m.id)!.push(m.mean.psnr.toFixed(2));
    }
    for (const [id, cells] of rows) lines.push(`| ${set} | x${scale} | ${id} | ${cells.join(' | ')} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
