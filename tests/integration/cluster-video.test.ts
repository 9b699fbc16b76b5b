// A video on the worker pool is split into segment jobs run by two worker processes (one SIGKILLed mid-segment),
// joined by its own job: the result is the local run's, frame for frame, with the source's audio packets.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAppServices, type AppServices } from '../../src-main/api/services.js';
import { openClusterQueue } from '../../src-main/cluster/producer.js';
import { connectRedis, type RedisClient } from '../../src-main/cluster/redis.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { partsDirFor, upscaleVideo } from '../../src-main/video/upscale-video.js';
import { frameHashes, packetHashes, testClip } from './fixtures/video-fixtures.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a video on the worker pool', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-cvideo-'));
  const shared = join(dir, 'shared');
  const clip = join(shared, 'in', 'reel.mp4');
  const model = join(shared, 'model');
  const local = join(dir, 'local', 'reel.mkv');
  let redis: TestRedis;
  let client: RedisClient;
  let services: AppServices;
  const workers: ChildProcess[] = [];
  const worker = (): { child: ChildProcess; log: () => string } => {
    const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--allow', shared, '--segment-frames', '16', '--stalled-after', '2'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    workers.push(child);
    return { child, log: () => log };
  };
  /** The output folder holds exactly one file, the output, and no parts folder or temp file. */
  const onlyOutput = (folder: string): string => {
    const names = readdirSync(folder);
    assert.equal(names.length, 1, `one output, nothing else: ${names.join(', ')}`);
    return join(folder, names[0]);
  };

  before(async () => {
    redis = await startRedis();
    client = await connectRedis(redis.url, { role: 'producer' });
    mkdirSync(join(shared, 'in'), { recursive: true });
    await saveModel(model, randomWeights(classicEspcn(2), 6), { id: 'video-x2' });
    // 96 frames with AAC audio: 6 segments of 16.
    await testClip(clip, 4);
    await upscaleVideo(clip, local, { model, scale: 2 });
    services = await openAppServices({ home: join(dir, 'home'), allowHome: false, startWatches: false, startTraining: false, redisUrl: redis.url });
  });
  after(async () => {
    await services?.close();
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await client?.quit().catch(() => undefined);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('from the app: segment jobs on two workers, one killed mid-segment; the joined video equals a local run', { timeout: 300_000 }, async () => {
    const first = worker();
    const second = worker();
    await until(() => first.log().includes('ready on') && second.log().includes('ready on'), 'two workers');
    const queue = openClusterQueue(client);
    try {
      const { items } = await services.queue.addPaths([clip], { model, scale: 2, outputDir: join(shared, 'out') });
      assert.equal(items.length, 1);
      // The first worker dies while it runs a segment, in its first half (a margin of 8 frames before it could finish).
      const firstName = `${hostname()}:${first.child.pid}`;
      let killedJob = '';
      await until(async () => {
        for (const job of await queue.getActive()) {
          const progress = job.progress as { tilesDone?: number; tilesTotal?: number };
          if (job.data.segment && job.processedBy === firstName && (progress.tilesDone ?? 0) < (progress.tilesTotal ?? 16) / 2) {
            first.child.kill('SIGKILL');
            killedJob = job.id!;
            return true;
          }
        }
        return false;
      }, 'a segment running on the first worker');

      await services.queue.idle();
      const item = services.queue.get(items[0].id)!;
      assert.equal(item.state, 'done', item.error ?? '');
      assert.equal(item.result?.model, 'video-x2', 'the joined video names its model');
      const output = onlyOutput(join(shared, 'out'));
      assert.equal(item.output, output);
      const retried = await queue.getJob(killedJob);
      assert.ok(retried && retried.attemptsStarted >= 2 && retried.finishedOn, `the killed segment ran again (${retried?.attemptsStarted} starts)`);
      assert.match(second.log(), /segment \d+ of \S*reel\.mp4/);
      const hashes = await frameHashes(output);
      assert.equal(hashes.length, 96, 'every frame, once');
      assert.deepEqual(hashes, await frameHashes(local), 'frame-identical to a local run');
      assert.deepEqual(await packetHashes(output, '0:a:0'), await packetHashes(clip, '0:a:0'));
      assert.ok(!existsSync(partsDirFor(output)), 'the segments are gone once joined');
      // The video's own job carried the progress producers follow: its segments done, of 6.
      const videoJob = (await queue.getCompleted()).find((j) => j.data.input === clip && !j.data.segment)!;
      assert.equal(videoJob.data.split?.count, 6);
      await until(async () => ((await queue.getJob(videoJob.id!))?.progress as { tilesDone?: number }).tilesDone === 6, 'progress 6 of 6', 10_000);
    } finally {
      await queue.close();
    }
  });

  it('from upscale --redis: the same video joins to the same frames', { timeout: 300_000 }, async () => {
    const out = join(shared, 'cli');
    const r = await run(['upscale', clip, '-o', out, '-s', '2', '-m', model, '--redis', redis.url, '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const output = onlyOutput(out);
    // The job model's name, as `upscale` without --redis and the app give it.
    assert.equal(output, join(out, 'reel_x2.mkv'));
    assert.deepEqual(await frameHashes(output), await frameHashes(local));
    assert.deepEqual(await packetHashes(output, '0:a:0'), await packetHashes(clip, '0:a:0'));
  });
});
