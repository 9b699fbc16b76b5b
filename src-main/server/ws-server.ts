import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { checkHost, checkOrigin, checkToken, newToken, tokenCookieName } from './auth.js';
import { API_VERSION, UPLOAD_LIMITS, ClientMessage, eventNames, isEventName, issueLines, type EventName, type ServerMessage } from '../../src-common/api.js';
import type { Dispatcher } from '../api/dispatcher.js';
import { serveFileRoute, type FileAccess } from './file-routes.js';
import { placeholderPage, serveStatic } from './static-files.js';

export const WS_PATH = '/ws';

export interface ApiServerOptions {
  dispatcher: Dispatcher;
  /** Default 127.0.0.1: only this machine can connect unless the user asks otherwise. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Built renderer folder; null serves a placeholder page. */
  staticDir: string | null;
  /** Fixed token (tests); default a fresh random one. */
  token?: string;
  /** Largest WebSocket message (default UPLOAD_LIMITS.messageBytes: commands are small; files travel in chunks). */
  maxPayload?: number;
  /** Which files /files/download, /files/view and /files/folder may serve (the API's allowed folders). */
  files?: FileAccess;
}

export interface ApiServer {
  /** `http://<host>:<port>/?token=<token>`: what the user opens. */
  url: string;
  origin: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Progress events are the only ones worth dropping for a client that cannot keep up. */
const DROPPABLE_EVENTS = new Set<string>(['queue.progress', 'train.progress', 'log']);
const SLOW_CLIENT_BYTES = 8 * 1024 * 1024;

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { dispatcher, staticDir } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  let port = options.port ?? 0;

  const http = createServer((req, res) => {
    handleHttp(req, res).catch(() => { if (!res.headersSent) res.writeHead(500); res.end(); });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? UPLOAD_LIMITS.messageBytes });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCommonHeaders(res);
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (!checkHost(req, host, port)) { deny(res, 403, 'unexpected Host header'); return; }
    const origin = checkOrigin(req, false);
    if (!origin.ok) { deny(res, 403, origin.reason); return; }
    const auth = checkToken(req, url, token, port);
    if (!auth.ok) { deny(res, auth.status, auth.reason); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { deny(res, 405, 'method not allowed'); return; }
    if (auth.fromQuery) {
      // Later requests (assets, reloads without the query) authenticate with this cookie.
      res.setHeader('Set-Cookie', `${tokenCookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    if (url.pathname === WS_PATH) { deny(res, 426, 'WebSocket endpoint'); return; }
    if (options.files && await serveFileRoute(url.pathname, url.searchParams, options.files, res, req.method === 'HEAD')) return;
    if (staticDir) { await serveStatic(staticDir, url.pathname, res, req.method === 'HEAD'); return; }
    if (url.pathname !== '/' && url.pathname !== '/index.html') { deny(res, 404, 'not found'); return; }
    const page = placeholderPage();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : page);
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own error handler before 'upgrade': a client resetting the connection while we refuse it
    // would otherwise be an uncaught exception, before any token check.
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const refuse = (status: number, reason: string): void => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (!checkHost(req, host, port)) return refuse(403, 'Forbidden');
    const origin = checkOrigin(req, true);
    if (!origin.ok) return refuse(403, 'Forbidden');
    const auth = checkToken(req, url, token, port);
    if (!auth.ok) return refuse(auth.status, auth.status === 401 ? 'Unauthorized' : 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, dispatcher));
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    http.once('error', rejectListen);
    http.listen(port, host, () => { http.off('error', rejectListen); resolveListen(); });
  });
  port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    host,
    port,
    token,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

function setCommonHeaders(res: ServerResponse): void {
  // The token is in the page URL: never hand it to another site through Referer, never render inside a frame.
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function deny(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${reason}\n`);
}

/** One WebSocket client: calls answered by id, events pushed once subscribed. */
function serveConnection(ws: WebSocket, dispatcher: Dispatcher): void {
  let wanted: Set<EventName> | 'all' | null = null;
  const send = (message: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = dispatcher.subscribe(({ event, payload }) => {
    if (wanted === null || (wanted !== 'all' && !wanted.has(event))) return;
    if (DROPPABLE_EVENTS.has(event) && ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
    send({ type: 'event', event, payload });
  });
  ws.on('close', unsubscribe);
  ws.on('error', () => ws.terminate());
  send({ type: 'hello', apiVersion: API_VERSION });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    void handleMessage(data, isBinary);
  });

  async function handleMessage(data: RawData, isBinary: boolean): Promise<void> {
    let json: unknown;
    try {
      if (isBinary) throw new Error('binary frames are not part of the protocol');
      json = JSON.parse(rawText(data));
    } catch (error) {
      send({ type: 'result', id: null, result: { ok: false, error: { code: 'bad_request', message: `not a JSON text message: ${(error as Error).message}` } } });
      return;
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const id = messageId(json);
      const details = issueLines(parsed.error);
      send({ type: 'result', id, result: { ok: false, error: { code: 'bad_request', message: `invalid message: ${details.join('; ')}`, details } } });
      return;
    }
    const message = parsed.data;
    if (message.type === 'call') {
      const result = await dispatcher.call(message.command, message.input, { transport: 'browser' });
      send({ type: 'result', id: message.id, result });
      return;
    }
    const unknown = (message.events ?? []).filter((e) => !isEventName(e));
    if (unknown.length) {
      send({ type: 'result', id: message.id, result: { ok: false, error: { code: 'bad_request', message: `unknown events: ${unknown.join(', ')}` } } });
      return;
    }
    const names = (message.events ?? []) as EventName[];
    if (message.type === 'subscribe') {
      if (!message.events) wanted = 'all';
      else if (wanted !== 'all') wanted = new Set([...(wanted ?? []), ...names]);
    } else if (!message.events) {
      wanted = null;
    } else if (wanted === 'all') {
      wanted = new Set(eventNamesExcept(names));
    } else if (wanted) {
      for (const name of names) wanted.delete(name);
    }
    send({ type: 'result', id: message.id, result: { ok: true, value: { events: wanted === 'all' ? 'all' : [...(wanted ?? [])] } } });
  }
}

function eventNamesExcept(names: EventName[]): EventName[] {
  return eventNames.filter((e) => !names.includes(e));
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function messageId(json: unknown): string | number | null {
  if (json && typeof json === 'object' && 'id' in json) {
    const id = (json as { id: unknown }).id;
    if ((typeof id === 'string' && id.length > 0 && id.length <= 100) || (typeof id === 'number' && Number.isInteger(id))) return id;
  }
  return null;
}
