import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pruneUploads, safeFileName, saveUploads } from '../../src-main/api/uploads.js';

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
    const first = await saveUploads(uploads, [{ name: 'a.png', data: Buffer.from('one') }, { name: 'x/a.png', data: Buffer.from('two') }]);
    const second = await saveUploads(uploads, [{ name: 'b.png', data: Buffer.from('three') }]);
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
