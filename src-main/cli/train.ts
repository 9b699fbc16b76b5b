/**
 * `subpixel train` and `subpixel finetune`: progress bar (loss, validation PSNR, ETA) on a terminal, log lines
 * otherwise, one JSON document with --json. Ctrl-C writes a checkpoint and exits with code 130.
 */
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { FINE_TUNE_DEFAULTS } from '../../src-common/fine-tune.js';
import { SKIP_KINDS, type Activation, type Scale, type SkipKind } from '../engine/models/spec.js';
import { saveModel, userModelsDir } from '../engine/models/store.js';
import { ARCH_NAMES, architectureFor, usesReparam, type ArchName } from '../training/architectures.js';
import type { TrainingBackendOptions } from '../training/backend.js';
import { loadCheckpoint } from '../training/checkpoint.js';
import { DEGRADATION_PRESETS, type DegradationPreset } from '../training/degrade.js';
import { fineTune } from '../training/finetune.js';
import { LOSS_NAMES, type LossName } from '../training/losses.js';
import { DEFAULT_CONFIG, train, type TrainConfig, type TrainProgress } from '../training/trainer.js';
import { formatDuration, intOption, printJson } from './output.js';

function oneOf<T extends string>(name: string, allowed: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!allowed.includes(value as T)) throw new Error(`${name} must be one of ${allowed.join(', ')} (got '${value}')`);
    return value as T;
  };
}

