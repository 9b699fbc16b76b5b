import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import { removeDeadTemps } from '../common/atomic-write.js';
import { folderProblem, plainIoMessage } from '../common/io-errors.js';
import { escapeControl } from '../common/sticky-log.js';
import { OUTPUT_LIMIT_TEXT } from '../engine/output-limit.js';
import { DEFAULT_JOB_SETTINGS, jobSettingsSchema, OverwritePolicy, type JobSettings } from '../../src-common/job-settings.js';
import type { Scale } from '../engine/models/spec.js';
import { resolveModel } from '../engine/models/store.js';
import { isWritableFormat, OUTPUT_FORMATS, type OutputFormat } from '../../src-common/formats.js';
import { intendedOutput, planOutput } from '../jobs/naming.js';
import { createEngineClient, type EngineClient } from '../workers/engine-client.js';
import { expandInputs, mapLimit, probePixels } from '../jobs/expand.js';
import { resolveShard, selectShard } from '../cluster/shard.js';
import { ThroughputMeter } from '../jobs/throughput.js';
import { pixelBar } from './progress-bar.js';
import { errorText, formatDuration, intOption, printJson } from './output.js';
import { DEFAULT_CRF, VIDEO_CODECS, VideoCodec, isVideoPath } from '../../src-common/video.js';
import { findFfmpeg } from '../video/ffmpeg.js';
import { openSource } from '../video/source.js';
import { videoOutputComplete } from '../video/upscale-video.js';
import { splitInputs, videoOutputPath } from './video-inputs.js';
import { describeVideo } from '../video/probe.js';

interface UpscaleCliOptions {
  output: string;
  maxOutputMegapixels?: number;
  scale: Scale;
  model?: string;
  format: OutputFormat | 'keep';
  quality?: number;
  recursive?: boolean;
  naming: string;
  overwrite: string;
  skipExisting?: boolean;
  tile?: number;
  backend: 'auto' | 'onnx' | 'tfjs';
  json?: boolean;
  shard?: string;
  videoCodec: string;
  crf?: number;
  deflicker?: boolean;
  allowGaps?: boolean;
  sequence?: boolean;
  frameRate?: string;
  segmentFrames?: number;
  redis?: string | true;
  detach?: boolean;
}

interface Done {
  input: string; output: string; width: number; height: number; ms: number;
  /** Images: the model that ran, and why when Automatic chose it (no -m). */
  model?: string; reason?: string;
  /** Videos: frames written, frames per second of this run, the codec, frames kept from an interrupted run. */
  frames?: number; fps?: number; codec?: VideoCodec; resumedFrames?: number;
}
interface Failed { input: string; error: string }
interface Skipped { input: string; output: string; reason: string }

/**
 * The app's job settings for this command line: the same schema, defaults, naming and overwrite policy as a queue
 * item, so `subpixel upscale` and the app name and protect outputs alike.
 */
