import { basename } from 'node:path';
import { QueueEvents } from 'bullmq';
import type { Command } from 'commander';
import { batchIdFor, followBatch, openClusterQueue, readBatchRecord, submitBatch, type BatchView } from '../cluster/producer.js';
import { CLUSTER_QUEUE, type BatchRecord } from '../cluster/protocol.js';
import { connectRedis, redactRedisUrl, redisUrlFrom, type RedisClient } from '../cluster/redis.js';
import { jobSettingsSchema, type JobSettingsInput } from '../jobs/types.js';
import { formatDuration, printJson } from './output.js';
import { pixelBar } from './progress-bar.js';

interface FollowOptions { json: boolean; detach?: boolean }

/** `subpixel upscale … --redis`: submits the prepared batch to the worker pool (or finds it there) and follows it. */
export async function runOnCluster(
  redisOption: string | true, work: ReadonlyArray<{ input: string; relDir: string; pixels: number }>, settingsInput: JobSettingsInput,
  reported: Pick<BatchRecord, 'failed' | 'skipped'>, options: FollowOptions,
): Promise<number> {
  const redisUrl = redisUrlFrom(redisOption);
  const settings = jobSettingsSchema.parse(settingsInput);
  const redis = await connectRedis(redisUrl, { role: 'producer' });
  const queue = openClusterQueue(redis);
  try {
    const inputs = work.map((w) => ({ input: w.input, relDir: w.relDir, pixels: w.pixels }));
    const id = await batchIdFor(inputs, settings);
    const { record, resumed } = await submitBatch(queue, redis, id, inputs, settings, reported);
    if (!options.json) {
      process.stderr.write(`${resumed ? 'following batch' : 'submitted batch'} ${id} (${record.total} job(s)) on ${redactRedisUrl(redisUrl)}\n`);
    }
    if (options.detach) {
      if (options.json) printJson({ batch: id, total: record.total });
      else process.stdout.write(`${id}\n`);
      return 0;
    }
    return await followAndReport(redis, queue, record, options);
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

async function followAndReport(redis: RedisClient, queue: ReturnType<typeof openClusterQueue>, record: BatchRecord, options: FollowOptions): Promise<number> {
  // Queue events name the jobs that changed; a connection of their own (they block on a stream).
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents(CLUSTER_QUEUE, { connection: eventsConnection });
  try {
    await events.waitUntilReady();
    return await follow(queue, record, events, options);
  } finally {
    await events.close();
    await eventsConnection.quit().catch(() => eventsConnection.disconnect());
  }
}

async function follow(queue: ReturnType<typeof openClusterQueue>, record: BatchRecord, events: QueueEvents, options: FollowOptions): Promise<number> {
  const log = (line: string): void => { if (!options.json) process.stderr.write(`${line}\n`); };
  const started = Date.now();
  let bar: ReturnType<typeof pixelBar>;
  let reportedDone = 0;
  let reportedFailed = record.failed.length;
  // Ctrl+C stops following; the batch goes on in the pool and can be followed again.
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  let view: BatchView;
  try {
    view = await followBatch(queue, record, (v) => {
      bar ??= pixelBar(v.pixelsTotal, record.total, !options.json);
      const finished = v.done.length + v.failed.length + v.skipped.length - record.failed.length - record.skipped.length;
      if (bar) bar.update(v.pixelsDone, finished, v.running[0] ? basename(v.running[0].input) : '');
      else {
        for (const d of v.done.slice(reportedDone)) {
          const why = d.model ? `, ${d.reason ? `${d.model}, ${d.reason}` : d.model}` : '';
          log(`done ${d.input} → ${d.output} (${d.width}x${d.height}${why}, ${d.ms} ms on ${d.worker})`);
        }
        for (const f of v.failed.slice(reportedFailed)) log(`failed ${f.input}: ${f.error}`);
      }
      reportedDone = v.done.length;
      reportedFailed = v.failed.length;
    }, { signal: abort.signal, events });
  } finally {
    process.off('SIGINT', onSigint);
    bar?.stop();
  }
  if (!view.finished) {
    log(`stopped following; batch ${record.id} goes on in the pool: \`subpixel batch ${record.id} --redis …\` follows it again`);
    return 130;
  }
  const { done, failed, skipped } = view;
  if (options.json) printJson({ batch: record.id, done, failed, skipped });
  else {
    for (const s of skipped) log(`skipped ${s.input}: ${s.reason}`);
    for (const f of failed) log(`FAILED ${f.input}: ${f.error}`);
    log(`batch ${record.id}: ${done.length} upscaled, ${failed.length} failed, ${skipped.length} skipped in ${formatDuration((Date.now() - started) / 1000)}`);
  }
  return failed.length ? 1 : 0;
}

/** `subpixel batch <id> --redis <url>`: follows a batch submitted earlier (--detach, or a producer that was stopped). */
export function registerBatchCommand(program: Command): void {
  program.command('batch')
    .description('follow a batch of the worker pool until it has finished (exit code as for a local run)')
    .argument('<id>', 'the batch id `subpixel upscale … --redis` printed')
    .requiredOption('--redis [url]', 'the pool\'s Redis (redis:// or rediss://; without a value: $SUBPIXEL_REDIS_URL)')
    .option('--json', 'print one JSON document with the results')
    .action(async (id: string, options: { redis: string | true; json?: boolean }) => {
      const redis = await connectRedis(redisUrlFrom(options.redis), { role: 'producer' });
      const queue = openClusterQueue(redis);
      try {
        const record = await readBatchRecord(redis, id);
        if (!record) throw new Error(`no batch ${id} on this Redis (unknown, or finished more than 7 days ago)`);
        if (!record.submitted) throw new Error(`batch ${id} was not completely submitted: run the command that submitted it again`);
        process.exitCode = await followAndReport(redis, queue, record, { json: options.json === true });
      } finally {
        await queue.close();
        await redis.quit().catch(() => redis.disconnect());
      }
    });
}
