import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Queue, type Job, type QueueEvents } from 'bullmq';
import { mapLimit } from '../jobs/expand.js';
import type { JobSettings, TileProgress } from '../jobs/types.js';
import {
  batchKey, batchRecordSchema, CLUSTER_QUEUE, clusterProgressSchema, clusterResultSchema, jobIdFor, KEEP_SECONDS,
  type BatchRecord, type ClusterJob, type ClusterJobInput, type ClusterResult,
} from './protocol.js';
import type { RedisClient } from './redis.js';

export interface BatchInput { input: string; relDir: string; pixels: number | null }

/** Attempts per job: one retry for a passing fault (a network file system hiccup), then failed with its message. */
export const JOB_ATTEMPTS = 2;

export function openClusterQueue(redis: RedisClient): Queue<ClusterJob, ClusterResult> {
  return new Queue<ClusterJob, ClusterResult>(CLUSTER_QUEUE, { connection: redis });
}

/**
 * The batch id: a hash of the inputs (path, size, modification time), their sub-folders and the settings. Running the
 * same command again, from any machine, finds the batch it started and follows it instead of submitting it twice;
 * changed files or settings make a new batch.
 */
export async function batchIdFor(inputs: readonly BatchInput[], settings: JobSettings): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  const stamps = await mapLimit(inputs, 16, async (i) => {
    const s = await stat(i.input).catch(() => null);
    return `${i.input}\u0000${i.relDir}\u0000${s?.size ?? -1}\u0000${s?.mtimeMs ?? -1}\n`;
  });
  for (const line of stamps) hash.update(line);
  return hash.digest('hex').slice(0, 16);
}

export async function readBatchRecord(redis: RedisClient, id: string): Promise<BatchRecord | null> {
  const text = await redis.get(batchKey(id));
  if (text === null) return null;
  return batchRecordSchema.parse(JSON.parse(text));
}

async function writeBatchRecord(redis: RedisClient, record: BatchRecord): Promise<void> {
  await redis.set(batchKey(record.id), JSON.stringify(record), 'EX', KEEP_SECONDS);
}

/**
 * Puts a batch in the queue, or finds it there. Job ids are `<batch>-<n>`: BullMQ ignores an add whose id exists, so
 * a producer killed half-way and run again adds only what is missing, and nothing twice.
 */
export async function submitBatch(
  queue: Queue<ClusterJob, ClusterResult>, redis: RedisClient, id: string, inputs: readonly BatchInput[], settings: JobSettings,
  reported: Pick<BatchRecord, 'failed' | 'skipped'>,
): Promise<{ record: BatchRecord; resumed: boolean }> {
  const existing = await readBatchRecord(redis, id);
  if (existing?.submitted) return { record: existing, resumed: true };
  const record: BatchRecord = { id, createdAt: existing?.createdAt ?? Date.now(), total: inputs.length, ...reported, submitted: false };
  await writeBatchRecord(redis, record);
  const addedAt = record.createdAt;
  for (let from = 0; from < inputs.length; from += 500) {
    await queue.addBulk(inputs.slice(from, from + 500).map((item, i) => {
      const data: ClusterJobInput = { batchId: id, input: item.input, relDir: item.relDir, settings, addedAt, pixels: item.pixels, plan: null };
      return {
        name: 'upscale',
        data: data as ClusterJob,
        opts: {
          jobId: jobIdFor(id, from + i),
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'fixed', delay: 2000 },
          removeOnComplete: { age: KEEP_SECONDS },
          removeOnFail: { age: KEEP_SECONDS },
        },
      };
    }));
  }
  const done = { ...record, submitted: true };
  await writeBatchRecord(redis, done);
  return { record: done, resumed: existing !== null };
}

export interface DoneItem { input: string; output: string; width: number; height: number; ms: number; worker: string; model?: string; reason?: string }
export interface FailedItem { input: string; error: string }
export interface SkippedItem { input: string; output: string; reason: string }

export interface BatchView {
  total: number;
  done: DoneItem[];
  failed: FailedItem[];
  skipped: SkippedItem[];
  /** Input pixels of the whole batch and of what is finished or partly done (running jobs count by tiles). */
  pixelsTotal: number;
  pixelsDone: number;
  /** Inputs running now, with their tile progress. */
  running: Array<{ input: string; progress: TileProgress | null }>;
  finished: boolean;
}


/**
 * Follows a batch until every job has finished. BullMQ's queue events (completed, failed, progress) say which jobs
 * changed, and each round reads only those; a full read of the unfinished jobs runs at the start, then every
 * `sweepMs` (events are not stored: a reconnect may miss some), or every round while the batch is small. Finished
 * jobs are read once and remembered, so a batch of 200 000 frames costs Redis little per second.
 */