function cliJobSettings(options: UpscaleCliOptions, outputDir: string, overwrite: JobSettings['overwrite']): JobSettings {
  const parsed = jobSettingsSchema.safeParse({
    model: options.model ?? null, scale: options.scale, format: options.format, outputDir, naming: options.naming, overwrite,
    ...(options.quality === undefined ? {} : { quality: options.quality }),
  });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Outputs up to this size (a 4K frame is 8.3 MP) may be four in flight: at most 4 x 96 MB of 16-bit RGB rasters. */
const SMALL_OUTPUT_PIXELS = 16e6;

/**
 * Files in flight at once: two, so that the worker decodes or encodes one while the other holds the inference lock;
 * four when every output is small (frames), where an LZW TIFF encode takes longer than an inference and several
 * encodes overlap with it (40 frames 480x270 → x4 TIFF: three in flight 7–8 % faster than two, four another 3–5 %;
 * five and six no faster). Large outputs, held whole for JPEG, WebP and AVIF, stay at two.
 */
export function filesInFlight(work: ReadonlyArray<{ pixels: number; video: boolean }>, scale: number): 2 | 4 {
  return work.every((w) => !w.video && w.pixels * scale ** 2 <= SMALL_OUTPUT_PIXELS) ? 4 : 2;
}

/** `started`: an engine whose worker the caller started before this module loaded (see cli/main.ts), which closes it. */
export async function runUpscale(inputs: string[], options: UpscaleCliOptions, started?: EngineClient): Promise<number> {
  // The engine worker starts now at the latest, so that loading its modules overlaps with planning the run (a folder
  // of frames pays that start-up once per command). A --redis run has no local engine. Only an engine made here is
  // closed here.
  const local = options.redis === undefined;
  const own = local && !started ? createEngineClient() : undefined;
  const engine = local ? started ?? own : undefined;
  engine?.warm();
  try {
    if (options.format !== 'keep' && !isWritableFormat(options.format)) {
      throw new Error(`--format must be ${OUTPUT_FORMATS.join(', ')} or keep (got '${options.format}')`);
    }
    return await planAndRun(inputs, options, engine);
  } finally {
    await own?.close();
  }
}

async function planAndRun(inputs: string[], options: UpscaleCliOptions, engine: EngineClient | undefined): Promise<number> {
  // Control characters in file names are shown escaped: a name cannot rewrite the terminal or split a line.
  const log = (line: string): void => { if (!options.json) process.stderr.write(`${escapeControl(line)}\n`); };
  try {
    await resolveModel(options.model, { scale: options.scale });
  } catch (error) {
    const message = options.model
      ? errorText(error)
      : `no trained x${options.scale} model is installed: pass -m <model id or folder> (\`subpixel info\` lists models). ${errorText(error)}`;
    throw new Error(message);
  }

  // Parsed before any work: a bad --shard or a missing scheduler variable is a usage error, not a failed batch.
  const shard = options.shard === undefined ? undefined : resolveShard(options.shard);
  const outDir = resolve(options.output);
  // Said once, before any work: an -o that is a file, or on a read-only file system, would fail every item alike.
  const outProblem = await folderProblem(outDir);
  if (outProblem) throw new Error(`output folder: ${outProblem}`);
  const started = Date.now();
  const codecChoice = VideoCodec.safeParse(options.videoCodec);
  if (!codecChoice.success) throw new Error(`--video-codec must be one of ${VIDEO_CODECS.join(', ')} (got '${options.videoCodec}')`);
  const videoCodec = codecChoice.data;
  const split = await splitInputs(inputs, { sequenceFolders: options.sequence, recursive: options.recursive });
  // Sub-folders are walked only with --recursive; a FIFO, device or unreadable folder is reported, never fatal.
  const expansion = await expandInputs(split.stills, { recursive: options.recursive === true });
  const failed: Failed[] = expansion.problems.map((p) => {
    const at = p.lastIndexOf(': ');
    return { input: at > 0 ? p.slice(0, at) : p, error: at > 0 ? p.slice(at + 2) : p };
  });
  const skipped: Skipped[] = [];
  const done: Done[] = [];
  const all = [
    ...expansion.files.map((f) => ({ ...f, video: false })),
    ...split.videos.map((v) => ({ ...v, video: true })),
  ];
  const files = shard ? selectShard(all, shard) : all;
  if (shard) log(`${shard.source}: ${files.length} of ${all.length} input(s)`);
  // A shard is re-run after a node failure or a preemption: what it wrote before is complete (outputs are
  // written atomically), so it is skipped rather than redone.
  const policy = OverwritePolicy.safeParse(options.skipExisting || shard !== undefined ? 'skip' : options.overwrite);
  if (!policy.success) throw new Error(`--overwrite must be one of ${OverwritePolicy.options.join(', ')} (got '${options.overwrite}')`);
  const skipExisting = policy.data === 'skip';
  const settings = cliJobSettings(options, outDir, policy.data);
  const inputSet = new Set(files.map((f) => resolve(f.input)));
  const taken = new Set<string>();
  const work: Array<{ input: string; relDir: string; output: string; pixels: number; video: boolean; frames: number }> = [];
  for (const file of files) {
    // Stills and videos are named and protected as queue items are (jobs/naming.ts): the pattern, then the overwrite
    // policy. An unfinished video output (committed segments, no final file yet) is free, so it is resumed.
    const video = file.video === true;
    const intended = video ? videoOutputPath(file, settings, videoCodec, started) : intendedOutput(file.input, file.relDir, settings, started);
    if (!video && resolve(file.input) === intended) {
      failed.push({ input: file.input, error: 'output would replace the input: choose another -o folder, --naming or --format' });
      continue;
    }
    const decision = video && skipExisting && await videoOutputComplete(intended)
      ? { kind: 'skip' as const, path: intended }
      : await planOutput(file.input, intended, settings.overwrite, {
        isInput: (path) => inputSet.has(resolve(path)),
        isReserved: (path) => taken.has(path),
      });
    if (decision.kind === 'skip') {
      skipped.push({ input: file.input, output: decision.path, reason: 'output exists' });
      continue;
    }
    taken.add(decision.plan.path);
    work.push({ input: file.input, relDir: file.relDir, output: decision.plan.path, pixels: 1, video, frames: 1 });
  }
  // A killed earlier run (SIGKILL, power loss) left its temp files next to the outputs; they are nobody's now.
  for (const folder of new Set(work.map((w) => dirname(w.output)))) {
    for (const temp of await removeDeadTemps(folder)) log(`removed ${temp}, left by a killed run`);
  }
  // Header reads only, a few at a time: the progress bar and ETA count pixels (of every frame), not files.
  // A video that cannot be probed (or no FFmpeg) is left to fail with its reason when its turn comes.
  await mapLimit(work, 8, async (w) => {
    if (!w.video) { w.pixels = (await probePixels(w.input)) ?? 1; return; }
    try {
      const { info } = await openSource(await findFfmpeg(), w.input, { allowGaps: options.allowGaps, sequenceRate: options.frameRate });
      w.frames = info.frames;
      w.pixels = info.width * info.height * info.frames;
      log(`${w.input}: ${describeVideo(info)}`);
    } catch { /* reported by the run */ }
  });

  if (options.redis !== undefined) {
    // Video files go to the pool with this command's codec flags (a long one is split into segment jobs there); frame
    // sequences (patterns, folders) are not single files a worker can take and stay local.
    const poolable = (w: (typeof work)[number]): boolean => !w.video || isVideoPath(w.input);
    for (const v of work.filter((w) => !poolable(w))) failed.push({ input: v.input, error: 'frame sequences are not sent to the worker pool: upscale them without --redis (or with --shard)' });
    const video = { codec: videoCodec, crf: options.crf ?? DEFAULT_CRF, deflicker: options.deflicker === true, allowGaps: options.allowGaps === true };
    const poolSettings = work.some((w) => w.video) ? { ...settings, video } : settings;
    // BullMQ and its Redis client load only for --redis: a local run does not pay their start-up.
    const { runOnCluster } = await import('./cluster.js');
    return runOnCluster(options.redis, work.filter(poolable), poolSettings, { failed, skipped }, { json: options.json === true, detach: options.detach === true });
  }

  const totalPixels = work.reduce((sum, w) => sum + w.pixels, 0);
  // The queue's own rate measure (pixels per second of busy time), so the CLI's ETA is the app's.
  const meter = new ThroughputMeter();
  const bar = pixelBar(totalPixels, work.length, !options.json, () => meter.pixelsPerSecond());
  let pixelsDone = 0;
  let filesDone = 0;
  const inFlight = new Map<string, number>();
  const update = (label: string): void => {
    if (!bar) return;
    const partial = [...inFlight.values()].reduce((a, b) => a + b, 0);
    bar.update(pixelsDone + partial, filesDone, label);
  };

  if (!engine) throw new Error('internal: a local run without its engine');
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    await mapLimit(work, filesInFlight(work, options.scale), async (item) => {
      if (abort.signal.aborted) { failed.push({ input: item.input, error: 'canceled' }); return; }
      inFlight.set(item.input, 0);
      meter.begin();
      let succeeded = false;
      try {
        if (item.video) {
          const result = await engine.upscaleVideo(item.input, item.output, {
            model: options.model,
            scale: options.scale,
            backend: options.backend,
            tile: options.tile,
            codec: videoCodec,
            crf: options.crf,
            deflicker: options.deflicker,
            allowGaps: options.allowGaps,
            sequenceRate: options.frameRate,
            segmentFrames: options.segmentFrames,
          }, {
            signal: abort.signal,
            onProgress: ({ framesDone, framesTotal, fps }) => {
              inFlight.set(item.input, (item.pixels * framesDone) / Math.max(1, framesTotal));
              update(`${basename(item.input)} frame ${framesDone}/${framesTotal} ${fps.toFixed(1)} fps`);
            },
          });
          const { output, width, height, ms, frames, fps, codec, model, reason } = result;
          done.push({ input: item.input, output, width, height, ms, frames, fps, codec, resumedFrames: result.resumedFrames, model, ...(reason ? { reason } : {}) });
          succeeded = true;
          for (const warning of result.warnings) log(`warning ${item.input}: ${warning}`);
          const why = reason ? `${model}, ${reason}` : model;
          if (!bar) log(`done ${item.input} → ${output} (${width}x${height}, ${frames} frames${result.resumedFrames ? `, ${result.resumedFrames} resumed` : ''}, ${fps} fps, ${codec}, ${why}, ${ms} ms)`);
          return;
        }
        const result = await engine.upscaleFile(item.input, item.output, {
          model: options.model,
          scale: options.scale,
          format: options.format,
          quality: options.quality,
          backend: options.backend,
          tile: options.tile,
          ...(options.maxOutputMegapixels ? { maxOutputPixels: options.maxOutputMegapixels * 1e6 } : {}),
        }, {
          signal: abort.signal,
          onProgress: ({ tilesDone, tilesTotal }) => {
            inFlight.set(item.input, (item.pixels * tilesDone) / tilesTotal);
            update(basename(item.input));
          },
        });
        done.push({
          input: item.input, output: result.output, width: result.width, height: result.height, ms: result.ms,
          model: result.model, ...(result.reason ? { reason: result.reason } : {}),
        });
        succeeded = true;
        const why = result.reason ? `${result.model}, ${result.reason}` : result.model;
        if (!bar) log(`done ${item.input} → ${result.output} (${result.width}x${result.height}, ${why}, ${result.ms} ms)`);
      } catch (error) {
        // Listed once, in the summary below (the reason without the input path the engine may lead with).
        let message = plainIoMessage(error, item.output);
        if (message.startsWith(`${item.input}: `)) message = message.slice(item.input.length + 2);
        if (message.includes(OUTPUT_LIMIT_TEXT)) message += '; raise it with --max-output-megapixels <n> (the whole output is held in memory: about 4 bytes per pixel)';
        failed.push({ input: item.input, error: message });
      } finally {
        // A failure's time counts, its pixels do not (as in the queue).
        meter.end(succeeded ? item.pixels : 0);
        inFlight.delete(item.input);
        pixelsDone += item.pixels;
        filesDone++;
        update(basename(item.input));
      }
    });
  } finally {
    process.off('SIGINT', onSigint);
    bar?.stop();
  }

  if (options.json) printJson({ done, failed, skipped, ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}) });
  else {
    for (const s of skipped) log(`skipped ${s.input}: ${s.reason}`);
    for (const f of failed) log(`FAILED ${f.input}: ${f.error}`);
    log(`${done.length} upscaled, ${failed.length} failed, ${skipped.length} skipped in ${formatDuration((Date.now() - started) / 1000)}`);
  }
  return failed.length ? 1 : 0;
}

