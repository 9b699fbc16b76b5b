import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { QueueEvents, type Job } from 'bullmq';
import { jobSettingsSchema, type RunHooks, type RunJob, type RunResult } from '../jobs/types.js';
import { JOB_ATTEMPTS, openClusterQueue } from './producer.js';
import { CLUSTER_QUEUE, clusterProgressSchema, clusterResultSchema, KEEP_SECONDS, type ClusterJob, type ClusterResult } from './protocol.js';
import { connectRedis, redactRedisUrl, type RedisClient } from './redis.js';

interface Connection {
  url: string;
  redis: RedisClient;
  events: RedisClient;
  queue: ReturnType<typeof openClusterQueue>;
  queueEvents: QueueEvents;
  /** Tile progress listeners by remote job id. */
  progress: Map<string, (p: { tilesDone: number; tilesTotal: number }) => void>;
}

export interface RemoteRunner {
  /** Runs one queue item on the pool at `url` (connecting, or reconnecting when the URL changed). */
  run(url: string, job: RunJob, hooks: RunHooks): Promise<RunResult>;
  close(): Promise<void>;
}

/**
 * The local queue's runner for the worker pool: the queue keeps planning outputs and journaling items, and each item
 * runs as a BullMQ job with its output path already decided (the worker writes that path, atomically). Progress comes
 * back through BullMQ's queue events, so the queue view shows remote items like local ones. The remote job id is a
 * hash of the item and its plan: after a crash of this process the re-queued item finds the job it submitted (and its
 * result) instead of submitting a second one.
 */
export function remoteRunner(): RemoteRunner {
  let current: Promise<Connection> | undefined;
  let currentUrl: string | undefined;

  const open = async (url: string): Promise<Connection> => {
    const redis = await connectRedis(url, { role: 'producer' });
    const events = redis.duplicate();
    const queue = openClusterQueue(redis);
    const queueEvents = new QueueEvents(CLUSTER_QUEUE, { connection: events });
    const progress = new Map<string, (p: { tilesDone: number; tilesTotal: number }) => void>();
    queueEvents.on('progress', ({ jobId, data }) => {
      const parsed = clusterProgressSchema.safeParse(data);
      if (parsed.success) progress.get(jobId)?.(parsed.data);
    });
    await queueEvents.waitUntilReady();
    return { url, redis, events, queue, queueEvents, progress };
  };

  const shut = async (conn: Promise<Connection> | undefined): Promise<void> => {
    const c = await conn?.catch(() => undefined);
    if (!c) return;
    await c.queueEvents.close();
    await c.queue.close();
    for (const client of [c.events, c.redis]) await client.quit().catch(() => client.disconnect());
  };

  /** One connection, for the URL of the moment: a changed setting closes the old one. */
  const connection = (url: string): Promise<Connection> => {
    if (current && currentUrl === url) return current;
    const previous = current;
    currentUrl = url;
    current = open(url);
    current.catch(() => { if (currentUrl === url) { current = undefined; currentUrl = undefined; } });
    void shut(previous);
    return current;
  };

  const run = async (url: string, job: RunJob, hooks: RunHooks): Promise<RunResult> => {
    const conn = await connection(url);
    const id = `q-${createHash('sha256').update(JSON.stringify([job.id, job.plan])).digest('hex').slice(0, 24)}`;
    const data: ClusterJob = {
      batchId: `queue-${hostname()}`,
      input: job.input,
      relDir: '',
      // The output is decided (job.plan); the settings carry what the engine needs.
      settings: jobSettingsSchema.parse({
        model: job.options.model ?? null, scale: job.options.scale, format: job.options.format, quality: job.options.quality,
        keepMetadata: job.options.keepMetadata, outputDir: dirname(job.output),
        ...(job.options.video ? { video: job.options.video } : {}),
      }),
      addedAt: Date.now(),
      pixels: null,
      plan: job.plan,
      split: null,
      segment: null,
    };
    conn.progress.set(id, hooks.onProgress);
    try {
      let remote: Job<ClusterJob, ClusterResult> | undefined = await conn.queue.getJob(id);
      if (remote && (await remote.getState()) === 'failed') await remote.retry('failed');
      remote ??= await conn.queue.add('upscale', data, {
        jobId: id, attempts: JOB_ATTEMPTS, backoff: { type: 'fixed', delay: 2000 },
        removeOnComplete: { age: KEEP_SECONDS }, removeOnFail: { age: KEEP_SECONDS },
      });
      const finished = remote.waitUntilFinished(conn.queueEvents) as Promise<unknown>;
      const aborted = new Promise<never>((_, reject) => {
        // A job still waiting is taken out of the queue and the item ends canceled. One a worker already runs cannot be
        // stopped from here: it finishes and the item ends done with its output, as it truly is (never a second copy
        // from a re-run that did not know of it).
        const onAbort = (): void => {
          remote!.remove().then(
            () => reject(Object.assign(new Error(`canceled: ${job.input}`), { name: 'AbortError' })),
            () => undefined,
          );
        };
        if (hooks.signal.aborted) onAbort();
        else hooks.signal.addEventListener('abort', onAbort, { once: true });
      });
      const result = clusterResultSchema.parse(await Promise.race([finished, aborted]));
      if (result.kind !== 'done') throw new Error(`${job.input}: ${result.reason}`);
      const { output, width, height, ms, frames, fps, codec, model, reason } = result;
      return { output, width, height, ms, ...(frames === undefined ? {} : { frames, fps, codec }), ...(model ? { model } : {}), ...(reason ? { reason } : {}) };
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new Error((error as Error).message.includes('ECONNREFUSED') ? `the worker pool at ${redactRedisUrl(url)} cannot be reached` : (error as Error).message);
    } finally {
      conn.progress.delete(id);
    }
  };

  return {
    run,
    close: async () => {
      const c = current;
      current = undefined;
      currentUrl = undefined;
      await shut(c);
    },
  };
}
