/**
 * Every view in light and dark, at 100 % and at 200 % zoom (half the CSS viewport at twice the pixel density), with
 * real content: a finished batch with a failure, a watch folder, the models, the before/after viewer. Saved with
 * UPDATE_SCREENSHOTS=1 to tests/e2e/screenshots/views-<view>-<theme>-<zoom>.png for review; at 200 % no view may
 * scroll sideways.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { TEST_MODEL, chooseModel, dropFiles, expect, makeThreeImages, nav, snap, test } from './fixtures.js';

const VIEWS = [['Queue', 'queue'], ['Watch folders', 'watch'], ['Models', 'models'], ['Settings', 'settings'], ['System', 'system']] as const;

async function setTheme(page: Page, theme: 'Light' | 'Dark'): Promise<void> {
  await nav(page, 'Settings');
  await page.getByRole('radio', { name: theme, exact: true }).check();
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme.toLowerCase());
}

async function openAt(browser: Browser, url: string, zoom: 100 | 200): Promise<Page> {
  const context = await browser.newContext(zoom === 100
    ? { viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1 }
    : { viewport: { width: 640, height: 410 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

test('every view, light and dark, at 100 % and 200 %', async ({ page, app, browser }) => {
  test.setTimeout(240_000);
  await makeThreeImages(app.root);
  await chooseModel(page, TEST_MODEL);
  await nav(page, 'Queue');
  await dropFiles(page, [
    { name: 'cat.png', type: 'image/png', data: await readFile(join(app.root, 'cat.png')) },
    { name: 'rocket.jpg', type: 'image/jpeg', data: await readFile(join(app.root, 'rocket.jpg')) },
    { name: 'broken.png', type: 'image/png', data: await readFile(join(app.root, 'broken.png')) },
  ]);
  await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('Batch finished', { timeout: 60_000 });
  const incoming = join(app.root, 'incoming');
  await mkdir(incoming);
  await nav(page, 'Watch folders');
  await page.getByLabel('Folder to watch').fill(incoming);
  await page.getByRole('button', { name: 'Watch folder', exact: true }).click();
  await expect(page.getByRole('article', { name: `Watch ${incoming}` })).toContainText('Watching');

  for (const zoom of [100, 200] as const) {
    const view = await openAt(browser, app.url, zoom);
    for (const theme of ['Light', 'Dark'] as const) {
      await setTheme(view, theme);
      for (const [label, slug] of VIEWS) {
        await nav(view, label);
        await expect(view.getByRole('heading', { level: 1 })).toBeVisible();
        if (slug === 'queue') await expect(view.locator('.thumb img')).toHaveCount(2);
        const overflow = await view.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${label} scrolls sideways at ${zoom} %`).toBeLessThanOrEqual(0);
        // Notices from setting the theme would cover the corner: wait them out.
        await expect(view.locator('.notice')).toHaveCount(0, { timeout: 15_000 });
        await snap(view, `views-${slug}-${theme.toLowerCase()}-${zoom}`);
      }
      await nav(view, 'Queue');
      await view.getByRole('listitem', { name: 'cat.png' }).getByRole('button', { name: /Compare cat\.png/ }).click();
      const viewer = view.getByRole('dialog', { name: /Before \/ after/ });
      await expect(viewer.getByRole('img', { name: /^After/ })).toBeVisible();
      await expect(viewer.getByText(`After · ${TEST_MODEL}`)).toBeVisible();
      await snap(view, `views-compare-${theme.toLowerCase()}-${zoom}`);
      await view.keyboard.press('Escape');
      await expect(viewer).toBeHidden();
    }
    await view.context().close();
  }
});
