import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { runJobFor } from '../jobs/engine-runner.js';
import { DEFAULT_VIDEO_OPTIONS, isSequenceCodec, isVideoPath } from '../../src-common/video.js';
import { findFfmpeg } from '../video/ffmpeg.js';
import { openSource } from '../video/source.js';
import { chooseVideoModel } from '../video/auto-choice.js';
import { resolveModel } from '../engine/models/store.js';
import { probeVideo } from '../video/probe.js';
import { partsDirFor } from '../video/parts-dir.js';
import { DEFAULT_SEGMENT_FRAMES, joinVideoSegments } from '../video/upscale-video.js';
import { intendedOutput, planCompleted, planOutput, removeStaleTemps } from '../jobs/naming.js';
import type { OutputPlan, Runner, RunJob, TileProgress } from '../jobs/types.js';
import { assertAllowed, OutsideAllowedError } from './allow.js';
import { clusterJobSchema, KEEP_SECONDS, type ClusterJob, type ClusterResult } from './protocol.js';
import type { RedisClient } from './redis.js';

/** A job the worker refuses (malformed, outside --allow): failed at once without further attempts. */
export class JobRejectedError extends Error {
  override readonly name = 'JobRejectedError';
}

/** The part of a BullMQ job the processing needs (the real Job in the worker, a plain object in tests). */
export interface JobHandle {
  id: string;
  data: unknown;
  updateData(data: ClusterJob): Promise<void>;
  updateProgress(progress: TileProgress): Promise<void>;
  /**
   * Adds a video's segment jobs as children of this job (ids `<job>-s<k>`: adding again adds nothing) and makes this
   * job wait for them. True: some are unfinished, the job must end now (the worker throws BullMQ's
   * WaitingChildrenError) and comes back when the last is done; false: all are done. Absent: videos run as one job.
   */
  splitInto?(segments: ClusterJob[]): Promise<boolean>;
}

/** Thrown when a video job waits for its segment jobs (not a failure). */
export class WaitingForSegments extends Error {
  override readonly name = 'WaitingForSegments';
}

export interface JobContext {
  runner: Runner;
  /** Real paths of the --allow folders. */
  allowed: readonly string[];
  /** Real paths of the --models folders: a model given as a folder may live there too. */
  modelDirs: readonly string[];
  redis: RedisClient;
  /** host:pid, reported with each result. */
  worker: string;
  /** Frames per video segment job (default: the video module's). */
  segmentFrames?: number;
  signal?: AbortSignal;
}

const claimKey = (path: string): string => `subpixel:claim:${createHash('sha256').update(path).digest('hex')}`;
// Deletes the claim only while it is still ours.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * Claims an output path for one job across every worker (SET NX): two jobs planned at the same moment on two machines
 * (a.png and a.jpg → a.png) must not both take the free name. A claim held by the same job (a retry) is its own.
 */
async function claim(redis: RedisClient, path: string, jobId: string): Promise<boolean> {
  if ((await redis.set(claimKey(path), jobId, 'EX', KEEP_SECONDS, 'NX')) === 'OK') return true;
  return (await redis.get(claimKey(path))) === jobId;
}

async function release(redis: RedisClient, path: string, jobId: string): Promise<void> {
  await redis.eval(RELEASE, 1, claimKey(path), jobId);
}

/** Decides the output under the job's overwrite policy, treating paths other jobs hold as taken. */
async function planClaimed(job: ClusterJob, jobId: string, redis: RedisClient): Promise<{ kind: 'skip'; path: string; reason: string } | { kind: 'write'; plan: OutputPlan }> {
  const heldByOthers = new Set<string>();
  const intended = intendedOutput(job.input, job.relDir, job.settings, job.addedAt);
  for (let tries = 0; tries < 1000; tries++) {
    const decision = await planOutput(job.input, intended, job.settings.overwrite, {
      isInput: (p) => resolve(p) === job.input,
      isReserved: (p) => heldByOthers.has(resolve(p)),
    });
    if (decision.kind === 'skip') return decision;
    if (await claim(redis, decision.plan.path, jobId)) return decision;
    heldByOthers.add(decision.plan.path);
  }
  throw new Error(`no free output name next to ${intended}`);
}

/**
 * Runs one cluster job the way the local queue runs an item: same naming and overwrite policy, the engine's atomic
 * write, metadata. A video is one job: its committed segments sit beside the output on the shared storage, so the
 * attempt after a crash, on any worker, resumes them (planCompleted knows an output with segments beside it is not
 * finished). The plan is stored in the job before the engine starts, so the attempt after a crash (BullMQ moves
 * a job whose worker died back to the wait list) finishes the same output: it removes the dead run's temp file and
 * either finds the output complete or writes it again, never a second copy.
 */
