/**
 * The desktop shell's decisions without Electron: app menu, tray and close behaviour, batch-finished notifications,
 * and what the app reads at launch (paths on the command line, renderer build, shipped models, state folder).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import type { QueueSummary } from '../../src-common/api.js';
import { shippedModelsDir } from '../../src-main/engine/models/store.js';
import { appMenuTemplate, findMenuItem, type MenuActions, type Theme } from '../../src-main/electron/app-menu.js';
import { batchNotification, createBatchTracker, formatDuration, shouldNotify } from '../../src-main/electron/batch-notice.js';
import { stateHome } from '../../src-main/common/state-home.js';
import { allowedFromArgv, devServerUrl, findRendererDir, launchPaths, shippedModelsEnv, stateFolder } from '../../src-main/electron/launch.js';
import { closeAction, hiddenToTrayNotice, trayMenuTemplate, trayTooltip, type TrayActions } from '../../src-main/electron/tray-policy.js';

function recordingActions(): { calls: string[]; actions: MenuActions } {
  const calls: string[] = [];
  return {
    calls,
    actions: {
      addFiles: () => calls.push('addFiles'),
      addFolder: () => calls.push('addFolder'),
      openStateFolder: () => calls.push('openStateFolder'),
      setTheme: (theme: Theme) => calls.push(`theme:${theme}`),
      showAbout: () => calls.push('about'),
      quit: () => calls.push('quit'),
    },
  };
}

const click = (item: MenuItemConstructorOptions | null) => {
  assert.ok(item?.click, `menu item ${item?.id} has an action`);
  (item.click as () => void)();
};
const labels = (template: MenuItemConstructorOptions[]) => template.map((m) => m.label ?? m.role);

describe('app menu', () => {
  test('Windows/Linux: File, Edit, View, Window, Help; File adds files and folders and quits', () => {
    const { calls, actions } = recordingActions();
    const template = appMenuTemplate({ platform: 'linux', isDev: false, theme: 'system', appName: 'Subpixel' }, actions);
    assert.deepEqual(labels(template), ['&File', '&Edit', '&View', 'windowMenu', 'help']);
    click(findMenuItem(template, 'add-files'));
    click(findMenuItem(template, 'add-folder'));
    click(findMenuItem(template, 'quit'));
    click(findMenuItem(template, 'about'));
    assert.deepEqual(calls, ['addFiles', 'addFolder', 'quit', 'about']);
    assert.equal(findMenuItem(template, 'add-files')?.accelerator, 'CmdOrCtrl+O');
  });

  test('macOS: the app menu comes first and holds About and Quit', () => {
    const { calls, actions } = recordingActions();
    const template = appMenuTemplate({ platform: 'darwin', isDev: false, theme: 'system', appName: 'Subpixel' }, actions);
    assert.equal(template[0]!.label, 'Subpixel');
    const appItems = template[0]!.submenu as MenuItemConstructorOptions[];
    assert.ok(appItems.some((i) => i.id === 'quit'));
    assert.ok(appItems.some((i) => i.id === 'about-mac'));
    click(findMenuItem(template, 'quit'));
    assert.deepEqual(calls, ['quit']);
  });

  test('reload and developer tools only in development', () => {
    const roles = (isDev: boolean) => {
      const view = appMenuTemplate({ platform: 'linux', isDev, theme: 'system', appName: 'Subpixel' }, recordingActions().actions)
        .find((m) => m.label === '&View')!.submenu as MenuItemConstructorOptions[];
      return view.map((i) => i.role).filter(Boolean);
    };
    assert.ok(!roles(false).includes('reload') && !roles(false).includes('toggleDevTools'));
    assert.ok(roles(true).includes('reload') && roles(true).includes('toggleDevTools'));
    for (const role of ['zoomIn', 'zoomOut', 'resetZoom']) assert.ok(roles(false).includes(role as never), role);
  });

  test('theme: the current one is checked, choosing one reports it', () => {
    const { calls, actions } = recordingActions();
    const template = appMenuTemplate({ platform: 'linux', isDev: false, theme: 'dark', appName: 'Subpixel' }, actions);
    assert.equal(findMenuItem(template, 'theme-dark')?.checked, true);
    assert.equal(findMenuItem(template, 'theme-light')?.checked, false);
    click(findMenuItem(template, 'theme-light'));
    assert.deepEqual(calls, ['theme:light']);
  });
});

function summary(counts: Partial<QueueSummary['counts']>, fraction = 0, paused = false): QueueSummary {
  return {
    total: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0),
    counts: { queued: 0, running: 0, done: 0, failed: 0, canceled: 0, skipped: 0, ...counts },
    paused, fraction, pixelsPerSecond: null, etaMs: null,
  };
}

describe('tray and closing the window', () => {
  test('closing hides to the tray only while a watch is active and a tray exists; Quit always quits', () => {
    assert.equal(closeAction({ quitting: false, activeWatches: 2, hasTray: true }), 'hide-to-tray');
    assert.equal(closeAction({ quitting: false, activeWatches: 0, hasTray: true }), 'close');
    assert.equal(closeAction({ quitting: false, activeWatches: 1, hasTray: false }), 'close');
    assert.equal(closeAction({ quitting: true, activeWatches: 3, hasTray: true }), 'close');
  });

  test('the tray menu opens or hides the window, pauses or resumes, quits', () => {
    const calls: string[] = [];
    const actions: TrayActions = {
      showWindow: () => calls.push('show'), hideWindow: () => calls.push('hide'),
      pauseQueue: () => calls.push('pause'), resumeQueue: () => calls.push('resume'), quit: () => calls.push('quit'),
    };
    const hidden = trayMenuTemplate({ windowVisible: false, activeWatches: 1, queuePaused: false, summary: null }, actions);
    click(findMenuItem(hidden, 'show'));
    click(findMenuItem(hidden, 'pause'));
    click(findMenuItem(hidden, 'quit'));
    const shown = trayMenuTemplate({ windowVisible: true, activeWatches: 1, queuePaused: true, summary: null }, actions);
    assert.equal(findMenuItem(shown, 'show'), null);
    click(findMenuItem(shown, 'hide'));
    click(findMenuItem(shown, 'resume'));
    assert.deepEqual(calls, ['show', 'pause', 'quit', 'hide', 'resume']);
  });

  test('tooltip says what runs', () => {
    assert.equal(trayTooltip({ activeWatches: 0, summary: null }), 'Subpixel — idle');
    assert.equal(trayTooltip({ activeWatches: 1, summary: summary({ done: 4 }) }), 'Subpixel — watching 1 folder');
    assert.equal(trayTooltip({ activeWatches: 2, summary: summary({ queued: 2, running: 1, done: 1 }, 0.25) }),
      'Subpixel — 3 images to upscale (25 %) — watching 2 folders');
    assert.match(hiddenToTrayNotice(2).body, /2 watch folders/);
  });
});

describe('batch finished notification', () => {
  test('a batch is from the queue getting work to running dry; its counts are the difference', () => {
    const tracker = createBatchTracker();
    // Leftovers of an earlier batch are not this batch's work.
    assert.equal(tracker.update(summary({ done: 10, failed: 1 }), 0), null);
    assert.equal(tracker.update(summary({ done: 10, failed: 1, queued: 3 }), 1_000), null);
    assert.equal(tracker.update(summary({ done: 11, failed: 1, queued: 1, running: 1 }, 0.5), 5_000), null);
    const outcome = tracker.update(summary({ done: 12, failed: 2 }, 1), 83_000);
    assert.deepEqual(outcome, { done: 2, failed: 1, skipped: 0, canceled: 0, ms: 82_000 });
    assert.deepEqual(batchNotification(outcome!), { title: 'Batch finished with errors', body: '2 images upscaled, 1 failed in 1 min 22 s.' });
    // Idle summaries after that say nothing more.
    assert.equal(tracker.update(summary({ done: 12, failed: 2 }), 90_000), null);
  });

  test('a paused batch has not finished; a batch that was only canceled or cleared says nothing', () => {
    const tracker = createBatchTracker();
    tracker.update(summary({ queued: 2 }), 0);
    assert.equal(tracker.update(summary({ queued: 1, done: 1 }, 0.5, true), 10), null);
    assert.deepEqual(tracker.update(summary({ done: 2 }), 2_000), { done: 2, failed: 0, skipped: 0, canceled: 0, ms: 2_000 });
    tracker.update(summary({ done: 2, queued: 5 }), 3_000);
    assert.equal(tracker.update(summary({ done: 2, canceled: 5 }), 4_000), null);
    tracker.update(summary({ done: 2, queued: 5 }), 5_000);
    assert.equal(tracker.update(summary({}), 6_000), null, 'queue cleared: counts shrank, nothing to report');
  });

  test('words: one image, skipped items, durations', () => {
    assert.deepEqual(batchNotification({ done: 1, failed: 0, skipped: 2, canceled: 0, ms: 400 }),
      { title: 'Batch finished', body: '1 image upscaled, 2 skipped in 1 s.' });
    assert.equal(formatDuration(59_400), '59 s');
    assert.equal(formatDuration(3_600_000), '1 h');
    assert.equal(formatDuration(3_900_000), '1 h 5 min');
    assert.equal(shouldNotify({ visible: true, focused: true }), false);
    assert.equal(shouldNotify({ visible: true, focused: false }), true);
    assert.equal(shouldNotify({ visible: false, focused: false }), true);
  });
});

describe('launch', () => {
  test('paths from the command line: Electron\'s own arguments and switches are not paths', () => {
    const cwd = '/home/me/photos';
    assert.deepEqual(launchPaths(['/opt/Subpixel/subpixel', 'a.png', '--no-sandbox', '/tmp/b.jpg', 'a.png'], { cwd, packaged: true }),
      [join(cwd, 'a.png'), '/tmp/b.jpg']);
    assert.deepEqual(launchPaths(['/usr/bin/electron', '.', 'raw/'], { cwd, packaged: false }), [resolve(cwd, 'raw')]);
    assert.deepEqual(launchPaths(['electron', '.', '--', '--odd-name.png'], { cwd, packaged: false }), [join(cwd, '--odd-name.png')]);
    assert.deepEqual(launchPaths(['/opt/Subpixel/subpixel'], { cwd, packaged: true }), []);
  });

  test('--allow <folder> is repeatable (and --allow=<folder>); its folder is a permission, not a path to upscale', () => {
    const cwd = '/home/me';
    const argv = ['/usr/bin/electron', '.', '--allow', '/data/scans', 'a.png', '--allow=shared', '--allow', 'x/'];
    assert.deepEqual(allowedFromArgv(argv, { cwd, packaged: false }), ['/data/scans', join(cwd, 'shared'), resolve(cwd, 'x')]);
    assert.deepEqual(launchPaths(argv, { cwd, packaged: false }), [join(cwd, 'a.png')]);
    assert.deepEqual(allowedFromArgv(['subpixel', '--', '--allow', '/x'], { cwd, packaged: true }), []);
  });

  describe('renderer build and shipped models', () => {
    let dir: string;
    before(async () => { dir = await mkdtemp(join(tmpdir(), 'subpixel-launch-')); });
    after(async () => { await rm(dir, { recursive: true, force: true }); });

    test('the renderer is found where Vite writes it, else null', async () => {
      assert.equal(findRendererDir(dir, existsSync), null);
      await mkdir(join(dir, 'dist-renderer'), { recursive: true });
      await writeFile(join(dir, 'dist-renderer', 'index.html'), '<!doctype html>');
      assert.equal(findRendererDir(dir, existsSync), join(dir, 'dist-renderer'));
    });

    test('packaged: shipped models are <resources>/models, and the engine looks there', () => {
      const resourcesPath = join(dir, 'resources');
      const value = shippedModelsEnv({ packaged: true, resourcesPath, env: {} });
      assert.equal(value, join(resourcesPath, 'models'));
      const before = process.env.SUBPIXEL_MODELS_DIR;
      process.env.SUBPIXEL_MODELS_DIR = value!;
      try {
        assert.equal(shippedModelsDir(), join(resourcesPath, 'models'));
      } finally {
        if (before === undefined) delete process.env.SUBPIXEL_MODELS_DIR; else process.env.SUBPIXEL_MODELS_DIR = before;
      }
      assert.equal(shippedModelsEnv({ packaged: false, resourcesPath, env: {} }), null, 'development: the repository models/');
      assert.equal(shippedModelsEnv({ packaged: true, resourcesPath, env: { SUBPIXEL_MODELS_DIR: '/x' } }), null, 'explicit wins');
    });
  });

  test('state folder: SUBPIXEL_HOME, else the CLI\'s per-user folder (not Electron\'s userData)', () => {
    assert.equal(stateFolder({ env: { HOME: '/home/me' } }), stateHome(undefined, { HOME: '/home/me' }));
    assert.equal(stateFolder({ env: { SUBPIXEL_HOME: '/tmp/run' } }), '/tmp/run');
  });

  test('dev server: loopback http(s) only, never when packaged', () => {
    assert.equal(devServerUrl({ packaged: false, env: { SUBPIXEL_DEV_SERVER_URL: 'http://localhost:5173' } }), 'http://localhost:5173/');
    assert.equal(devServerUrl({ packaged: true, env: { SUBPIXEL_DEV_SERVER_URL: 'http://localhost:5173' } }), null);
    assert.equal(devServerUrl({ packaged: false, env: { SUBPIXEL_DEV_SERVER_URL: 'http://example.com:5173' } }), null);
    assert.equal(devServerUrl({ packaged: false, env: { SUBPIXEL_DEV_SERVER_URL: 'file:///tmp/x' } }), null);
    assert.equal(devServerUrl({ packaged: false, env: {} }), null);
  });
});