function positiveNumber(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got '${value}')`);
    return n;
  };
}

/** Shows progress on stderr: a bar on a terminal, a line every 10 s otherwise, nothing with --json. */
function progressReporter(json: boolean): { update: (p: TrainProgress) => void; stop: () => void } {
  if (json) return { update: () => undefined, stop: () => undefined };
  const fields = (p: TrainProgress): Record<string, string> => ({
    loss: p.loss.toFixed(5), psnr: p.val ? `${p.val.psnr.toFixed(2)} dB` : '-', eta: formatDuration(p.etaSec), rate: p.stepsPerSec.toFixed(2),
  });
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: process.stderr, hideCursor: true,
      format: '{bar} {value}/{total} steps | loss {loss} | val {psnr} | {rate} steps/s | ETA {eta}',
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update: (p) => {
        if (!started) { bar.start(p.totalSteps, p.step, fields(p)); started = true; } else bar.update(p.step, fields(p));
      },
      stop: () => { if (started) bar.stop(); },
    };
  }
  let last = 0;
  return {
    update: (p) => {
      if (Date.now() - last < 10_000 && p.step !== p.totalSteps) return;
      last = Date.now();
      const f = fields(p);
      process.stderr.write(`step ${p.step}/${p.totalSteps} loss ${f.loss} val ${f.psnr} ${f.rate} steps/s ETA ${f.eta}\n`);
    },
    stop: () => undefined,
  };
}

/** An AbortSignal fired by the first Ctrl-C (a second one kills the process as usual). */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    process.stderr.write('\ninterrupted: writing a checkpoint…\n');
    controller.abort();
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

function widthsOption(value: string): number[] {
  const widths = value.split(',').map(Number);
  if (!widths.length || widths.some((w) => !Number.isInteger(w) || w < 1 || w > 256)) {
    throw new Error(`--widths must be a comma-separated list of integers 1..256 (got '${value}')`);
  }
  return widths;
}

// Option names are the parameters' own (commander camel-cases --hr-folders to hrFolders); the short spellings
// (--hr, --val, --lr, --batch, --patch, --base) are aliases of the same options.
interface TrainCliOptions {
  hrFolders?: string[]; scale?: Scale; arch: ArchName; steps?: number; resume?: string; out?: string; json?: boolean; valFolder?: string;
  patchSize: number; batchSize: number; learningRate: number; loss: LossName; seed: number; checkpointEvery: number; valEvery: number; ema: number;
  degradation: DegradationPreset; workers: number; backend: BackendName; threads?: number; widths?: number[]; skip: SkipKind;
  activation: EfficientActivation; blocks?: boolean;
}

interface FineTuneCliOptions {
  baseModel: string; hrFolders: string[]; valFolder?: string; degradation: DegradationPreset; steps: number; outDir?: string; json?: boolean;
  scale?: Scale; learningRate?: number; patchSize?: number; batchSize?: number; valEvery?: number; seed: number; id?: string; resume?: string; overwrite?: boolean;
  workers: number; backend: BackendName; threads?: number;
}

const BACKEND_NAMES = ['auto', 'onnx', 'wasm', 'cpu'] as const;
/** Hidden activations of 'efficient'. LeakyRelu (one learned slope per layer) is the shipped models' and the default:
 * ONNX Runtime fuses it into its blocked CPU convs, where PReLU runs as a separate pass (a third of the frame). */
const EFFICIENT_ACTIVATIONS = ['leakyrelu', 'prelu', 'relu'] as const satisfies readonly Activation[];
type EfficientActivation = typeof EFFICIENT_ACTIVATIONS[number];
type BackendName = typeof BACKEND_NAMES[number];

function backendOptions(o: { backend: BackendName; threads?: number }): TrainingBackendOptions {
  return { prefer: o.backend === 'auto' ? 'native' : o.backend, ...(o.threads ? { threads: o.threads } : {}) };
}

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description('train a model from scratch on HR image folders (Y channel), or resume a checkpoint')
    .option('--hr, --hr-folders <dirs...>', 'HR image folders (recursive: png, jpg, tiff, webp; 8 or 16-bit)')
    .option('-s, --scale <n>', 'scale factor: 2, 3 or 4', intOption('--scale', [2, 3, 4]))
    .option('--arch <name>', `architecture: ${ARCH_NAMES.join(' | ')}`, oneOf('--arch', ARCH_NAMES), 'efficient')
    .option('--skip <kind>', `residual skip of 'efficient': ${SKIP_KINDS.join(' | ')}`, oneOf('--skip', SKIP_KINDS), 'nearest')
    .option('--widths <list>', "hidden widths of 'efficient', e.g. 16,16,16,16,16,16,16,16 as the shipped models (default 32,32,32; all 3x3 convs)", widthsOption)
    .option('--activation <name>', `hidden activation of 'efficient': ${EFFICIENT_ACTIVATIONS.join(' | ')} (leakyrelu: one learned slope per layer, as the shipped models, and the fastest to run)`, oneOf('--activation', EFFICIENT_ACTIVATIONS), 'leakyrelu')
    .option('--blocks', "'efficient' on 2x2 blocks of pixels (pixel unshuffle): each conv twice as wide at the same MACs, which runs nearer the CPU's peak; needs an even --patch")
    .option('--steps <n>', 'training steps (with --resume: the new total)', intOption('--steps'))
    .option('--resume <checkpoint>', 'checkpoint folder to continue from (its settings are reused)')
    .option('--out <dir>', 'model folder to write (default: <user models folder>/<arch>-x<scale>-<time>)')
    .option('--val, --val-folder <dir>', 'validation HR folder (default: 10 % of the images held out)')
    .option('--patch, --patch-size <n>', 'LR patch size', intOption('--patch-size'), DEFAULT_CONFIG.patchSize)
    .option('--batch, --batch-size <n>', 'batch size', intOption('--batch-size'), DEFAULT_CONFIG.batchSize)
    .option('--lr, --learning-rate <x>', 'peak learning rate (cosine schedule)', positiveNumber('--learning-rate'), DEFAULT_CONFIG.schedule.lr)
    .option('--loss <name>', `loss: ${LOSS_NAMES.join(' | ')}`, oneOf('--loss', LOSS_NAMES), 'l1')
    .option('--degradation <preset>', `LR degradation: ${DEGRADATION_PRESETS.join(' | ')}`, oneOf('--degradation', DEGRADATION_PRESETS), 'bicubic')
    .option('--ema <decay>', 'EMA decay of the weights (0 = off)', Number, DEFAULT_CONFIG.ema)
    .option('--seed <n>', 'random seed', intOption('--seed'), 1)
    .option('--checkpoint-every <n>', 'steps between checkpoints', intOption('--checkpoint-every'), DEFAULT_CONFIG.checkpointEvery)
    .option('--val-every <n>', 'steps between validations', intOption('--val-every'), DEFAULT_CONFIG.valEvery)
    .option('--backend <name>', 'gradients: auto (tfjs-node if installed, else onnxruntime) | onnx | wasm | cpu', oneOf('--backend', BACKEND_NAMES), 'auto')
    .option('--threads <n>', 'gradient threads (default: all cores for onnxruntime)', intOption('--threads'))
    .option('--workers <n>', 'data-parallel gradient worker threads for TF.js backends (batch must divide evenly; 1 = none)', intOption('--workers'), 1)
    .option('--json', 'print one JSON document')
    .action(async (o: TrainCliOptions) => {
      const resume = o.resume ? await loadCheckpoint(resolve(o.resume)) : undefined;
      let config: TrainConfig;
      if (resume) {
        config = { ...resume.config, steps: o.steps ?? resume.config.steps };
      } else {
        if (!o.hrFolders?.length) throw new Error('--hr-folders <dir…> is required (or --resume <checkpoint>)');
        if (!o.scale) throw new Error('-s, --scale is required');
        const efficient = o.arch === 'efficient';
        const spec = architectureFor(o.arch, o.scale, 1, o.widths, efficient ? o.skip : undefined, efficient ? o.activation : undefined, o.blocks ? 2 : undefined);
        config = {
          ...DEFAULT_CONFIG, spec, kind: usesReparam(spec) ? 'reparam' : 'plain', hrFolders: o.hrFolders.map((d) => resolve(d)),
          ...(o.valFolder ? { valFolder: resolve(o.valFolder) } : {}), steps: o.steps ?? DEFAULT_CONFIG.steps, patchSize: o.patchSize, batchSize: o.batchSize,
          loss: o.loss, schedule: { ...DEFAULT_CONFIG.schedule, lr: o.learningRate, lrMin: o.learningRate / 100 }, ema: o.ema, seed: o.seed,
          checkpointEvery: o.checkpointEvery, valEvery: o.valEvery, degradation: { preset: o.degradation },
        };
      }
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
      const out = resolve(o.out ?? (o.resume ? join(resolve(o.resume), '..') : join(userModelsDir(), `${config.spec.name}-x${config.spec.scale}-${stamp}`)));
      const checkpointDir = o.resume ? resolve(o.resume) : join(out, 'checkpoint');
      const progress = progressReporter(Boolean(o.json));
      const interrupt = interruptSignal();
      try {
        const outcome = await train({
          config, ...(resume ? { resume } : {}), checkpointDir, command: `subpixel ${process.argv.slice(2).join(' ')}`,
          signal: interrupt.signal, onProgress: progress.update, workers: o.workers, backend: backendOptions(o),
          onWarning: (m) => { if (!o.json) process.stderr.write(`warning: ${m}\n`); },
        });
        progress.stop();
        const id = out.split(/[\\/]/).pop() as string;
        if (outcome.status === 'completed') {
          await saveModel(out, outcome.weights, {
            id, description: `${config.spec.name} x${config.spec.scale} trained by subpixel train`,
            training: {
              datasets: config.hrFolders, steps: outcome.step, batchSize: config.batchSize, patchSize: config.patchSize,
              learningRate: config.schedule.lr, seed: config.seed, backend: outcome.backend.name, finishedAt: new Date().toISOString(),
            },
          });
        }
        const summary = {
          status: outcome.status, model: outcome.status === 'completed' ? out : undefined, checkpoint: checkpointDir,
          step: outcome.step, totalSteps: config.steps, val: outcome.val, stats: { ...outcome.stats, skippedFiles: outcome.stats.skippedFiles.slice(0, 50) },
          backend: outcome.backend, elapsedSec: Math.round(outcome.elapsedSec), meanStepMs: Math.round(outcome.meanStepMs),
          resumeCommand: `subpixel train --resume ${checkpointDir}`,
        };
        if (o.json) printJson(summary);
        else if (outcome.status === 'completed') {
          process.stderr.write(`model written to ${out}${outcome.val ? ` (validation ${outcome.val.psnr.toFixed(2)} dB, SSIM ${outcome.val.ssim.toFixed(4)})` : ''}\n`);
        } else process.stderr.write(`stopped at step ${outcome.step}; resume with: ${summary.resumeCommand}\n`);
        if (outcome.status === 'canceled') process.exitCode = 130;
      } finally {
        progress.stop();
        interrupt.dispose();
      }
    });

  program
    .command('finetune')
    .description('fine-tune an existing model on your HR folders; writes a new model to the user models folder')
    .requiredOption('--base, --base-model <model>', 'base model id or folder')
    .requiredOption('--hr, --hr-folders <dirs...>', 'HR image folders (recursive)')
    .option('--val, --val-folder <dir>', 'validation HR folder (default: 10 % of the images held out)')
    .option('--degradation <preset>', `LR degradation: ${DEGRADATION_PRESETS.join(' | ')}`, oneOf('--degradation', DEGRADATION_PRESETS), FINE_TUNE_DEFAULTS.degradation)
    .option('--steps <n>', 'training steps', intOption('--steps'), FINE_TUNE_DEFAULTS.steps)
    .option('--out, --out-dir <dir>', 'model folder to write (default: <user models folder>/<base>-ft-<preset>-<time>)')
    .option('-s, --scale <n>', 'expected scale of the base model', intOption('--scale', [2, 3, 4]))
    .option('--lr, --learning-rate <x>', `peak learning rate (default ${FINE_TUNE_DEFAULTS.learningRate})`, positiveNumber('--learning-rate'))
    .option('--patch, --patch-size <n>', `LR patch size (default ${FINE_TUNE_DEFAULTS.patchSize})`, intOption('--patch-size'))
    .option('--batch, --batch-size <n>', `batch size (default ${FINE_TUNE_DEFAULTS.batchSize})`, intOption('--batch-size'))
    .option('--val-every <n>', 'steps between validations (default: five times over the run)', intOption('--val-every'))
    .option('--seed <n>', 'random seed', intOption('--seed'), FINE_TUNE_DEFAULTS.seed)
    .option('--id <id>', 'id of the new model')
    .option('--overwrite', 'replace an existing model of the same id (default: refuse)')
    .option('--resume <checkpoint>', 'continue a canceled fine-tune from its checkpoint folder')
    .option('--backend <name>', 'gradients: auto (tfjs-node if installed, else onnxruntime) | onnx | wasm | cpu', oneOf('--backend', BACKEND_NAMES), 'auto')
    .option('--threads <n>', 'gradient threads (default: all cores for onnxruntime)', intOption('--threads'))
    .option('--workers <n>', 'data-parallel gradient worker threads for TF.js backends (batch must divide evenly; 1 = none)', intOption('--workers'), 1)
    .option('--json', 'print one JSON document')
    .action(async (o: FineTuneCliOptions) => {
      const progress = progressReporter(Boolean(o.json));
      const interrupt = interruptSignal();
      try {
        const { json: _json, backend: _backend, threads: _threads, hrFolders, valFolder, outDir, resume, ...params } = o;
        const result = await fineTune({
          ...params, hrFolders: hrFolders.map((d) => resolve(d)), backend: backendOptions(o),
          ...(valFolder ? { valFolder: resolve(valFolder) } : {}), ...(outDir ? { outDir: resolve(outDir) } : {}),
          ...(resume ? { resume: resolve(resume) } : {}),
          onWarning: (m) => { if (!o.json) process.stderr.write(`warning: ${m}\n`); },
        }, progress.update, interrupt.signal);
        progress.stop();
        const { weights: _weights, ...summary } = result;
        if (o.json) printJson({ ...summary, stats: { ...summary.stats, skippedFiles: summary.stats.skippedFiles.slice(0, 50) } });
        else if (result.status === 'completed') {
          const f = (s?: { psnr: number }): string => (s ? `${s.psnr.toFixed(2)} dB` : '?');
          process.stderr.write(`model ${result.id} written to ${result.dir}; validation ${f(result.before)} → ${f(result.after)}\n`);
        } else process.stderr.write(`stopped at step ${result.steps}; resume with: subpixel finetune --base-model ${o.baseModel} --hr-folders ${o.hrFolders.join(' ')} --resume ${result.checkpointDir}\n`);
        if (result.status === 'canceled') process.exitCode = 130;
      } finally {
        progress.stop();
        interrupt.dispose();
      }
    });
}
