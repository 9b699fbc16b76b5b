import { Command } from 'commander';
import type { Command as CommandType } from 'commander';
import { packageVersion } from '../common/version.js';
import type { EngineClient } from '../workers/engine-client.js';

type Register = (program: CommandType, engine?: EngineClient) => void;

// Each command's module is imported only when that command runs: `upscale` should not pay for loading TF.js
// (training) or the app services. Help and unknown commands load them all.
const modules: Record<string, () => Promise<Register>> = {
  upscale: async () => (await import('./upscale.js')).registerUpscaleCommand,
  eval: async () => (await import('./eval.js')).registerEvalCommand,
  export: async () => (await import('./export.js')).registerExportCommand,
  info: async () => (await import('./info.js')).registerInfoCommand,
  train: async () => (await import('./train.js')).registerTrainCommands,
  watch: async () => (await import('./watch.js')).registerWatchCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
  worker: async () => (await import('./worker.js')).registerWorkerCommand,
  batch: async () => (await import('./cluster.js')).registerBatchCommand,
};
const aliases: Record<string, string> = { finetune: 'train' };

const program = new Command()
  .name('subpixel')
  .description('Batch image super-resolution: upscale, evaluate, train and fine-tune, watch folders, serve the app')
  .version(packageVersion())
  .showHelpAfterError();

const requested = process.argv[2];
const name = requested ? aliases[requested] ?? requested : undefined;
// A local `upscale` runs on the engine's worker thread: starting it before the command's own modules load lets the
// two load side by side on two cores (about 0.1 s of every run, which a folder of frames pays once). Not for a run
// on a worker pool (--redis) or for help, which upscale nothing here.
const localUpscale = name === 'upscale' && !process.argv.some((a) => a === '--redis' || a.startsWith('--redis=') || a === '--help' || a === '-h');
const engine = localUpscale ? (await import('../workers/engine-client.js')).createEngineClient() : undefined;
engine?.warm();
try {
  // The version needs no command: printing it should not load them all (about a second), as help does.
  const versionOnly = requested === '--version' || requested === '-V';
  const loaders = versionOnly ? [] : name && modules[name] ? [modules[name]] : Object.values(modules);
  for (const load of loaders) (await load())(program, engine);
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`subpixel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
} finally {
  // also when the run failed before reaching runUpscale, or went to --redis after all (closing twice is a no-op)
  await engine?.close();
}
