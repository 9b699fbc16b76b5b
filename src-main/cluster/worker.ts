import { hostname } from 'node:os';
import { UnrecoverableError, WaitingChildrenError, Worker, type Job } from 'bullmq';
import { engineRunner } from '../jobs/engine-runner.js';
import type { TileProgress } from '../jobs/types.js';
import { createEngineClient } from '../workers/engine-client.js';
import { resolveAllowed } from './allow.js';
import { JobRejectedError, processClusterJob, WaitingForSegments } from './process-job.js';
import { JOB_ATTEMPTS, openClusterQueue } from './producer.js';
import { CLUSTER_QUEUE, KEEP_SECONDS, type ClusterJob, type ClusterResult } from './protocol.js';
import { connectRedis } from './redis.js';

export interface ClusterWorkerOptions {
  redisUrl: string;
  /** Jobs in flight in this process (default 2: one decodes or encodes while the other infers). */
  concurrency?: number;
  /** Folders jobs may read and write. */
  allow: readonly string[];
  /** Extra model folders (searched before the shipped models). */
  modelDirs?: readonly string[];
  backend?: 'auto' | 'onnx' | 'tfjs';
  /**
   * Frames per video segment (default: the video module's): a longer video is split into segment jobs of this many
   * frames, run by any worker; a worker's death costs at most one segment.
   */
  videoSegmentFrames?: number;
  /**
   * How long a job's lock lives without renewal: a worker that dies (SIGKILL, lost machine) stops renewing, and its
   * jobs go back to the queue about this long after. Default 30 s.
   */
  lockMs?: number;
  log?: (line: string) => void;
}

export interface ClusterWorker {
  /** Stops taking jobs and waits for the running ones (force: abandons them to stalled-job recovery). */
  close(force?: boolean): Promise<void>;
}

/**
 * `subpixel worker`: takes upscale jobs from the pool's queue and runs them with the engine in a worker thread, as
 * the local queue does. A job outside the --allow folders or malformed fails at once; any other error gets the
 * job's bounded attempts (set by the producer), then fails with the worker's message.
 */
export async function startClusterWorker(options: ClusterWorkerOptions): Promise<ClusterWorker> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const allowed = await resolveAllowed(options.allow);
  const modelDirs = options.modelDirs?.length ? await resolveAllowed(options.modelDirs, '--models') : [];
  const redis = await connectRedis(options.redisUrl, { role: 'worker' });
  const engine = createEngineClient();
  const runner = engineRunner(engine, {
    ...(options.modelDirs?.length ? { modelSearchPaths: modelDirs } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.videoSegmentFrames ? { videoSegmentFrames: options.videoSegmentFrames } : {}),
  });
  const name = `${hostname()}:${process.pid}`;
  const lockMs = options.lockMs ?? 30_000;

  // BullMQ leaves a connection it was given open on close: this one is ours to quit.
  const workerConnection = redis.duplicate();
  // Where a video job adds its segment jobs.
  const queue = openClusterQueue(redis);
  const worker = new Worker<ClusterJob, ClusterResult>(CLUSTER_QUEUE, async (job: Job<ClusterJob, ClusterResult>, token, signal) => {
    try {
      return await processClusterJob({
        id: job.id!,
        data: job.data,
        updateData: (data) => job.updateData(data),
        updateProgress: (p: TileProgress) => job.updateProgress(p),
        splitInto: async (segments) => {
          await queue.addBulk(segments.map((data, k) => ({
            name: 'segment',
            data,
            opts: {
              jobId: `${job.id!}-s${k}`,
              parent: { id: job.id!, queue: job.queueQualifiedName },
              // A segment that fails for good fails its video, with its reason.
              failParentOnFailure: true,
              attempts: JOB_ATTEMPTS,
              backoff: { type: 'fixed', delay: 2000 },
              removeOnComplete: { age: KEEP_SECONDS },
              removeOnFail: { age: KEEP_SECONDS },
            },
          })));
          return job.moveToWaitingChildren(token!);
        },
      }, {
        runner, allowed, modelDirs, redis, worker: name, ...(signal ? { signal } : {}),
        ...(options.videoSegmentFrames ? { segmentFrames: options.videoSegmentFrames } : {}),
      });
    } catch (error) {
      if (error instanceof WaitingForSegments) throw new WaitingChildrenError();
      if (error instanceof JobRejectedError) throw new UnrecoverableError(error.message);
      throw error;
    }
  }, {
    connection: workerConnection,
    // Recorded on each job it takes (processedBy): which worker ran what.
    name,
    concurrency: Math.max(1, options.concurrency ?? 2),
    lockDuration: lockMs,
    stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
    // A job whose worker died twice goes back once more; a third death (a file that crashes the process) fails it.
    maxStalledCount: 2,
    removeOnComplete: { age: KEEP_SECONDS },
    removeOnFail: { age: KEEP_SECONDS },
  });
  const reportSegments = async (parentId: string): Promise<void> => {
    const parent = await queue.getJob(parentId);
    if (!parent?.data.split) return;
    const { processed = 0 } = await parent.getDependenciesCount({ processed: true });
    await parent.updateProgress({ tilesDone: processed, tilesTotal: parent.data.split.count });
  };
  worker.on('completed', (job, result) => {
    if (job.data.segment) {
      log(`segment ${job.data.segment.index} of ${job.data.input} (${result.kind === 'done' ? `${result.frames ?? 0} frames, ${result.ms} ms` : result.kind})`);
      // The video's job shows its segments done as its progress (producers follow that job, not its segments).
      if (job.parent?.id) void reportSegments(job.parent.id).catch(() => { /* progress is advisory */ });
    }
    else if (result.kind === 'done') log(`done    ${job.data.input} -> ${result.output} (${result.width}x${result.height}, ${result.ms} ms)`);
    else log(`skipped ${job.data.input}: ${result.reason}`);
  });
  worker.on('failed', (job, error) => {
    if (job) log(`failed  ${job.data.input} (attempt ${job.attemptsMade}): ${error.message}`);
  });
  worker.on('error', (error) => log(`error: ${error.message}`));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    close(force = false) {
      closing ??= (async () => {
        try {
          await worker.close(force);
        } finally {
          await queue.close().catch(() => undefined);
          await engine.close();
          for (const client of [workerConnection, redis]) await client.quit().catch(() => client.disconnect());
        }
      })();
      return closing;
    },
  };
}
