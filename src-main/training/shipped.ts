/**
 * Trains (or resumes) one of the shipped models into models/<id>/ of this repository:
 *   node --import tsx src-main/training/shipped.ts --scale 4 [--arch efficient] [--steps 60000] [--patch 48]
 * Resumes automatically from models/<id>/checkpoint/ when it exists. Every checkpoint also exports the deployable
 * model (model.json + weights.bin), scores it on Set5 and updates models/manifest.json.
 * `--stage <name> --loss l2 --steps N --lr X` trains a follow-up stage from the finished main run (checkpoint-<name>/),
 * publishing over the same model; it keeps the main run's patch size, batch size and checkpoint interval unless
 * `--patch` / `--batch` / `--checkpoint-every` are given.
 * `--id pilot-… --models-root models/pilots` keeps an experiment's model, checkpoints and manifest apart
 * from the shipped models (installers leave models/pilots/ out; the app lists only models/<id>/).
 * `--degradation <preset>` (degrade-presets.ts: clean, photo, film, jpeg, …) trains on randomly degraded LR patches;
 * the manifest records the preset and the family (`robust` for any preset but clean), which is how the app finds
 * "the robust model of scale s"; scores stay the clean benchmark protocol, the loop validates on degraded Set5.
 * `--from <id>[:<stage>]` starts a new model from another model's final weights (its `checkpoint/`, or
 * `checkpoint-<stage>/`) with a fresh schedule: how the robust family starts from the clean models of its scale; a
 * model of another scale lends its body (a fresh last conv). `--clean-share p` sets a degraded preset's share of
 * clean patches; `--publish` trains nothing and publishes the named checkpoint again (which one ships is a choice).
 * SIGINT / SIGTERM write a checkpoint and exit cleanly.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { macsPerPixel, parameterCount, type Activation, type Scale, type SkipKind } from '../engine/models/spec.js';
import { upsertManifestEntry, type ManifestEntry } from '../engine/models/manifest.js';
import { saveModel, shippedModelsDir } from '../engine/models/store.js';
import { architectureFor, usesReparam, type ArchName } from './architectures.js';
import { initTrainingBackend } from './backend.js';
import { CHECKPOINT_JSON, loadCheckpoint, type CheckpointState } from './checkpoint.js';
import { loadValidationImages } from './data.js';
import type { LossName } from './losses.js';
import { DEGRADATION_PRESETS, familyOfPreset, isCleanPreset, type DegradationPreset, type DegradationRecipe } from './degrade-presets.js';
import { recipeOf } from './degrade.js';
import { collapse } from './collapse.js';
import { transferTrainWeights } from './nets.js';
import { DEFAULT_CONFIG, train, type TrainConfig } from './trainer.js';
import { scoreModel } from './validate.js';

const DATASETS = resolve('../shared/datasets');

const program = new Command()
  .requiredOption('-s, --scale <n>', 'scale 2, 3 or 4', (v) => Number(v) as Scale)
  .option('--arch <name>', 'efficient or espcn', 'efficient')
  .option('--steps <n>', 'total steps of the schedule', (v) => Number(v), 60_000)
  .option('--patch <n>', 'LR patch size', (v) => Number(v), 48)
  .option('--batch <n>', 'batch size', (v) => Number(v), 16)
  .option('--lr <x>', 'peak learning rate', (v) => Number(v), 1e-3)
  .option('--checkpoint-every <n>', 'steps between checkpoints', (v) => Number(v), 400)
  .option('--skip <kind>', "residual skip of 'efficient': nearest (default) or bicubic")
  .option('--widths <list>', "hidden widths of 'efficient', e.g. 24,24,24,24,24 (default 32,32,32)", (v) => v.split(',').map(Number))
  .option('--activation <name>', "hidden activation of 'efficient': prelu (default), leakyrelu (one learned slope per layer) or relu", 'prelu')
  .option('--id <id>', 'model id (default <arch>-x<scale>)')
  .option('--models-root <dir>', 'where the model folder and manifest.json live (default: the shipped models); pilots go elsewhere, e.g. models/pilots')
  .option('--seed <n>', 'seed', (v) => Number(v), 1)
  .option('--threads <n>', 'gradient threads (onnxruntime)', (v) => Number(v), 1)
  .option('--stage <name>', 'a follow-up stage from the finished main run, checkpointed in checkpoint-<name>/')
  .option('--loss <name>', 'loss: l1, l2 or charbonnier', 'l1')
  .option('--augment-scales <list>', 'also train on HR images downscaled by these factors, e.g. 0.9,0.8,0.7,0.6',
    (v) => v.split(',').map(Number))
  .option('--round-lr', 'train on the rounded LR Y, as the benchmark protocol feeds it')
  .option('--unshuffle <n>', "'efficient': run the convs on 2x2 blocks of LR pixels (pixel unshuffle; 2 is the only factor)", (v) => Number(v))
  .option('--from <id[:stage]>', "start from another model's final weights (e.g. efficient-x4, efficient-x2:ms), same architecture, fresh schedule")
  .option('--publish', 'train nothing: export and score the checkpoint this command names (main run or --stage) and publish it again')
  .option('--clean-share <p>', "share of patches left clean under a degraded preset, 0–1 (default: the preset's)", (v) => Number(v))
  .option('--degradation <preset>', `LR degradation preset: ${DEGRADATION_PRESETS.join(', ')} (default clean; a stage keeps its main run's)`)
  .parse();
const opts = program.opts<{ scale: Scale; arch: ArchName; steps: number; patch: number; batch: number; lr: number; checkpointEvery: number; id?: string; modelsRoot?: string; seed: number; threads: number; stage?: string; loss: LossName; augmentScales?: number[]; widths?: number[]; skip?: SkipKind; roundLr?: boolean; activation: Activation; degradation?: string; from?: string; cleanShare?: number; publish?: boolean; unshuffle?: number }>();
if (opts.degradation !== undefined && !(DEGRADATION_PRESETS as readonly string[]).includes(opts.degradation)) {
  throw new Error(`--degradation must be one of ${DEGRADATION_PRESETS.join(', ')}, got "${opts.degradation}"`);
}
const requestedPreset = opts.degradation as DegradationPreset | undefined;
function unshuffleOption(value: number | undefined): 2 | undefined {
  if (value === undefined || value === 1) return undefined;
  if (value !== 2) throw new Error(`--unshuffle must be 2, got ${value}`);
  return 2;
}

const id = opts.id ?? (requestedPreset && !isCleanPreset(requestedPreset) ? `${opts.arch}-${requestedPreset}-x${opts.scale}` : `${opts.arch}-x${opts.scale}`);
const modelsRoot = opts.modelsRoot ? resolve(opts.modelsRoot) : shippedModelsDir();
const modelDir = join(modelsRoot, id);
const mainCheckpointDir = join(modelDir, 'checkpoint');
const checkpointDir = opts.stage ? join(modelDir, `checkpoint-${opts.stage}`) : mainCheckpointDir;
const requestedSpec = { ...architectureFor(opts.arch, opts.scale, 1, opts.widths, opts.skip, opts.activation, unshuffleOption(opts.unshuffle)), name: opts.arch };
// A stage continues from the main run's final weights with its own loss and a fresh (short) cosine schedule;
// patch and batch size stay the main run's unless given.
const mainRun = opts.stage ? await loadCheckpoint(mainCheckpointDir) : undefined;
if (mainRun && mainRun.step < mainRun.config.steps) {
  throw new Error(`the main run of ${id} is at step ${mainRun.step} of ${mainRun.config.steps}; finish it before --stage`);
}
if (opts.from && opts.stage) throw new Error('--from starts a new model; --stage continues this one: give one of them');
// --from: the source's training weights (not its EMA: the fresh EMA starts from them) and its architecture.
const [fromId, fromStage] = opts.from?.split(':') ?? [];
// (a pilot under --models-root may start from a shipped model)
const fromRoot = fromId && !existsSync(join(modelsRoot, fromId)) ? shippedModelsDir() : modelsRoot;
const source = fromId ? await loadCheckpoint(join(fromRoot, fromId, fromStage ? `checkpoint-${fromStage}` : 'checkpoint')) : undefined;
// A source of another scale lends its body: same layers, a fresh last conv for this scale's output maps.
// An --activation given with --from converts the source's (PReLU → one LeakyRelu slope per layer, see nets.ts).
// --widths given with --from asks for a shallower net that keeps the source's first layers and its last conv.
const fromSpec = source && {
  ...source.config.spec, scale: opts.scale,
  activation: program.getOptionValueSource('activation') === 'cli' ? opts.activation : source.config.spec.activation,
  ...(opts.widths ? { widths: opts.widths, kernels: source.config.spec.kernels.slice(0, opts.widths.length + 1) } : {}),
};
const spec = mainRun?.config.spec ?? fromSpec ?? requestedSpec;
const transferred = source && (source.config.spec.scale !== opts.scale || source.config.spec.activation !== spec.activation || source.config.spec.widths.length !== spec.widths.length)
  ? transferTrainWeights(source.weights, spec, opts.seed) : undefined;
if (transferred?.fresh.length) console.log(`from x${source!.config.spec.scale} to x${opts.scale}: ${transferred.fresh.join(', ')} initialised afresh`);
if (source && source.config.spec.widths.length > spec.widths.length) {
  console.log(`from ${source.config.spec.widths.length + 1} convs to ${spec.widths.length + 1}: hidden layers ${spec.widths.length} to ${source.config.spec.widths.length - 1} of the source dropped`);
}
if (transferred?.converted.length) console.log(`from ${source!.config.spec.activation} to ${spec.activation}: ${transferred.converted.join(', ')} set to the median slope`);
// A stage's steps, wall time and commands add to its main run's; a --from model counts only its own (the notes name
// the model it started from and how that was trained).
const config: TrainConfig = mainRun
  ? {
    ...mainRun.config, loss: opts.loss, steps: opts.steps, seed: mainRun.config.seed + 1,
    ...(program.getOptionValueSource('patch') === 'cli' ? { patchSize: opts.patch } : {}),
    ...(program.getOptionValueSource('batch') === 'cli' ? { batchSize: opts.batch } : {}),
    ...(program.getOptionValueSource('checkpointEvery') === 'cli' ? { checkpointEvery: opts.checkpointEvery, valEvery: opts.checkpointEvery } : {}),
    ...(opts.augmentScales ? { augmentScales: opts.augmentScales } : {}),
    ...(opts.roundLr ? { roundLrY: true } : {}),
    ...(requestedPreset || opts.cleanShare !== undefined
      ? { degradation: { preset: requestedPreset ?? mainRun.config.degradation.preset, ...(opts.cleanShare !== undefined ? { cleanShare: opts.cleanShare } : {}) } }
      : {}),
    schedule: { schedule: 'cosine', lr: opts.lr, lrMin: opts.lr / 100, warmupSteps: 0 },
  }
  : {
    ...DEFAULT_CONFIG,
    spec, kind: source?.config.kind ?? (usesReparam(spec) ? 'reparam' : 'plain'),
    hrFolders: [join(DATASETS, 'train/t91'), join(DATASETS, 'train/bsd200')],
    valFolder: join(DATASETS, 'eval/Set5/HR'), valCrop: 1_000_000,
    steps: opts.steps, batchSize: opts.batch, patchSize: opts.patch, seed: opts.seed, loss: opts.loss,
    schedule: { schedule: 'cosine', lr: opts.lr, lrMin: opts.lr / 100, warmupSteps: source ? 100 : 500 },
    valEvery: opts.checkpointEvery, checkpointEvery: opts.checkpointEvery, ema: 0.999,
    degradation: { preset: requestedPreset ?? 'clean', ...(opts.cleanShare !== undefined ? { cleanShare: opts.cleanShare } : {}) },
    ...(opts.augmentScales ? { augmentScales: opts.augmentScales } : {}),
    ...(opts.roundLr ? { roundLrY: true } : {}),
  };
const preset = config.degradation.preset;
const robust = !isCleanPreset(preset);
const resume: CheckpointState | undefined = existsSync(join(checkpointDir, CHECKPOINT_JSON)) ? await loadCheckpoint(checkpointDir) : undefined;
const command = `nice -n 5 node --import tsx src-main/training/shipped.ts ${process.argv.slice(2).join(' ')}`;
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { console.log(`${sig}: checkpointing…`); controller.abort(); });

const backend = await initTrainingBackend({ threads: opts.threads });
const log = (m: string): void => console.log(`${new Date().toISOString()} ${m}`);
if (resume && requestedPreset && resume.config.degradation.preset !== requestedPreset) {
  throw new Error(`${checkpointDir} is a run under the "${resume.config.degradation.preset}" degradation, not "${requestedPreset}"`);
}
log(opts.publish ? `publishing ${id} from ${checkpointDir} (step ${resume?.step ?? 'none'})`
  : resume ? `resuming ${id} at step ${resume.step}/${Math.max(resume.config.steps, opts.steps)}` : `starting ${id}: ${JSON.stringify(config)}`);

// Every published checkpoint is scored on Set5 and Set14 as `subpixel eval` scores them (Set5 is also the
// validation set inside the loop, whose score at the checkpoint's step is reused).
const benchmark = (name: string) => loadValidationImages(join(DATASETS, 'eval', name, 'HR'), { scale: spec.scale, degradation: { preset: 'bicubic' }, seed: 1, valCrop: 1_000_000 });
const set5 = await benchmark('Set5');
const set14 = await benchmark('Set14');

function describeRun(state: CheckpointState): string {
  const c = state.config;
  return `${c.loss} loss, ${c.augmentScales ? `HR also downscaled by ${c.augmentScales.join('/')}, ` : ''}Adam, cosine ${c.schedule.lr}→${Number((c.schedule.lrMin ?? 0).toPrecision(6))} over ${c.steps} steps, EMA ${c.ema}, `
    + `${isCleanPreset(c.degradation.preset) ? 'bicubic (MATLAB-exact) LR' : `LR degraded per patch by the "${c.degradation.preset}" preset${c.degradation.cleanShare !== undefined ? ` (${Math.round(c.degradation.cleanShare * 100)} % of patches clean)` : ''}`}${c.roundLrY ? ' (Y rounded)' : ''}, 8 flips/rotations; step ${state.step} of ${c.steps}; wall time ${(state.elapsedSec / 3600).toFixed(2)} h; `
    + `commands: ${state.commands.join(' | ')}`;
}

async function publish(state: CheckpointState, weights: Parameters<typeof saveModel>[1]): Promise<void> {
  // the loop has just validated on Set5 at this step, unless a resumed run's history ends earlier; a robust run
  // validates on degraded Set5, so its clean-protocol score is measured here
  const recorded = state.history[state.history.length - 1];
  const last = recorded?.step === state.step && !robust ? recorded : await scoreModel(weights, set5, opts.threads);
  const s14 = await scoreModel(weights, set14, opts.threads);
  const key = `x${spec.scale}`;
  const round = (v: { psnr: number; ssim: number }): { psnr: number; ssim: number } => ({ psnr: Number(v.psnr.toFixed(3)), ssim: Number(v.ssim.toFixed(4)) });
  const training = {
    datasets: ['T91', 'BSD200'], steps: state.step + (mainRun?.step ?? 0), batchSize: state.config.batchSize, patchSize: state.config.patchSize,
    learningRate: (mainRun ?? state).config.schedule.lr, seed: (mainRun ?? state).config.seed, startedAt: mainRun?.startedAt ?? state.startedAt,
    finishedAt: new Date().toISOString(),
    backend: `${backend.name} (${backend.threads} thread${backend.threads === 1 ? '' : 's'})`,
    notes: `${state.config.kind === 'reparam' ? 're-parameterised edge-oriented blocks collapsed to plain 3x3 convs; ' : ''}`
      + (mainRun ? `${describeRun(mainRun)}; then stage "${opts.stage}": ` : '')
      + (source ? `started from ${opts.from} (${describeRun(source)}); then: ` : '') + describeRun(state),
  };
  await saveModel(modelDir, weights, {
    id, description: `${spec.name} x${spec.scale} (Y), trained on T91 + BSD200${robust ? ` under the "${preset}" degradation` : ''}`, training,
  });
  const entry: ManifestEntry & { wallTimeSec: number; commands: string[]; totalSteps: number; degradationRecipe?: DegradationRecipe } = {
    id, family: familyOfPreset(preset), degradation: preset, scale: spec.scale, channels: spec.channels, architecture: weights.spec, params: parameterCount(weights.spec),
    macsPerPixel: macsPerPixel(weights.spec), training, path: relative(modelsRoot, modelDir),
    scores: { ...(last ? { Set5: { [key]: round(last) } } : {}), ...(s14 ? { Set14: { [key]: round(s14) } } : {}) },
    ...(robust && recorded?.step === state.step ? { degradedValidation: { Set5: { [key]: round(recorded) }, preset } } : {}),
    // the preset's values as this run drew them (presets may be retuned later)
    ...(robust ? { degradationRecipe: recipeOf(state.config.degradation) } : {}),
    wallTimeSec: Math.round(state.elapsedSec + (mainRun?.elapsedSec ?? 0)),
    commands: [...(mainRun?.commands ?? []), ...state.commands], totalSteps: state.config.steps + (mainRun?.step ?? 0),
  };
  await upsertManifestEntry(modelsRoot, entry);
  log(`checkpoint step ${state.step}: Set5 ${last ? `${last.psnr.toFixed(3)} dB / ${last.ssim.toFixed(4)}` : 'n/a'}, Set14 ${s14 ? `${s14.psnr.toFixed(3)} dB / ${s14.ssim.toFixed(4)}` : 'n/a'} (elapsed ${(state.elapsedSec / 3600).toFixed(2)} h)`);
}

if (opts.publish) {
  // Which checkpoint a model ships from is a choice (a stage may be tried and dropped): this re-publishes one.
  if (!resume) throw new Error(`${checkpointDir} holds no checkpoint to publish`);
  await publish(resume, resume.ema ? collapse({ spec: resume.config.spec, kind: 'plain', tensors: resume.ema }) : collapse(resume.weights));
  process.exit(0);
}

let lastLog = 0;
const outcome = await train({
  config, ...(resume ? { resume } : mainRun ?? source ? { initial: transferred?.weights ?? (mainRun ?? source)!.weights } : {}), checkpointDir, command, signal: controller.signal,
  backend: { threads: opts.threads },
  onWarning: (m) => log(`warning: ${m}`),
  onProgress: (p) => {
    if (Date.now() - lastLog < 60_000) return;
    lastLog = Date.now();
    log(`step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(5)} lr ${p.lr.toExponential(2)} ${p.stepsPerSec.toFixed(2)} steps/s ETA ${(p.etaSec / 3600).toFixed(1)} h${p.val ? ` Set5 ${p.val.psnr.toFixed(3)}` : ''}`);
  },
  onCheckpoint: publish,
});
log(`${outcome.status} at step ${outcome.step}; mean step ${outcome.meanStepMs.toFixed(0)} ms; Set5 ${outcome.val?.psnr.toFixed(3) ?? 'n/a'} dB`);
