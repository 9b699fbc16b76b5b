/**
 * Test transports for the API contract suite: the real WebSocket server (127.0.0.1, random port, real ws client)
 * and the IPC handler as ipcMain would call it. Both sit on the real services opened in a temporary state folder.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import type { AnyEvent, Result } from '../../src-common/api.js';
import { createAppDispatcher } from '../../src-main/api/handlers.js';
import { startBrowserMode } from '../../src-main/server/serve-app.js';
import { openAppServices, type AppServices } from '../../src-main/api/services.js';
import { appUrlMatcher, createIpcCallHandler, forwardEvents, type InvokeEventLike } from '../../src-main/electron/ipc-transport.js';

export const SAMPLES = resolve('resources/samples');
export const TEST_MODEL = 'tiny-test-x2';

export interface Fixture {
  root: string;
  /** The only allowed root. */
  allowed: string;
  /** A folder next to it that is not allowed. */
  outside: string;
  /** State folder ($SUBPIXEL_HOME of the run). */
  home: string;
  inputs: string;
  remove(): Promise<void>;
}

export async function makeFixture(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'subpixel-api-'));
  const allowed = join(root, 'allowed');
  const outside = join(root, 'outside');
  const inputs = join(allowed, 'in');
  await mkdir(inputs, { recursive: true });
  await mkdir(outside, { recursive: true });
  await copyFile(join(SAMPLES, 'chelsea.png'), join(inputs, 'chelsea.png'));
  await copyFile(join(SAMPLES, 'rocket.jpg'), join(inputs, 'rocket.jpg'));
  await copyFile(join(SAMPLES, 'chelsea.png'), join(outside, 'secret.png'));
  // A link inside the allowed folder that leads out of it.
  await symlink(outside, join(allowed, 'escape'));
  await mkdir(join(allowed, 'watched'), { recursive: true });
  // A small real model (random weights) among the user's models, so upscaling, preview and fine-tuning run for real.
  const { saveModel } = await import('../../src-main/engine/models/store.js');
  const { classicEspcn, randomWeights } = await import('../../src-main/engine/models/spec.js');
  await saveModel(join(root, 'state', 'models', TEST_MODEL), randomWeights({ ...classicEspcn(2), widths: [8, 8] }, 7), { id: TEST_MODEL });
  return { root, allowed, outside, home: join(root, 'state'), inputs, remove: () => rm(root, { recursive: true, force: true }) };
}

export interface TestTransport {
  name: 'websocket' | 'ipc';
  call(command: string, input?: unknown): Promise<Result<any>>;
  events: AnyEvent[];
  waitForEvent(predicate: (e: AnyEvent) => boolean, timeoutMs?: number): Promise<AnyEvent>;
  close(): Promise<void>;
}

function eventWaiter(events: AnyEvent[]) {
  const waiters: Array<{ predicate: (e: AnyEvent) => boolean; resolve: (e: AnyEvent) => void }> = [];
  return {
    push(e: AnyEvent) {
      events.push(e);
      for (const w of [...waiters]) if (w.predicate(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    },
    wait(predicate: (e: AnyEvent) => boolean, timeoutMs = 10_000): Promise<AnyEvent> {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
        waiters.push({ predicate, resolve: (e) => { clearTimeout(timer); resolvePromise(e); } });
      });
    },
  };
}

export interface WsClient {
  socket: WebSocket;
  call(command: string, input?: unknown): Promise<Result<any>>;
  send(raw: string): void;
  /** Every message the server sent, parsed. */
  received: any[];
  next(predicate: (m: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export async function connectWs(url: string, origin: string | undefined): Promise<WsClient> {
  const socket = new WebSocket(url, origin === undefined ? {} : { origin });
  const received: any[] = [];
  const waiters: Array<{ predicate: (m: any) => boolean; resolve: (m: any) => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    received.push(message);
    for (const w of [...waiters]) if (w.predicate(message)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(message); }
  });
  await new Promise<void>((res, rej) => { socket.once('open', () => res()); socket.once('error', rej); });
  let nextId = 1;
  const next = (predicate: (m: any) => boolean, timeoutMs = 15_000): Promise<any> => {
    const seen = received.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('timed out waiting for a message')), timeoutMs);
      waiters.push({ predicate, resolve: (m) => { clearTimeout(timer); res(m); } });
    });
  };
  return {
    socket,
    received,
    next,
    send: (raw) => socket.send(raw),
    async call(command, input) {
      const id = nextId++;
      socket.send(JSON.stringify({ type: 'call', id, command, input }));
      return (await next((m) => m.type === 'result' && m.id === id)).result;
    },
    close: () => new Promise((res) => { socket.once('close', () => res()); socket.close(); }),
  };
}

