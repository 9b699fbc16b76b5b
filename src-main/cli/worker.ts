import type { Command } from 'commander';
import { startClusterWorker } from '../cluster/worker.js';
import { redactRedisUrl, redisUrlFrom } from '../cluster/redis.js';
import { intOption } from './output.js';

interface WorkerCliOptions {
  redis: string | true;
  concurrency: number;
  allow: string[];
  models: string[];
  backend: 'auto' | 'onnx' | 'tfjs';
  stalledAfter: number;
  segmentFrames?: number;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `subpixel worker --redis <url> --allow <dir>`: one member of the worker pool, until SIGINT/SIGTERM. */
export function registerWorkerCommand(program: Command): void {
  program.command('worker')
    .description('take upscale jobs from a Redis queue (BullMQ) until stopped; inputs and outputs live on storage every worker sees, at the same path')
    .requiredOption('--redis [url]', 'redis://[user:password@]host:port[/db] or rediss:// for TLS; without a value: $SUBPIXEL_REDIS_URL')
    .option('--allow <dir>', 'a folder jobs may read and write (repeatable; required)', collect, [])
    .option('--models <dir>', 'a folder of extra models, searched before the shipped ones (repeatable)', collect, [])
    .option('--concurrency <n>', 'jobs in flight in this process', intOption('--concurrency'), 2)
    .option('--backend <name>', 'auto | onnx | tfjs', 'auto')
    .option('--segment-frames <n>', 'frames per video segment job (a video is split across workers in such jobs; a dead worker costs at most one; default 120)', intOption('--segment-frames'))
    .option('--stalled-after <s>', 'seconds after which the jobs of a worker that died go to another worker', intOption('--stalled-after'), 30)
    .action(async (options: WorkerCliOptions) => {
      const redisUrl = redisUrlFrom(options.redis);
      if (options.concurrency < 1) throw new Error('--concurrency must be at least 1');
      if (options.stalledAfter < 1) throw new Error('--stalled-after must be at least 1 second');
      // Handlers first: a supervisor stopping us while we connect gets a clean stop.
      let stopSignal: ((signal: NodeJS.Signals) => void) | undefined;
      const stopped = new Promise<NodeJS.Signals>((resolveStop) => { stopSignal = resolveStop; });
      let stopping = false;
      let forceStop: (() => void) | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) {
          console.error(`${signal} again: leaving the running jobs to the other workers`);
          forceStop?.();
          return;
        }
        stopping = true;
        stopSignal?.(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const worker = await startClusterWorker({
        redisUrl,
        concurrency: options.concurrency,
        allow: options.allow,
        modelDirs: options.models,
        backend: options.backend,
        lockMs: options.stalledAfter * 1000,
        ...(options.segmentFrames ? { videoSegmentFrames: options.segmentFrames } : {}),
        log: (line) => console.log(line),
      });
      forceStop = () => { void worker.close(true).finally(() => process.exit(130)); };
      console.error(`worker ${process.pid} ready on ${redactRedisUrl(redisUrl)} (concurrency ${options.concurrency}, allowed: ${options.allow.join(', ')})`);
      const signal = await stopped;
      console.error(`${signal}: finishing the running jobs, taking no new ones (again to stop at once)`);
      await worker.close();
      console.error('worker stopped');
    });
}
