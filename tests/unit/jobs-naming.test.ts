import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { intendedOutput, outputFileTypeFor, planCompleted, planOutput, renderName, isEngineTempName, removeStaleTemps } from '../../src-main/jobs/naming.js';
import { jobSettingsSchema } from '../../src-main/jobs/types.js';
import { tempDir } from '../integration/fixtures/services-fixtures.js';

const noQueue = { isInput: () => false, isReserved: () => false };

test('naming tokens fill in, and a pattern without {ext} still gets the extension', () => {
  const tokens = { name: 'cat', scale: 4, model: 'espcn-x4', ext: 'png', date: '2025-01-02' };
  assert.equal(renderName('{name}_x{scale}.{ext}', tokens), 'cat_x4.png');
  assert.equal(renderName('{date} {model} {name}', tokens), '2025-01-02 espcn-x4 cat.png');
  assert.equal(renderName('{name}', { ...tokens, name: 'a/b' }), 'a_b.png');
});

test('naming patterns with unknown tokens or separators are refused', () => {
  assert.equal(jobSettingsSchema.safeParse({ naming: '{name}-{size}.{ext}' }).success, false);
  assert.equal(jobSettingsSchema.safeParse({ naming: '../{name}.{ext}' }).success, false);
  assert.equal(jobSettingsSchema.safeParse({ naming: '{name}-{model}-{date}.{ext}' }).success, true);
});

test('format keep keeps writable input formats and falls back to png', () => {
  assert.deepEqual(outputFileTypeFor('/a/x.JPEG', 'keep'), { format: 'jpg', ext: 'jpeg' });
  assert.deepEqual(outputFileTypeFor('/a/x.gif', 'keep'), { format: 'png', ext: 'png' });
  assert.deepEqual(outputFileTypeFor('/a/x.png', 'webp'), { format: 'webp', ext: 'webp' });
});

test('intended output: output folder plus the sub-folder, or next to the source', () => {
  const settings = jobSettingsSchema.parse({ scale: 2, outputDir: '/out', naming: '{name}-{scale}x-{model}.{ext}', model: '/models/my-net' });
  assert.equal(intendedOutput('/in/sub/a.png', 'sub', settings, Date.now()), '/out/sub/a-2x-my-net.png');
  const beside = jobSettingsSchema.parse({ scale: 3 });
  assert.equal(intendedOutput('/in/sub/a.tif', 'sub', beside, Date.now()), '/in/sub/a_x3.tif');
});

test('overwrite policies: skip, rename, overwrite; never an input file', async () => {
  const dir = await tempDir('naming');
  try {
    const input = join(dir.path, 'a.png');
    const existing = join(dir.path, 'a_x2.png');
    await writeFile(input, 'in');
    await writeFile(existing, 'old');
    assert.deepEqual(await planOutput(input, join(dir.path, 'free.png'), 'skip', noQueue), { kind: 'write', plan: { path: join(dir.path, 'free.png'), previous: null } });
    const skip = await planOutput(input, existing, 'skip', noQueue);
    assert.equal(skip.kind, 'skip');
    const renamed = await planOutput(input, existing, 'rename', noQueue);
    assert.deepEqual(renamed, { kind: 'write', plan: { path: join(dir.path, 'a_x2 (1).png'), previous: null } });
    await writeFile(join(dir.path, 'a_x2 (1).png'), 'taken');
    const renamed2 = await planOutput(input, existing, 'rename', noQueue);
    assert.equal(renamed2.kind === 'write' && renamed2.plan.path, join(dir.path, 'a_x2 (2).png'));
    const over = await planOutput(input, existing, 'overwrite', noQueue);
    assert.equal(over.kind === 'write' && over.plan.path, existing);
    assert.equal(over.kind === 'write' && over.plan.previous?.size, 3);
    // The input itself, or another queued input, is never overwritten: renamed instead.
    const self = await planOutput(input, input, 'overwrite', noQueue);
    assert.equal(self.kind === 'write' && self.plan.path, join(dir.path, 'a (1).png'));
    const other = await planOutput(input, existing, 'overwrite', { isInput: (p) => p === existing, isReserved: () => false });
    assert.equal(other.kind === 'write' && other.plan.path, join(dir.path, 'a_x2 (2).png'));
    // A path another running item is about to write counts as taken.
    const reserved = await planOutput(input, join(dir.path, 'r.png'), 'overwrite', { isInput: () => false, isReserved: (p) => p === join(dir.path, 'r.png') });
    assert.equal(reserved.kind === 'write' && reserved.plan.path, join(dir.path, 'r (1).png'));
  } finally {
    await dir.cleanup();
  }
});

test('after a crash, a planned output tells whether the run had finished', async () => {
  const dir = await tempDir('naming');
  try {
    const out = join(dir.path, 'o.png');
    assert.equal(await planCompleted({ path: out, previous: null }), false);
    await writeFile(out, 'old');
    const s = await stat(out);
    const plan = { path: out, previous: { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs } };
    assert.equal(await planCompleted(plan), false, 'the earlier file is still there');
    await writeFile(join(dir.path, '.o.png.subpixel-tmp-abc123'), 'new!');
    await rename(join(dir.path, '.o.png.subpixel-tmp-abc123'), out);
    assert.equal(await planCompleted(plan), true, 'replaced by rename');
    await mkdir(join(dir.path, 'x'));
    await writeFile(join(dir.path, '.o.png.subpixel-tmp-0f0f'), 'half');
    assert.ok(isEngineTempName('.o.png.subpixel-tmp-0f0f'));
    assert.deepEqual(await removeStaleTemps(out), [join(dir.path, '.o.png.subpixel-tmp-0f0f')]);
  } finally {
    await dir.cleanup();
  }
});
