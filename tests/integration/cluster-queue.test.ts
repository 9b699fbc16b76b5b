import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openAppServices, type AppServices } from '../../src-main/api/services.js';
import { QueueEvents } from 'bullmq';
import { followBatch, openClusterQueue, submitBatch } from '../../src-main/cluster/producer.js';
import { CLUSTER_QUEUE } from '../../src-main/cluster/protocol.js';
import { connectRedis } from '../../src-main/cluster/redis.js';
import { startClusterWorker, type ClusterWorker } from '../../src-main/cluster/worker.js';
import { jobSettingsSchema } from '../../src-main/jobs/types.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import type { QueueItemView } from '../../src-main/jobs/types.js';
import { subpixel } from './fixtures/cli-run.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

async function until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the app queue on the worker pool (Cluster setting)', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-cqueue-'));
  const shared = join(dir, 'shared');
  let redis: TestRedis;
  let services: AppServices;
  let worker: ClusterWorker;
  const workerLog: string[] = [];

  before(async () => {
    redis = await startRedis();
    mkdirSync(join(shared, 'in'), { recursive: true });
    await saveModel(join(shared, 'model'), randomWeights(classicEspcn(2), 4), { id: 'pool-x2' });
    for (let i = 0; i < 4; i++) {
      await sharp({ create: { width: 30, height: 20, channels: 3, background: { r: 40 * i, g: 80, b: 120 } } }).png().toFile(join(shared, 'in', `p${i}.png`));
    }
    writeFileSync(join(shared, 'in', 'broken.png'), 'no image here');
    worker = await startClusterWorker({ redisUrl: redis.url, allow: [shared], lockMs: 2000, log: (l) => workerLog.push(l) });
    services = await openAppServices({ home: join(dir, 'home'), allowHome: false, startWatches: false, startTraining: false });
  });
  after(async () => {
    await services?.close();
    await worker?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('items run on the pool with the queue\'s naming and progress; a bad file fails with the worker\'s message', async () => {
    await services.settings.update({ cluster: { redisUrl: redis.url } });
    await assert.rejects(services.settings.update({ cluster: { redisUrl: 'http://nope' } }), /Redis URL/);
    const running = new Set<string>();
    const tiles = new Set<string>();
    services.queue.on('item', (item: QueueItemView) => {
      if (item.state === 'running') running.add(item.id);
      if (item.progress && item.progress.tilesDone === item.progress.tilesTotal) tiles.add(item.id);
    });
    const { items } = await services.queue.addPaths([join(shared, 'in')], { model: join(shared, 'model'), scale: 2, outputDir: join(shared, 'out') });
    assert.equal(items.length, 5);
    await services.queue.idle();
    const byName = Object.fromEntries(services.queue.list().map((i) => [i.input.split('/').pop(), i]));
    for (let i = 0; i < 4; i++) {
      const item = byName[`p${i}.png`];
      assert.equal(item.state, 'done', item.error ?? '');
      assert.equal(item.output, join(shared, 'out', `p${i}_x2.png`));
      assert.deepEqual([item.result?.width, item.result?.height], [60, 40]);
    }
    assert.equal(byName['broken.png'].state, 'failed');
    assert.match(byName['broken.png'].error ?? '', /not an image/);
    assert.equal(workerLog.filter((l) => l.startsWith('done')).length, 4, 'the pool did the work');
    assert.deepEqual(readdirSync(join(shared, 'out')).sort(), ['p0_x2.png', 'p1_x2.png', 'p2_x2.png', 'p3_x2.png']);
    assert.equal(running.size, 5);
    assert.ok(tiles.size >= 1, 'tile progress came back from the workers (BullMQ queue events)');

    // The same files again: the queue's rename policy applies as for local runs (the worker writes the planned name).
    await services.queue.addPaths([join(shared, 'in', 'p0.png')], { model: join(shared, 'model'), scale: 2, outputDir: join(shared, 'out') });
    await services.queue.idle();
    const again = services.queue.list().at(-1)!;
    assert.equal(again.output, join(shared, 'out', 'p0_x2 (1).png'));
  });

  it('subpixel watch --redis sends the images it sees to the pool', async () => {
    const folder = join(shared, 'watched');
    const out = join(shared, 'watch-out');
    mkdirSync(folder);
    const child = spawn(process.execPath, [BIN, 'watch', folder, '-o', out, '-s', '2', '-m', join(shared, 'model'), '--redis', redis.url],
      { env: { ...process.env, SUBPIXEL_HOME: join(dir, 'watch-home') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => stderr.includes('worker pool at redis://127.0.0.1'), `the watching line\n${stderr}`);
      await sharp({ create: { width: 16, height: 12, channels: 3, background: '#335577' } }).png().toFile(join(folder, 'new.png'));
      await until(() => /done\s+\S*new\.png/.test(stdout), `the done line\n${stdout}\n${stderr}`);
      assert.ok(workerLog.some((l) => /^done {4}\S*watched\/new\.png -> \S*watch-out\/new_x2\.png/.test(l)), 'the worker wrote it');
      assert.deepEqual((await sharp(join(out, 'new_x2.png')).metadata()).width, 32);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });

  it('upscale --redis --detach prints the batch id; subpixel batch <id> follows it to the end', async () => {
    const args = ['upscale', join(shared, 'in'), '-o', join(shared, 'detached'), '-s', '2', '-m', join(shared, 'model'), '--redis', redis.url];
    const env = { SUBPIXEL_HOME: join(dir, 'cli-home') };
    const submitted = await subpixel([...args, '--detach'], env);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^[0-9a-f]{16}$/);
    const followed = await subpixel(['batch', id, '--redis', redis.url, '--json'], env);
    assert.equal(followed.code, 1, 'one input failed: exit 1');
    const doc = JSON.parse(followed.stdout) as { batch: string; done: Array<{ output: string }>; failed: Array<{ input: string }> };
    assert.equal(doc.batch, id);
    assert.deepEqual(doc.done.map((d) => d.output.split('/').pop()).sort(), ['p0_x2.png', 'p1_x2.png', 'p2_x2.png', 'p3_x2.png']);
    assert.deepEqual(doc.failed.map((f) => f.input.split('/').pop()), ['broken.png']);
    // The same command again is the same batch: it follows, it does not submit twice.
    const again = await subpixel([...args, '--detach'], env);
    assert.equal(again.stdout.trim(), id);
    assert.match(again.stderr, /following batch/);
    const unknown = await subpixel(['batch', '0123456789abcdef', '--redis', redis.url], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no batch 0123456789abcdef on this Redis/);
  });

  it('a producer following a large batch reads only the jobs the queue events name', async () => {
    const client = await connectRedis(redis.url, { role: 'producer' });
    const queue = openClusterQueue(client);
    const eventsConnection = client.duplicate();
    const events = new QueueEvents(CLUSTER_QUEUE, { connection: eventsConnection });
    try {
      await events.waitUntilReady();
      const settings = jobSettingsSchema.parse({ model: join(shared, 'model'), scale: 2, outputDir: join(shared, 'events-out') });
      const inputs = [0, 1, 2, 3].map((i) => ({ input: join(shared, 'in', `p${i}.png`), relDir: '', pixels: 600 }));
      const { record } = await submitBatch(queue, client, 'events-batch', inputs, settings, { failed: [], skipped: [] });
      // No full read after the first one: the batch can only finish through the events.
      const view = await followBatch(queue, record, () => undefined,
        { events, sweepAllUpTo: 0, sweepMs: 600_000, intervalMs: 100, signal: AbortSignal.timeout(60_000) });
      assert.equal(view.finished, true, 'finished through the events alone');
      assert.deepEqual(view.done.map((d) => d.output.split('/').pop()).sort(), ['p0_x2.png', 'p1_x2.png', 'p2_x2.png', 'p3_x2.png']);
    } finally {
      await events.close();
      eventsConnection.disconnect();
      await queue.close();
      client.disconnect();
    }
  });
});

