// Numbered frame sequences in the durable queue: one folder = one item, through the real engine worker and FFmpeg.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createEngineClient, type EngineClient } from '../../src-main/workers/engine-client.js';
import { engineRunner } from '../../src-main/jobs/engine-runner.js';
import { expandInputs } from '../../src-main/jobs/expand.js';
import { partsDirFor } from '../../src-main/video/parts-dir.js';
import { extractFrame, frameCount } from '../../src-main/video/frames.js';
import { compareItem } from '../../src-main/services/images.js';
import type { QueueItemView } from '../../src-main/jobs/types.js';
import { openWatchHarness, tempDir, waitFor } from './fixtures/services-fixtures.js';
import { ffmpeg } from './fixtures/video-fixtures.js';

const SEGMENT = 4;
const FRAMES = 24;
const FIRST = 1001;

let root: { path: string; cleanup: () => Promise<void> };
let reel: string;
let engine: EngineClient;

const names = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
const expected = (ext: string): string[] => Array.from({ length: FRAMES }, (_, i) => `reel_${String(FIRST + i).padStart(6, '0')}.${ext}`);
const settings = (out: string) => ({
  scale: 2 as const, outputDir: out, video: { codec: 'tiff-sequence' as const, crf: 18, deflicker: false, allowGaps: false, sequenceFolders: true },
});

before(async () => {
  root = await tempDir('sequence-queue');
  // A 16-bit TIFF scan numbered from 1001, as a film scanner writes it.
  reel = join(root.path, 'reel');
  await mkdir(reel);
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-frames:v', String(FRAMES), '-pix_fmt', 'rgb48le',
    '-start_number', String(FIRST), join(reel, 'reel_%06d.tif'));
  engine = createEngineClient();
});
after(async () => {
  await engine.close();
  await root.cleanup();
});

const runner = () => engineRunner(engine, { videoSegmentFrames: SEGMENT });

test('which folders are one sequence: DPX/EXR runs always, any numbered run with sequenceFolders, else stills', { timeout: 60_000 }, async () => {
  const scans = join(root.path, 'tree', 'scans');
  await mkdir(scans, { recursive: true });
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=32x24:r=24', '-frames:v', '3', '-pix_fmt', 'rgb48le', join(scans, 'shot_%04d.dpx'));
  const tree = join(root.path, 'tree');
  const auto = await expandInputs([tree], { videos: true });
  assert.deepEqual(auto.files, [{ input: join(scans, 'shot_%04d.dpx'), relDir: 'scans' }], 'a DPX folder inside an added tree is one item');
  const stills = await expandInputs([reel], { videos: true });
  assert.equal(stills.files.length, FRAMES, 'a TIFF folder is a folder of stills by default');
  const whole = await expandInputs([reel], { videos: true, sequenceFolders: true });
  assert.deepEqual(whole.files, [{ input: join(reel, 'reel_%06d.tif'), relDir: '' }], 'a single folder lands straight in the output folder');
  const two = await expandInputs([reel, scans], { videos: true, sequenceFolders: true });
  assert.deepEqual(two.files.map((f) => f.relDir), ['reel', 'scans'], 'several folders each lead with their own name');
});

test('the queue takes a sequence folder as one item: frame progress, the input numbering and 16 bits kept', { timeout: 180_000 }, async () => {
  const h = await openWatchHarness(join(root.path, 'home-a'), runner());
  try {
    const views: QueueItemView[] = [];
    h.queue.on('item', (v) => views.push(v));
    const out = join(root.path, 'out-a');
    const { items, problems } = await h.queue.addPaths([reel], settings(out));
    assert.deepEqual(problems, []);
    assert.equal(items.length, 1, 'one item for the whole sequence');
    assert.equal(items[0].input, join(reel, 'reel_%06d.tif'));
    assert.match(items[0].media ?? '', /64x48 .*16-bit.*24 frames/);
    assert.ok(items[0].pixels! >= 64 * 48 * FRAMES, 'a sequence weighs all its frames');
    await h.queue.idle();
    const item = h.queue.list()[0];
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, join(out, 'reel_x2'));
    assert.deepEqual([item.result?.frames, item.result?.codec, item.result?.width, item.result?.height], [FRAMES, 'tiff-sequence', 128, 96]);
    assert.deepEqual(names(item.output!), expected('tif'), "the output keeps the input's numbering");
    const meta = await sharp(join(item.output!, `reel_00${FIRST + 5}.tif`)).metadata();
    assert.deepEqual([meta.width, meta.height, meta.depth], [128, 96, 'ushort'], '16-bit stays 16-bit');
    const running = views.filter((v) => v.state === 'running' && v.frames);
    assert.ok(running.length > 0 && running.every((v) => v.frames!.framesTotal === FRAMES), 'the row shows frame progress');

    // The before/after viewer's frame: frame 5 of the source pattern and of the output folder.
    assert.equal(await frameCount(item.input), FRAMES);
    const [before, after] = [join(root.path, 'before.png'), join(root.path, 'after.png')];
    await Promise.all([extractFrame(item.input, 5, before), extractFrame(item.output!, 5, after)]);
    const pair = await compareItem(before, after, 2, undefined, true);
    assert.deepEqual([pair.before.width, pair.after.width, pair.after.height], [128, 128, 96]);
  } finally {
    await h.close();
  }
});

