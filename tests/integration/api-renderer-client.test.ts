/**
 * The renderer's client (src-renderer/api.ts) against the real server: the same calls and events the UI uses.
 * Node has no browser WebSocket, so ws stands in, sending the Origin a browser would send for the served page.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startBrowserMode, type BrowserMode } from '../../src-main/server/serve-app.js';
import { webSocketClient, webSocketUrl } from '../../src-renderer/api.js';
import { makeFixture, type Fixture } from './api-harness.js';

let fx: Fixture;
let app: BrowserMode;

before(async () => {
  fx = await makeFixture();
  app = await startBrowserMode({ home: fx.home, allow: [fx.allowed], allowHome: false, staticDir: null, autoStart: false });
});
after(async () => {
  await app?.stop();
  await fx?.remove();
});

function browserLikeSocket(origin: string): typeof globalThis.WebSocket {
  return class extends WebSocket {
    constructor(url: string) { super(url, { origin }); }
  } as unknown as typeof globalThis.WebSocket;
}

test('the WebSocket URL comes from the page URL and carries its token', () => {
  const page = new URL(app.server.url);
  assert.equal(webSocketUrl(page), `ws://127.0.0.1:${app.server.port}/ws?token=${app.server.token}`);
  assert.equal(webSocketUrl({ protocol: 'https:', host: 'h:1', search: '?token=a%2Bb' }), 'wss://h:1/ws?token=a%2Bb');
});

test('calls resolve to typed results and subscriptions receive events', async () => {
  const client = webSocketClient(webSocketUrl(new URL(app.server.url)), browserLikeSocket(app.server.origin));
  const themes: string[] = [];
  const stop = client.subscribe('settings.changed', (p) => themes.push(p.settings.ui.theme));
  const info = await client.call('system.info', {});
  assert.equal(info.ok && info.value.transport, 'browser');
  const set = await client.call('settings.set', { patch: { ui: { theme: 'dark' } } });
  assert.equal(set.ok && set.value.ui.theme, 'dark');
  const bad = await client.call('queue.add', { paths: ['/etc/passwd'] });
  assert.equal(!bad.ok && bad.error.code, 'forbidden_path');
  for (let i = 0; i < 50 && themes.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(themes, ['dark']);
  stop();
  await client.call('settings.set', { patch: { ui: { theme: 'light' } } });
  await client.call('system.info', {});
  assert.deepEqual(themes, ['dark'], 'no events after unsubscribe');
  client.close();
  const late = await client.call('system.info', {});
  assert.equal(!late.ok && late.error.code, 'unavailable');
});

test('a page opened without the token cannot reach the API', async () => {
  const client = webSocketClient(webSocketUrl({ protocol: 'http:', host: `127.0.0.1:${app.server.port}`, search: '' }), browserLikeSocket(app.server.origin));
  const before = app.services.settings.get();
  const result = await client.call('settings.set', { patch: { ui: { theme: 'dark' } } });
  client.close();
  assert.equal(!result.ok && result.error.code, 'unavailable');
  assert.match(!result.ok ? result.error.message : '', /cannot connect/);
  assert.deepEqual(app.services.settings.get(), before);
});
