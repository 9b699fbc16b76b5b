import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pruneUploads, safeFileName, saveUploads } from '../../src-main/services/uploads.js';

test('dropped file names lose their path and control characters', () => {
  assert.equal(safeFileName('../../evil/cat.png'), 'cat.png');
  assert.equal(safeFileName('C:\\Users\\me\\scan 01.tif'), 'scan 01.tif');
  assert.equal(safeFileName('a<b>\u0001.png'), 'a_b__.png');
  assert.equal(safeFileName('..'), 'upload');
  assert.equal(safeFileName('   '), 'upload');
});

test('each drop gets its own folder; a folder goes when no queue input lies in it', async () => {
  const uploads = join(await mkdtemp(join(tmpdir(), 'subpixel-uploads-')), 'uploads');
  try {
    assert.deepEqual(await pruneUploads(uploads, []), [], 'no uploads folder yet is fine');
    const first = (await saveUploads(uploads, [{ name: 'a.png', data: Buffer.from('one') }, { name: 'x/a.png', data: Buffer.from('two') }])).map((f) => f.path);
    const second = (await saveUploads(uploads, [{ name: 'b.png', data: Buffer.from('three') }])).map((f) => f.path);
    assert.equal(first.length, 2);
    assert.equal(dirname(first[0]), dirname(first[1]));
    assert.notEqual(dirname(first[0]), dirname(second[0]));
    assert.equal(await readFile(first[1], 'utf8'), 'two', 'same names in one drop are kept apart');
    const removed = await pruneUploads(uploads, [second[0], '/elsewhere/photo.png']);
    assert.deepEqual(removed, [dirname(first[0])]);
    assert.ok(!existsSync(first[0]) && existsSync(second[0]));
    assert.deepEqual(await pruneUploads(uploads, [second[0]]), []);
  } finally {
    await rm(dirname(uploads), { recursive: true, force: true });
  }
});

test('a dropped folder keeps its structure: same names in different sub-folders stay apart, .. cannot leave the drop', async () => {
  const uploads = join(await mkdtemp(join(tmpdir(), 'subpixel-uploads-')), 'uploads');
  try {
    const saved = await saveUploads(uploads, [
      { name: 'img.png', data: Buffer.from('one'), relDir: 'Trip/day1' },
      { name: 'img.png', data: Buffer.from('two'), relDir: 'Trip/day2' },
      { name: 'evil.png', data: Buffer.from('three'), relDir: '../../outside' },
    ]);
    assert.deepEqual(saved.map((f) => f.relDir), [join('Trip', 'day1'), join('Trip', 'day2'), 'outside']);
    assert.equal(basename(saved[0].path), 'img.png');
    assert.equal(basename(saved[1].path), 'img.png');
    assert.equal(await readFile(saved[1].path, 'utf8'), 'two');
    const drop = dirname(dirname(dirname(saved[0].path)));
    assert.equal(dirname(drop), uploads);
    assert.equal(dirname(dirname(saved[2].path)), drop);
    assert.deepEqual(await pruneUploads(uploads, [saved[0].path]), [], 'a file deep in a drop keeps the drop');
  } finally {
    await rm(dirname(uploads), { recursive: true, force: true });
  }
});
