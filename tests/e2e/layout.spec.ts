import { join } from 'node:path';
import { TEST_MODEL, chooseModel, expect, nav, smallImage, snap, test } from './fixtures.js';

const VIEWS = ['Queue', 'Watch folders', 'Models', 'Settings', 'System'] as const;

test('system info, dark theme from the toggle, and every view readable at 200 % zoom without sideways scrolling', async ({ page, app }) => {
  await nav(page, 'System');
  await expect(page.getByRole('table')).toContainText(/onnx/i);
  await expect(page.getByText('Inference threads')).toBeVisible();
  await snap(page, 'system');

  // A queue with a finished item, in the dark theme chosen with the sidebar toggle (system → light → dark).
  await chooseModel(page, TEST_MODEL);
  await smallImage('astronaut.png', join(app.root, 'astronaut.png'), 120);
  await nav(page, 'Queue');
  await page.getByLabel('Image or folder path').fill(join(app.root, 'astronaut.png'));
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(page.getByRole('listitem', { name: 'astronaut.png' })).toContainText('Done', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Theme: system' }).click();
  await page.getByRole('button', { name: 'Theme: light' }).click();
  await expect(page.getByRole('button', { name: 'Theme: dark' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).not.toBe('rgb(246, 247, 249)');
  await snap(page, 'queue-dark');

  // 200 % zoom: half the CSS viewport at twice the pixel density.
  await page.setViewportSize({ width: 640, height: 410 });
  for (const view of VIEWS) {
    await nav(page, view);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `${view} scrolls sideways at 200 %`).toBeLessThanOrEqual(0);
  }
  await nav(page, 'Queue');
  await snap(page, 'queue-200-percent');
});

test('keyboard: every control in the queue view is reachable with Tab and shows where focus is', async ({ page, app }) => {
  expect(app.url).toContain('token=');
  const seen: string[] = [];
  for (let i = 0; i < 14; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return { name: el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.tagName, outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px' };
    });
    if (!focused) continue;
    expect(focused.outline, `${focused.name} shows focus`).toBe(true);
    seen.push(focused.name);
  }
  for (const name of ['Queue', 'Watch folders', 'Models', 'Settings', 'System', 'Choose files…']) {
    expect(seen.some((s) => s.includes(name)), `${name} is reachable; saw ${seen.join(', ')}`).toBe(true);
  }
});
