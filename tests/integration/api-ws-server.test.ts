/**
 * What only the browser-mode server does: token and Origin checks on HTTP and WebSocket, static files, the wire
 * protocol's own errors, and `subpixel serve` printing its URL last.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBrowserMode, type BrowserMode } from '../../src-main/server/serve-app.js';
import { connectWs, makeFixture, tryWs, type Fixture } from './api-harness.js';

interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser-mode server', () => {
  let fx: Fixture;
  let app: BrowserMode;
  let port: number;
  let token: string;
  let wsUrl: string;

  before(async () => {
    fx = await makeFixture();
    const staticDir = join(fx.root, 'renderer');
    await mkdir(join(staticDir, 'assets'), { recursive: true });
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Subpixel UI</title>');
    await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    app = await startBrowserMode({ home: fx.home, allow: [fx.allowed], allowHome: false, staticDir, autoStart: false });
    ({ port, token } = app.server);
    wsUrl = `ws://127.0.0.1:${port}/ws?token=${token}`;
  });
  after(async () => {
    await app?.stop();
    await fx?.remove();
  });

  test('the URL is loopback with a long random token', () => {
    assert.match(app.server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    assert.equal(app.server.origin, `http://127.0.0.1:${port}`);
  });

  test('HTTP without the token is refused (401), with a wrong one too (403)', async () => {
    const missing = await get(port, '/');
    assert.equal(missing.status, 401);
    assert.doesNotMatch(missing.body, /Subpixel UI/);
    assert.equal((await get(port, '/assets/app.js')).status, 401);
    const wrong = await get(port, `/?token=${'x'.repeat(token.length)}`);
    assert.equal(wrong.status, 403);
    assert.equal((await get(port, '/?token=short')).status, 403);
    assert.equal((await get(port, '/', { Cookie: `subpixel_token_${port}=nope` })).status, 403);
  });

  test('HTTP with the token serves the renderer and sets a cookie that works for later requests', async () => {
    const page = await get(port, `/?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Subpixel UI/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    assert.equal(cookie, `subpixel_token_${port}=${token}`);
    const asset = await get(port, '/assets/app.js', { Cookie: cookie });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.equal((await get(port, '/queue', { 'X-Subpixel-Token': token })).body, page.body, 'unknown routes get the app');
  });

  test('HTTP from another Origin or Host is refused, and paths cannot leave the renderer folder', async () => {
    assert.equal((await get(port, `/?token=${token}`, { Origin: 'http://evil.example' })).status, 403);
    assert.equal((await get(port, `/?token=${token}`, { Host: `rebind.example:${port}` })).status, 403);
    const traversal = await get(port, `/..%2fstate%2fsettings.json?token=${token}`);
    assert.notEqual(traversal.status, 200);
    assert.doesNotMatch(traversal.body, /jobDefaults/);
  });

  test('WebSocket upgrades need the token and our Origin', async () => {
    const base = `ws://127.0.0.1:${port}/ws`;
    const origin = app.server.origin;
    assert.deepEqual(await tryWs(base, origin), { opened: false, status: 401 });
    assert.deepEqual(await tryWs(`${base}?token=${'x'.repeat(token.length)}`, origin), { opened: false, status: 403 });
    assert.deepEqual(await tryWs(wsUrl, 'http://evil.example'), { opened: false, status: 403 });
    assert.deepEqual(await tryWs(wsUrl, `http://localhost:${port + 1}`), { opened: false, status: 403 });
    assert.deepEqual(await tryWs(wsUrl, undefined), { opened: false, status: 403 }, 'no Origin, no entry');
    assert.deepEqual(await tryWs(`ws://127.0.0.1:${port}/other?token=${token}`, origin), { opened: false, status: 404 });
    assert.deepEqual(await tryWs(wsUrl, origin), { opened: true, status: 101 });
  });

  test('refused connections change nothing', async () => {
    const client = await connectWs(wsUrl, app.server.origin);
    try {
      const before = await client.call('queue.list', {});
      await tryWs(`ws://127.0.0.1:${port}/ws`, app.server.origin);
      await tryWs(wsUrl, 'http://evil.example');
      assert.deepEqual(await client.call('queue.list', {}), before);
    } finally {
      await client.close();
    }
  });

  test('outputs are served to the token holder only inside the allowed folders: download, view (raster images only), folder page', async () => {
    await writeFile(join(fx.allowed, 'photo_x2.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await writeFile(join(fx.allowed, 'drawing.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await writeFile(join(fx.outside, 'secret.png'), 'the private bytes');
    const route = (name: string, path: string) => `/files/${name}?path=${encodeURIComponent(path)}`;
    const withToken = { 'X-Subpixel-Token': token };
    assert.equal((await get(port, route('download', join(fx.allowed, 'photo_x2.png')))).status, 401, 'no token, no file');
    const download = await get(port, route('download', join(fx.allowed, 'photo_x2.png')), withToken);
    assert.equal(download.status, 200);
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="photo_x2\.png"/);
    const view = await get(port, route('view', join(fx.allowed, 'photo_x2.png')), withToken);
    assert.equal(view.headers['content-type'], 'image/png');
    assert.match(String(view.headers['content-disposition']), /^inline/);
    const svg = await get(port, route('view', join(fx.allowed, 'drawing.svg')), withToken);
    assert.match(String(svg.headers['content-disposition']), /^attachment/, 'an SVG is never shown inline');
    assert.equal(svg.headers['content-type'], 'application/octet-stream');
    for (const outside of [join(fx.outside, 'secret.png'), `${fx.allowed}/../outside/secret.png`, '/etc/passwd']) {
      const refused = await get(port, route('download', outside), withToken);
      assert.equal(refused.status, 403, outside);
      assert.doesNotMatch(refused.body, /private bytes/);
    }
    assert.equal((await get(port, route('download', join(fx.allowed, 'gone.png')), withToken)).status, 404);
    const folder = await get(port, route('folder', fx.allowed), withToken);
    assert.equal(folder.status, 200);
    assert.match(folder.body, /photo_x2\.png/);
    assert.doesNotMatch(folder.body, /<script>/);
  });

  test('protocol errors are answered, and the connection stays usable', async () => {
    const client = await connectWs(wsUrl, app.server.origin);
    try {
      assert.deepEqual(await client.next((m) => m.type === 'hello'), { type: 'hello', apiVersion: 1 });
      client.send('{not json');
      const garbage = await client.next((m) => m.type === 'result' && m.id === null);
      assert.equal(garbage.result.error.code, 'bad_request');
      client.send(JSON.stringify({ type: 'teleport', id: 7 }));
      const badType = await client.next((m) => m.type === 'result' && m.id === 7);
      assert.equal(badType.result.error.code, 'bad_request');
      client.send(JSON.stringify({ type: 'subscribe', id: 8, events: ['queue.item', 'nonsense'] }));
      assert.equal((await client.next((m) => m.id === 8)).result.error.code, 'bad_request');
      const info = await client.call('system.info', {});
      assert.equal(info.ok, true);
    } finally {
      await client.close();
    }
  });

  test('events reach only subscribed clients, only for the events they asked for', async () => {
    const settingsOnly = await connectWs(wsUrl, app.server.origin);
    const silent = await connectWs(wsUrl, app.server.origin);
    try {
      settingsOnly.send(JSON.stringify({ type: 'subscribe', id: 's', events: ['settings.changed'] }));
      await settingsOnly.next((m) => m.id === 's');
      const changed = await silent.call('settings.set', { patch: { ui: { theme: 'light' } } });
      assert.equal(changed.ok, true);
      const event = await settingsOnly.next((m) => m.type === 'event');
      assert.equal(event.event, 'settings.changed');
      assert.equal(event.payload.settings.ui.theme, 'light');
      await silent.call('queue.pause', {});
      await settingsOnly.call('queue.resume', {});
      await settingsOnly.call('queue.pause', {});
      assert.equal(silent.received.filter((m) => m.type === 'event').length, 0);
      assert.ok(settingsOnly.received.filter((m) => m.type === 'event').every((m) => m.event === 'settings.changed'));
    } finally {
      await settingsOnly.close();
      await silent.close();
    }
  });
});

describe('subpixel serve', () => {
  test('prints the URL with the token as its last stdout line, serves it, and stops on SIGTERM', async (t) => {
    const fx = await makeFixture();
    t.after(() => fx.remove());
    // The lead's cli/main.ts may not exist yet: mount the command on a bare program, as main.ts does.
    const script = `
      import { Command } from 'commander';
      import { registerServeCommand } from './src-main/cli/serve.ts';
      const program = new Command('subpixel');
      registerServeCommand(program);
      await program.parseAsync(process.argv);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'subpixel', 'serve', '--port', '0', '--allow', fx.allowed], {
      env: { ...process.env, SUBPIXEL_HOME: fx.home, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s; stderr: ${stderr}`)), 30_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.endsWith('\n')) { clearTimeout(timer); resolve(stdout.trimEnd().split('\n').at(-1)!); }
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=[A-Za-z0-9_-]+$/);
    const { port, search } = new URL(url);
    const page = await get(Number(port), `/${search}`);
    assert.equal(page.status, 200);
    assert.equal((await get(Number(port), '/')).status, 401);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
