/**
 * The desktop app end to end: Playwright's Electron driver on the built main process (dist/src-main/electron/main.js)
 * with the real services, running the queue's first scenario (three images, one corrupt → two outputs, one failure).
 * Needs an Electron binary: set ELECTRON_PATH. Without it the test is skipped and says so.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, test, expect, type ElectronApplication, type Page } from '@playwright/test';
import sharp from 'sharp';
import { TEST_MODEL, chooseModel, corruptImage, dropFiles, smallImage } from './fixtures.js';
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
    const cat = await smallImage('chelsea.png', join(root, 'cat.png'), 150);
    const rocket = await smallImage('rocket.jpg', join(root, 'rocket.jpg'), 120, 'jpeg');
    await corruptImage(join(root, 'broken.png'));

    await chooseModel(page, TEST_MODEL);
    const outDir = page.locator('#defaults-outdir');
    await outDir.fill(out);
    await outDir.press('Tab');
    await page.getByLabel('Format').selectOption('png');

    await page.getByRole('button', { name: 'Queue' }).click();
    await dropFiles(page, [
      { name: 'cat.png', type: 'image/png', data: await readFile(join(root, 'cat.png')) },
      { name: 'rocket.jpg', type: 'image/jpeg', data: await readFile(join(root, 'rocket.jpg')) },
      { name: 'broken.png', type: 'image/png', data: await readFile(join(root, 'broken.png')) },
    ]);

    const rows = page.getByRole('list', { name: 'Queue items' }).getByRole('listitem');
    await expect(rows).toHaveCount(3);
    await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('Batch finished', { timeout: 60_000 });
    const row = (name: string) => rows.filter({ has: page.getByText(name, { exact: true }) });
    await expect(row('cat.png')).toContainText('Done');
    await expect(row('rocket.jpg')).toContainText('Done');
    await expect(row('broken.png')).toContainText('Failed');
    await expect(row('broken.png').getByRole('alert')).toHaveText(/\w+.{8,}/);

    expect((await readdir(out)).sort()).toEqual(['cat_x2.png', 'rocket_x2.png']);
    const catOut = await sharp(join(out, 'cat_x2.png')).metadata();
    const rocketOut = await sharp(join(out, 'rocket_x2.png')).metadata();
    expect([catOut.width, catOut.height]).toEqual([cat.width * 2, cat.height * 2]);
    expect([rocketOut.width, rocketOut.height]).toEqual([rocket.width * 2, rocket.height * 2]);
  });
});
