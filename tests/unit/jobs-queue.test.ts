import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { JobQueue } from '../../src-main/jobs/queue.js';
import type { QueueItemView, QueueProgress } from '../../src-main/jobs/types.js';
import { gatedRunner, inProcessEngineRunner, saveTinyModel, tempDir, waitFor, writeNoiseImage } from '../integration/fixtures/services-fixtures.js';

let root: { path: string; cleanup: () => Promise<void> };
let modelsDir: string;
let model: string;

before(async () => {
  root = await tempDir('queue');
  modelsDir = join(root.path, 'models');
  model = await saveTinyModel(modelsDir, 2);
});
after(() => root.cleanup());

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

test('a folder is added recursively, sub-folders kept under the output folder; a bad file fails alone', async () => {
  const dir = join(root.path, 't1');
  const src = join(dir, 'src');
  await writeNoiseImage(join(src, 'a.png'), 24, 16, 1);
  await writeNoiseImage(join(src, 'nested', 'deeper', 'b.jpg'), 16, 16, 2);
  await writeFile(join(src, 'nested', 'broken.png'), 'not an image');
  await writeFile(join(src, 'notes.txt'), 'ignored');
  const queue = await JobQueue.open({ journalPath: join(dir, 'queue.jsonl'), runner: inProcessEngineRunner(modelsDir) });
  const progress: QueueProgress[] = [];
  queue.on('progress', (p) => progress.push(p));
  const { items, problems } = await queue.addPaths([src], { model, scale: 2, outputDir: join(dir, 'out'), format: 'keep' });
  assert.equal(items.length, 3);
  assert.deepEqual(problems, []);
  assert.deepEqual(items.map((i) => i.relDir), ['', 'nested', join('nested', 'deeper')].sort((a, b) => items.findIndex((i) => i.relDir === a) - items.findIndex((i) => i.relDir === b)));
  await queue.idle();
  const final = queue.list();
  const byName = Object.fromEntries(final.map((i) => [relative(src, i.input), i]));
  assert.equal(byName['a.png'].state, 'done');
  assert.equal(byName[join('nested', 'deeper', 'b.jpg')].state, 'done');
  assert.equal(byName[join('nested', 'broken.png')].state, 'failed');
  assert.ok(byName[join('nested', 'broken.png')].error, 'the failure carries its error');
  assert.deepEqual(await listTree(join(dir, 'out')), ['a_x2.png', join('nested', 'deeper', 'b_x2.jpg')]);
  const meta = await sharp(join(dir, 'out', 'a_x2.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [48, 32]);
  assert.deepEqual(byName['a.png'].result && [byName['a.png'].result.width, byName['a.png'].result.height], [48, 32]);
  const last = progress[progress.length - 1];
  assert.equal(last.fraction, 1);
  assert.equal(last.etaMs, 0);
  assert.ok(last.pixelsPerSecond && last.pixelsPerSecond > 0, 'throughput measured in pixels per second');
  assert.deepEqual([last.counts.done, last.counts.failed], [2, 1]);
  await queue.close();
});

test('pause, resume, cancel, retry, reorder, remove and clear; state survives a reopen', async () => {
  const dir = join(root.path, 't2');
  const files = await Promise.all([0, 1, 2, 3].map(async (i) => {
    const p = join(dir, 'src', `f${i}.png`);
    await writeNoiseImage(p, 16, 16, 10 + i);
    return p;
  }));
  const gate = gatedRunner(inProcessEngineRunner(modelsDir));
  const journalPath = join(dir, 'queue.jsonl');
  const queue = await JobQueue.open({ journalPath, runner: gate.runner });
  const events: QueueItemView[] = [];
  queue.on('item', (i) => events.push(i));
  const added = (await queue.addPaths(files, { model, scale: 2, outputDir: join(dir, 'out') })).items;
  const [a, b, c, d] = added.map((i) => i.id);
  await waitFor(() => gate.started.length === 1, 'first run to start');
  assert.equal(queue.get(a)?.state, 'running');

  await queue.pause();
  await queue.move(d, 1); // order now a, d, b, c
  assert.deepEqual(queue.list().map((i) => i.id), [a, d, b, c]);
  await queue.cancel([b]);
  assert.equal(queue.get(b)?.state, 'canceled');
  gate.release();
  await queue.idle();
  assert.equal(queue.get(a)?.state, 'done');
  assert.equal(queue.get(d)?.state, 'queued', 'paused: nothing new starts');

  await queue.resume();
  await waitFor(() => gate.started.length === 2, 'next run after resume');
  assert.equal(gate.started[1], files[3], 'reordered item runs next');
  await queue.cancel([d]); // cancels the running one
  await waitFor(() => queue.get(d)?.state === 'canceled', 'running item canceled');
  gate.open();
  await queue.idle();
  assert.equal(queue.get(c)?.state, 'done');

  assert.deepEqual((await queue.retry([b, d])).sort(), [b, d].sort());
  await queue.idle();
  assert.deepEqual(queue.list().map((i) => i.state), ['done', 'done', 'done', 'done']);
  assert.deepEqual(queue.list().map((i) => i.attempts), [1, 2, 1, 1], 'd ran twice (canceled, then retried); b never started before');
  assert.ok(events.some((e) => e.id === a && e.state === 'running'));
  await queue.remove([c]);
  await queue.close();

  const reopened = await JobQueue.open({ journalPath, runner: gate.runner });
  assert.deepEqual(reopened.list().map((i) => i.id), [a, d, b]);
  assert.ok(reopened.list().every((i) => i.state === 'done'));
  assert.ok(reopened.isKnownOutput(join(dir, 'out', 'f0_x2.png')));
  await reopened.clearFinished();
  assert.equal(reopened.list().length, 0);
  await reopened.close();
  const lines = (await readFile(journalPath, 'utf8')).trim().split('\n');
  assert.ok(lines.length >= 2, 'the journal records the clear');
  const again = await JobQueue.open({ journalPath, runner: gate.runner });
  assert.equal(again.list().length, 0);
  await again.close();
});

test('a paused queue stays paused across restarts; shutdown keeps a running item queued', async () => {
  const dir = join(root.path, 't3');
  const file = join(dir, 'src', 'x.png');
  await writeNoiseImage(file, 16, 16, 3);
  const gate = gatedRunner(inProcessEngineRunner(modelsDir));
  const journalPath = join(dir, 'queue.jsonl');
  const queue = await JobQueue.open({ journalPath, runner: gate.runner });
  const [item] = (await queue.addPaths([file], { model, scale: 2 })).items;
  await waitFor(() => gate.started.length === 1, 'run start');
  await queue.close({ cancelRunning: true });
  const reopened = await JobQueue.open({ journalPath, runner: inProcessEngineRunner(modelsDir), autoStart: false });
  assert.equal(reopened.get(item.id)?.state, 'queued');
  await reopened.pause();
  await reopened.close();
  const third = await JobQueue.open({ journalPath, runner: inProcessEngineRunner(modelsDir) });
  assert.equal(third.isPaused, true);
  await third.resume();
  await third.idle();
  assert.equal(third.get(item.id)?.state, 'done');
  assert.equal(third.get(item.id)?.output, join(dir, 'src', 'x_x2.png'), 'next to the source by default');
  await third.close();
});

test('overwrite policy skip marks the item skipped; rename never touches an existing file', async () => {
  const dir = join(root.path, 't4');
  const file = join(dir, 'p.png');
  await writeNoiseImage(file, 8, 8, 4);
  await writeFile(join(dir, 'p_x2.png'), 'someone else\'s file');
  const queue = await JobQueue.open({ journalPath: join(dir, 'queue.jsonl'), runner: inProcessEngineRunner(modelsDir) });
  const [skip] = (await queue.addPaths([file], { model, scale: 2, overwrite: 'skip' })).items;
  const [ren] = (await queue.addPaths([file], { model, scale: 2, overwrite: 'rename' })).items;
  await queue.idle();
  assert.equal(queue.get(skip.id)?.state, 'skipped');
  assert.equal(queue.get(ren.id)?.output, join(dir, 'p_x2 (1).png'));
  assert.equal(await readFile(join(dir, 'p_x2.png'), 'utf8'), 'someone else\'s file');
  // A folder added again does not take the queue's own outputs as inputs.
  const again = await queue.addPaths([dir], { model, scale: 2 });
  assert.deepEqual(again.items.map((i) => i.input), [file, join(dir, 'p_x2.png')], 'a file we did not write is an input');
  assert.deepEqual(again.problems, [`${join(dir, 'p_x2 (1).png')}: an output of this queue, not added`]);
  await queue.cancelAll();
  await queue.close();
});

test('two items that start together and want one output name get two outputs (a.png and a.jpg → png)', async () => {
  const dir = join(root.path, 'same-name');
  const src = join(dir, 'src');
  await writeNoiseImage(join(src, 'a.png'), 24, 16, 7);
  await writeNoiseImage(join(src, 'a.jpg'), 24, 16, 8);
  const queue = await JobQueue.open({ journalPath: join(dir, 'queue.jsonl'), runner: inProcessEngineRunner(modelsDir), concurrency: 2 });
  await queue.addPaths([src], { model, scale: 2, outputDir: join(dir, 'out'), format: 'png', overwrite: 'rename' });
  await queue.idle();
  const outputs = queue.list().map((i) => i.output);
  assert.ok(queue.list().every((i) => i.state === 'done'));
  assert.equal(new Set(outputs).size, 2, `distinct outputs: ${outputs.join(', ')}`);
  assert.deepEqual(await listTree(join(dir, 'out')), ['a_x2 (1).png', 'a_x2.png']);
  await queue.close();
});
