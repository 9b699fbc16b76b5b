import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as z from 'zod';
import { AbsolutePath, ClientMessage, commandNames, commands, eventNames, events, isCommandName } from '../../src-common/api.js';
import { ApiFailure, createDispatcher, type Handlers } from '../../src-main/api/dispatcher.js';
import { createAllowedRoots, isInside } from '../../src-main/services/roots.js';
import { appUrlMatcher } from '../../src-main/electron/ipc-transport.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../../src-main/electron/ipc-channels.js';

describe('contract', () => {
  test('names every command and event the services issue asks for', () => {
    for (const name of ['queue.add', 'queue.list', 'queue.pause', 'queue.resume', 'queue.cancel', 'queue.retry', 'queue.reorder',
      'queue.remove', 'queue.clear', 'watch.add', 'watch.list', 'watch.remove', 'watch.pause', 'watch.resume', 'watch.update',
      'models.list', 'models.delete', 'models.import', 'models.export', 'settings.get', 'settings.set', 'train.start',
      'train.cancel', 'train.resume', 'train.remove', 'train.list', 'system.info', 'preview']) {
      assert.ok(isCommandName(name), name);
    }
    for (const name of ['queue.item', 'queue.progress', 'watch.activity', 'train.progress', 'train.removed', 'log']) assert.ok(eventNames.includes(name as never), name);
    for (const name of commandNames) {
      assert.ok(commands[name].input instanceof z.ZodType && commands[name].output instanceof z.ZodType, name);
    }
    for (const name of eventNames) assert.ok(events[name] instanceof z.ZodType, name);
  });

  test('prototype keys are not commands', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.equal(isCommandName(name), false);
  });

  test('absolute paths: POSIX and Windows forms pass, relative ones and NUL do not', () => {
    for (const ok of ['/home/u/a.png', 'C:\\Users\\u\\a.png', 'd:/x', '\\\\nas\\share\\a.png']) assert.ok(AbsolutePath.safeParse(ok).success, ok);
    for (const bad of ['a.png', './a.png', '../a', '', 'C:a.png', '/a\0b']) assert.equal(AbsolutePath.safeParse(bad).success, false, bad);
  });

  test('commands that take paths declare them for the roots check', () => {
    const input = { paths: ['/a'], settings: { outputDir: '/out' } };
    assert.deepEqual(commands['queue.add'].paths?.(commands['queue.add'].input.parse(input)), ['/a', '/out']);
    const train = commands['train.start'].input.parse({ name: 'm', hrFolders: ['/hr'], baseModel: 'b', degradation: 'bicubic', steps: 10, valFolder: '/val' });
    assert.deepEqual(commands['train.start'].paths?.(train), ['/hr', '/val']);
  });

  test('envelopes: a call needs an id; unknown message types are refused', () => {
    assert.ok(ClientMessage.safeParse({ type: 'call', id: 1, command: 'queue.list', input: {} }).success);
    assert.equal(ClientMessage.safeParse({ type: 'call', command: 'queue.list' }).success, false);
    assert.equal(ClientMessage.safeParse({ type: 'eval', id: 1 }).success, false);
  });

  test('the sandboxed preload repeats the IPC channel names exactly', async () => {
    const preload = await readFile(new URL('../../src-main/electron/preload.cts', import.meta.url), 'utf8');
    assert.match(preload, new RegExp(`CALL_CHANNEL = '${IPC_CALL_CHANNEL}'`));
    assert.match(preload, new RegExp(`EVENT_CHANNEL = '${IPC_EVENT_CHANNEL}'`));
    assert.doesNotMatch(preload, /from '\.\.?\//, 'a sandboxed preload cannot import project files');
  });
});

describe('allowed roots', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'subpixel-roots-'));
    await mkdir(join(dir, 'allowed', 'sub'), { recursive: true });
    await mkdir(join(dir, 'other'), { recursive: true });
    await symlink(join(dir, 'other'), join(dir, 'allowed', 'link'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('isInside is by path segment, not by string prefix', () => {
    assert.ok(isInside('/a/b', '/a'));
    assert.ok(isInside('/a', '/a'));
    assert.equal(isInside('/ab', '/a'), false);
    assert.equal(isInside('/a/../b', '/a'), false);
  });

  test('resolves symlinks and missing tails before checking', async () => {
    const roots = await createAllowedRoots([join(dir, 'allowed')]);
    assert.ok(await roots.resolveInside(join(dir, 'allowed', 'sub', 'new', 'file.png')), 'a not-yet-existing output inside');
    assert.equal(await roots.resolveInside(join(dir, 'allowed', 'link', 'x.png')), null);
    assert.equal(await roots.resolveInside(join(dir, 'allowed', '..', 'other')), null);
    assert.equal(await roots.resolveInside('relative/path'), null);
    await roots.add(join(dir, 'other'));
    assert.ok(await roots.resolveInside(join(dir, 'allowed', 'link', 'x.png')), 'allowed once the user chose that folder');
  });
});

