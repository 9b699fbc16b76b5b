/**
 * The window's security rules (pure parts of the Electron shell): CSP, window options, navigation and window.open
 * decisions, permissions, and the custom scheme that serves the renderer build from disk.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APP_INDEX_URL, APP_ORIGIN, appResponseHeaders, resolveAppRequest } from '../../src-main/electron/app-protocol.js';
import { appUrlMatcher } from '../../src-main/electron/ipc-transport.js';
import {
  contentSecurityPolicy, isNavigationAllowed, isPermissionGranted, mainWindowOptions, windowOpenDecision,
} from '../../src-main/electron/security.js';

const directives = (csp: string) => new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

describe('content security policy', () => {
  test('built app: only our origin for scripts, no inline scripts or eval, no plugins, frames, forms or base changes', () => {
    const csp = directives(contentSecurityPolicy());
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('connect-src'), ["'self'"]);
    for (const none of ['object-src', 'frame-src', 'base-uri', 'form-action', 'frame-ancestors']) assert.deepEqual(csp.get(none), ["'none'"], none);
    // Thumbnails and compare crops arrive as data: URLs.
    assert.ok(csp.get('img-src')!.includes('data:'));
    for (const [name, values] of csp) {
      assert.ok(!values.includes("'unsafe-eval'"), `${name} allows eval`);
      assert.ok(!values.includes('*') && !values.includes('http:') && !values.includes('https:'), `${name} allows any host`);
      if (name !== 'style-src') assert.ok(!values.includes("'unsafe-inline'"), `${name} allows inline code`);
    }
  });

  test('development adds exactly the dev server origin and its HMR socket', () => {
    const csp = directives(contentSecurityPolicy({ devServerUrl: 'http://localhost:5173/' }));
    assert.deepEqual(csp.get('script-src'), ["'self'", 'http://localhost:5173']);
    assert.deepEqual(csp.get('connect-src'), ["'self'", 'http://localhost:5173', 'ws://localhost:5173']);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
  });
});

describe('window options', () => {
  test('isolated, sandboxed, no Node in the page, preload only', () => {
    const options = mainWindowOptions({ preload: '/app/dist/src-main/electron/preload.cjs', backgroundColor: '#000000' });
    const web = options.webPreferences!;
    assert.equal(web.contextIsolation, true);
    assert.equal(web.sandbox, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInWorker, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
    assert.equal(web.webSecurity, true);
    assert.equal(web.allowRunningInsecureContent, false);
    assert.equal(web.webviewTag, false);
    assert.equal(web.navigateOnDragDrop, false);
    assert.equal(web.preload, '/app/dist/src-main/electron/preload.cjs');
    assert.equal(options.show, false, 'shown on ready-to-show, never as an empty frame');
  });
});

describe('navigation, new windows, permissions', () => {
  const isAppUrl = appUrlMatcher({ appOrigin: APP_ORIGIN });

  test('the page may only navigate within our app origin', () => {
    assert.equal(isNavigationAllowed(APP_INDEX_URL, isAppUrl), true);
    assert.equal(isNavigationAllowed(`${APP_ORIGIN}/index.html#/queue`, isAppUrl), true);
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'file:///home/me/photo.png', 'subpixel://other/index.html',
      'subpixel://user:pw@app/index.html', 'javascript:alert(1)', 'data:text/html,<p>x', 'about:blank', 'not a url']) {
      assert.equal(isNavigationAllowed(url, isAppUrl), false, url);
    }
  });

  test('window.open never opens an Electron window; only plain https links go to the system browser', () => {
    assert.deepEqual(windowOpenDecision('https://github.com/subpixel'), { action: 'deny', openExternally: 'https://github.com/subpixel' });
    for (const url of ['http://example.com/', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'https://user:pw@example.com/', '']) {
      assert.deepEqual(windowOpenDecision(url), { action: 'deny', openExternally: null }, url);
    }
  });

  test('permissions: everything denied but clipboard writes from our own page', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fileSystem', 'clipboard-read', 'midi', 'unknown']) {
      assert.equal(isPermissionGranted(permission, APP_INDEX_URL, isAppUrl), false, permission);
    }
    assert.equal(isPermissionGranted('clipboard-sanitized-write', APP_INDEX_URL, isAppUrl), true);
    assert.equal(isPermissionGranted('clipboard-sanitized-write', 'https://example.com/', isAppUrl), false);
    assert.equal(isPermissionGranted('clipboard-sanitized-write', undefined, isAppUrl), false);
  });

  test('IPC trust accepts the app origin only with the exact scheme and host', () => {
    assert.equal(isAppUrl(APP_INDEX_URL), true);
    assert.equal(isAppUrl('subpixel://app/assets/index-abc.js'), true);
    assert.equal(isAppUrl('subpixel://app.evil/index.html'), false);
    assert.equal(isAppUrl('subpixelx://app/index.html'), false);
    assert.equal(isAppUrl('https://app/index.html'), false);
  });
});

describe('app scheme serves the renderer build', () => {
  let dir: string;
  let renderer: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'subpixel-protocol-'));
    renderer = join(dir, 'dist-renderer');
    await mkdir(join(renderer, 'assets'), { recursive: true });
    await writeFile(join(renderer, 'index.html'), '<!doctype html><title>Subpixel</title>');
    await writeFile(join(renderer, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside');
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  test('files of the build, with their content type', async () => {
    const js = resolveAppRequest('subpixel://app/assets/index-abc.js', renderer);
    assert.equal(js.kind, 'file');
    assert.ok(js.kind === 'file' && js.contentType.startsWith('text/javascript'));
    assert.equal(js.kind === 'file' && (await readFile(js.path, 'utf8')), 'console.log(1)');
    const index = resolveAppRequest(APP_INDEX_URL, renderer);
    assert.ok(index.kind === 'file' && index.path === join(renderer, 'index.html') && index.contentType.startsWith('text/html'));
  });

  test('routes without an extension get index.html (single-page app)', () => {
    for (const url of ['subpixel://app/', 'subpixel://app', 'subpixel://app/queue', 'subpixel://app/models/custom?x=1#y']) {
      const target = resolveAppRequest(url, renderer);
      assert.ok(target.kind === 'file' && target.path === join(renderer, 'index.html'), url);
    }
  });

  test('nothing outside the build folder, nothing of another host or scheme', () => {
    for (const url of ['subpixel://app/../secret.txt', 'subpixel://app/%2e%2e/secret.txt', 'subpixel://app/assets/..%2f..%2fsecret.txt',
      'subpixel://app/..%5csecret.txt', 'subpixel://app/a%00.js', 'subpixel://app/%E0%A4%A.js', 'subpixel://other/index.html',
      'file:///etc/passwd', 'https://app/index.html']) {
      const target = resolveAppRequest(url, renderer);
      // The URL parser already folds plain and %2e dot segments; what is left must stay inside the build.
      if (target.kind === 'file') assert.ok(target.path.startsWith(renderer + '/'), `${url} → ${target.path}`);
    }
    // Encoded slashes survive URL parsing and would climb after decoding: refused outright.
    assert.equal(resolveAppRequest('subpixel://app/assets/..%2f..%2fsecret.txt', renderer).kind, 'not-found');
    assert.equal(resolveAppRequest('subpixel://app/..%5csecret.txt', renderer).kind, 'not-found');
  });

  test('every response carries the CSP and nosniff', () => {
    const headers = appResponseHeaders('text/html; charset=utf-8', contentSecurityPolicy());
    assert.equal(headers['Content-Security-Policy'], contentSecurityPolicy());
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
  });
});
