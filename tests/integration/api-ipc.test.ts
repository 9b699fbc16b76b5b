/**
 * The IPC transport's own rule: only our window's top frame may call. Anything else is refused before the
 * dispatcher runs, so nothing changes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dialogPicker } from '../../src-main/electron/ipc-transport.js';
import { fakeInvokeEvent, makeFixture, startIpcTransport, type Fixture } from './api-harness.js';

describe('IPC transport refuses frames that are not ours', () => {
  let fx: Fixture;
  let api: Awaited<ReturnType<typeof startIpcTransport>>;

  before(async () => {
    fx = await makeFixture();
    api = await startIpcTransport(fx);
    await api.call('queue.pause', {});
  });
  after(async () => {
    await api?.close();
    await fx?.remove();
  });

  const strangers = [
    ['a remote page the window navigated to', fakeInvokeEvent('https://evil.example/')],
    ['a file outside the renderer folder', fakeInvokeEvent('file:///tmp/page.html')],
    ['a renderer-folder lookalike', fakeInvokeEvent('file:///opt/subpixel/dist-renderer-evil/index.html')],
    ['an iframe inside our page', fakeInvokeEvent(undefined, { url: 'file:///opt/subpixel/dist-renderer/index.html' })],
    ['a frame that is gone', { senderFrame: null, sender: { id: 1 } }],
    ['another webContents showing our page', { ...fakeInvokeEvent(), sender: { id: 2 } }],
  ] as const;

  for (const [what, event] of strangers) {
    test(what, async () => {
      const result = await api.invoke(event, 'queue.add', { paths: [join(fx.inputs, 'chelsea.png')] });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.code, 'forbidden');
      const settings = await api.invoke(event, 'settings.set', { patch: { ui: { theme: 'dark' } } });
      assert.equal(settings.ok, false);
    });
  }

  test('after all of them: queue still empty, settings untouched; our frame still works', async () => {
    const list = await api.call('queue.list', {});
    assert.equal(list.ok && list.value.items.length, 0);
    const settings = await api.call('settings.get', {});
    assert.equal(settings.ok && settings.value.ui.theme, 'system');
    const added = await api.call('queue.add', { paths: [join(fx.inputs, 'chelsea.png')] });
    assert.equal(added.ok && added.value.items.length, 1);
  });

  test('a folder picked in the native dialog becomes an allowed root', async () => {
    const outsideImage = join(fx.outside, 'secret.png');
    const before = await api.call('queue.add', { paths: [outsideImage] });
    assert.equal(!before.ok && before.error.code, 'forbidden_path');
    const asked: unknown[] = [];
    // Electron's dialog module, answering as if the user chose the folder.
    api.services.pickPaths = dialogPicker({
      showOpenDialog: async (options) => { asked.push(options); return { canceled: false, filePaths: [fx.outside] }; },
    });
    const picked = await api.call('dialog.open', { kind: 'folder', title: 'Add images' });
    assert.deepEqual(picked.ok && picked.value.paths, [fx.outside]);
    assert.deepEqual(asked, [{ title: 'Add images', properties: ['openDirectory'] }]);
    const after = await api.call('queue.add', { paths: [outsideImage] });
    assert.equal(after.ok && after.value.items.length, 1);
  });
});
