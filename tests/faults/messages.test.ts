/**
 * Issue 18, item 13: clear messages. A full disk says "disk full" in one line, a read-only file system says so, an
 * output folder that is a file is said once, the input path is not repeated, control characters in names are
 * escaped, and a naming pattern cannot make hidden, `..` or empty names.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { namingPatternSchema } from '../../src-common/job-settings.js';
import { renderName } from '../../src-common/naming.js';
import { saveTinyModel, startCli, tempDir, writeImage } from './helpers.js';

/** Mounting a tmpfs needs root (or CAP_SYS_ADMIN); where the machine refuses, the tests that need one say so and skip. */
function tryMount(target: string, options: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]}): needs root or CAP_SYS_ADMIN`;
  }
}

describe('clear messages from upscale', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  let noisy: string;
  let small: string;
  const mounted: string[] = [];
  before(async () => {
    dir = await tempDir('messages');
    model = await saveTinyModel(join(dir.path, 'model'));
    noisy = join(dir.path, 'noisy.png');
    await writeImage(noisy, 7, 600, 600);
    small = join(dir.path, 'small.png');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: 'red' } }).png().toFile(small);
  });
  after(async () => {
    for (const m of mounted) execFileSync('umount', [m]);
    await dir.cleanup();
  });

  it('a full disk is "disk full", in one line, and the rest of the batch is done', { timeout: 180_000 }, async (t) => {
    const full = join(dir.path, 'full');
    mkdirSync(full);
    const refused = tryMount(full, 'size=256k');
    if (refused) return t.skip(refused);
    mounted.push(full);
    const run = startCli(['upscale', noisy, small, '-o', full, '-s', '2', '-m', model], {});
    assert.equal((await run.exited).code, 1, run.stderr());
    assert.match(run.stderr(), new RegExp(`^FAILED ${noisy}: disk full: cannot write ${join(full, 'noisy')}\\S*$`, 'm'));
    assert.doesNotMatch(run.stderr(), /wbuffer_write|system error|vips2png/);
    assert.ok(readdirSync(full).some((n) => n.startsWith('small')), 'the small image still fits and is written');
    assert.deepEqual(readdirSync(full).filter((n) => n.includes('subpixel-tmp')), [], 'no temp file left on the full disk');
  });

  it('a read-only file system is named as such, once, before any work', { timeout: 120_000 }, async (t) => {
    const ro = join(dir.path, 'ro');
    mkdirSync(ro);
    const refused = tryMount(ro, 'ro,size=64k');
    if (refused) return t.skip(refused);
    mounted.push(ro);
    const run = startCli(['upscale', noisy, small, '-o', join(ro, 'sub'), '-s', '2', '-m', model], {});
    assert.equal((await run.exited).code, 2, run.stderr());
    assert.match(run.stderr(), /output folder: .*ro is on a read-only file system/);
    assert.doesNotMatch(run.stderr(), /ENOENT/);
    assert.equal(run.stderr().trim().split('\n').length, 1, run.stderr());
  });

  it('an output path that is a file is said once', { timeout: 120_000 }, async () => {
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'not a folder');
    const run = startCli(['upscale', noisy, small, '-o', file, '-s', '2', '-m', model], {});
    assert.equal((await run.exited).code, 2, run.stderr());
    assert.equal(run.stderr().trim(), `subpixel: output folder: ${file} is a file, not a folder`);
  });

  it('a failed input is named once, and control characters in names are escaped', { timeout: 120_000 }, async () => {
    const src = join(dir.path, 'src');
    mkdirSync(src);
    const bad = join(src, 'broken.png');
    writeFileSync(bad, 'this is not a PNG');
    const evil = join(src, 'evil\u001b[2J\u0007name.png');
    execFileSync('cp', [small, evil]);
    const run = startCli(['upscale', src, '-o', join(dir.path, 'out'), '-s', '2', '-m', model], {});
    assert.equal((await run.exited).code, 1, run.stderr());
    assert.equal(run.stderr().split(bad).length - 1, 1, `the broken input's path appears once:\n${run.stderr()}`);
    assert.match(run.stderr(), /^FAILED .*broken\.png: /m);
    assert.doesNotMatch(run.stderr(), /[\u0000-\u0008\u000b-\u001f\u007f]/, 'no raw control characters reach the terminal');
    assert.ok(run.stderr().includes('evil\\x1b[2J\\x07name'), run.stderr());
  });
});

describe('naming patterns', () => {
  it('cannot be `..` or make hidden or empty names', () => {
    for (const naming of ['..', '.{name}', ' .x{ext}']) assert.equal(namingPatternSchema.safeParse(naming).success, false, naming);
    assert.equal(namingPatternSchema.safeParse('{name}_x{scale}.{ext}').success, true);
    const tokens = { name: 'photo', scale: 2, model: '', ext: 'png', date: '2026-01-01' };
    for (const pattern of ['{model}', '{model}.{ext}', '{model}{model}']) {
      const name = renderName(pattern, tokens);
      assert.ok(name.length > 0 && !name.startsWith('.'), `${pattern} → ${name}`);
    }
  });
});
