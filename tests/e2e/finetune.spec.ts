import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, expect, nav, smallImage, snap, test } from './fixtures.js';

/** Fills the fine-tune form (tiny batches and patches, the test model as base) and starts it. */
async function startFineTune(page: Page, o: { hr: string; steps: number; name: string; val?: string }): Promise<void> {
  await page.getByLabel(/High-resolution image folders/).fill(o.hr);
  await page.getByLabel('Start from').selectOption(TEST_MODEL);
  await page.getByLabel('Steps').fill(String(o.steps));
  await page.getByLabel('Name of the new model').fill(o.name);
  await page.getByText('Advanced').click();
  await page.getByLabel('Batch size').fill('2');
  await page.getByLabel('Patch size (px)').fill('16');
  if (o.val) await page.getByLabel(/Validation folder/).fill(o.val);
  await page.getByRole('button', { name: 'Start fine-tuning' }).click();
}

test('a short fine-tune from the UI: the chart fills, the model lands in the picker, and an upscale with it succeeds', async ({ page, app }) => {
  const hr = join(app.root, 'hr');
  await mkdir(hr);
  for (const [i, sample] of ['chelsea.png', 'coffee.png', 'astronaut.png', 'camera.png'].entries()) {
    await smallImage(sample, join(hr, `hr-${i}.png`), 96);
  }

  const val = join(app.root, 'val');
  await mkdir(val);
  await smallImage('rocket.jpg', join(val, 'val-0.png'), 96);

  await nav(page, 'Models');
  await expect(page.locator(`tr[data-model="${TEST_MODEL}"]`)).toContainText('Custom');
  await startFineTune(page, { hr, steps: 16, name: 'My photos', val });

  const job = page.getByRole('region', { name: 'Fine-tune My photos' });
  await expect(job).toBeVisible();
  const chart = job.getByRole('img', { name: /Loss and validation PSNR/ });
  await expect(chart).toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 60_000 });
  await expect(job).toContainText('Done', { timeout: 60_000 });
  await expect(job).toContainText('step 16 of 16');
  expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(1);
  expect(Number(await chart.getAttribute('data-psnr-points'))).toBeGreaterThan(0);
  await expect(job).toContainText('is in the model picker');
  const modelId = (await job.locator('.result strong').last().textContent())!.trim();
  await expect(page.locator(`tr[data-model="${modelId}"]`)).toContainText('Custom');
  await snap(page, 'models');
  const manifest = JSON.parse(await readFile(join(app.home, 'models', 'manifest.json'), 'utf8')) as { models: Array<{ id: string; validation?: { source: string; images: number } }> };
  expect(manifest.models.find((m) => m.id === modelId)?.validation).toMatchObject({ source: val, images: 1 });

  // The new model is offered in Settings; upscale with it by typing a path on the queue.
  await chooseModel(page, modelId, 2);
  const outDir = page.locator('#defaults-outdir');
  await outDir.fill(app.out);
  await outDir.press('Tab');
  await expect(page.getByText('Sub-folders of an added folder are kept.')).toBeVisible();
  await nav(page, 'Queue');
  await expect(page.locator('#queue-model')).toHaveValue(modelId);
  await page.getByLabel('Image or folder path').fill(join(hr, 'hr-0.png'));
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('listitem', { name: 'hr-0.png' })).toContainText('Done', { timeout: 30_000 });
  expect(await readdir(app.out)).toEqual(['hr-0_x2.png']);
  const source = await sharp(join(hr, 'hr-0.png')).metadata();
  const output = await sharp(join(app.out, 'hr-0_x2.png')).metadata();
  expect([output.width, output.height]).toEqual([source.width! * 2, source.height! * 2]);
});

test('a canceled fine-tune resumes from its checkpoint, and Dismiss clears it with its checkpoint', async ({ page, app }) => {
  const hr = join(app.root, 'hr');
  await mkdir(hr);
  for (const [i, sample] of ['chelsea.png', 'coffee.png', 'astronaut.png'].entries()) await smallImage(sample, join(hr, `hr-${i}.png`), 96);

  await nav(page, 'Models');
  await startFineTune(page, { hr, steps: 100_000, name: 'Long run' });

  const job = page.getByRole('region', { name: 'Fine-tune Long run' });
  const chart = job.getByRole('img', { name: /Loss and validation PSNR/ });
  await expect(chart).toHaveAttribute('data-points', /^[1-9]\d*$/, { timeout: 60_000 });
  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(job).toContainText('Canceled', { timeout: 30_000 });
  const stoppedAt = Number((await job.locator('.step').textContent())!.match(/step (\d+)/)![1]);

  await job.getByRole('button', { name: 'Resume' }).click();
  await expect(job).toContainText('Training');
  await expect.poll(async () => Number((await job.locator('.step').textContent())!.match(/step (\d+)/)![1]), { timeout: 60_000 })
    .toBeGreaterThan(stoppedAt);
  await job.getByRole('button', { name: 'Cancel' }).click();
  await expect(job).toContainText('Canceled', { timeout: 30_000 });
  const folder = join(app.home, 'models', 'long-run');
  expect(await readdir(folder)).toContain('checkpoint');
  await snap(page, 'finetune-canceled');

  await job.getByRole('button', { name: 'Dismiss' }).click();
  await expect(job).toBeHidden();
  await expect.poll(() => readdir(folder).then(() => 'present', () => 'gone')).toBe('gone');
});

test('the base follows the preset until picked by hand: film starts from the robust model of the scale, clean from the clean one', async ({ page, app }) => {
  void app; // the fixture starts the server and opens the app
  await nav(page, 'Models');
  const base = page.getByLabel('Start from');
  const preset = page.getByLabel('Your images look');
  const first = await base.inputValue();
  expect(first).toMatch(/^efficient-x\d$/);
  const scale = first.slice(-1);
  await preset.selectOption('film');
  await expect(base).toHaveValue(`robust-x${scale}`);
  await expect(page.getByText('a robust model: it already handles noise and compression')).toBeVisible();
  await preset.selectOption('clean');
  await expect(base).toHaveValue(first);
  // picked by hand, the base stays
  await base.selectOption(TEST_MODEL);
  await preset.selectOption('photo');
  await expect(base).toHaveValue(TEST_MODEL);
});
