import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, readFile, rm, mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { statePaths } from '../../src-main/common/state-home.js';
import {
  inProcessEngineRunner, openWatchHarness, saveTinyModel, tempDir, waitFor, writeNoiseImage, type WatchHarness,
} from './fixtures/services-fixtures.js';

let root: { path: string; cleanup: () => Promise<void> };
let modelsDir: string;
let model: string;

before(async () => {
  root = await tempDir('watch');
  modelsDir = join(root.path, 'models');
  model = await saveTinyModel(modelsDir, 2);
});
after(() => root.cleanup());

async function setup(name: string): Promise<{ dir: string; home: string; inbox: string; h: WatchHarness }> {
  const dir = join(root.path, name);
  const inbox = join(dir, 'inbox');
  await mkdir(inbox, { recursive: true });
  const home = join(dir, 'home');
  const h = await openWatchHarness(home, inProcessEngineRunner(modelsDir));
  return { dir, home, inbox, h };
}

const settled = async (h: WatchHarness): Promise<void> => {
  await h.watches.settled();
  await h.queue.idle();
};

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

test('a watch announces its counts as its files get done, without being asked', { timeout: 30_000 }, async () => {
  const { dir, inbox, h } = await setup('counts');
  try {
    const seen: Array<{ done: number }> = [];
    h.watches.on('watch', (view: { counts: { done: number } }) => seen.push({ done: view.counts.done }));
    await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: join(dir, 'out') } });
    await writeNoiseImage(join(inbox, 'a.png'), 32, 24, 1);
    await writeNoiseImage(join(inbox, 'b.png'), 32, 24, 2);
    // Announced views are coalesced, so whether a 'queued' view shows up depends on timing; the final one must.
    await waitFor(() => seen.some((c) => c.done === 2), 'a view with both files done');
  } finally {
    await h.close();
  }
});

test('a file copied in slowly is taken once, only after its size is stable', { timeout: 30_000 }, async () => {
  const { dir, inbox, h } = await setup('slow');
  try {
    await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: join(dir, 'out') } });
    const source = join(dir, 'source.png');
    await writeNoiseImage(source, 96, 64, 5);
    const bytes = await readFile(source);
    const handle = await open(join(inbox, 'slow.png'), 'w');
    const chunk = Math.ceil(bytes.length / 8);
    for (let i = 0; i < bytes.length; i += chunk) {
      await handle.write(bytes.subarray(i, i + chunk));
      await handle.sync();
      await new Promise((r) => setTimeout(r, 150)); // under the 300 ms stability window: still being written
    }
    await handle.close();
    await waitFor(() => h.queue.list().some((i) => i.state === 'done'), 'slow file processed');
    await new Promise((r) => setTimeout(r, 800));
    await settled(h);
    const items = h.queue.list();
    assert.equal(items.length, 1, 'taken once');
    assert.equal(items[0].state, 'done', items[0].error ?? '');
    const meta = await sharp(join(dir, 'out', 'slow_x2.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [192, 128]);
  } finally {
    await h.close();
  }
});

test('outputs are never taken again: output folder inside the watched one, and outputs next to the sources', { timeout: 30_000 }, async () => {
  const { inbox, h } = await setup('inside');
  try {
    const inside = join(inbox, 'upscaled');
    await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: inside } });
    const beside = join(inbox, 'beside');
    await mkdir(beside);
    await h.watches.add({ folder: beside, settings: { model, scale: 2, outputDir: null, naming: '{name}.{ext}' } });
    await writeNoiseImage(join(inbox, 'a.png'), 16, 16, 1);
    await writeNoiseImage(join(inbox, 'sub', 'b.png'), 16, 16, 2);
    await writeNoiseImage(join(beside, 'c.png'), 16, 16, 3);
    await waitFor(() => h.queue.list().filter((i) => i.state === 'done').length >= 4, 'inputs processed');
    // Let the outputs' own add events (and their stability wait) come and go.
    await new Promise((r) => setTimeout(r, 1200));
    await settled(h);
    const items = h.queue.list();
    const inputs = items.map((i) => relative(inbox, i.input)).sort();
    // 'beside' is inside inbox too: its image is seen by both watches, its output by neither.
    assert.deepEqual(inputs, ['a.png', join('beside', 'c.png'), join('beside', 'c.png'), join('sub', 'b.png')].sort());
    assert.ok(items.every((i) => i.state === 'done'), items.map((i) => `${i.input} ${i.state} ${i.error}`).join('\n'));
    const tree = await files(inbox);
    assert.ok(tree.includes(join('upscaled', 'sub', 'b_x2.png')), tree.join(', '));
    assert.ok(tree.includes(join('beside', 'c (1).png')), 'next to the source, renamed rather than over the input');
    assert.ok(!tree.some((f) => f.includes('subpixel-tmp')), 'no temp files');
  } finally {
    await h.close();
  }
});

