/**
 * The first hour in the app, as a new user meets it (issue "The first hour in the app"): each scenario asserts what
 * the user sees — paths, buttons, warnings, counts — against the real server, engine and file system.
 */
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, dropFiles, expect, makeThreeImages, nav, smallImage, snap, test } from './fixtures.js';

const rows = (page: Page): Locator => page.getByRole('list', { name: 'Queue items' }).getByRole('listitem');
const rowOf = (page: Page, name: string): Locator => page.getByRole('listitem', { name, exact: true });
const overall = (page: Page): Locator => page.getByRole('region', { name: 'Overall progress' });

/** Picks scale and model on the Queue screen, where images are added. */
async function pickOnQueue(page: Page, scale: 2 | 3 | 4, model: string | null): Promise<void> {
  await nav(page, 'Queue');
  const group = page.getByRole('group', { name: 'Add images' });
  await group.locator(`input[name="queue-scale"][value="${scale}"]`).check();
  await expect(group.locator(`input[name="queue-scale"][value="${scale}"]`)).toBeChecked();
  const select = group.locator('#queue-model');
  if (model) await expect(select.locator(`option[value="${model}"]`)).toHaveCount(1);
  await select.selectOption(model ?? '');
  await expect(select).toHaveValue(model ?? '');
}

async function addTyped(page: Page, ...paths: string[]): Promise<void> {
  for (const path of paths) {
    await page.getByLabel('Image or folder path').fill(path);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByLabel('Image or folder path')).toHaveValue('');
  }
}

