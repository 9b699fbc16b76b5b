/**
 * The renderer's one client for the API contract. In the desktop app it goes through the preload bridge
 * (`window.subpixel`); in a browser it opens a WebSocket to the origin that served the page, with the token from
 * the page URL. Both give the same calls, the same typed results and the same events.
 */
import type {
  ApiClient, CommandInput, CommandName, CommandOutput, EventName, EventPayload, Result,
} from '../src-common/api.js';

export type { ApiClient } from '../src-common/api.js';

/** What the preload exposes (see src-main/electron/preload.cts). */
interface PreloadBridge {
  call(command: string, input: unknown): Promise<unknown>;
  subscribe(event: string, listener: (payload: unknown) => void): () => void;
  /** The path of a dropped File (Electron's webUtils.getPathForFile), where the preload offers it. */
  pathForFile?(file: File): string;
}

/** The dropped file's path in the desktop app; undefined in a browser, where dropped files are uploaded instead. */
export function dropPathResolver(): ((file: File) => string) | undefined {
  const bridge = typeof window !== 'undefined' ? window.subpixel : undefined;
  return bridge?.pathForFile ? (file) => bridge.pathForFile!(file) : undefined;
}

declare global {
  interface Window {
    subpixel?: PreloadBridge;
  }
}

export function createApiClient(): ApiClient {
  if (typeof window !== 'undefined' && window.subpixel) return bridgeClient(window.subpixel);
  return webSocketClient(webSocketUrl(window.location));
}

function bridgeClient(bridge: PreloadBridge): ApiClient {
  return {
    async call(command, input) {
      try {
        return (await bridge.call(command, input)) as Result<never>;
      } catch (error) {
        return transportError(error);
      }
    },
    subscribe(event, listener) {
      return bridge.subscribe(event, listener as (payload: unknown) => void);
    },
  };
}

/** `ws://host/ws?token=…` for the page at `location`; the token comes from `?token=` of the page URL. */
export function webSocketUrl(location: { protocol: string; host: string; search: string }): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}

interface Pending {
  resolve: (result: Result<never>) => void;
}

type WireMessage =
  | { type: 'hello'; apiVersion: number }
  | { type: 'result'; id: string | number | null; result: Result<never> }
  | { type: 'event'; event: string; payload: unknown };

/**
 * One socket, reconnected with back-off when it drops. Calls made while connecting wait for the connection; when a
 * connection closes or is refused, every call not yet answered fails with `unavailable` (the server may or may not
 * have applied one that was in flight).
 */
export function webSocketClient(url: string, WebSocketImpl: typeof WebSocket = WebSocket): ApiClient & { close(): void } {
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const outbox: string[] = [];
  let socket: WebSocket | null = null;
  let open = false;
  let nextId = 1;
  let retryMs = 250;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const connect = (): void => {
    const ws = new WebSocketImpl(url);
    socket = ws;
    ws.onopen = () => {
      open = true;
      retryMs = 250;
      // Subscriptions live on the connection: restore them after a reconnect.
      if (listeners.size) ws.send(JSON.stringify({ type: 'subscribe', id: `s${nextId++}`, events: [...listeners.keys()] }));
      for (const message of outbox.splice(0)) ws.send(message);
    };
    ws.onmessage = (event: MessageEvent) => {
      let message: WireMessage;
      try { message = JSON.parse(String(event.data)) as WireMessage; } catch { return; }
      if (message.type === 'result' && typeof message.id === 'number') {
        const p = pending.get(message.id);
        if (p) { pending.delete(message.id); p.resolve(message.result); }
      } else if (message.type === 'event') {
        for (const listener of listeners.get(message.event) ?? []) {
          try { listener(message.payload); } catch (error) { console.error('[subpixel] event listener failed', error); }
        }
      }
    };
    // A refused or broken connection also fires close, which handles it.
    ws.onerror = () => {};
    ws.onclose = () => {
      const wasOpen = open;
      open = false;
      socket = null;
      outbox.length = 0;
      for (const [id, p] of pending) {
        pending.delete(id);
        p.resolve({ ok: false, error: { code: 'unavailable', message: wasOpen ? 'connection to Subpixel lost' : 'cannot connect to Subpixel (is the page URL with its token still valid?)' } });
      }
      if (closed) return;
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  };

  const send = (message: object): void => {
    const text = JSON.stringify(message);
    if (open && socket) socket.send(text);
    else outbox.push(text);
  };
  const fail = (message: string): Result<never> => ({ ok: false, error: { code: 'unavailable', message } });

  connect();

  return {
    call<K extends CommandName>(command: K, input: CommandInput<K>): Promise<Result<CommandOutput<K>>> {
      if (closed) return Promise.resolve(fail('the API client was closed'));
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, { resolve: resolve as (r: Result<never>) => void });
        send({ type: 'call', id, command, input });
      });
    },
    subscribe<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
        send({ type: 'subscribe', id: `s${nextId++}`, events: [event] });
      }
      set.add(listener as (payload: unknown) => void);
      return () => {
        set.delete(listener as (payload: unknown) => void);
        if (set.size === 0) {
          listeners.delete(event);
          send({ type: 'unsubscribe', id: `s${nextId++}`, events: [event] });
        }
      };
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}

function transportError(error: unknown): Result<never> {
  return { ok: false, error: { code: 'internal', message: error instanceof Error ? error.message : String(error) } };
}
