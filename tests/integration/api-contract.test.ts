/**
 * The API contract suite, run once over the WebSocket server and once over the Electron IPC handler,
 * both on the real services in a temporary state folder.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { existsSync } from 'node:fs';
import { makeFixture, startIpcTransport, startWsTransport, TEST_MODEL, type Fixture, type TestTransport } from './api-harness.js';

const transports = [
  { name: 'websocket', start: startWsTransport },
  { name: 'ipc', start: startIpcTransport },
] as const;

for (const { name, start } of transports) {
  describe(`API contract over ${name}`, () => {
    let fx: Fixture;
    let api: TestTransport;

    before(async () => {
      fx = await makeFixture();
      api = await start(fx);
      // Nothing is dispatched to the engine: the suite checks the API, not upscaling.
      assert.equal((await api.call('queue.pause', {})).ok, true);
    });
    after(async () => {
      await api?.close();
      await fx?.remove();
    });

    const ok = async (command: string, input?: unknown) => {
      const result = await api.call(command, input);
      assert.equal(result.ok, true, `${command} failed: ${JSON.stringify(result.ok ? null : result.error)}`);
      return result.value;
    };
    const err = async (command: string, input: unknown, code: string) => {
      const result = await api.call(command, input);
      assert.equal(result.ok, false, `${command} should have failed`);
      assert.equal(result.error.code, code, result.error.message);
      assert.ok(result.error.message.length > 0);
      return result.error;
    };

    test('system.info describes the process and its allowed roots', async () => {
      const info = await ok('system.info', {});
      assert.equal(info.transport, name === 'ipc' ? 'electron' : 'browser');
      assert.equal(info.stateHome, fx.home);
      assert.deepEqual(info.allowedRoots, [fx.allowed]);
      assert.ok(Array.isArray(info.backends));
    });

    test('settings.set persists a change, announces it, and settings.get returns it', async () => {
      const before = await ok('settings.get', {});
      assert.equal(before.ui.theme, 'system');
      const changed = await ok('settings.set', { patch: { ui: { theme: 'dark' }, jobDefaults: { scale: 2, outputDir: join(fx.allowed, 'out') } } });
      assert.equal(changed.ui.theme, 'dark');
      assert.equal(changed.jobDefaults.scale, 2);
      const event = await api.waitForEvent((e) => e.event === 'settings.changed');
      assert.equal(event.event === 'settings.changed' && event.payload.settings.ui.theme, 'dark');
      assert.deepEqual(await ok('settings.get', {}), changed);
    });

    test('queue: add a folder, reorder, cancel, retry, remove, clear; events follow', async () => {
      const added = await ok('queue.add', { paths: [fx.inputs] });
      assert.equal(added.items.length, 2);
      assert.deepEqual(added.problems, []);
      for (const item of added.items) {
        assert.equal(item.state, 'queued');
        assert.equal(item.settings.scale, 2, 'items snapshot the default settings');
        assert.equal(item.settings.outputDir, join(fx.allowed, 'out'));
        assert.ok(item.pixels > 0);
      }
      await api.waitForEvent((e) => e.event === 'queue.item' && e.payload.item.id === added.items[1].id);
      const [a, b] = added.items.map((i: { id: string }) => i.id);

      assert.deepEqual((await ok('queue.reorder', { id: b, index: 0 })).changed, [b]);
      assert.deepEqual((await ok('queue.list', {})).items.map((i: { id: string }) => i.id), [b, a]);
      await api.waitForEvent((e) => e.event === 'queue.order');

      assert.deepEqual((await ok('queue.cancel', { ids: [a] })).changed, [a]);
      let list = await ok('queue.list', {});
      assert.equal(list.items.find((i: { id: string }) => i.id === a).state, 'canceled');
      assert.equal(list.summary.counts.canceled, 1);
      assert.equal(list.summary.paused, true);

      assert.deepEqual((await ok('queue.retry', { ids: [a] })).changed, [a]);
      assert.deepEqual((await ok('queue.cancel', {})).changed.sort(), [a, b].sort());
      assert.deepEqual((await ok('queue.remove', { ids: [b] })).changed, [b]);
      await api.waitForEvent((e) => e.event === 'queue.removed' && e.payload.ids.includes(b));
      assert.deepEqual((await ok('queue.clear', {})).changed, [a]);
      list = await ok('queue.list', {});
      assert.equal(list.items.length, 0);
      assert.equal(list.summary.total, 0);
    });

    test('queue.upload takes dropped bytes as a new item; queue.compare refuses an unfinished one', async () => {
      const { readFile } = await import('node:fs/promises');
      const data = (await readFile(join(fx.inputs, 'chelsea.png'))).toString('base64');
      const uploaded = await ok('queue.upload', { files: [{ name: '../../evil/chelsea.png', dataBase64: data }] });
      assert.equal(uploaded.items.length, 1);
      const item = uploaded.items[0];
      assert.ok(item.input.startsWith(join(fx.home, 'uploads')), `upload stays in the state folder: ${item.input}`);
      assert.ok(item.input.endsWith('chelsea.png'));
      await err('queue.compare', { id: item.id }, 'conflict');
      await err('queue.compare', { id: 'no-such-item' }, 'not_found');
      const { existsSync } = await import('node:fs');
      assert.ok(existsSync(item.input));
      assert.deepEqual((await ok('queue.remove', { ids: [item.id] })).changed, [item.id]);
      assert.ok(!existsSync(dirname(item.input)), 'the upload goes with the last item that reads it');
    });

    test('files.thumbnail returns a small PNG of an allowed image', async () => {
      const thumb = await ok('files.thumbnail', { path: join(fx.inputs, 'chelsea.png'), size: 64 });
      assert.match(thumb.dataUrl, /^data:image\/png;base64,/);
      assert.equal(Math.max(thumb.width, thumb.height), 64);
      await err('files.thumbnail', { path: join(fx.allowed, 'missing.png') }, 'bad_request');
    });

    test('watch: add, pause, resume, update only the named settings, remove', async () => {
      const folder = join(fx.allowed, 'watched');
      const watch = await ok('watch.add', { folder, recursive: false, exclude: ['*.tmp'], settings: { format: 'webp' } });
      assert.equal(watch.folder, folder);
      assert.equal(watch.settings.format, 'webp');
      assert.equal(watch.settings.scale, 2, 'other settings come from the defaults');
      await api.waitForEvent((e) => e.event === 'watch.changed' && e.payload.watch.id === watch.id);
      assert.deepEqual((await ok('watch.list', {})).watches.map((w: { id: string }) => w.id), [watch.id]);
      assert.equal((await ok('watch.pause', { id: watch.id })).paused, true);
      assert.equal((await ok('watch.resume', { id: watch.id })).paused, false);
      const updated = await ok('watch.update', { id: watch.id, patch: { settings: { quality: 70 } } });
      assert.equal(updated.settings.quality, 70);
      assert.equal(updated.settings.format, 'webp', 'a patch keeps the settings it does not name');
      assert.deepEqual(updated.exclude, ['*.tmp']);
      await err('watch.pause', { id: 'no-such-watch' }, 'not_found');
      await ok('watch.remove', { id: watch.id });
      await api.waitForEvent((e) => e.event === 'watch.removed' && e.payload.id === watch.id);
      assert.deepEqual((await ok('watch.list', {})).watches, []);
    });

    test('models: list, export, import conflict, delete, import back', async () => {
      const { models } = await ok('models.list', {});
      const mine = models.find((m: { id: string }) => m.id === TEST_MODEL);
      assert.ok(mine, 'the user model is listed');
      assert.equal(mine.source, 'custom');
      assert.equal(mine.scale, 2);
      const exportDir = join(fx.allowed, `export-${name}`);
      const { path } = await ok('models.export', { id: TEST_MODEL, folder: exportDir });
      assert.equal(path, join(exportDir, TEST_MODEL));
      assert.ok(existsSync(join(path, 'model.json')));
      await err('models.export', { id: TEST_MODEL, folder: exportDir }, 'conflict');
      await err('models.import', { path }, 'conflict');
      await err('models.import', { path: fx.inputs }, 'bad_request');
      await ok('models.delete', { id: TEST_MODEL });
      await api.waitForEvent((e) => e.event === 'models.changed' && !e.payload.models.some((m) => m.id === TEST_MODEL));
      await err('models.delete', { id: TEST_MODEL }, 'not_found');
      const back = await ok('models.import', { path });
      assert.equal(back.id, TEST_MODEL);
      assert.equal(back.source, 'custom');
      assert.ok((await ok('models.list', {})).models.some((m: { id: string }) => m.id === TEST_MODEL));
    });

    test('preview upscales a crop with the model; bicubic before, same size after', async () => {
      const preview = await ok('preview', { path: join(fx.inputs, 'chelsea.png'), region: { x: 100, y: 50, width: 40, height: 30 }, model: TEST_MODEL, scale: 2 });
      assert.deepEqual(preview.region, { x: 100, y: 50, width: 40, height: 30 });
      assert.equal(preview.model, TEST_MODEL);
      for (const image of [preview.before, preview.after]) {
        assert.match(image.dataUrl, /^data:image\/png;base64,/);
        assert.deepEqual([image.width, image.height], [80, 60]);
      }
      assert.notEqual(preview.before.dataUrl, preview.after.dataUrl);
      // The engine's ModelLoadError keeps its kind across the worker and the API: a missing model is not_found.
      await err('preview', { path: join(fx.inputs, 'chelsea.png'), model: 'no-such-model', scale: 2 }, 'not_found');
    });

    test('a finished item can be compared; an item that fails carries its error in words', async () => {
      const { writeFile } = await import('node:fs/promises');
      const broken = join(fx.allowed, `broken-${name}.png`);
      await writeFile(broken, 'this is not a PNG');
      const { items } = await ok('queue.add', { paths: [join(fx.inputs, 'chelsea.png'), broken], settings: { model: TEST_MODEL, outputDir: join(fx.allowed, `out-${name}`) } });
      await ok('queue.resume', {});
      const ids = items.map((i: { id: string }) => i.id);
      const finished = async () => (await ok('queue.list', {})).items.filter((i: { id: string; state: string }) => ids.includes(i.id) && ['done', 'failed'].includes(i.state));
      for (let i = 0; i < 300 && (await finished()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      await ok('queue.pause', {});
      const [good, bad] = ids.map((id: string) => (async () => (await ok('queue.list', {})).items.find((i: { id: string }) => i.id === id))());
      const done = await good;
      const failed = await bad;
      assert.equal(done.state, 'done', done.error ?? '');
      assert.deepEqual([done.result.width, done.result.height], [902, 600]);
      assert.equal(failed.state, 'failed');
      assert.ok(failed.error && failed.error.length > 5, 'the failure is explained');
      const compare = await ok('queue.compare', { id: done.id, region: { x: 0, y: 0, width: 50, height: 40 } });
      assert.equal(compare.scale, 2);
      assert.deepEqual([compare.before.width, compare.before.height, compare.after.width, compare.after.height], [100, 80, 100, 80]);
      await ok('queue.remove', { ids });
    });

    test('train: a short real fine-tune reports progress and adds a model', async () => {
      const job = await ok('train.start', { name: `Tiny ${name}`, hrFolders: [fx.inputs], baseModel: TEST_MODEL, degradation: 'bicubic', steps: 3, batchSize: 2, patchSize: 16, valEvery: 3 });
      assert.ok(['queued', 'running'].includes(job.status));
      assert.ok((await ok('train.list', {})).jobs.some((j: { id: string }) => j.id === job.id));
      const end = await api.waitForEvent((e) => e.event === 'train.changed' && e.payload.job.id === job.id && ['done', 'failed', 'canceled'].includes(e.payload.job.status), 50_000);
      assert.equal(end.event === 'train.changed' && end.payload.job.status, 'done', JSON.stringify(end.payload));
      await api.waitForEvent((e) => e.event === 'train.progress' && e.payload.jobId === job.id);
      const final = (await ok('train.list', {})).jobs.find((j: { id: string }) => j.id === job.id);
      assert.ok(final.history.length > 0);
      assert.equal(final.modelId, job.id);
      await api.waitForEvent((e) => e.event === 'models.changed' && e.payload.models.some((m) => m.id === job.id));
      const model = (await ok('models.list', {})).models.find((m: { id: string }) => m.id === job.id);
      assert.equal(model.baseModel, TEST_MODEL);
      await err('train.cancel', { id: 'no-such-job' }, 'not_found');
      await err('train.resume', { id: 'no-such-job' }, 'not_found');
      await err('train.remove', { id: 'no-such-job' }, 'not_found');
      await err('train.resume', { id: job.id }, 'conflict');
      await api.call('train.remove', { id: job.id });
      await api.waitForEvent((e) => e.event === 'train.removed' && e.payload.id === job.id);
      assert.ok(!(await ok('train.list', {})).jobs.some((j: { id: string }) => j.id === job.id));
      assert.ok((await ok('models.list', {})).models.some((m: { id: string }) => m.id === job.id), 'the model stays');
      await err('train.start', { name: 'x', hrFolders: [fx.inputs], baseModel: 'no-such-model', degradation: 'bicubic', steps: 1 }, 'not_found');
    });

    test('dialog.open is refused without a native dialog', async () => {
      await err('dialog.open', { kind: 'folder' }, 'unsupported');
    });

    describe('bad input: a clear error and no change of state', () => {
      let queueBefore: unknown;
      let settingsBefore: unknown;
      before(async () => {
        queueBefore = (await ok('queue.list', {})).items;
        settingsBefore = await ok('settings.get', {});
      });
      after(async () => {
        assert.deepEqual((await ok('queue.list', {})).items, queueBefore, 'queue unchanged');
        assert.deepEqual(await ok('settings.get', {}), settingsBefore, 'settings unchanged');
      });

      test('unknown commands', async () => {
        const e = await err('queue.explode', {}, 'unknown_command');
        assert.match(e.message, /queue\.explode/);
        await err('__proto__', {}, 'unknown_command');
        await err('toString', {}, 'unknown_command');
        await err(42 as unknown as string, {}, 'unknown_command');
      });

      test('wrong types, missing and extra fields', async () => {
        const e = await err('queue.add', { paths: join(fx.inputs, 'chelsea.png') }, 'bad_request');
        assert.ok(e.details?.some((d: string) => d.startsWith('paths:')), JSON.stringify(e.details));
        await err('queue.add', {}, 'bad_request');
        await err('queue.add', { paths: [] }, 'bad_request');
        await err('queue.add', { paths: [fx.inputs], settings: { scale: 5 } }, 'bad_request');
        await err('queue.add', { paths: [fx.inputs], sneaky: true }, 'bad_request');
        await err('queue.reorder', { id: 'x', index: -1 }, 'bad_request');
        await err('queue.remove', { ids: 'all' }, 'bad_request');
        await err('settings.set', { patch: { ui: { theme: 'purple' } } }, 'bad_request');
        await err('settings.set', { patch: { jobDefaults: { quality: 0 } } }, 'bad_request');
        await err('settings.set', { patch: { jobDefaults: { naming: '../{name}.{ext}' } } }, 'bad_request');
        await err('settings.set', { patch: { version: 99 } }, 'bad_request');
        await err('queue.list', 'everything', 'bad_request');
        await err('queue.upload', { files: [{ name: 'x.png', dataBase64: 'not base64!' }] }, 'bad_request');
      });

      test('relative paths', async () => {
        await err('queue.add', { paths: ['in/chelsea.png'] }, 'bad_request');
        await err('files.thumbnail', { path: '../outside/secret.png' }, 'bad_request');
      });

      test('paths outside the allowed roots, directly, through .. and through a symlink', async () => {
        const e = await err('queue.add', { paths: [join(fx.outside, 'secret.png')] }, 'forbidden_path');
        assert.match(e.message, /outside the allowed folders/);
        await err('queue.add', { paths: [`${fx.allowed}/../outside/secret.png`] }, 'forbidden_path');
        await err('queue.add', { paths: [join(fx.allowed, 'escape', 'secret.png')] }, 'forbidden_path');
        await err('queue.add', { paths: [fx.inputs, '/etc/passwd'] }, 'forbidden_path');
        await err('queue.add', { paths: [fx.inputs], settings: { outputDir: fx.outside } }, 'forbidden_path');
        await err('files.thumbnail', { path: join(fx.outside, 'secret.png') }, 'forbidden_path');
        await err('preview', { path: join(fx.allowed, 'escape', 'secret.png'), scale: 2 }, 'forbidden_path');
        await err('settings.set', { patch: { jobDefaults: { outputDir: join(fx.allowed, 'escape') } } }, 'forbidden_path');
        await err('models.import', { path: fx.outside }, 'forbidden_path');
        await err('models.export', { id: 'any', folder: '/' }, 'forbidden_path');
        await err('train.start', { name: 'm', hrFolders: [fx.outside], baseModel: 'b', degradation: 'bicubic', steps: 1 }, 'forbidden_path');
        await err('watch.add', { folder: fx.allowed, afterSuccess: { action: 'move', folder: fx.outside } }, 'forbidden_path');
      });

      test('ids that do not exist', async () => {
        await err('queue.reorder', { id: 'nope', index: 0 }, 'not_found');
        assert.deepEqual((await ok('queue.cancel', { ids: ['nope'] })).changed, []);
        assert.deepEqual((await ok('queue.remove', { ids: ['nope'] })).changed, []);
      });
    });
  });
}
