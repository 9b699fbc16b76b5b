// Videos in the durable queue and in watch folders, through the real engine worker and FFmpeg.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngineClient, type EngineClient } from '../../src-main/workers/engine-client.js';
import { engineRunner } from '../../src-main/jobs/engine-runner.js';
import { partsDirFor } from '../../src-main/video/parts-dir.js';
import { extractFrame, frameCount } from '../../src-main/video/frames.js';
import { compareItem } from '../../src-main/services/images.js';
import type { QueueItemView } from '../../src-main/jobs/types.js';
import { openWatchHarness, tempDir, waitFor } from './fixtures/services-fixtures.js';
import { frameHashes, testClip } from './fixtures/video-fixtures.js';

const SEGMENT = 8;


let root: { path: string; cleanup: () => Promise<void> };
let clip: string;
let engine: EngineClient;

before(async () => {
  root = await tempDir('video-queue');
  clip = join(root.path, 'clip.mp4');
  await testClip(clip, 2);
  engine = createEngineClient();
});
after(async () => {
  await engine.close();
  await root.cleanup();
});

const runner = () => engineRunner(engine, { videoSegmentFrames: SEGMENT });

test('the queue runs a video: frame progress with fps, the codec container as extension, frames in the result', { timeout: 120_000 }, async () => {
  const home = join(root.path, 'home-a');
  const h = await openWatchHarness(home, runner());
  try {
    const views: QueueItemView[] = [];
    h.queue.on('item', (v) => views.push(v));
    const out = join(root.path, 'out-a');
    const { items, problems } = await h.queue.addPaths([clip], { scale: 2, outputDir: out, video: { codec: 'ffv1', crf: 18, deflicker: false, allowGaps: false } });
    assert.deepEqual(problems, []);
    assert.ok(items[0].pixels! >= 64 * 48 * 48, 'a video weighs all its frames');
    assert.match(items[0].media ?? '', /^h264 64x48 yuv420p \(8-bit\), 48 frames at 24\/1 fps.*audio aac$/);
    await h.queue.idle();
    const item = h.queue.list()[0];
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, join(out, 'clip_x2.mkv'));
    assert.deepEqual([item.result?.frames, item.result?.codec, item.result?.width], [48, 'ffv1', 128]);
    const running = views.filter((v) => v.state === 'running' && v.frames);
    assert.ok(running.length > 0, 'running views carry frame progress');
    assert.ok(running.every((v) => v.frames!.framesTotal === 48 && v.frames!.fps >= 0));

    // The before/after viewer's frame: the same frame of source and output, compared as stills.
    assert.equal(await frameCount(item.output!), 48);
    const [before, after] = [join(root.path, 'before.png'), join(root.path, 'after.png')];
    await Promise.all([extractFrame(clip, 30, before), extractFrame(item.output!, 30, after)]);
    const pair = await compareItem(before, after, 2, undefined, true);
    assert.deepEqual([pair.before.width, pair.before.height, pair.after.width, pair.after.height, pair.whole], [128, 96, 128, 96, true]);
    await assert.rejects(extractFrame(join(root.path, 'nope.mkv'), 0, before));
  } finally {
    await h.close();
  }
});

