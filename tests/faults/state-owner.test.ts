/**
 * Issue 18, items 1–4: one owner per state folder, damaged state files never redo finished work, and every recovery
 * reaches the CLI and the app log. Real `subpixel watch` / `serve` processes, SIGKILL, state files cut and garbled.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync, mkdirSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openAppServices } from '../../src-main/api/services.js';
import { StateFolderBusyError } from '../../src-main/common/state-lock.js';
import { startBrowserMode } from '../../src-main/server/serve-app.js';
import { connectWs } from '../integration/api-harness.js';
import { saveTinyModel, startCli, startWatchCli, stopCli, tempDir, waitFor, writeImage } from './helpers.js';

const outputsIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : []);

describe('one owner per state folder', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  before(async () => {
    dir = await tempDir('owner');
    model = await saveTinyModel(join(dir.path, 'model'));
  });
  after(() => dir.cleanup());

  it('a second watch on the same state folder refuses, naming the owner\'s PID and how to stop it', { timeout: 180_000 }, async () => {
    const home = join(dir.path, 'home-a');
    const inbox = join(dir.path, 'in-a');
    mkdirSync(inbox);
    const args = [inbox, '-o', join(dir.path, 'out-a'), '-s', '2', '-m', model];
    const first = await startWatchCli(args, { SUBPIXEL_HOME: home });
    try {
      const second = startCli(['watch', ...args], { SUBPIXEL_HOME: home });
      const { code } = await second.exited;
      assert.equal(code, 2, second.stderr());
      assert.match(second.stderr(), new RegExp(`in use by subpixel watch \\(PID ${first.child.pid},`));
      assert.match(second.stderr(), new RegExp(`kill -TERM ${first.child.pid}`));
      assert.match(second.stderr(), /SUBPIXEL_HOME/);
    } finally {
      assert.equal((await stopCli(first)).code, 0, first.stderr());
    }
    assert.ok(!existsSync(join(home, 'owner.json')), 'a clean exit releases the folder');
  });

  it('a watch next to a running serve is told the URL where the owner answers', { timeout: 180_000 }, async () => {
    const home = join(dir.path, 'home-b');
    const serve = startCli(['serve', '--port', '0'], { SUBPIXEL_HOME: home });
    try {
      await waitFor(() => /^http:\/\/\S+token=\S+$/m.test(serve.stdout()), `serve's URL (stderr: ${serve.stderr()})`);
      const url = serve.stdout().trim().split('\n').pop()!;
      const inbox = join(dir.path, 'in-b');
      mkdirSync(inbox);
      const watch = startCli(['watch', inbox, '-o', join(dir.path, 'out-b'), '-s', '2', '-m', model], { SUBPIXEL_HOME: home });
      const { code } = await watch.exited;
      assert.equal(code, 2);
      assert.match(watch.stderr(), new RegExp(`in use by subpixel serve \\(PID ${serve.child.pid},`));
      assert.ok(watch.stderr().includes(url), watch.stderr());
    } finally {
      await stopCli(serve);
    }
  });

  it('the lock of a SIGKILLed owner is taken over, and its batch finishes once: no duplicates', { timeout: 240_000 }, async () => {
    const home = join(dir.path, 'home-c');
    const inbox = join(dir.path, 'in-c');
    const out = join(dir.path, 'out-c');
    mkdirSync(inbox);
    const args = [inbox, '-o', out, '-s', '2', '-m', model];
    const first = await startWatchCli(args, { SUBPIXEL_HOME: home });
    for (let i = 0; i < 12; i++) await writeImage(join(inbox, `img${i}.png`), i + 1, 64, 48);
    await waitFor(() => outputsIn(out).length >= 2, 'a first output');
    first.child.kill('SIGKILL');
    await first.exited;
    assert.ok(existsSync(join(home, 'owner.json')), 'SIGKILL leaves the owner record behind');

    const second = await startWatchCli(args, { SUBPIXEL_HOME: home });
    try {
      assert.match(second.stderr(), new RegExp(`took over the state folder from subpixel watch \\(PID ${first.child.pid}\\)`));
      await waitFor(() => outputsIn(out).length >= 12, '12 outputs');
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      assert.equal((await stopCli(second)).code, 0, second.stderr());
    }
    assert.deepEqual(outputsIn(out), Array.from({ length: 12 }, (_, i) => `img${i}_x2.png`).sort());
  });

  it('two opens in one process are refused too', async () => {
    const home = join(dir.path, 'home-d');
    const first = await openAppServices({ home, allowHome: false, autoStart: false });
    try {
      await assert.rejects(openAppServices({ home, allowHome: false, autoStart: false }), (error: unknown) => {
        assert.ok(error instanceof StateFolderBusyError);
        assert.match((error as Error).message, new RegExp(`PID ${process.pid}`));
        return true;
      });
    } finally {
      await first.close();
    }
    const again = await openAppServices({ home, allowHome: false, autoStart: false });
    await again.close();
  });
});

describe('damaged state files never redo finished work', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  before(async () => {
    dir = await tempDir('damage');
    model = await saveTinyModel(join(dir.path, 'model'));
  });
  after(() => dir.cleanup());

  const damages: Array<{ name: string; damage: (home: string) => void; warning: RegExp }> = [
    {
      name: 'watches.json cut in half',
      damage: (home) => truncateSync(join(home, 'watches.json'), Math.floor(statSync(join(home, 'watches.json')).size / 2)),
      warning: /watch list .* could not be read .* restored 1 watch\(es\) from the ledger's copy/,
    },
    {
      name: 'watches.json replaced by garbage',
      damage: (home) => writeFileSync(join(home, 'watches.json'), '\u0000\u0001garbage{{{'),
      warning: /watch list .* could not be read/,
    },
    {
      name: 'every state file damaged at once',
      damage: (home) => {
        for (const f of ['watches.json', 'watch-ledger.jsonl', 'queue.jsonl', 'settings.json']) writeFileSync(join(home, f), 'garbage\n{"t":\n');
      },
      warning: /watch list .* could not be read/,
    },
  ];

  for (const [n, { name, damage, warning }] of damages.entries()) {
    it(`${name}: the watch keeps its work, only the new file is done, and the recovery is printed`, { timeout: 240_000 }, async () => {
      const home = join(dir.path, `home-${n}`);
      const inbox = join(dir.path, `in-${n}`);
      const out = join(dir.path, `out-${n}`);
      mkdirSync(inbox);
      for (let i = 0; i < 10; i++) await writeImage(join(inbox, `img${i}.png`), i + 1);
      const args = [inbox, '-o', out, '-s', '2', '-m', model];
      const first = await startWatchCli(args, { SUBPIXEL_HOME: home });
      await waitFor(() => (first.stdout().match(/^done /gm) ?? []).length >= 10, '10 done lines');
      assert.equal((await stopCli(first)).code, 0, first.stderr());

      damage(home);
      const second = await startWatchCli(args, { SUBPIXEL_HOME: home });
      try {
        await writeImage(join(inbox, 'new.png'), 99);
        await waitFor(() => existsSync(join(out, 'new_x2.png')), 'new_x2.png');
        await waitFor(() => /done\s+\S*new\.png/.test(second.stdout()), 'the done line of new.png');
      } finally {
        assert.equal((await stopCli(second)).code, 0, second.stderr());
      }
      assert.deepEqual(outputsIn(out), [...Array.from({ length: 10 }, (_, i) => `img${i}_x2.png`), 'new_x2.png'].sort());
      assert.doesNotMatch(second.stdout(), /img\d\.png ->/, 'nothing finished before the damage is done again');
      assert.match(second.stderr(), warning);
      assert.match(readFileSync(join(home, 'logs', 'subpixel.log'), 'utf8'), warning, 'the app log has the recovery too');
    });
  }

  it('queue.jsonl cut in half: the finished items are not redone as "(1)" copies', { timeout: 240_000 }, async () => {
    const home = join(dir.path, 'home-q');
    const src = join(dir.path, 'src-q');
    const out = join(dir.path, 'out-q');
    for (let i = 0; i < 10; i++) await writeImage(join(src, `img${i}.png`), i + 1);
    const first = await openAppServices({ home, allowHome: false, startTraining: false });
    try {
      await first.queue.addPaths([src], { scale: 2, model, outputDir: out });
      await first.queue.idle();
    } finally {
      await first.close();
    }
    assert.equal(outputsIn(out).length, 10);
    const journal = join(home, 'queue.jsonl');
    truncateSync(journal, Math.floor(statSync(journal).size / 2));

    const second = await openAppServices({ home, allowHome: false, startTraining: false });
    const logs: string[] = [];
    second.queue.on('log', (e) => logs.push(e.message));
    try {
      await second.queue.idle();
      assert.ok(second.queue.list().every((i) => i.state === 'done'), JSON.stringify(second.queue.list().map((i) => i.state)));
    } finally {
      await second.close();
    }
    assert.deepEqual(outputsIn(out), Array.from({ length: 10 }, (_, i) => `img${i}_x2.png`).sort());
    assert.ok(logs.some((m) => /recovered .*img\d\.png/.test(m)), logs.join('\n'));
  });
});

describe('recovery notes reach the CLI and the app log', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => { dir = await tempDir('notes'); });
  after(() => dir.cleanup());

  it('damaged lines in the queue journal and the ledger are reported on stderr and in logs/subpixel.log', { timeout: 180_000 }, async () => {
    const model = await saveTinyModel(join(dir.path, 'model'));
    const home = join(dir.path, 'home');
    const inbox = join(dir.path, 'in');
    mkdirSync(inbox);
    await writeImage(join(inbox, 'a.png'), 3);
    const args = [inbox, '-o', join(dir.path, 'out'), '-s', '2', '-m', model];
    const first = await startWatchCli(args, { SUBPIXEL_HOME: home });
    await waitFor(() => /done\s+\S*a\.png/.test(first.stdout()), 'a.png done');
    await stopCli(first);
    appendFileSync(join(home, 'queue.jsonl'), '{"t":"item","item":{"id":\n');
    appendFileSync(join(home, 'watch-ledger.jsonl'), 'not json at all\n');

    const second = await startWatchCli(args, { SUBPIXEL_HOME: home });
    await stopCli(second);
    const log = readFileSync(join(home, 'logs', 'subpixel.log'), 'utf8');
    for (const expected of [/queue journal: ignored 1 damaged line/, /watch ledger .* ignored 1 damaged line/]) {
      assert.match(second.stderr(), expected);
      assert.match(log, expected);
    }
  });

  it('the app shows them too: system.info carries the warnings of the start, for a window that connects later', { timeout: 120_000 }, async () => {
    const home = join(dir.path, 'home-app');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'queue.jsonl'), '{"t":"paused","value":false}\n{"t":"item","item":{"id":\n');
    const app = await startBrowserMode({ home, allowHome: false, port: 0, staticDir: null, autoStart: false });
    const client = await connectWs(`ws://127.0.0.1:${app.server.port}/ws?token=${app.server.token}`, app.server.origin);
    try {
      const info = await client.call('system.info', {});
      assert.ok(info.ok, JSON.stringify(info));
      const warnings = (info as { value: { warnings?: Array<{ message: string }> } }).value.warnings ?? [];
      assert.ok(warnings.some((w) => /queue journal: ignored 1 damaged line/.test(w.message)), JSON.stringify(warnings));
    } finally {
      await client.close();
      await app.stop();
    }
  });
});