export async function processClusterJob(handle: JobHandle, ctx: JobContext): Promise<ClusterResult> {
  const parsed = clusterJobSchema.safeParse(handle.data);
  if (!parsed.success) throw new JobRejectedError(`not a subpixel upscale job: ${parsed.error.issues[0]?.message ?? 'invalid data'}`);
  const job = parsed.data;
  try {
    await assertAllowed(job.input, ctx.allowed, 'input');
    await assertAllowed(job.settings.outputDir ? join(job.settings.outputDir, job.relDir) : dirname(job.input), ctx.allowed, 'output folder');
    if (job.settings.model && /[\\/]/.test(job.settings.model)) await assertAllowed(job.settings.model, [...ctx.allowed, ...ctx.modelDirs], 'model folder');
  } catch (error) {
    if (error instanceof OutsideAllowedError) throw new JobRejectedError(error.message);
    throw error;
  }

  if (job.segment) return runSegment(handle, ctx, job, job.segment);

  let plan = job.plan;
  if (plan) {
    await removeStaleTemps(plan.path);
    if (await planCompleted(plan)) {
      await release(ctx.redis, plan.path, handle.id);
      const { width = 0, height = 0 } = await sharp(plan.path).metadata();
      return { kind: 'done', output: plan.path, width, height, ms: 0, worker: ctx.worker };
    }
    await claim(ctx.redis, plan.path, handle.id);
  } else {
    const decision = await planClaimed(job, handle.id, ctx.redis);
    if (decision.kind === 'skip') return { kind: 'skipped', output: decision.path, reason: decision.reason };
    plan = decision.plan;
    await handle.updateData({ ...job, plan });
  }

  const split = await splitVideo(handle, ctx, job, plan);
  if (split) return split;

  try {
    return await runOnEngine(handle, ctx, runJobFor(handle.id, job.input, job.settings, plan));
  } finally {
    // Finished or failed, the path is either written (and so taken on disk) or free again.
    await release(ctx.redis, plan.path, handle.id).catch(() => undefined);
  }
}

/**
 * A video file (to a video codec) of more than one segment is split: this job adds one child job per segment, waits
 * for them (any worker takes them, BullMQ's stalled recovery retries one whose worker died), then, run again once
 * the last is done, joins them losslessly (the join job: whoever submitted the video may have detached). The output
 * path stays claimed meanwhile. Null: the job runs as one.
 */
async function splitVideo(handle: JobHandle, ctx: JobContext, job: ClusterJob, plan: OutputPlan): Promise<ClusterResult | null> {
  const video = { ...DEFAULT_VIDEO_OPTIONS, ...job.settings.video };
  if (!handle.splitInto || !isVideoPath(job.input) || isSequenceCodec(video.codec)) return null;
  let split = job.split;
  if (!split) {
    const frames = Math.max(1, Math.floor(ctx.segmentFrames ?? DEFAULT_SEGMENT_FRAMES));
    const tools = await findFfmpeg();
    const source = await openSource(tools, job.input, {});
    const count = Math.ceil(source.info.frames / frames);
    if (count < 2) return null;
    // Segments left by an earlier run of another job (other settings) are not this split's.
    await rm(partsDirFor(plan.path), { recursive: true, force: true });
    // Automatic chooses here, once, not in every segment job (among the models the engine would search).
    const choice = job.settings.model ? undefined : await chooseVideoModel(tools, source, job.settings.scale, ctx.modelDirs.length ? [...ctx.modelDirs] : undefined);
    split = { count, frames, ...(choice ? { model: choice.model, reason: choice.reason } : {}) };
    await handle.updateData({ ...job, plan, split });
  }
  const { frames } = split;
  const settings = split.model ? { ...job.settings, model: split.model } : job.settings;
  const children = Array.from({ length: split.count }, (_, index): ClusterJob => ({ ...job, settings, plan, split: null, segment: { index, frames } }));
  if (await handle.splitInto(children)) throw new WaitingForSegments(`${job.input}: waiting for ${split.count} segments`);
  const started = Date.now();
  try {
    const joined = await joinVideoSegments(job.input, plan.path, { codec: video.codec, crf: video.crf, segmentFrames: frames });
    const { width, height } = await probeVideo(await findFfmpeg(), plan.path);
    // The id the segments' results carry (a model given as a folder is named by its id, as a single run names it).
    const model = split.model ?? (job.settings.model
      ? (await resolveModel(job.settings.model, { scale: job.settings.scale, ...(ctx.modelDirs.length ? { searchPaths: [...ctx.modelDirs] } : {}) })).id
      : undefined);
    return {
      kind: 'done', output: plan.path, width, height, ms: Date.now() - started, worker: ctx.worker, frames: joined.frames, codec: video.codec,
      ...(model ? { model } : {}), ...(split.reason ? { reason: split.reason } : {}),
    };
  } finally {
    await release(ctx.redis, plan.path, handle.id).catch(() => undefined);
  }
}

/** One segment of a split video: encoded and committed beside its video's output, which its parent job joins. */
async function runSegment(handle: JobHandle, ctx: JobContext, job: ClusterJob, segment: { index: number; frames: number }): Promise<ClusterResult> {
  if (!job.plan) throw new JobRejectedError(`${job.input}: a segment job without its video's output plan`);
  return runOnEngine(handle, ctx, { ...runJobFor(handle.id, job.input, job.settings, job.plan), segment });
}

/** Runs the engine job on this worker, reporting its progress on the BullMQ job. */
async function runOnEngine(handle: JobHandle, ctx: JobContext, runJob: RunJob): Promise<ClusterResult> {
  await mkdir(dirname(runJob.output), { recursive: true });
  let lastProgress = 0;
  const result = await ctx.runner(runJob, {
    signal: ctx.signal ?? new AbortController().signal,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastProgress < 500 && p.tilesDone < p.tilesTotal) return;
      lastProgress = now;
      handle.updateProgress(p).catch(() => { /* progress is advisory; the result is what counts */ });
    },
  });
  const { frames, fps, codec, model, reason } = result;
  return {
    kind: 'done', output: result.output, width: result.width, height: result.height, ms: result.ms, worker: ctx.worker,
    ...(frames === undefined ? {} : { frames }), ...(fps === undefined ? {} : { fps }), ...(codec === undefined ? {} : { codec }),
    ...(model ? { model } : {}), ...(reason ? { reason } : {}),
  };
}
