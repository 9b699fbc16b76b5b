import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { redisMissing, startRedis } from '../integration/redis-harness.js';
import { TEST_MODEL, chooseModel, dropThreeImages, expect, expectTwoOutputs, makeThreeImages, nav, test } from './fixtures.js';

test('with a Cluster setting the queue runs on a worker pool: same outputs, remote progress, the bad file explained', async ({ page, app }) => {
  test.skip(redisMissing !== undefined, redisMissing);
  const redis = await startRedis();
  // One worker with the app's folder allowed and the app's models (the test model is installed there).
  const worker = spawn(process.execPath, ['bin/subpixel.js', 'worker', '--redis', redis.url, '--allow', app.root, '--models', join(app.home, 'models')], {
    env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let workerLog = '';
  worker.stdout!.on('data', (d: Buffer) => { workerLog += d.toString(); });
  worker.stderr!.on('data', (d: Buffer) => { workerLog += d.toString(); });
  try {
    await expect.poll(() => workerLog, { timeout: 60_000 }).toContain('ready on');
    const images = await makeThreeImages(app.root);
    await chooseModel(page, TEST_MODEL);
    await page.locator('#defaults-outdir').fill(app.out);
    await page.locator('#defaults-outdir').press('Tab');
    await page.getByLabel('Format').selectOption('png');

    // A wrong URL is refused with the reason; the right one is taken.
    const url = page.getByLabel('Worker pool (Redis URL)');
    await url.fill('http://not-redis');
    await page.getByRole('button', { name: 'Use this pool' }).click();
    await expect(page.getByText(/Redis URL/).first()).toBeVisible();
    await url.fill(redis.url);
    await page.getByRole('button', { name: 'Use this pool' }).click();
    await expect(page.getByRole('button', { name: 'Run on this machine' })).toBeVisible();
    await expect(page.getByText('Queue items run on the workers')).toBeVisible();

    await nav(page, 'Queue');
    await dropThreeImages(page, app.root);
    await expect(page.getByRole('region', { name: 'Overall progress' })).toContainText('1 failed', { timeout: 60_000 });
    await expectTwoOutputs(app.out, images);
    // The pool did the work, not the app's own engine.
    expect(workerLog).toMatch(/done {4}\S*cat\.png -> /);
    expect(workerLog).toMatch(/done {4}\S*rocket\.jpg -> /);
  } finally {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
    await redis.stop();
  }
});
