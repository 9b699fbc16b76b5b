import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { Scale } from '../engine/models/spec.js';
import { evaluateDataset } from '../engine/evaluate.js';
import { loadEngineModel } from '../engine/upscale.js';
import { intOption, printJson } from './output.js';

interface EvalCliOptions { scale: Scale; model?: string; backend: 'auto' | 'onnx' | 'tfjs'; bicubicOnly?: boolean; json?: boolean }

const fmt = (s: { psnr: number; ssim: number } | undefined): string =>
  s ? `${s.psnr.toFixed(2).padStart(6)} dB  ${s.ssim.toFixed(4)}` : '      -        -';

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('score bicubic and a model on an SR dataset (HR/ and optional LR_bicubic/X<s>/): Y PSNR/SSIM, shave = scale')
    .argument('<dataset>', 'dataset folder holding HR/')
    .requiredOption('-s, --scale <n>', 'scale factor: 2, 3 or 4', intOption('--scale', [2, 3, 4]))
    .option('-m, --model <id or folder>', 'model id or folder (default: the installed model for the scale)')
    .option('--backend <name>', 'auto | onnx | tfjs', 'auto')
    .option('--bicubic-only', 'score bicubic alone (no model needed)')
    .option('--json', 'print one JSON document')
    .action(async (dataset: string, options: EvalCliOptions) => {
      const engine = options.bicubicOnly
        ? undefined
        : await loadEngineModel({ model: options.model, scale: options.scale, backend: options.backend }).catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}${options.model ? '' : ' (use -m <model>, or --bicubic-only)'}`);
        });
      const scores = await evaluateDataset(resolve(dataset), options.scale, engine);
      if (options.json) { printJson(scores); return; }
      const out = (line: string): boolean => process.stdout.write(`${line}\n`);
      out(`${scores.dataset} x${scores.scale}${scores.model ? `, model ${scores.model}` : ''} (Y, shave ${scores.scale})`);
      out(`${'image'.padEnd(14)} ${'bicubic'.padEnd(17)} model`);
      for (const img of scores.images) out(`${img.name.padEnd(14)} ${fmt(img.bicubic)}  ${fmt(img.model)}`);
      out(`${'mean'.padEnd(14)} ${fmt(scores.mean.bicubic)}  ${fmt(scores.mean.model)}`);
    });
}