export async function followBatch(
  queue: Queue<ClusterJob, ClusterResult>, record: BatchRecord, onUpdate: (view: BatchView) => void,
  options: {
    intervalMs?: number;
    sweepMs?: number;
    /** Up to this many unfinished jobs every round reads them all (default 2000); above it, only those events named. */
    sweepAllUpTo?: number;
    signal?: AbortSignal;
    events?: QueueEvents;
  } = {},
): Promise<BatchView> {
  const done: DoneItem[] = [];
  const failed: FailedItem[] = [...record.failed];
  const skipped: SkippedItem[] = [...record.skipped];
  const open = new Set(Array.from({ length: record.total }, (_, n) => n));
  const pixelsOf = new Map<number, number>();
  const running = new Map<number, { input: string; progress: TileProgress | null }>();
  const changed = new Set<number>();
  let pixelsFinished = 0;
  const interval = options.intervalMs ?? 500;
  const sweepMs = options.sweepMs ?? 15_000;
  const prefix = `${record.id}-`;
  const indexOf = (jobId: string): number | null => {
    if (!jobId.startsWith(prefix)) return null;
    const n = Number(jobId.slice(prefix.length));
    return Number.isInteger(n) && open.has(n) ? n : null;
  };
  const onChanged = ({ jobId }: { jobId: string }): void => {
    const n = indexOf(jobId);
    if (n !== null) changed.add(n);
  };
  const onProgress = ({ jobId, data }: { jobId: string; data: unknown }): void => {
    const n = indexOf(jobId);
    const progress = clusterProgressSchema.safeParse(data);
    const known = n === null ? undefined : running.get(n);
    if (known && progress.success) known.progress = progress.data;
    else if (n !== null) changed.add(n);
  };
  options.events?.on('completed', onChanged);
  options.events?.on('failed', onChanged);
  options.events?.on('active', onChanged);
  options.events?.on('progress', onProgress);

  const read = async (indexes: number[]): Promise<void> => {
    const jobs = await mapLimit(indexes, 256, async (n) => [n, await queue.getJob(jobIdFor(record.id, n))] as const);
    for (const [n, job] of jobs) {
      if (!open.has(n)) continue;
      if (!job) {
        open.delete(n);
        running.delete(n);
        failed.push({ input: `${record.id} job ${n}`, error: 'the job is no longer in Redis (expired or removed)' });
        continue;
      }
      const pixels = job.data.pixels ?? 1;
      pixelsOf.set(n, pixels);
      const outcome = settle(job);
      if (outcome) {
        open.delete(n);
        running.delete(n);
        pixelsFinished += pixels;
        if (outcome.kind === 'done') done.push(outcome.item);
        else if (outcome.kind === 'failed') failed.push(outcome.item);
        else skipped.push(outcome.item);
      } else if (job.processedOn) {
        const progress = clusterProgressSchema.safeParse(job.progress);
        running.set(n, { input: job.data.input, progress: progress.success ? progress.data : null });
      } else running.delete(n);
    }
  };

  try {
    let lastSweep = Number.NEGATIVE_INFINITY;
    for (;;) {
      const now = Date.now();
      const sweep = !options.events || open.size <= (options.sweepAllUpTo ?? 2000) || now - lastSweep >= sweepMs;
      if (sweep) lastSweep = now;
      const indexes = sweep ? [...open] : [...changed].filter((n) => open.has(n));
      changed.clear();
      await read(indexes);
      const known = [...pixelsOf.values()];
      const typical = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
      let pixelsPartial = 0;
      for (const [n, r] of running) {
        if (r.progress && r.progress.tilesTotal > 0) pixelsPartial += ((pixelsOf.get(n) ?? typical) * r.progress.tilesDone) / r.progress.tilesTotal;
      }
      const view: BatchView = {
        total: record.total + record.failed.length + record.skipped.length,
        done, failed, skipped,
        pixelsTotal: typical * record.total,
        pixelsDone: pixelsFinished + pixelsPartial,
        running: [...running.values()],
        finished: open.size === 0,
      };
      onUpdate(view);
      if (view.finished || options.signal?.aborted) return view;
      await new Promise((r) => setTimeout(r, interval));
    }
  } finally {
    options.events?.off('completed', onChanged);
    options.events?.off('failed', onChanged);
    options.events?.off('active', onChanged);
    options.events?.off('progress', onProgress);
  }
}

type Outcome = { kind: 'done'; item: DoneItem } | { kind: 'failed'; item: FailedItem } | { kind: 'skipped'; item: SkippedItem };

/** A finished job's outcome; null while it waits, runs or waits for another attempt. */
function settle(job: Job<ClusterJob, ClusterResult>): Outcome | null {
  const input = job.data.input;
  if (job.returnvalue !== null && job.returnvalue !== undefined) {
    const result = clusterResultSchema.safeParse(job.returnvalue);
    if (!result.success) return { kind: 'failed', item: { input, error: 'the worker returned an unreadable result' } };
    const r = result.data;
    return r.kind === 'done'
      ? { kind: 'done', item: { input, output: r.output, width: r.width, height: r.height, ms: r.ms, worker: r.worker, ...(r.model ? { model: r.model } : {}), ...(r.reason ? { reason: r.reason } : {}) } }
      : { kind: 'skipped', item: { input, output: r.output, reason: r.reason } };
  }
  if (job.finishedOn) return { kind: 'failed', item: { input, error: job.failedReason || 'failed' } };
  return null;
}
