import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAppServices } from '../../src-main/api/services.js';
import { startBrowserMode } from '../../src-main/server/serve-app.js';
import { DisposableStore, withDisposables } from '../../src-main/common/disposable.js';

/** Handles that keep the process alive, by type (watchers, timers, sockets). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

test('a store closes newest first, every teardown runs, the first failure is reported', async () => {
  const order: string[] = [];
  const store = new DisposableStore();
  store.defer(() => { order.push('a'); });
  store.add({ name: 'b' }, async (b) => { order.push(b.name); throw new Error('b failed'); });
  store.defer(() => { order.push('c'); throw new Error('c failed'); });
  await assert.rejects(store.dispose(), /c failed/);
  assert.deepEqual(order, ['c', 'b', 'a']);
  await assert.rejects(store.dispose(), /c failed/, 'a second dispose returns the same outcome and runs nothing again');
  assert.deepEqual(order, ['c', 'b', 'a']);

  const closed: string[] = [];
  await assert.rejects(withDisposables(async (s) => {
    s.defer(() => { closed.push('first'); });
    s.defer(() => { closed.push('second'); });
    throw new Error('step three failed');
  }), /step three failed/);
  assert.deepEqual(closed, ['second', 'first'], 'a failed setup closes what it had opened');
});

test('a start that fails late closes what it opened before (queue, watches, training, engine)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'subpixel-lifecycle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const watched = join(dir, 'inbox');
  await mkdir(watched);
  // A saved watch makes the next start open a file-system watcher before the step that fails.
  const first = await openAppServices({ home, allowHome: false, autoStart: false });
  await first.watch.add({ folder: watched, recursive: false, paused: false });
  await first.close();
  await settle();

  const before = handles();
  // The allowed roots come last; a relative one throws after settings, queue, watches and training are open.
  await assert.rejects(openAppServices({ home, allowHome: false, allow: ['relative/folder'] }), /absolute path/);
  await settle();
  assert.deepEqual(handles(), before, 'nothing the failed start opened is left running');

  // And the state folder is free again: a normal start works and sees the saved watch.
  const again = await openAppServices({ home, allowHome: false, autoStart: false });
  try {
    assert.equal(again.watch.list().length, 1);
  } finally {
    await again.close();
  }
});

test('browser mode that cannot listen closes its services', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'subpixel-lifecycle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  await settle();
  const before = handles();
  await assert.rejects(startBrowserMode({ home, allowHome: false, autoStart: false, host: '203.0.113.1', port: 0, staticDir: null }));
  await settle();
  assert.deepEqual(handles(), before);
});
