import { TEST_MODEL, chooseModel, dropThreeImages, expect, expectTwoOutputs, makeThreeImages, nav, snap, test } from './fixtures.js';

test('dropping three images (one corrupt) gives two upscaled outputs, one explained failure, a finished batch; before/after opens', async ({ page, app }) => {
  const images = await makeThreeImages(app.root);
  const { cat } = images;

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
  const row = await dropThreeImages(page, app.root);
  await expect(row('cat.png').locator('.sizes')).toHaveText(new RegExp(`^${cat.width}×${cat.height}\\s*→\\s*to ${cat.width * 2}×${cat.height * 2}$`));
  await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('1 failed');
  await snap(page, 'queue-finished');

  await expectTwoOutputs(app.out, images);

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
  // The row may still read Failed from the first attempt while the retry is queued: clear until nothing is left.
  const items = page.getByRole('list', { name: 'Queue items' }).getByRole('listitem');
  await expect(async () => {
    await page.getByRole('button', { name: 'Clear finished' }).click({ timeout: 1_000 });
    await expect(items).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});