test('files that arrive while stopped are picked up at start; finished ones are not redone', { timeout: 30_000 }, async () => {
  const { dir, home, inbox, h } = await setup('stopped');
  const out = join(dir, 'out');
  await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: out } });
  await writeNoiseImage(join(inbox, 'first.png'), 16, 16, 1);
  await waitFor(() => h.queue.list().some((i) => i.state === 'done'), 'first processed');
  await settled(h);
  await h.close();

  await writeNoiseImage(join(inbox, 'second.png'), 16, 16, 2);
  await writeNoiseImage(join(inbox, 'deep', 'third.png'), 16, 16, 3);
  const again = await openWatchHarness(home, inProcessEngineRunner(modelsDir));
  try {
    assert.equal(again.watches.list().length, 1, 'the watch persisted');
    await again.watches.start();
    await waitFor(() => again.queue.list().filter((i) => i.state === 'done').length === 3, 'new files processed');
    await settled(again);
    assert.deepEqual(again.queue.list().map((i) => relative(inbox, i.input)).sort(), [join('deep', 'third.png'), 'first.png', 'second.png']);
    assert.deepEqual(await files(out), [join('deep', 'third_x2.png'), 'first_x2.png', 'second_x2.png']);
    // A restart with the queue history cleared still does not redo anything: the ledger remembers.
    await again.queue.clearFinished();
  } finally {
    await again.close();
  }
  const third = await openWatchHarness(home, inProcessEngineRunner(modelsDir));
  try {
    await third.watches.start();
    await new Promise((r) => setTimeout(r, 500));
    await settled(third);
    assert.equal(third.queue.list().length, 0);
    // Same path, new content: new work.
    await writeNoiseImage(join(inbox, 'first.png'), 16, 16, 99);
    await waitFor(() => third.queue.list().some((i) => i.state === 'done'), 'changed file processed');
    assert.deepEqual(third.queue.list().map((i) => relative(inbox, i.input)), ['first.png']);
  } finally {
    await third.close();
  }
});

test('a deleted folder is reported and retried; when recreated it is watched again', { timeout: 30_000 }, async () => {
  const { dir, inbox, h } = await setup('deleted');
  try {
    const watch = await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: join(dir, 'out') } });
    await waitFor(() => h.watches.get(watch.id)?.status === 'watching', 'watching');
    await rm(inbox, { recursive: true });
    await waitFor(() => h.watches.get(watch.id)?.status === 'unavailable', 'reported unavailable');
    assert.match(h.watches.get(watch.id)?.message ?? '', /does not exist/);
    assert.ok(h.activity.some((a) => a.kind === 'unavailable'));
    await new Promise((r) => setTimeout(r, 500)); // a few retries, no crash
    await mkdir(join(dir, 'staging'));
    await writeNoiseImage(join(dir, 'staging', 'back.png'), 16, 16, 4);
    await rename(join(dir, 'staging'), inbox);
    await waitFor(() => h.watches.get(watch.id)?.status === 'watching', 'watching again');
    await writeNoiseImage(join(inbox, 'later.png'), 16, 16, 5);
    await waitFor(() => h.queue.list().filter((i) => i.state === 'done').length === 2, 'both processed');
    assert.deepEqual(await files(join(dir, 'out')), ['back_x2.png', 'later_x2.png']);
  } finally {
    await h.close();
  }
});

test('a watch that starts on a missing folder waits for it; pause and resume; include/exclude; move originals', { timeout: 30_000 }, async () => {
  const { dir, h } = await setup('options');
  try {
    const folder = join(dir, 'later');
    const done = join(folder, 'processed');
    const watch = await h.watches.add({
      folder, include: ['**/*.png'], exclude: ['**/skip-*'],
      afterSuccess: { action: 'move', folder: done },
      settings: { model, scale: 2, outputDir: join(dir, 'out') },
    });
    assert.equal(h.watches.get(watch.id)?.status, 'unavailable');
    await mkdir(folder);
    await waitFor(() => h.watches.get(watch.id)?.status === 'watching', 'folder appeared');
    await h.watches.pause(watch.id);
    assert.equal(h.watches.get(watch.id)?.status, 'paused');
    await writeNoiseImage(join(folder, 'take.png'), 16, 16, 1);
    await writeNoiseImage(join(folder, 'skip-me.png'), 16, 16, 2);
    await writeNoiseImage(join(folder, 'other.jpg'), 16, 16, 3);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(h.queue.list().length, 0, 'paused: nothing taken');
    await h.watches.resume(watch.id);
    await waitFor(() => h.activity.some((a) => a.kind === 'moved'), 'original moved');
    await settled(h);
    assert.deepEqual(h.queue.list().map((i) => relative(folder, i.input)), ['take.png']);
    assert.deepEqual(await files(folder), ['other.jpg', join('processed', 'take.png'), 'skip-me.png']);
    assert.equal(h.watches.get(watch.id)?.counts.queued, 0);
    const persisted = JSON.parse(await readFile(statePaths(join(dir, 'home')).watches, 'utf8'));
    assert.equal(persisted.watches[0].paused, false);
  } finally {
    await h.close();
  }
});
