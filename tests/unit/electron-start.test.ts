/**
 * `npm start` where the desktop app cannot open (no Electron binary here, no display): one line saying why, then the
 * same UI and API in browser mode at the printed URL (real process, real HTTP and WebSocket).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { electronAvailability } from '../../src-main/electron/launch.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('electron availability', () => {
  const exists = (path: string) => path === '/opt/electron/electron';
  test('a binary and (on Linux) a display are both needed', () => {
    assert.deepEqual(electronAvailability({ platform: 'linux', env: { DISPLAY: ':0' }, packagedBinary: '/opt/electron/electron', exists }),
      { ok: true, executable: '/opt/electron/electron' });
    assert.deepEqual(electronAvailability({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0', ELECTRON_PATH: '/opt/electron/electron' }, packagedBinary: null, exists }),
      { ok: true, executable: '/opt/electron/electron' });
    const noBinary = electronAvailability({ platform: 'linux', env: { DISPLAY: ':0' }, packagedBinary: null, exists });
    assert.ok(!noBinary.ok && /no Electron binary.*ELECTRON_PATH/.test(noBinary.reason));
    const missing = electronAvailability({ platform: 'darwin', env: { ELECTRON_PATH: '/nowhere/electron' }, packagedBinary: null, exists });
    assert.ok(!missing.ok && missing.reason.includes('/nowhere/electron'));
    const headless = electronAvailability({ platform: 'linux', env: {}, packagedBinary: '/opt/electron/electron', exists });
    assert.ok(!headless.ok && /no display/.test(headless.reason));
    assert.equal(electronAvailability({ platform: 'win32', env: {}, packagedBinary: '/opt/electron/electron', exists }).ok, true);
  });
});

describe('npm start without Electron', () => {
  let home: string;
  let child: ReturnType<typeof spawn>;
  let lines: string[];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'subpixel-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, SUBPIXEL_HOME: home, NODE_OPTIONS: '' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.ELECTRON_PATH;
    // --allow is repeatable: both folders become allowed besides the home folder.
    await mkdir(join(home, 'scans'));
    await mkdir(join(home, 'prints'));
    child = spawn(process.execPath, ['scripts/start.mjs', '--no-build', '--allow', join(home, 'scans'), '--allow', join(home, 'prints')],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    lines = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const timer = setTimeout(() => reject(new Error(`no URL within 60 s; stdout ${JSON.stringify(got)}, stderr ${stderr}`)), 60_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        got.push(line);
        if (/^https?:\/\//.test(line)) { clearTimeout(timer); resolve(got); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${stderr}`)); });
    });
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  test('says why in one line, then prints the URL', () => {
    assert.equal(lines.length, 2, JSON.stringify(lines));
    assert.match(lines[0]!, /^Electron can't start here: no Electron binary .*; serving Subpixel in browser mode instead\.$/);
    assert.match(lines[1]!, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+$/);
  });

  test('the URL serves the UI page, and its API answers over the WebSocket with the token', async () => {
    const url = new URL(lines[1]!);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<title>Subpixel<\/title>/);

    const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`, { headers: { Origin: url.origin } });
    const info = await new Promise<{ ok: boolean; value?: { stateHome: string; allowedRoots: string[] } }>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'call', id: 1, command: 'system.info', input: {} })));
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; id?: number; result?: { ok: boolean; value?: { stateHome: string; allowedRoots: string[] } } };
        if (message.type === 'result' && message.id === 1) resolve(message.result!);
      });
    });
    ws.close();
    assert.equal(info.ok, true);
    assert.equal(info.value!.stateHome, home, 'state lives in SUBPIXEL_HOME');
    const real = await realpath(home);
    for (const folder of ['scans', 'prints']) assert.ok(info.value!.allowedRoots.includes(join(real, folder)), `--allow ${folder}: ${info.value!.allowedRoots.join(', ')}`);
  });

  test('stops cleanly on SIGTERM', async () => {
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
  });
});
