import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inProcessEngineRunner, openWatchHarness, saveTinyModel, tempDir, waitFor, writeNoiseImage } from './fixtures/services-fixtures.js';

const COUNT = Number(process.env.BURST_COUNT ?? 2000);

test(`a burst of ${COUNT} files is taken without drops, each once, with the real engine on 8x8 images`, { timeout: 90_000 }, async () => {
  const dir = await tempDir('burst');
  const h = await openWatchHarness(join(dir.path, 'home'), inProcessEngineRunner(join(dir.path, 'home', 'models')), { stabilityMs: 200 });
  try {
    const model = await saveTinyModel(join(dir.path, 'home', 'models'), 2);
    const inbox = join(dir.path, 'inbox');
    const out = join(dir.path, 'out');
    await mkdir(inbox);
    await h.watches.add({ folder: inbox, settings: { model, scale: 2, outputDir: out } });
    const seed = join(dir.path, 'seed.png');
    await writeNoiseImage(seed, 8, 8, 1);
    const t0 = Date.now();
    for (let i = 0; i < COUNT; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => copyFile(seed, join(inbox, `f${String(i + j).padStart(4, '0')}.png`))));
    }
    await waitFor(() => h.queue.list().length >= COUNT && h.queue.progress().counts.done + h.queue.progress().counts.failed === h.queue.list().length,
      'every file processed', 80_000, 250);
    await h.watches.settled();
    const items = h.queue.list();
    assert.equal(items.length, COUNT, 'no drops, no duplicates');
    assert.equal(new Set(items.map((i) => i.input)).size, COUNT);
    assert.ok(items.every((i) => i.state === 'done'), items.find((i) => i.state !== 'done')?.error ?? '');
    const outputs = await readdir(out);
    assert.equal(outputs.length, COUNT);
    assert.equal(h.watches.list()[0].counts.done, COUNT);
    console.log(`# ${COUNT} files through watch → queue → engine in ${Date.now() - t0} ms`);
  } finally {
    await h.close();
    await dir.cleanup();
  }
});
