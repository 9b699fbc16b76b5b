import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SettingsStore, SettingsValidationError } from '../../src-main/settings/store.js';
import { defaultSettings, SETTINGS_VERSION } from '../../src-main/settings/schema.js';
import { stateHome, statePaths } from '../../src-main/common/state-home.js';
import { tempDir } from '../integration/fixtures/services-fixtures.js';

test('state folder: explicit, then $SUBPIXEL_HOME, then the per-user default', () => {
  assert.equal(stateHome('/x/y', { SUBPIXEL_HOME: '/h' }), '/x/y');
  assert.equal(stateHome(undefined, { SUBPIXEL_HOME: '/h' }), '/h');
  assert.match(stateHome(undefined, { HOME: '/home/u' }), /subpixel|Subpixel/);
  assert.equal(statePaths('/h').settings, '/h/settings.json');
});

test('a missing settings file gives defaults, written to disk', async () => {
  const dir = await tempDir('settings');
  try {
    const path = join(dir.path, 'settings.json');
    const store = await SettingsStore.open(path);
    assert.deepEqual(store.get(), defaultSettings());
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), defaultSettings());
    assert.deepEqual(store.warnings, []);
  } finally {
    await dir.cleanup();
  }
});

test('updates are validated, persisted atomically and announced; a bad one changes nothing', async () => {
  const dir = await tempDir('settings');
  try {
    const path = join(dir.path, 'settings.json');
    const store = await SettingsStore.open(path);
    const seen: number[] = [];
    store.on('changed', (s) => seen.push(s.jobDefaults.scale));
    await store.update({ jobDefaults: { scale: 2, naming: '{name}@{scale}x.{ext}' }, ui: { theme: 'dark' } });
    assert.deepEqual(seen, [2]);
    await assert.rejects(store.update({ jobDefaults: { quality: 500 } }), SettingsValidationError);
    await assert.rejects(store.update({ jobDefaults: { naming: '{nope}' } }), /unknown token/);
    const reopened = await SettingsStore.open(path);
    assert.equal(reopened.get().jobDefaults.scale, 2);
    assert.equal(reopened.get().jobDefaults.quality, 90);
    assert.equal(reopened.get().ui.theme, 'dark');
    assert.deepEqual((await readdir(dir.path)).sort(), ['settings.json'], 'no temp file left behind');
  } finally {
    await dir.cleanup();
  }
});

test('a corrupt settings file is kept aside and replaced by defaults with a warning', async () => {
  for (const content of ['{"version": 1, "jobDefaults": {"scale": ', '{"version": 1, "jobDefaults": {"scale": 7}}', '[1,2]']) {
    const dir = await tempDir('settings');
    try {
      const path = join(dir.path, 'settings.json');
      await writeFile(path, content);
      const store = await SettingsStore.open(path);
      const logs: string[] = [];
      store.on('log', (e) => logs.push(`${e.level}: ${e.message}`));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(store.get(), defaultSettings());
      const names = await readdir(dir.path);
      const aside = names.find((n) => n.startsWith('settings.json.corrupt-'));
      assert.ok(aside, `kept aside: ${names.join(', ')}`);
      assert.equal(await readFile(join(dir.path, aside), 'utf8'), content);
      assert.equal(store.warnings.length, 1);
      assert.match(logs[0], /^warn: .*could not be used/);
    } finally {
      await dir.cleanup();
    }
  }
});

test('an unversioned (pre-release) settings file is migrated; a newer version is kept aside, not overwritten', async () => {
  const dir = await tempDir('settings');
  try {
    const path = join(dir.path, 'settings.json');
    await writeFile(path, JSON.stringify({ scale: 3, overwrite: 'skip', ui: { theme: 'light' } }));
    const store = await SettingsStore.open(path);
    assert.equal(store.get().version, SETTINGS_VERSION);
    assert.equal(store.get().jobDefaults.scale, 3);
    assert.equal(store.get().jobDefaults.overwrite, 'skip');
    assert.equal(store.get().ui.theme, 'light');
    assert.match(store.warnings[0], /upgraded from version 0/);
    assert.equal(JSON.parse(await readFile(path, 'utf8')).version, SETTINGS_VERSION);

    await writeFile(path, JSON.stringify({ version: SETTINGS_VERSION + 1, jobDefaults: { scale: 2 } }));
    const newer = await SettingsStore.open(path);
    assert.match(newer.warnings[0], /newer Subpixel/);
    assert.ok((await readdir(dir.path)).some((n) => n.startsWith('settings.json.corrupt-')));
  } finally {
    await dir.cleanup();
  }
});