/** `engine`: started early by cli/main.ts for a local run (its worker's modules load beside this command's). */
export function registerUpscaleCommand(program: Command, engine?: EngineClient): void {
  program
    .command('upscale')
    .description('upscale image files, videos, frame sequences and folders')
    .argument('<inputs...>', 'image or video files, folders, frame patterns (scan_%06d.dpx)')
    .requiredOption('-o, --output <dir>', 'output folder (sub-folders of input folders are kept)')
    .requiredOption('-s, --scale <n>', 'scale factor: 2, 3 or 4', intOption('--scale', [2, 3, 4]))
    .option('-m, --model <id or folder>', 'model id or model folder (default: Automatic, per image the robust or the clean model of the scale)')
    .option('--format <format>', `${OUTPUT_FORMATS.join(' | ')} | keep`, DEFAULT_JOB_SETTINGS.format)
    .option('--quality <n>', 'quality 1-100 for jpg, webp, avif', intOption('--quality'))
    .option('--recursive', 'include images in sub-folders of input folders')
    .option('--naming <pattern>', 'output file name: {name} {scale} {model} {ext} {date}, as in the app', DEFAULT_JOB_SETTINGS.naming)
    .option('--overwrite <policy>', 'when the output exists: rename (adds " (1)"), skip or overwrite', DEFAULT_JOB_SETTINGS.overwrite)
    .option('--skip-existing', 'skip images whose output already exists (same as --overwrite skip)')
    .option('--tile <n>', 'LR tile edge in pixels (default: from a memory budget)', intOption('--tile'))
    .option('--max-output-megapixels <n>', 'largest output to make, in megapixels (default 1000: held whole in memory, about 4 bytes per pixel)', intOption('--max-output-megapixels'))
    .option('--backend <name>', 'auto | onnx | tfjs', 'auto')
    .option('--json', 'print one JSON document with the results')
    .option('--video-codec <codec>', `video output: ${VIDEO_CODECS.join(' | ')}`, 'ffv1')
    .option('--crf <n>', `h264/h265 quality, 0 (best) to 51 (default ${DEFAULT_CRF})`, intOption('--crf'))
    .option('--deflicker', 'even out frame-to-frame brightness flicker (old film) before upscaling')
    .option('--allow-gaps', 'go on over missing frames of a numbered sequence (outputs keep the input numbers)')
    .option('--sequence', 'folder inputs are numbered frame sequences (one video each), not folders of stills')
    .option('--frame-rate <rate>', 'frame rate of frame sequences encoded as video (e.g. 24, 24000/1001)', '24')
    .option('--segment-frames <n>', 'frames per resumable video segment (a crash redoes at most one; default 120)', intOption('--segment-frames'))
    .option('--shard <k/n|auto>', 'process only part k of n of the inputs (by sorted relative path; implies --skip-existing); ' +
      'auto: from a Kubernetes Indexed Job or a Slurm array')
    .option('--redis [url]', 'submit to the worker pool on this Redis (redis:// or rediss://; without a value: $SUBPIXEL_REDIS_URL) and follow the batch')
    .option('--detach', 'with --redis: submit, print the batch id and return (follow it later with `subpixel batch <id>`)')
    .action(async (inputs: string[], options: UpscaleCliOptions) => {
      process.exitCode = await runUpscale(inputs, options, engine);
    });
}