/** Tries a WebSocket connection and reports how the server answered the upgrade. */
export function tryWs(url: string, origin?: string): Promise<{ opened: boolean; status: number | null }> {
  return new Promise((res) => {
    const socket = new WebSocket(url, origin === undefined ? {} : { origin });
    socket.once('open', () => { socket.close(); res({ opened: true, status: 101 }); });
    socket.once('unexpected-response', (_req, response) => { res({ opened: false, status: response.statusCode ?? null }); socket.terminate(); });
    socket.once('error', () => res({ opened: false, status: null }));
  });
}

export async function startWsTransport(fx: Fixture): Promise<TestTransport & { url: string; origin: string; token: string; port: number }> {
  const app = await startBrowserMode({ home: fx.home, allow: [fx.allowed], allowHome: false, port: 0, staticDir: null, autoStart: false });
  const client = await connectWs(`ws://127.0.0.1:${app.server.port}/ws?token=${app.server.token}`, app.server.origin);
  const events: AnyEvent[] = [];
  const waiter = eventWaiter(events);
  client.socket.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'event') waiter.push({ event: m.event, payload: m.payload } as AnyEvent);
  });
  const subscribed = await (async () => {
    client.send(JSON.stringify({ type: 'subscribe', id: 'sub', events: undefined }));
    return client.next((m) => m.type === 'result' && m.id === 'sub');
  })();
  if (!subscribed.result.ok) throw new Error('subscribe failed');
  return {
    name: 'websocket',
    url: app.server.url,
    origin: app.server.origin,
    token: app.server.token,
    port: app.server.port,
    call: client.call,
    events,
    waitForEvent: waiter.wait,
    async close() {
      await client.close();
      await app.stop();
    },
  };
}

export const RENDERER_DIR = '/opt/subpixel/dist-renderer';
export const APP_FRAME_URL = pathToFileURL(join(RENDERER_DIR, 'index.html')).href;

/** ipcMain.handle's view of a call from our window: Electron's event object, reduced to what the handler reads. */
export function fakeInvokeEvent(url = APP_FRAME_URL, parent: unknown = null): InvokeEventLike {
  return { senderFrame: { url, parent }, sender: { id: 1 } };
}

export async function startIpcTransport(fx: Fixture): Promise<TestTransport & { invoke: ReturnType<typeof createIpcCallHandler>; services: AppServices }> {
  const services = await openAppServices({ home: fx.home, allow: [fx.allowed], allowHome: false, autoStart: false });
  const { dispatcher, detach } = createAppDispatcher(services);
  const invoke = createIpcCallHandler(dispatcher, { isAppUrl: appUrlMatcher({ rendererDir: RENDERER_DIR }), isOwnWebContents: (s) => s.id === 1 });
  const events: AnyEvent[] = [];
  const waiter = eventWaiter(events);
  // A stand-in for the window's webContents (an Electron object): records what would be sent to the preload.
  let destroyed = false;
  const destroyedListeners: Array<() => void> = [];
  forwardEvents(dispatcher, {
    isDestroyed: () => destroyed,
    send: (_channel, message) => waiter.push(structuredClone(message)),
    once: (_name, listener) => { destroyedListeners.push(listener); },
  });
  return {
    name: 'ipc',
    invoke,
    services,
    // structuredClone: what crosses Electron IPC is a structured clone, never the live object.
    call: async (command, input) => structuredClone(await invoke(fakeInvokeEvent(), command, structuredClone(input))),
    events,
    waitForEvent: waiter.wait,
    async close() {
      destroyed = true;
      for (const l of destroyedListeners) l();
      detach();
      await services.close();
    },
  };
}
