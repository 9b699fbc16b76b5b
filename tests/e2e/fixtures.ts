/**
 * One real backend per test: `node bin/subpixel.js serve --port 0 --allow <tmp>` with its own SUBPIXEL_HOME and the
 * test model installed, the page opened at the URL it prints. Plus the small real images the scenarios use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import sharp from 'sharp';
import { MODEL_TEMPLATE, TEST_MODEL } from './paths.js';

export { expect };
export { TEST_MODEL };

export const SAMPLES = resolve('resources/samples');
export const SCREENSHOTS = resolve('tests/e2e/screenshots');

export interface App {
  url: string;
  /** Temporary folder, the one allowed root besides the user's home. */
  root: string;
  home: string;
  /** Empty output folder inside root. */
  out: string;
  /** Server output so far, for failure messages. */
  log(): string;
}

export async function startServer(root: string, home: string): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, ['bin/subpixel.js', 'serve', '--port', '0', '--allow', root], {
    // Pictures inside the test folder: uploads without an output folder go to <Pictures>/Subpixel.
    env: { ...process.env, SUBPIXEL_HOME: home, NODE_OPTIONS: '', XDG_PICTURES_DIR: join(root, 'Pictures') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const log = () => output;
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 60 s:\n${output}`)), 60_000);
    let pending = '';
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      pending += d.toString();
      const match = pending.match(/^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m);
      if (match) { clearTimeout(timer); resolveUrl(match[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}:\n${output}`)); });
  });
  return { url, child, log };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const test = base.extend<{ app: App }>({
  app: async ({ page }, use, testInfo) => {
    const root = await mkdtemp(join(tmpdir(), 'subpixel-e2e-'));
    const home = join(root, 'state');
    const out = join(root, 'out');
    await mkdir(out, { recursive: true });
    await cp(MODEL_TEMPLATE, join(home, 'models'), { recursive: true });
    const server = await startServer(root, home);
    page.on('pageerror', (error) => { console.error(`[page error] ${error.message}`); });
    await page.goto(server.url);
    await use({ url: server.url, root, home, out, log: server.log });
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('server log', { body: server.log(), contentType: 'text/plain' });
    await page.close();
    await stopServer(server.child);
    await rm(root, { recursive: true, force: true });
  },
});

/** A small real photo: a sample scaled down so the engine's time stays out of the suite's. */
export async function smallImage(sample: string, dest: string, width: number, format: 'png' | 'jpeg' = 'png'): Promise<{ width: number; height: number }> {
  const image = sharp(join(SAMPLES, sample)).resize({ width });
  const info = await (format === 'png' ? image.png() : image.jpeg({ quality: 90 })).toFile(dest);
  return { width: info.width, height: info.height };
}

export async function corruptImage(dest: string): Promise<void> {
  // A PNG signature followed by garbage: looks like an image by name and magic, fails to decode.
  await writeFile(dest, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('not really a png '.repeat(20))]));
}

/** Drops files on the window the way a file manager does: a DataTransfer with Files on dragenter/dragover/drop. */
export async function dropFiles(page: Page, files: Array<{ name: string; type: string; data: Buffer }>): Promise<void> {
  const payload = files.map((f) => ({ name: f.name, type: f.type, base64: f.data.toString('base64') }));
  const transfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], item.name, { type: item.type }));
    }
    return dt;
  }, payload);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('main', type, { dataTransfer: transfer });
  }
}

/** Opens a view from the sidebar. */
export async function nav(page: Page, view: 'Queue' | 'Watch folders' | 'Models' | 'Settings' | 'System'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: view, exact: true }).click();
}

/** Picks a scale and model in Settings → Processing, as a user would, and waits until the settings took it. */
export async function chooseModel(page: Page, id: string, scale: 2 | 3 | 4 = 2): Promise<void> {
  await nav(page, 'Settings');
  await page.locator(`input[name="defaults-scale"][value="${scale}"]`).check();
  const select = page.locator('#defaults-model');
  await expect(select.locator(`option[value="${id}"]`)).toHaveCount(1);
  await select.selectOption(id);
  await expect(select).toHaveValue(id);
}

/**
 * Saves a full-page screenshot as a test artifact (test-results/). With UPDATE_SCREENSHOTS=1 it also refreshes the
 * committed copy under tests/e2e/screenshots, which otherwise would change on every run (temp paths, times).
 */
export async function snap(page: Page, name: string): Promise<void> {
  const shot = await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
  await test.info().attach(name, { body: shot, contentType: 'image/png' });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(SCREENSHOTS, { recursive: true });
    await writeFile(join(SCREENSHOTS, `${name}.png`), shot);
  }
}

/** The first scenario's inputs, shared by the browser and Electron suites: two real photos and a corrupt PNG. */
export async function makeThreeImages(root: string): Promise<{ cat: { width: number; height: number }; rocket: { width: number; height: number } }> {
  const cat = await smallImage('chelsea.png', join(root, 'cat.png'), 150);
  const rocket = await smallImage('rocket.jpg', join(root, 'rocket.jpg'), 120, 'jpeg');
  await corruptImage(join(root, 'broken.png'));
  return { cat, rocket };
}

/**
 * Drops the three images on the queue view and waits for the batch: two done, the corrupt one failed with its reason
 * in words. Returns a finder for a row by file name.
 */
export async function dropThreeImages(page: Page, root: string): Promise<(name: string) => Locator> {
  await dropFiles(page, [
    { name: 'cat.png', type: 'image/png', data: await readFile(join(root, 'cat.png')) },
    { name: 'rocket.jpg', type: 'image/jpeg', data: await readFile(join(root, 'rocket.jpg')) },
    { name: 'broken.png', type: 'image/png', data: await readFile(join(root, 'broken.png')) },
  ]);
  const rows = page.getByRole('list', { name: 'Queue items' }).getByRole('listitem');
  await expect(rows).toHaveCount(3);
  await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('Batch finished', { timeout: 60_000 });
  const row = (name: string): Locator => rows.filter({ has: page.getByText(name, { exact: true }) });
  await expect(row('cat.png')).toContainText('Done');
  await expect(row('rocket.jpg')).toContainText('Done');
  await expect(row('broken.png')).toContainText('Failed');
  // The failure is explained in words, not just flagged.
  await expect(row('broken.png').getByRole('alert')).toHaveText(/\w+.{8,}/);
  return row;
}

/** Exactly the two upscaled outputs, at twice the input size, on disk. */
export async function expectTwoOutputs(out: string, images: Awaited<ReturnType<typeof makeThreeImages>>): Promise<void> {
  expect((await readdir(out)).sort()).toEqual(['cat_x2.png', 'rocket_x2.png']);
  const catOut = await sharp(join(out, 'cat_x2.png')).metadata();
  const rocketOut = await sharp(join(out, 'rocket_x2.png')).metadata();
  expect([catOut.width, catOut.height]).toEqual([images.cat.width * 2, images.cat.height * 2]);
  expect([rocketOut.width, rocketOut.height]).toEqual([images.rocket.width * 2, images.rocket.height * 2]);
}
