/**
 * The desktop app end to end: Playwright's Electron driver on the built main process (dist/src-main/electron/main.js)
 * with the real services, running the queue's first scenario (three images, one corrupt → two outputs, one failure).
 * Needs an Electron binary: set ELECTRON_PATH. Without it the test is skipped and says so.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, test, expect, type ElectronApplication, type Page } from '@playwright/test';
import { TEST_MODEL, chooseModel, dropThreeImages, expectTwoOutputs, makeThreeImages } from './fixtures.js';
import { MODEL_TEMPLATE } from './paths.js';

const electronPath = process.env.ELECTRON_PATH;
const skipReason = 'Electron e2e skipped: ELECTRON_PATH is not set (point it to an Electron 41 binary to run it)';
if (!electronPath) console.log(skipReason);

test.describe('desktop app (Electron)', () => {
  test.skip(!electronPath, skipReason);

  let electronApp: ElectronApplication;
  let page: Page;
  // Under the user's home: the desktop app's allowed roots are the home folder and what the user picks.
  let root: string;
  let out: string;

  test.beforeAll(async () => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
    root = await mkdtemp(join(homedir(), '.subpixel-e2e-electron-'));
    out = join(root, 'out');
    await mkdir(out, { recursive: true });
    await cp(MODEL_TEMPLATE, join(root, 'state', 'models'), { recursive: true });
    electronApp = await _electron.launch({
      executablePath: electronPath!,
      args: [
        resolve('dist/src-main/electron/main.js'),
        // Chromium refuses to run as root with its setuid sandbox (CI containers); the page sandbox stays on.
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
      env: { ...process.env, SUBPIXEL_HOME: join(root, 'state'), NODE_OPTIONS: '' } as Record<string, string>,
    });
    page = await electronApp.firstWindow();
    page.on('pageerror', (error) => { console.error(`[page error] ${error.message}`); });
  });

  test.afterAll(async () => {
    await electronApp?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('the window is hardened and talks to the services only through the preload bridge', async () => {
    const url = await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.webContents.getURL());
    expect(url).toMatch(/^subpixel:\/\/app\//);
    // Isolation and sandbox (options checked in electron-security.test.ts): the page sees the bridge and no Node.
    expect(await page.evaluate(() => [typeof (window as unknown as { subpixel?: unknown }).subpixel, typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process]))
      .toEqual(['object', 'undefined', 'undefined']);
    // window.open never opens a second window (plain http: is not even handed to the system browser).
    await page.evaluate(() => { window.open('http://127.0.0.1:9/'); });
    expect(await electronApp.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });

  test('three images, one corrupt: two upscaled outputs, one explained failure, the batch finished', async () => {
    const images = await makeThreeImages(root);

    await chooseModel(page, TEST_MODEL);
    const outDir = page.locator('#defaults-outdir');
    await outDir.fill(out);
    await outDir.press('Tab');
    await page.getByLabel('Format').selectOption('png');

    await page.getByRole('button', { name: 'Queue' }).click();
    const row = await dropThreeImages(page, root);
    await expectTwoOutputs(out, images);
    // The desktop app opens outputs with the system (shell) instead of downloading them.
    await expect(row('cat.png').getByTestId('output-path')).toHaveText(join(out, 'cat_x2.png'));
    await expect(row('cat.png').getByRole('button', { name: 'Open' })).toBeVisible();
    await expect(row('cat.png').getByRole('button', { name: 'Show in folder' })).toBeVisible();
    await expect(row('cat.png').getByRole('link', { name: 'Download' })).toHaveCount(0);
    await expect(page.getByRole('toolbar', { name: 'Queue actions' }).getByRole('button', { name: 'Open output folder' })).toBeVisible();
  });
});
