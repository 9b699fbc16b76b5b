import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, expect, nav, smallImage, snap, test } from './fixtures.js';

test('a watch folder added in the UI upscales an image copied into it, and the UI shows the activity', async ({ page, app }) => {
  const incoming = join(app.root, 'incoming');
  await mkdir(incoming);
  const source = join(app.root, 'coffee.png');
  const size = await smallImage('coffee.png', source, 128);
  await chooseModel(page, TEST_MODEL);
  const outDir = page.locator('#defaults-outdir');
  await outDir.fill(app.out);
  await outDir.press('Tab');
  await expect(page.getByText('Sub-folders of an added folder are kept.')).toBeVisible();

  await nav(page, 'Watch folders');
  await expect(page.getByText('No folders are watched yet.')).toBeVisible();
  await page.getByLabel('Folder to watch').fill(incoming);
  await page.getByRole('button', { name: 'Watch folder', exact: true }).click();
  const card = page.getByRole('article', { name: `Watch ${incoming}` });
  await expect(card).toContainText('Watching');

  await copyFile(source, join(incoming, 'coffee.png'));
  await expect(card.getByLabel('Counts')).toContainText('1 upscaled', { timeout: 45_000 });
  await expect(card.getByRole('listitem').filter({ hasText: 'Upscaled' })).toContainText('coffee.png');
  const outputs = await readdir(app.out);
  expect(outputs).toEqual(['coffee_x2.png']);
  const meta = await sharp(join(app.out, 'coffee_x2.png')).metadata();
  expect([meta.width, meta.height]).toEqual([size.width * 2, size.height * 2]);

  // Per-watch settings open in place; pausing shows at once.
  await card.getByRole('button', { name: 'Settings' }).click();
  await expect(card.getByLabel('Include sub-folders')).toBeChecked();
  await snap(page, 'watch');
  await card.getByRole('button', { name: 'Pause' }).click();
  await expect(card).toContainText('Paused');
  await card.getByRole('button', { name: 'Resume' }).click();
  await expect(card).toContainText('Watching');

  // The item is in the queue as well, marked as coming from the watch.
  await nav(page, 'Queue');
  await expect(page.getByRole('listitem', { name: 'coffee.png' })).toContainText('Done');
});
