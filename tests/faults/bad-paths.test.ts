/**
 * Issue 18, items 7 and 8: a FIFO, a device, an unreadable folder or a symlink among the inputs never stops a batch;
 * sub-folders are walked only with --recursive; the server refuses non-regular files before opening them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectWs } from '../integration/api-harness.js';
import { startBrowserMode } from '../../src-main/server/serve-app.js';
import { saveTinyModel, startCli, startWatchCli, stopCli, tempDir, waitFor, writeImage } from './helpers.js';

const names = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : []);

describe('one bad path does not stop a batch', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let model: string;
  before(async () => {
    dir = await tempDir('paths');
    // The unreadable-folder cases run as `nobody` under root: everything else here must be open to that user.
    chmodSync(dir.path, 0o777);
    model = await saveTinyModel(join(dir.path, 'model'));
    execFileSync('chmod', ['-R', 'a+rwX', dir.path]);
  });
  after(async () => {
    execFileSync('chmod', ['-R', 'u+rwX', dir.path]);
    await dir.cleanup();
  });

  it('upscale skips a FIFO and /dev/null with a message, follows a symlinked image, and does not walk sub-folders without --recursive', { timeout: 180_000 }, async () => {
    const src = join(dir.path, 'src1');
    const folder = join(src, 'folder');
    await writeImage(join(src, 'good.png'), 1);
    await writeImage(join(dir.path, 'elsewhere', 'target.png'), 2);
    symlinkSync(join(dir.path, 'elsewhere', 'target.png'), join(src, 'linked.png'));
    execFileSync('mkfifo', [join(src, 'pipe.png')]);
    await writeImage(join(folder, 'top.png'), 3);
    await writeImage(join(folder, 'sub', 'deep.png'), 4);
    execFileSync('mkfifo', [join(folder, 'fifo.png')]);
    symlinkSync(join(dir.path, 'elsewhere', 'target.png'), join(folder, 'alias.png'));
    const out = join(dir.path, 'out1');
    const run = startCli(['upscale', join(src, 'good.png'), join(src, 'pipe.png'), '/dev/null', join(src, 'linked.png'), folder,
      '-o', out, '-s', '2', '-m', model], {});
    const { code } = await run.exited;
    assert.equal(code, 1, run.stderr());
    const made = names(out);
    for (const stem of ['good', 'linked', 'top', 'alias']) assert.ok(made.some((n) => n.startsWith(stem)), `${stem} was upscaled: ${made.join(', ')}\n${run.stderr()}`);
    assert.ok(!made.some((n) => n.startsWith('deep')) && !existsSync(join(out, 'sub')), 'no sub-folder walked without --recursive');
    assert.match(run.stderr(), /pipe\.png: a FIFO \(named pipe\), not a regular file; skipped/);
    assert.match(run.stderr(), /fifo\.png: a FIFO \(named pipe\), not a regular file; skipped/);
    assert.match(run.stderr(), /\/dev\/null: a character device, not a regular file; skipped/);
  });

  it('upscale reports an unreadable sub-folder and processes the rest; without --recursive it is not even opened', { timeout: 180_000 }, async () => {
    const src = join(dir.path, 'src2');
    await writeImage(join(src, 'a.png'), 5);
    await writeImage(join(src, 'open', 'b.png'), 6);
    await writeImage(join(src, 'locked', 'c.png'), 7);
    execFileSync('chmod', ['-R', 'a+rwX', src]);
    chmodSync(join(src, 'locked'), 0o000);

    const flat = startCli(['upscale', src, '-o', join(dir.path, 'out2a'), '-s', '2', '-m', model], { HOME: dir.path }, { unprivileged: true });
    assert.equal((await flat.exited).code, 0, flat.stderr());
    assert.equal(names(join(dir.path, 'out2a')).length, 1);

    const deep = startCli(['upscale', src, '--recursive', '-o', join(dir.path, 'out2b'), '-s', '2', '-m', model], { HOME: dir.path }, { unprivileged: true });
    assert.equal((await deep.exited).code, 1, deep.stderr());
    assert.match(deep.stderr(), /locked: cannot read this folder \(permission denied\)/);
    assert.ok(names(join(dir.path, 'out2b')).some((n) => n.startsWith('a')));
    assert.ok(names(join(dir.path, 'out2b', 'open')).some((n) => n.startsWith('b')));
  });

  it('a recursive watch with an unreadable sub-folder still takes the rest at start, and says which folder it could not read', { timeout: 180_000 }, async () => {
    const inbox = join(dir.path, 'inbox3');
    await writeImage(join(inbox, 'x.png'), 8);
    await writeImage(join(inbox, 'locked', 'y.png'), 9);
    const home = join(dir.path, 'home3');
    mkdirSync(home);
    execFileSync('chmod', ['-R', 'a+rwX', inbox, home]);
    chmodSync(join(inbox, 'locked'), 0o000);
    const out = join(dir.path, 'out3');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const watch = await startWatchCli([inbox, '--recursive', '-o', out, '-s', '2', '-m', model], { SUBPIXEL_HOME: home, HOME: dir.path }, { unprivileged: true });
    try {
      await waitFor(() => existsSync(join(out, 'x_x2.png')), 'x_x2.png', 60_000);
      await waitFor(() => /locked: cannot read this folder \(permission denied\)/.test(watch.stderr()), 'the unreadable folder reported', 20_000);
    } finally {
      await stopCli(watch);
    }
  });
});

describe('the server and non-regular files', () => {
  it('refuses a FIFO named *.png before opening it; four such requests wedge nothing', { timeout: 120_000 }, async () => {
    const dir = await tempDir('serve-fifo');
    const allowed = join(dir.path, 'allowed');
    mkdirSync(allowed);
    await writeImage(join(allowed, 'real.png'), 1, 32, 32);
    execFileSync('mkfifo', [join(allowed, 'pipe.png')]);
    const app = await startBrowserMode({ home: join(dir.path, 'home'), allow: [allowed], allowHome: false, port: 0, staticDir: null, autoStart: false });
    const client = await connectWs(`ws://127.0.0.1:${app.server.port}/ws?token=${app.server.token}`, app.server.origin);
    try {
      const refused = await Promise.all(Array.from({ length: 4 }, () => client.call('files.thumbnail', { path: join(allowed, 'pipe.png'), size: 64 })));
      for (const r of refused) {
        assert.equal(r.ok, false);
        assert.equal(r.error.code, 'bad_request');
        assert.match(r.error.message, /not a regular file/);
      }
      const added = await client.call('queue.add', { paths: [join(allowed, 'pipe.png')] });
      assert.ok(!added.ok || added.value.problems.some((p: string) => /not a regular file/.test(p)), JSON.stringify(added));
      const fine = await client.call('files.thumbnail', { path: join(allowed, 'real.png'), size: 16 });
      assert.equal(fine.ok, true, JSON.stringify(fine));
    } finally {
      await client.close();
      await app.stop();
      await dir.cleanup();
    }
  });
});
