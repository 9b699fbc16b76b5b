import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, dropFiles, expect, nav, test } from './fixtures.js';

// Issue 18, item 9, through the page: a dropped file over the inline size travels in chunks and is queued; a file
// named .png whose content is not an image is refused at its first chunk, with its name, and the rest goes on.
test('a large dropped image is uploaded in chunks and upscaled; a non-image named .png is refused by its content', async ({ page, app }) => {
  await chooseModel(page, TEST_MODEL, 2);
  await nav(page, 'Queue');
  const noise = Buffer.alloc(760 * 600 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  const big = await sharp(noise, { raw: { width: 760, height: 600, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
  expect(big.length).toBeGreaterThan(1024 * 1024); // more than one chunk
  await dropFiles(page, [
    { name: 'large.png', type: 'image/png', data: big },
    { name: 'fake.png', type: 'image/png', data: Buffer.alloc(600 * 1024, 'not an image ') },
  ]);
  await expect(page.getByRole('status').getByText('Added 1 image to the queue.')).toBeVisible();
  await expect(page.getByRole('status').getByText(/fake\.png: its content is not an image; not kept/)).toBeVisible();
  const pictures = join(app.root, 'Pictures', 'Subpixel');
  await expect.poll(async () => (await readdir(pictures).catch(() => [])).sort(), { timeout: 60_000 }).toEqual(['large_x2.png']);
  expect((await sharp(join(pictures, 'large_x2.png')).metadata()).width).toBe(1520);
});
