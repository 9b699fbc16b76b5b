/**
 * Throughput of the Redis worker pool with 1 and 2 local `subpixel worker` processes on the same images: a private
 * redis-server, the producer's submit and follow (src-main/cluster/producer.ts), workers as separate processes.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { followBatch, openClusterQueue, submitBatch } from '../../src-main/cluster/producer.js';
import { connectRedis } from '../../src-main/cluster/redis.js';
import { jobSettingsSchema } from '../../src-main/jobs/types.js';
import { startRedis } from '../../tests/integration/redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

export interface PoolThroughput { workers: number; imagesPerSec: number }

export async function measurePoolThroughput(images: readonly string[], modelDir: string, workDir: string, workerCounts: readonly number[]): Promise<PoolThroughput[]> {
  const redis = await startRedis();
  const client = await connectRedis(redis.url, { role: 'producer' });
  const queue = openClusterQueue(client);
  const results: PoolThroughput[] = [];
  try {
    for (const count of workerCounts) {
      const workers = Array.from({ length: count }, () => spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--allow', workDir, '--allow', modelDir], { stdio: ['ignore', 'ignore', 'pipe'] }));
      try {
        await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
          let err = '';
          w.stderr!.on('data', (c: Buffer) => { err += c.toString(); if (err.includes('ready on')) resolve(); });
          w.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
        })));
        const settings = jobSettingsSchema.parse({ model: modelDir, scale: 4, format: 'png', outputDir: join(workDir, `pool-${count}`), overwrite: 'overwrite' });
        const inputs = images.map((input) => ({ input, relDir: '', pixels: null }));
        const t0 = performance.now();
        const { record } = await submitBatch(queue, client, `bench-${count}-${Date.now()}`, inputs, settings, { failed: [], skipped: [] });
        const view = await followBatch(queue, record, () => undefined, { intervalMs: 100 });
        const seconds = (performance.now() - t0) / 1000;
        if (view.failed.length) throw new Error(`pool bench: ${view.failed.length} job(s) failed: ${view.failed[0].error}`);
        results.push({ workers: count, imagesPerSec: images.length / seconds });
      } finally {
        await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
          if (w.exitCode !== null) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        })));
      }
    }
  } finally {
    await queue.close();
    client.disconnect();
    await redis.stop();
  }
  return results;
}
