import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { buildExportOnnxModel } from '../engine/backends/onnx/graph.js';
import { MODEL_JSON, resolveModel, WEIGHTS_BIN } from '../engine/models/store.js';
import { printJson } from './output.js';

interface ExportCliOptions { format: string; output: string; json?: boolean }

/**
 * `subpixel export <model> --format onnx -o net.onnx`: the plain network (float NCHW, the model's channels, dynamic
 * height and width) for ONNX Runtime elsewhere or VapourSynth's vs-mlrt; `--format tfjs -o folder/` copies the stored
 * TF.js layers model.
 */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('write a model for other runtimes: ONNX (plain network, float NCHW, dynamic H/W) or the TF.js layers model')
    .argument('<model>', 'model id or folder')
    .requiredOption('--format <format>', 'onnx | tfjs')
    .requiredOption('-o, --output <path>', 'the .onnx file, or the folder for tfjs')
    .option('--json', 'print one JSON document')
    .action(async (modelArg: string, o: ExportCliOptions) => {
      if (o.format !== 'onnx' && o.format !== 'tfjs') throw new Error(`--format must be onnx or tfjs (got '${o.format}')`);
      const model = await resolveModel(modelArg);
      const output = resolve(o.output);
      const { spec } = model.weights;
      if (o.format === 'onnx') {
        await writeFileAtomic(output, buildExportOnnxModel(model.weights));
      } else {
        if (existsSync(output) && (await readdir(output)).length) throw new Error(`${output} is not empty: choose a new folder for the TF.js model`);
        await mkdir(output, { recursive: true });
        for (const file of [MODEL_JSON, WEIGHTS_BIN]) await copyFile(join(model.dir, file), join(output, file));
      }
      const summary = {
        model: model.id, format: o.format, output, scale: spec.scale, channels: spec.channels,
        ...(o.format === 'onnx' ? { input: `input: float32 [N, ${spec.channels}, H, W]`, outputShape: `output: float32 [N, ${spec.channels}, ${spec.scale}H, ${spec.scale}W]` } : {}),
      };
      if (o.json) { printJson(summary); return; }
      process.stderr.write(`exported ${model.id} (x${spec.scale}, ${spec.channels === 1 ? 'Y' : 'RGB'}) as ${o.format} → ${output}`
        + `${o.format === 'onnx' ? ` (${summary.input}, 0-1; ${summary.outputShape})` : ''}\n`);
    });
}