test('a sequence interrupted by a shutdown resumes from its committed segments after a restart', { timeout: 240_000 }, async () => {
  const home = join(root.path, 'home-b');
  const out = join(root.path, 'out-b');
  const output = join(out, 'reel_x2');
  const first = await openWatchHarness(home, runner());
  await first.queue.addPaths([reel], settings(out));
  const parts = partsDirFor(output);
  const committed = (): number => (existsSync(parts) ? readdirSync(parts).filter((f) => /^seg-\d+\.json$/.test(f)).length : 0);
  await waitFor(() => committed() >= 2, 'two segments committed', 120_000, 5);
  await first.close();
  const kept = committed();
  assert.ok(kept >= 2 && kept < FRAMES / SEGMENT, `stopped part-way (${kept} segments)`);

  const second = await openWatchHarness(home, runner());
  try {
    const firstProgress: number[] = [];
    second.queue.on('item', (v) => { if (v.frames && firstProgress.length === 0) firstProgress.push(v.frames.framesDone); });
    await second.queue.resume();
    await waitFor(() => ['done', 'failed'].includes(second.queue.list()[0]?.state ?? ''), 'done after restart', 180_000);
    const item = second.queue.list()[0];
    assert.equal(second.queue.list().length, 1);
    assert.equal(item.state, 'done', item.error ?? '');
    assert.equal(item.output, output, 'the same output, not a renamed copy');
    assert.ok(firstProgress[0] > kept * SEGMENT, `resumed after the committed frames (first progress at frame ${firstProgress[0]})`);
    assert.ok(!existsSync(parts), 'segments cleaned after success');
    assert.deepEqual(names(output), expected('tif'));
    const reference = join(root.path, 'out-a', 'reel_x2');
    for (const name of expected('tif')) {
      assert.deepEqual(await sharp(join(output, name)).raw().toBuffer(), await sharp(join(reference, name)).raw().toBuffer(), `${name} equals the uninterrupted run's`);
    }
  } finally {
    await second.close();
  }
});

test('a watch folder takes a DPX sequence folder once, only after its last frame arrived', { timeout: 180_000 }, async () => {
  const dir = join(root.path, 'watch');
  const staging = join(dir, 'staging');
  const inbox = join(dir, 'inbox');
  await mkdir(staging, { recursive: true });
  await mkdir(inbox, { recursive: true });
  const count = 12;
  await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=32x24:r=24', '-frames:v', String(count), '-pix_fmt', 'rgb48le',
    '-start_number', '86400', join(staging, 'roll_%07d.dpx'));
  const h = await openWatchHarness(join(dir, 'home'), runner(), { stabilityMs: 600 });
  try {
    const out = join(dir, 'out');
    await h.watches.add({ folder: inbox, settings: { scale: 2, outputDir: out, video: { ...settings(out).video, sequenceFolders: false } } });
    // Frames arrive one by one, each gap under the stability window: the folder is still being delivered.
    const roll = join(inbox, 'Reel 7'); // named by its folder, as the CLI names a folder
    await mkdir(roll);
    for (const name of (await readdir(staging)).sort()) {
      await copyFile(join(staging, name), join(roll, name));
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(h.queue.list().length, 0, `not taken while frames arrive (after ${name})`);
    }
    await waitFor(() => h.queue.list().some((i) => i.state === 'done' || i.state === 'failed'), 'sequence processed', 120_000);
    await h.watches.settled();
    await h.queue.idle();
    await new Promise((r) => setTimeout(r, 1500)); // more than two stability windows: a second take would show now
    await h.watches.settled();
    const items = h.queue.list();
    assert.equal(items.length, 1, 'taken once, as one item');
    assert.equal(items[0].input, join(roll, 'roll_%07d.dpx'));
    assert.equal(items[0].state, 'done', items[0].error ?? '');
    assert.equal(items[0].result?.frames, count, 'every frame, none left behind');
    assert.equal(items[0].output, join(out, 'Reel 7', 'Reel 7_x2'));
    assert.deepEqual(names(items[0].output!), Array.from({ length: count }, (_, i) => `roll_${String(86400 + i).padStart(7, '0')}.tif`));
  } finally {
    await h.close();
  }
});