test('1 · dropped images land in Pictures/Subpixel: each row shows its full path with Open and Download; the batch opens its folder; 6 · counts', async ({ page, app }) => {
  await makeThreeImages(app.root);
  await pickOnQueue(page, 2, TEST_MODEL);
  const pictures = join(app.root, 'Pictures', 'Subpixel');
  // Before adding anything the screen says where dropped files go.
  await expect(page.getByRole('group', { name: 'Add images' })).toContainText(pictures);

  await dropFiles(page, [
    { name: 'cat.png', type: 'image/png', data: await readFile(join(app.root, 'cat.png')) },
    { name: 'rocket.jpg', type: 'image/jpeg', data: await readFile(join(app.root, 'rocket.jpg')) },
    { name: 'broken.png', type: 'image/png', data: await readFile(join(app.root, 'broken.png')) },
  ]);
  // "Added N" counts only the images that can be processed; the unreadable one is named at once.
  await expect(page.getByRole('status').getByText('Added 2 images to the queue.')).toBeVisible();
  await expect(page.getByRole('status').getByText(/broken\.png is not a readable image/)).toBeVisible();
  await expect(rows(page)).toHaveCount(3);
  await expect(overall(page)).toContainText('Batch finished', { timeout: 60_000 });
  // Failures are not counted as finished.
  await expect(overall(page)).toContainText(/2 of 3 finished\s*· 1 failed/);

  const cat = rowOf(page, 'cat.png');
  const catOut = join(pictures, 'cat_x2.png');
  await expect(cat.getByTestId('output-path')).toHaveText(catOut);
  expect((await readdir(pictures)).sort()).toEqual(['cat_x2.png', 'rocket_x2.jpg']);

  // Download serves the very file; Open shows it in a tab.
  const download = cat.getByRole('link', { name: 'Download' });
  const [saved] = await Promise.all([page.waitForEvent('download'), download.click()]);
  expect(saved.suggestedFilename()).toBe('cat_x2.png');
  const bytes = await readFile((await saved.path())!);
  expect(bytes.equals(await readFile(catOut))).toBe(true);
  const absolute = (href: string | null) => new URL(href ?? '', app.url).href;
  const view = await page.request.get(absolute(await cat.getByRole('link', { name: 'Open' }).getAttribute('href')));
  expect(view.status()).toBe(200);
  expect(view.headers()['content-type']).toBe('image/png');
  // Opened in a tab, the image shows.
  const [tab] = await Promise.all([page.context().waitForEvent('page'), cat.getByRole('link', { name: 'Open' }).click()]);
  await expect.poll(() => tab.evaluate(() => (document.querySelector('img') as HTMLImageElement | null)?.naturalWidth ?? 0)).toBe(300);
  await tab.close();
  // The route refuses what lies outside the allowed folders, token or not.
  expect((await page.request.get(absolute(`/files/download?path=${encodeURIComponent('/etc/passwd')}`))).status()).toBe(403);

  // The batch's folder: a page listing the outputs.
  const folderLink = page.getByRole('toolbar', { name: 'Queue actions' }).getByRole('link', { name: 'Open output folder' });
  await expect(folderLink).toBeVisible();
  const listing = await page.request.get(absolute(await folderLink.getAttribute('href')));
  expect(await listing.text()).toContain('cat_x2.png');

  // 6 · one size format on every row (pixels), and no finished row without its thumbnail.
  for (const name of ['cat.png', 'rocket.jpg']) {
    await expect(rowOf(page, name).locator('.sizes')).toHaveText(/^\d+×\d+\s*→\s*to \d+×\d+$/);
    await expect.poll(() => rowOf(page, name).locator('.thumb img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  }
  await snap(page, 'first-hour-outputs');
});

test('2 · a path outside the allowed folders says how to fix it; allowing the folder in Settings makes it work', async ({ page, app }) => {
  const outside = await mkdtemp(join(tmpdir(), 'subpixel-e2e-outside-'));
  try {
    await smallImage('chelsea.png', join(outside, 'cat.png'), 80);
    await chooseModel(page, TEST_MODEL);
    await nav(page, 'Queue');
    await page.getByLabel('Image or folder path').fill(join(outside, 'cat.png'));
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const error = page.getByRole('status').getByText(/outside the allowed folders/);
    await expect(error).toBeVisible();
    await expect(error).toContainText('Settings → Allowed folders');
    await expect(error).toContainText(`--allow ${outside}`);
    await expect(page.getByRole('status')).not.toContainText('queue.add');
    // A relative path is explained the same way, before it reaches the server.
    await page.getByLabel('Image or folder path').fill('photos/cat.png');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('status').getByText(/photos\/cat\.png is not a full path/)).toBeVisible();

    await nav(page, 'Settings');
    const allowed = page.getByRole('list', { name: 'Allowed folders' });
    await expect(allowed.getByRole('listitem').filter({ hasText: app.root })).toContainText('--allow');
    await page.getByLabel('Folder to allow').fill(outside);
    await page.getByRole('button', { name: 'Allow folder' }).click();
    await expect(allowed.getByRole('listitem').filter({ hasText: outside })).toContainText('added here');
    await snap(page, 'settings-allowed-folders');

    await nav(page, 'Queue');
    await addTyped(page, join(outside, 'cat.png'));
    await expect(rowOf(page, 'cat.png')).toContainText('Done', { timeout: 30_000 });
    expect(await readdir(outside)).toContain('cat_x2.png');

    // Taken back: the folder is refused again.
    await nav(page, 'Settings');
    await page.getByRole('button', { name: `Remove ${outside} from the allowed folders` }).click();
    await expect(allowed.getByRole('listitem').filter({ hasText: outside })).toHaveCount(0);
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test('3 · a fine-tune that does not beat its base says so, is not offered as the new default, and says what to try', async ({ page, app }) => {
  const hr = join(app.root, 'hr');
  const val = join(app.root, 'val');
  await mkdir(hr);
  await mkdir(val);
  for (const [i, sample] of ['chelsea.png', 'coffee.png', 'astronaut.png'].entries()) await smallImage(sample, join(hr, `hr-${i}.png`), 96);
  await smallImage('rocket.jpg', join(val, 'val-0.png'), 96);

  await nav(page, 'Models');
  // A well-trained shipped model, a handful of steps on tiny patches: nothing to gain.
  await page.getByLabel(/High-resolution image folders/).fill(hr);
  await page.getByLabel('Start from').selectOption('efficient-x2');
  await page.getByLabel('Steps').fill('4');
  await page.getByLabel('Name of the new model').fill('Quick try');
  await page.getByText('Advanced').click();
  await page.getByLabel('Batch size').fill('2');
  await page.getByLabel('Patch size (px)').fill('16');
  await page.getByLabel(/Validation folder/).fill(val);
  await page.getByRole('button', { name: 'Start fine-tuning' }).click();

  const job = page.getByRole('region', { name: 'Fine-tune Quick try' });
  await expect(job).toContainText('Done', { timeout: 90_000 });
  const result = job.locator('.result');
  await expect(result).toHaveAttribute('data-verdict', /^(same|worse)$/);
  await expect(result).toContainText(/This fine-tune (made the model worse|did not improve the model)/);
  await expect(result).toContainText('Keep using efficient-x2');
  await expect(result).toContainText('more steps');
  await expect(job.getByRole('button', { name: 'Use for new images' })).toHaveCount(0);
  await snap(page, 'finetune-not-better');
});

test('4 · scale and model on the Queue screen (Automatic by default) and per watch folder', async ({ page, app }) => {
  await nav(page, 'Queue');
  const group = page.getByRole('group', { name: 'Add images' });
  await expect(group.locator('#queue-model')).toHaveValue('');
  await expect(group.locator('#queue-model option:checked')).toHaveText('Automatic (recommended)');
  // Only models of the chosen scale are offered.
  await group.locator('input[name="queue-scale"][value="3"]').check();
  await expect(group.locator('#queue-model option[value="efficient-x3"]')).toHaveCount(1);
  await expect(group.locator('#queue-model option[value="efficient-x2"]')).toHaveCount(0);

  await pickOnQueue(page, 2, TEST_MODEL);
  await smallImage('astronaut.png', join(app.root, 'astronaut.png'), 60);
  await addTyped(page, join(app.root, 'astronaut.png'));
  await expect(rowOf(page, 'astronaut.png')).toContainText('Done', { timeout: 30_000 });
  const out = await sharp(join(app.root, 'astronaut_x2.png')).metadata();
  expect(out.width).toBe(120);

  // A watch folder with its own scale: ×3 with Automatic, while the queue stays at ×2.
  const incoming = join(app.root, 'incoming');
  await mkdir(incoming);
  await nav(page, 'Watch folders');
  await page.getByLabel('Folder to watch').fill(incoming);
  await page.locator('input[name="new-watch-scale"][value="3"]').check();
  await expect(page.locator('#new-watch-model')).toHaveValue('');
  await page.getByRole('button', { name: 'Watch folder', exact: true }).click();
  const card = page.getByRole('article', { name: `Watch ${incoming}` });
  await expect(card).toContainText('×3 · Automatic model');
  await smallImage('coffee.png', join(incoming, 'coffee.png'), 40);
  await expect(card).toContainText('Upscaled', { timeout: 60_000 });
  const watched = await sharp(join(incoming, 'coffee_x3.png')).metadata();
  const source = await sharp(join(incoming, 'coffee.png')).metadata();
  expect(watched.width).toBe(source.width! * 3);
  await snap(page, 'watch-per-folder-scale');
});

test('5 · before/after of a finished item: the whole image against bicubic, named labels, fit and 1:1, zoom anchored at the cursor and the centre', async ({ page, app }) => {
  await chooseModel(page, TEST_MODEL);
  const { width, height } = await smallImage('chelsea.png', join(app.root, 'cat.png'), 160);
  await nav(page, 'Queue');
  await addTyped(page, join(app.root, 'cat.png'));
  const row = rowOf(page, 'cat.png');
  await expect(row).toContainText('Done', { timeout: 30_000 });
  await row.getByRole('button', { name: /Compare cat\.png/ }).click();

  const viewer = page.getByRole('dialog', { name: /Before \/ after/ });
  const after = viewer.getByRole('img', { name: /^After/ });
  const before = viewer.getByRole('img', { name: /^Before/ });
  await expect(after).toBeVisible();
  // The whole output, and a bicubic enlargement of the whole input to the same size.
  expect(await after.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([width * 2, height * 2]);
  expect(await before.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([width * 2, height * 2]);
  await expect(viewer.getByText(`After · ${TEST_MODEL}`)).toBeVisible();
  await expect(viewer.getByText('Before · bicubic ×2')).toBeVisible();
  await expect(viewer).toContainText('whole image');

  const stage = viewer.getByRole('application');
  const box = (await stage.boundingBox())!;
  const imageBox = async () => (await after.boundingBox())!;
  // Where a screen point falls in the image, as a fraction of the image.
  const imagePoint = async (x: number, y: number) => { const b = await imageBox(); return [(x - b.x) / b.width, (y - b.y) / b.height]; };

  // 1:1: one image pixel per screen pixel; Fit: the whole image inside the stage.
  await viewer.getByRole('button', { name: '1:1' }).click();
  await expect.poll(async () => Math.round((await imageBox()).width)).toBe(width * 2);
  await viewer.getByRole('button', { name: 'Fit' }).click();
  await expect.poll(async () => { const b = await imageBox(); return b.width <= box.width + 1 && b.height <= box.height + 1; }).toBe(true);

  // Buttons zoom about the centre: the image point at the stage's centre stays there.
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const centreBefore = await imagePoint(cx, cy);
  await viewer.getByRole('button', { name: 'Zoom in' }).click();
  await viewer.getByRole('button', { name: 'Zoom in' }).click();
  const centreAfter = await imagePoint(cx, cy);
  expect(Math.abs(centreAfter[0] - centreBefore[0])).toBeLessThan(0.01);
  expect(Math.abs(centreAfter[1] - centreBefore[1])).toBeLessThan(0.01);

  // The wheel zooms about the cursor: the image point under it stays under it.
  const px = box.x + box.width * 0.3;
  const py = box.y + box.height * 0.4;
  await page.mouse.move(px, py);
  const underBefore = await imagePoint(px, py);
  await page.mouse.wheel(0, -240);
  await expect.poll(async () => (await imageBox()).width).toBeGreaterThan((await imageBox()).width - 1);
  const underAfter = await imagePoint(px, py);
  expect(Math.abs(underAfter[0] - underBefore[0])).toBeLessThan(0.01);
  expect(Math.abs(underAfter[1] - underBefore[1])).toBeLessThan(0.01);
  await snap(page, 'compare-whole');
  await page.keyboard.press('Escape');

  // "Try a model" keeps its crop preview.
  await nav(page, 'Models');
  await page.getByLabel('Image to preview').fill(join(app.root, 'cat.png'));
  await page.getByLabel('Model to preview').selectOption(TEST_MODEL);
  await page.getByRole('button', { name: 'Before / after' }).first().click();
  await expect(viewer.getByText(/^region \d+×\d+ at/)).toBeVisible({ timeout: 30_000 });
  await expect(viewer.getByText(`After · ${TEST_MODEL}`)).toBeVisible();
});

test('6 · small fixes: no console errors on load, sorted models with a default badge, the backend Automatic picked, a real "Use source folder" button, 200 % zoom', async ({ page, app }) => {
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  await page.goto(app.url);
  await expect(page.getByRole('heading', { name: 'Queue' })).toBeVisible();
  await nav(page, 'Models');
  await expect(page.locator('tr[data-model]').first()).toBeVisible();
  expect(problems, 'console errors or failed requests on page load').toEqual([]);

  // Models: by scale, the default of each scale first and badged.
  const listed = await page.locator('tbody tr[data-model]').evaluateAll((trs) => trs.map((tr) => ({
    id: tr.getAttribute('data-model'), scale: tr.querySelector('td')?.textContent?.trim(), isDefault: !!tr.querySelector('.badge.ok'),
  })));
  expect(listed.map((m) => m.scale)).toEqual([...listed.map((m) => m.scale)].sort());
  for (const scale of ['×2', '×3', '×4']) {
    const ofScale = listed.filter((m) => m.scale === scale);
    expect(ofScale[0]?.isDefault, `the first ${scale} model is the default`).toBe(true);
    expect(ofScale.filter((m) => m.isDefault)).toHaveLength(1);
  }

  await nav(page, 'System');
  await expect(page.getByTestId('automatic-backend')).toContainText(/ONNX Runtime|TensorFlow\.js/);
  await expect(page.getByRole('row').filter({ hasText: 'Automatic uses this' })).toHaveCount(1);

  await nav(page, 'Settings');
  const outDir = page.locator('#defaults-outdir');
  await outDir.fill(app.out);
  await outDir.press('Tab');
  const useSource = page.getByRole('button', { name: 'Use source folder' });
  await expect(useSource).toBeVisible();
  expect(await useSource.evaluate((b) => getComputedStyle(b).borderTopStyle)).toBe('solid');
  expect(await useSource.evaluate((b) => getComputedStyle(b).borderTopColor)).not.toBe('rgba(0, 0, 0, 0)');

  // 200 % zoom: no view scrolls sideways; model names never break inside a word.
  await page.setViewportSize({ width: 640, height: 410 });
  for (const view of ['Queue', 'Watch folders', 'Models', 'Settings', 'System'] as const) {
    await nav(page, view);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${view} scrolls sideways at 200 %`).toBeLessThanOrEqual(0);
  }
  await nav(page, 'Models');
  const broken = await page.locator('.model-name').evaluateAll((els) => els.filter((el) => el.getClientRects().length > 1).map((el) => el.textContent));
  expect(broken, 'model names wrapped inside a word').toEqual([]);
});

test('7 · same-named files in the sub-folders of an added folder keep their folders under the output folder; only a true collision is numbered', async ({ page, app }) => {
  await chooseModel(page, TEST_MODEL);
  const outDir = page.locator('#defaults-outdir');
  await outDir.fill(app.out);
  await outDir.press('Tab');
  await expect(page.getByText('Sub-folders of an added folder are kept.')).toBeVisible();
  // A camera card: the same file names in every day's folder.
  const trip = join(app.root, 'Trip');
  for (const day of ['day1', 'day2']) {
    await mkdir(join(trip, day), { recursive: true });
    await smallImage('coffee.png', join(trip, day, 'img.png'), 40);
  }
  await smallImage('chelsea.png', join(trip, 'img.png'), 40);
  await mkdir(join(app.root, 'Home'), { recursive: true });
  await smallImage('chelsea.png', join(app.root, 'Home', 'img.png'), 40);
  await nav(page, 'Queue');
  // One folder: its contents and sub-folders go into the output folder, as `subpixel upscale Trip -o out` writes them.
  await addTyped(page, trip);
  await expect(rows(page)).toHaveCount(3);
  await expect(overall(page)).toContainText('Batch finished', { timeout: 60_000 });
  const paths = await page.getByTestId('output-path').allTextContents();
  expect(paths.sort()).toEqual([
    join(app.out, 'day1', 'img_x2.png'), join(app.out, 'day2', 'img_x2.png'), join(app.out, 'img_x2.png'),
  ].sort());
  expect(paths.some((p) => p.includes('('))).toBe(false);

  // Files of one name added on their own (no folder to keep) truly collide with what is there: they are numbered.
  await addTyped(page, join(trip, 'img.png'), join(app.root, 'Home', 'img.png'));
  await expect(rows(page)).toHaveCount(5);
  await expect(overall(page)).toContainText('Batch finished', { timeout: 60_000 });
  const all = await page.getByTestId('output-path').allTextContents();
  expect(all).toContain(join(app.out, 'img_x2 (1).png'));
  expect(all).toContain(join(app.out, 'img_x2 (2).png'));
});
