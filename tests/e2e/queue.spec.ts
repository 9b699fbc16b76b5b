import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, corruptImage, dropFiles, expect, nav, smallImage, snap, test } from './fixtures.js';

test('dropping three images (one corrupt) gives two upscaled outputs, one explained failure, a finished batch; before/after opens', async ({ page, app }) => {
  const cat = await smallImage('chelsea.png', join(app.root, 'cat.png'), 150);
  const rocket = await smallImage('rocket.jpg', join(app.root, 'rocket.jpg'), 120, 'jpeg');
  await corruptImage(join(app.root, 'broken.png'));

  // Settings through the UI: the test model, an output folder, PNG output.
  await chooseModel(page, TEST_MODEL);
  const outDir = page.locator('#defaults-outdir');
  await outDir.fill(app.out);
  await outDir.press('Tab');
  await expect(page.getByText('Sub-folders of an added folder are kept.')).toBeVisible();
  await page.getByLabel('Format').selectOption('png');
  await expect(page.getByText('holiday.jpg becomes')).toContainText('holiday_x2.png');
  await snap(page, 'settings');

  await nav(page, 'Queue');
  await expect(page.getByText('Drop images or folders anywhere on this window')).toBeVisible();
  await snap(page, 'queue-empty');
  await dropFiles(page, [
    { name: 'cat.png', type: 'image/png', data: await readFile(join(app.root, 'cat.png')) },
    { name: 'rocket.jpg', type: 'image/jpeg', data: await readFile(join(app.root, 'rocket.jpg')) },
    { name: 'broken.png', type: 'image/png', data: await readFile(join(app.root, 'broken.png')) },
  ]);

  const rows = page.getByRole('list', { name: 'Queue items' }).getByRole('listitem');
  await expect(rows).toHaveCount(3);
  await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('Batch finished', { timeout: 60_000 });
  const row = (name: string) => rows.filter({ has: page.getByText(name, { exact: true }) });
  await expect(row('cat.png')).toContainText('Done');
  await expect(row('rocket.jpg')).toContainText('Done');
  await expect(row('broken.png')).toContainText('Failed');
  // The failure is explained in words, not just flagged.
  const why = row('broken.png').getByRole('alert');
  await expect(why).toHaveText(/\w+.{8,}/);
  await expect(row('cat.png').locator('.sizes')).toHaveText(new RegExp(`^${cat.width}×${cat.height}\\s*→\\s*to ${cat.width * 2}×${cat.height * 2}$`));
  await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('1 failed');
  await snap(page, 'queue-finished');

  const written = (await readdir(app.out)).sort();
  expect(written).toEqual(['cat_x2.png', 'rocket_x2.png']);
  const catOut = await sharp(join(app.out, 'cat_x2.png')).metadata();
  const rocketOut = await sharp(join(app.out, 'rocket_x2.png')).metadata();
  expect([catOut.width, catOut.height]).toEqual([cat.width * 2, cat.height * 2]);
  expect([rocketOut.width, rocketOut.height]).toEqual([rocket.width * 2, rocket.height * 2]);

  // Before/after of a finished item.
  await row('cat.png').getByRole('button', { name: /Compare cat\.png/ }).click();
  const viewer = page.getByRole('dialog', { name: /Before \/ after/ });
  await expect(viewer).toBeVisible();
  const after = viewer.getByRole('img', { name: /After/ });
  await expect(after).toBeVisible();
  expect(await after.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(viewer).toContainText('×2');
  await viewer.getByRole('button', { name: 'Zoom in' }).click();
  await expect(viewer.getByText(/^\d+ %$/)).not.toHaveText('100 %');
  await snap(page, 'compare');
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();

  // Retry the failure: it fails again with the same words; clear finished leaves nothing.
  await row('broken.png').getByRole('button', { name: /Retry/ }).click();
  await expect(row('broken.png')).toContainText('Failed');
  await page.getByRole('button', { name: 'Clear finished' }).click();
  await expect(rows).toHaveCount(0);
});