describe('dispatcher', () => {
  const roots = createAllowedRoots(['/']);
  const ctx = { transport: 'browser' } as const;

  test('a handler output that breaks the contract is an internal error, not a crash', async () => {
    const reports: string[] = [];
    const handlers = someHandlers({
      // Deliberately wrong: the contract says summary fields, this returns nonsense.
      'queue.pause': async () => ({ paused: 'yes' }) as never,
    });
    const d = createDispatcher({ handlers, roots: await roots, validateOutputs: true, onInternalError: (m) => reports.push(m) });
    const result = await d.call('queue.pause', {}, ctx);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'internal');
    assert.match(reports[0], /output does not match the contract/);
  });

  test('thrown errors become typed results: ApiFailure keeps its code, errno codes map, others are internal', async () => {
    const handlers = someHandlers({
      'watch.remove': async () => { throw new ApiFailure('not_found', 'no watch w1'); },
      'models.delete': async () => { throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }); },
      'train.list': async () => { throw new TypeError('boom'); },
    });
    const d = createDispatcher({ handlers, roots: await roots, onInternalError: () => {} });
    assert.deepEqual(await d.call('watch.remove', { id: 'w1' }, ctx), { ok: false, error: { code: 'not_found', message: 'no watch w1' } });
    assert.equal(((await d.call('models.delete', { id: 'm' }, ctx)) as { error: { code: string } }).error.code, 'not_found');
    const internal = await d.call('train.list', {}, ctx);
    assert.equal(!internal.ok && internal.error.code, 'internal');
    assert.match(!internal.ok ? internal.error.message : '', /boom/);
  });

  test('a refused path is explained for people: no command name, and how to fix it', async () => {
    const base = await mkdtemp(join(tmpdir(), 'subpixel-roots-msg-'));
    try {
      const d = createDispatcher({ handlers: someHandlers({}), roots: await createAllowedRoots([join(base, 'home')]) });
      const refused = await d.call('queue.add', { paths: [join(base, 'elsewhere', 'cat.png')] }, ctx);
      assert.equal(!refused.ok && refused.error.code, 'forbidden_path');
      const message = !refused.ok ? refused.error.message : '';
      assert.doesNotMatch(message, /queue\.add/);
      assert.match(message, /outside the allowed folders/);
      assert.ok(message.includes(`Settings → Allowed folders, or start Subpixel with --allow ${join(base, 'elsewhere')}`), message);
      const invalid = await d.call('queue.add', { paths: ['relative.png'] }, ctx);
      assert.doesNotMatch(!invalid.ok ? invalid.error.message : '', /queue\.add/);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test('roots added in Settings can be taken back; the home folder and --allow ones cannot', async () => {
    const base = await mkdtemp(join(tmpdir(), 'subpixel-roots-src-'));
    try {
      const r = await createAllowedRoots([{ path: join(base, 'home'), source: 'home' }, join(base, 'cli')]);
      await r.add(join(base, 'mine'), 'settings');
      assert.deepEqual(r.entries().map((e) => e.source), ['home', 'start', 'settings']);
      assert.equal(await r.remove(join(base, 'cli')), false);
      assert.equal(await r.remove(join(base, 'mine')), true);
      assert.equal(await r.resolveInside(join(base, 'mine', 'x.png')), null);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test('a command without a service answers unavailable', async () => {
    const d = createDispatcher({ handlers: someHandlers({}), roots: await roots });
    const result = await d.call('train.list', {}, ctx);
    assert.equal(!result.ok && result.error.code, 'unavailable');
  });

  test('events are validated before fan-out, and one failing listener does not stop the others', async () => {
    const reports: string[] = [];
    const d = createDispatcher({ handlers: someHandlers({}), roots: await roots, validateOutputs: true, onInternalError: (m) => reports.push(m) });
    const seen: string[] = [];
    d.subscribe(() => { throw new Error('closed socket'); });
    const stop = d.subscribe((e) => seen.push(e.event));
    d.emit('log', { level: 'info', source: 'queue', message: 'hello', time: 1 });
    d.emit('log', { level: 'loud', source: 'test', message: 'bad', time: 1 } as never);
    stop();
    d.emit('log', { level: 'info', source: 'queue', message: 'after unsubscribe', time: 2 });
    assert.deepEqual(seen, ['log']);
    assert.ok(reports.some((r) => /dropped event log/.test(r)));
  });
});

/** A dispatcher over only the handlers a test needs: the rest are missing, as only untyped code could leave them. */
function someHandlers(handlers: Partial<Handlers>): Handlers {
  return handlers as Handlers;
}

describe('IPC app URL matcher', () => {
  test('accepts the renderer folder and the dev server, nothing else', () => {
    const match = appUrlMatcher({ rendererDir: '/opt/app/dist-renderer', devServerUrl: 'http://localhost:5173/' });
    assert.ok(match('file:///opt/app/dist-renderer/index.html'));
    assert.ok(match('file:///opt/app/dist-renderer/index.html#/queue'));
    assert.ok(match('http://localhost:5173/settings'));
    assert.equal(match('file:///opt/app/dist-renderer-2/index.html'), false);
    assert.equal(match('file:///opt/app/index.html'), false);
    assert.equal(match('file://host/opt/app/dist-renderer/index.html'), false);
    assert.equal(match('http://localhost:5174/'), false);
    assert.equal(match('https://localhost:5173/'), false);
    assert.equal(match('not a url'), false);
  });
});
