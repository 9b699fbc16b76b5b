/** Issue 18, item 12: temp files a killed `upscale` left are removed by the next run in that folder, and said so. */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { saveTinyModel, startCli, tempDir, waitFor, writeImage } from './helpers.js';

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.subpixel-tmp-'));

describe('temp files of a killed upscale', () => {
  it('are removed by the next run in that folder, which says so', { timeout: 300_000 }, async () => {
    const dir = await tempDir('leftovers');
    try {
      const model = await saveTinyModel(join(dir.path, 'model'));
      await writeImage(join(dir.path, 'src', 'big.png'), 1, 1600, 1600);
      await writeImage(join(dir.path, 'src', 'small.png'), 2);
      const out = join(dir.path, 'out');
      mkdirSync(out);
      // Killed while the encoder writes its temp file (a 3200x3200 PNG takes a while to encode).
      const killed = startCli(['upscale', join(dir.path, 'src', 'big.png'), '-o', out, '-s', '2', '-m', model], {});
      await waitFor(() => temps(out).length > 0 || killed.child.exitCode !== null, 'a temp file in the output folder', 120_000);
      killed.child.kill('SIGKILL');
      await killed.exited;
      const left = temps(out);
      assert.ok(left.length > 0, 'the killed run left a temp file (the case this test is about)');

      const next = startCli(['upscale', join(dir.path, 'src', 'small.png'), '-o', out, '-s', '2', '-m', model], {});
      assert.equal((await next.exited).code, 0, next.stderr());
      assert.deepEqual(temps(out), [], 'the leftover is gone');
      for (const name of left) assert.ok(next.stderr().includes(`removed ${join(out, name)}, left by a killed run`), next.stderr());
    } finally {
      await dir.cleanup();
    }
  });
});
