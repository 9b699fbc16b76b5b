/** Issue 18, item 10: an output too large is refused before anything is allocated, naming its size and the option. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { saveTinyModel, startCli, tempDir, writeImage } from './helpers.js';

/** A PNG whose header says width x height (its pixel data is a 1x1 image's): enough for every header-only check. */
async function pngClaiming(path: string, width: number, height: number): Promise<void> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: 'red' } }).png().toBuffer();
  // IHDR: length(4) type(4) at offset 8, width/height at 16/20, CRC over type+data at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29);
  writeFileSync(path, png);
}

describe('output size', () => {
  it('a 16383² PNG at x2 (the model is x2) fails at once with its output size, not "Invalid typed array length"', { timeout: 120_000 }, async () => {
    const dir = await tempDir('outsize');
    try {
      const model = await saveTinyModel(join(dir.path, 'model'));
      const huge = join(dir.path, 'huge.png');
      await pngClaiming(huge, 16383, 16383);
      assert.equal((await sharp(huge).metadata()).width, 16383);
      await writeImage(join(dir.path, 'small.png'), 1, 400, 300);
      const run = startCli(['upscale', huge, join(dir.path, 'small.png'), '-o', join(dir.path, 'out'), '-s', '2', '-m', model], {});
      assert.equal((await run.exited).code, 1, run.stderr());
      assert.match(run.stderr(), /FAILED .*huge\.png: .*output would be 32766x32766 \(1\.07 gigapixels\), over the output limit of 1 gigapixels; raise it with --max-output-megapixels/);
      assert.doesNotMatch(run.stderr(), /Invalid typed array length/);
      assert.match(run.stderr(), /1 upscaled, 1 failed/);

      await writeImage(join(dir.path, 'medium.png'), 2, 800, 600);
      const limited = startCli(['upscale', join(dir.path, 'medium.png'), '-o', join(dir.path, 'out2'), '-s', '2', '-m', model, '--max-output-megapixels', '1'], {});
      assert.equal((await limited.exited).code, 1, limited.stderr());
      assert.match(limited.stderr(), /output would be 1600x1200 \(0\.00192 gigapixels\), over the output limit of 0\.001 gigapixels/);
    } finally {
      await dir.cleanup();
    }
  });
});