test('a video interrupted by a shutdown resumes from its committed segments after a restart', { timeout: 180_000 }, async () => {
  const home = join(root.path, 'home-b');
  const out = join(root.path, 'out-b');
  const output = join(out, 'clip_x2.mkv');
  const first = await openWatchHarness(home, runner());
  await first.queue.addPaths([clip], { scale: 2, outputDir: out });
  const parts = partsDirFor(output);
  const committed = (): number => (existsSync(parts) ? readdirSync(parts).filter((f) => /^seg-\d+\.json$/.test(f)).length : 0);
  await waitFor(() => committed() >= 2, 'two segments committed', 60_000, 5);
  await first.close();
  const kept = committed();
  assert.ok(kept >= 2 && kept < 6, `stopped part-way (${kept} segments)`);
  assert.equal(first.queue.list().length, 1);

  const second = await openWatchHarness(home, runner());
  try {
    const firstProgress: number[] = [];
    second.queue.on('item', (v) => { if (v.frames && firstProgress.length === 0) firstProgress.push(v.frames.framesDone); });
    second.queue.resume();
    await waitFor(() => second.queue.list()[0]?.state === 'done' || second.queue.list()[0]?.state === 'failed', 'done after restart', 120_000);
    const item = second.queue.list()[0];
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, output, 'the same output, not a renamed copy');
    assert.ok(firstProgress[0] > kept * SEGMENT, `resumed after the committed frames (first progress at frame ${firstProgress[0]})`);
    assert.ok(!existsSync(parts));
    const reference = join(root.path, 'out-a', 'clip_x2.mkv');
    assert.deepEqual(await frameHashes(output), await frameHashes(reference));
  } finally {
    await second.close();
  }
});

test('cancel stops a running video; retry goes on from its committed segments', { timeout: 180_000 }, async () => {
  const home = join(root.path, 'home-c');
  const out = join(root.path, 'out-c');
  const h = await openWatchHarness(home, runner());
  try {
    const { items } = await h.queue.addPaths([clip], { scale: 2, outputDir: out });
    const id = items[0].id;
    const parts = partsDirFor(join(out, 'clip_x2.mkv'));
    const committed = (): number => (existsSync(parts) ? readdirSync(parts).filter((f) => /^seg-\d+\.json$/.test(f)).length : 0);
    await waitFor(() => committed() >= 2, 'two segments committed', 60_000, 5);
    await h.queue.cancel([id]);
    await waitFor(() => h.queue.list()[0].state === 'canceled' && h.queue.list()[0], 'canceled');
    const kept = committed();
    assert.ok(kept >= 2 && kept < 6, `stopped part-way (${kept} segments)`);
    const firstProgress: number[] = [];
    h.queue.on('item', (v) => { if (v.frames && firstProgress.length === 0) firstProgress.push(v.frames.framesDone); });
    await h.queue.retry([id]);
    await h.queue.idle();
    const item = h.queue.list()[0];
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, join(out, 'clip_x2.mkv'));
    assert.ok(firstProgress[0] > kept * SEGMENT, `resumed after the committed frames (first progress at frame ${firstProgress[0]})`);
    assert.deepEqual(await frameHashes(item.output!), await frameHashes(join(root.path, 'out-a', 'clip_x2.mkv')));
  } finally {
    await h.close();
  }
});

test('a watch folder takes a video only once it is completely written', { timeout: 120_000 }, async () => {
  const dir = join(root.path, 'watch');
  const inbox = join(dir, 'inbox');
  await mkdir(inbox, { recursive: true });
  const h = await openWatchHarness(join(dir, 'home'), runner(), { stabilityMs: 500 });
  try {
    await h.watches.add({ folder: inbox, settings: { scale: 2, outputDir: join(dir, 'out') } });
    const bytes = await readFile(clip);
    const handle = await open(join(inbox, 'growing.mp4'), 'w');
    const chunk = Math.ceil(bytes.length / 8);
    for (let i = 0; i < bytes.length; i += chunk) {
      await handle.write(bytes.subarray(i, i + chunk));
      await handle.sync();
      await new Promise((r) => setTimeout(r, 200)); // under the stability window: still being written
    }
    await handle.close();
    await waitFor(() => h.queue.list().some((i) => i.state === 'done' || i.state === 'failed'), 'video processed', 90_000);
    await h.watches.settled();
    await h.queue.idle();
    const items = h.queue.list();
    assert.equal(items.length, 1, 'taken once');
    assert.equal(items[0].state, 'done', items[0].error ?? '');
    assert.equal(items[0].result?.frames, 48);
  } finally {
    await h.close();
  }
});
