import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAppServices, type AppServices } from '../../src-main/api/services.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { frameCount } from '../../src-main/video/frames.js';
import { partsDirFor } from '../../src-main/video/parts-dir.js';
import { ffmpeg } from './fixtures/video-fixtures.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

async function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a video on the worker pool', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-cvideo-'));
  const shared = join(dir, 'shared');
  let redis: TestRedis;
  let services: AppServices;
  const workers: ChildProcess[] = [];
  const worker = (): { child: ChildProcess; log: () => string } => {
    const child = spawn(process.execPath, [BIN, 'worker', '--redis', redis.url, '--allow', shared, '--segment-frames', '8', '--stalled-after', '2'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    workers.push(child);
    return { child, log: () => log };
  };

  before(async () => {
    redis = await startRedis();
    mkdirSync(join(shared, 'in'), { recursive: true });
    await saveModel(join(shared, 'model'), randomWeights(classicEspcn(2), 6), { id: 'video-x2' });
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=240x160:r=24', '-t', '8', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', join(shared, 'in', 'reel.mp4'));
    services = await openAppServices({ home: join(dir, 'home'), allowHome: false, startWatches: false, startTraining: false, redisUrl: redis.url });
  });
  after(async () => {
    await services?.close();
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is one job; a worker killed after some segments leaves them to the next worker, which finishes the video once', { timeout: 300_000 }, async () => {
    const first = worker();
    await until(() => first.log().includes('ready on'), 'the first worker');
    const { items } = await services.queue.addPaths([join(shared, 'in', 'reel.mp4')], { model: join(shared, 'model'), scale: 2, outputDir: join(shared, 'out') });
    assert.equal(items.length, 1);
    // Once a segment is committed, the worker dies with the job in hand.
    let output = '';
    await until(() => {
      output = services.queue.get(items[0].id)?.plan?.path ?? '';
      const parts = output ? partsDirFor(output) : '';
      return parts !== '' && existsSync(parts) && readdirSync(parts).some((f) => /\.json$/.test(f));
    }, 'a committed segment');
    first.child.kill('SIGKILL');
    assert.ok(!/done {4}/.test(first.log()), 'killed before it finished');

    const second = worker();
    await services.queue.idle();
    const item = services.queue.get(items[0].id)!;
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, output);
    assert.match(second.log(), /done {4}\S*reel\.mp4 -> /);
    assert.equal(await frameCount(output), 192, 'every frame, once');
    assert.ok(!existsSync(partsDirFor(output)), 'the segments are gone once joined');
    assert.deepEqual(readdirSync(join(shared, 'out')), [output.split('/').pop()]);
  });
});
