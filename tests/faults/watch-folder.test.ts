/**
 * Issue 18, items 5 and 6: a watched folder removed and recreated is watched again, and a nested burst copied into a
 * recursive watch loses nothing (the new-folder scan and the periodic reconcile scan behind chokidar).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { statePaths } from '../../src-main/common/state-home.js';
import { JobQueue } from '../../src-main/jobs/queue.js';
import { WatchService } from '../../src-main/watch/service.js';
import { saveTinyModel, startWatchCli, stopCli, tempDir, waitFor, writeImage } from './helpers.js';

describe('a watched folder removed and recreated', () => {
  it('is detected, rescanned and reported; a file added afterwards is processed', { timeout: 180_000 }, async () => {
    const dir = await tempDir('recreate');
    try {
      const model = await saveTinyModel(join(dir.path, 'model'));
      const inbox = join(dir.path, 'in');
      const out = join(dir.path, 'out');
      mkdirSync(inbox);
      const watch = await startWatchCli([inbox, '-o', out, '-s', '2', '-m', model], { SUBPIXEL_HOME: join(dir.path, 'home') });
      try {
        await writeImage(join(inbox, 'before.png'), 1);
        await waitFor(() => existsSync(join(out, 'before_x2.png')), 'before_x2.png');
        // Gone and back well within one presence check (2 s): the folder looks the same, but it is a new one.
        rmSync(inbox, { recursive: true });
        mkdirSync(inbox);
        await writeImage(join(inbox, 'during.png'), 2);
        await new Promise((r) => setTimeout(r, 3000));
        await writeImage(join(inbox, 'after.png'), 3);
        await waitFor(() => existsSync(join(out, 'after_x2.png')), 'after_x2.png (added after the folder came back)', 40_000);
        await waitFor(() => existsSync(join(out, 'during_x2.png')), 'during_x2.png (written while the watch was deaf)', 40_000);
        // Reported either way it was seen: as replaced (gone and back between two checks), or gone then available again.
        assert.match(watch.stderr(), /removed and recreated|does not exist \(removed or not mounted\)[^]*available: watching/);
      } finally {
        await stopCli(watch);
      }
    } finally {
      await dir.cleanup();
    }
  });
});

describe('a nested burst into a recursive watch', () => {
  const RUNS = 10;
  const FOLDERS = 10;
  const SUBFOLDERS = 10;
  const PER_FOLDER = 30; // 10 x 10 x 30 = 3,000 files per run

  it(`${RUNS} runs of ${FOLDERS * SUBFOLDERS * PER_FOLDER} files copied as nested folders: 0 missed, none twice`, { timeout: 900_000 }, async () => {
    const dir = await tempDir('nested');
    try {
      // The tree to copy: made once, then copied with cp -r, as a user would drop a folder of folders.
      const seed = join(dir.path, 'seed.png');
      await writeImage(seed, 5, 8, 8);
      const tree = join(dir.path, 'tree');
      for (let f = 0; f < FOLDERS; f++) {
        for (let s = 0; s < SUBFOLDERS; s++) {
          const folder = join(tree, `set${f}`, `part${s}`);
          mkdirSync(folder, { recursive: true });
          for (let i = 0; i < PER_FOLDER; i++) copyFileSync(seed, join(folder, `img${i}.png`));
        }
      }
      const total = FOLDERS * SUBFOLDERS * PER_FOLDER;
      const missed: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const home = join(dir.path, `home${run}`);
        const inbox = join(dir.path, `in${run}`);
        mkdirSync(inbox);
        const paths = statePaths(home);
        // The queue stays paused: this measures what the watch hands over, not inference.
        const queue = await JobQueue.open({
          journalPath: paths.queueJournal, autoStart: false, probe: async () => 64,
          runner: async () => { throw new Error('the queue is paused in this test'); },
        });
        await queue.pause();
        const watches = await WatchService.open({
          watchesPath: paths.watches, ledgerPath: paths.watchLedger, queue, stabilityMs: 200, pollMs: 500, rescanMs: 4000, batchMs: 50,
        });
        try {
          await watches.add({ folder: inbox, recursive: true, settings: { scale: 2, outputDir: join(dir.path, `out${run}`) } });
          execFileSync('cp', ['-r', tree, join(inbox, 'batch')]);
          try {
            await waitFor(() => queue.list().length >= total, `${total} queue items`, 90_000);
          } catch {
            // reported below with the count
          }
          await watches.settled();
          const inputs = queue.list().map((i) => i.input);
          assert.equal(new Set(inputs).size, inputs.length, `run ${run}: a file was queued twice`);
          missed.push(total - inputs.length);
        } finally {
          await watches.close();
          await queue.close();
          rmSync(inbox, { recursive: true, force: true });
          rmSync(home, { recursive: true, force: true });
        }
      }
      assert.deepEqual(missed, Array(RUNS).fill(0), `files missed per run: ${missed.join(', ')}`);
    } finally {
      await dir.cleanup();
    }
  });
});
