import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Scale } from '../engine/models/spec.js';
import { listModels } from '../engine/models/store.js';
import { evaluateDataset } from '../engine/evaluate.js';
import { loadEngineModel, type EngineModel } from '../engine/upscale.js';
import { degradedEvaluation, parseDegradeSpec } from '../training/degrade-spec.js';
import { intOption, printJson } from './output.js';

interface EvalCliOptions {
  scale: Scale; model: string[]; all?: boolean; degrade?: string; backend: 'auto' | 'onnx' | 'tfjs'; bicubicOnly?: boolean; json?: boolean;
}

const fmt = (s: { psnr: number; ssim: number } | undefined): string =>
  s ? `${s.psnr.toFixed(2).padStart(6)} dB  ${s.ssim.toFixed(4)}` : '      -        -';

async function enginesFor(o: EvalCliOptions): Promise<EngineModel[]> {
  if (o.bicubicOnly) return [];
  const load = (model: string | undefined): Promise<EngineModel> =>
    loadEngineModel({ model, scale: o.scale, backend: o.backend }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}${model ? '' : ' (use -m <model>, or --bicubic-only)'}`);
    });
  const ids = new Set(o.model);
  if (o.all) for (const m of (await listModels()).models) if (m.scale === o.scale) ids.add(m.id);
  if (!ids.size) return [await load(undefined)];
  const engines: EngineModel[] = [];
  for (const id of ids) engines.push(await load(id));
  return engines;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('score bicubic and models on an SR dataset (HR/ and optional LR_bicubic/X<s>/): Y PSNR/SSIM, shave = scale')
    .argument('<dataset>', 'dataset folder holding HR/')
    .requiredOption('-s, --scale <n>', 'scale factor: 2, 3 or 4', intOption('--scale', [2, 3, 4]))
    .option('-m, --model <id or folder>', 'model id or folder; repeat to compare several (default: the installed model for the scale)',
      (v: string, all: string[]) => [...all, v], [])
    .option('--all', 'every installed model of the scale')
    .option('--degrade <spec>', 'degrade the LR inputs, seeded: steps joined by +, e.g. jpeg:75, noise:10, blur:1.2+jpeg:60, grain:8 '
      + '(blur:<σ>, noise:<σ>, luma-noise:<σ>, poisson:<peak>, grain:<σ>[:<corr>], jpeg:<q>)')
    .option('--backend <name>', 'auto | onnx | tfjs', 'auto')
    .option('--bicubic-only', 'score bicubic alone (no model needed)')
    .option('--json', 'print one JSON document')
    .action(async (dataset: string, options: EvalCliOptions) => {
      const spec = options.degrade === undefined ? undefined : parseDegradeSpec(options.degrade);
      const engines = await enginesFor(options);
      const scores = await evaluateDataset(resolve(dataset), options.scale, engines, degradedEvaluation(spec, options.scale));
      if (options.json) { printJson(scores); return; }
      const out = (line: string): boolean => process.stdout.write(`${line}\n`);
      const ids = scores.models?.map((m) => m.id) ?? [];
      out(`${scores.dataset} x${scores.scale}${scores.degrade ? `, LR degraded by ${scores.degrade}` : ''} (Y, shave ${scores.scale})`);
      out(`${'image'.padEnd(14)} ${'bicubic'.padEnd(17)}${ids.map((id) => `  ${id.padEnd(17)}`).join('')}`);
      for (const img of scores.images) out(`${img.name.padEnd(14)} ${fmt(img.bicubic)}${ids.map((id) => `  ${fmt(img.models?.[id])}`).join('')}`);
      out(`${'mean'.padEnd(14)} ${fmt(scores.mean.bicubic)}${(scores.models ?? []).map((m) => `  ${fmt(m.mean)}`).join('')}`);
    });
}
