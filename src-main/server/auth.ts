import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Access rules of the browser-mode server. Every HTTP request and WebSocket upgrade carries the random token
 * (query `?token=`, the cookie set on first load, or an `X-Subpixel-Token` header), and browsers must come from
 * the served origin, so another web page open in the same browser can neither read the UI nor drive the API.
 */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenCookieName(port: number): string {
  // Cookies are not scoped by port: two servers on one host must not overwrite each other's token.
  return `subpixel_token_${port}`;
}

export type TokenCheck = { ok: true; fromQuery: boolean } | { ok: false; status: 401 | 403; reason: string };

export function checkToken(req: IncomingMessage, url: URL, token: string, port: number): TokenCheck {
  const fromQuery = url.searchParams.get('token');
  const fromHeader = headerValue(req, 'x-subpixel-token');
  const fromCookie = readCookie(req.headers.cookie, tokenCookieName(port));
  const offered = fromQuery ?? fromHeader ?? fromCookie;
  if (offered === null) return { ok: false, status: 401, reason: 'missing token' };
  if (!sameSecret(offered, token)) return { ok: false, status: 403, reason: 'wrong token' };
  return { ok: true, fromQuery: fromQuery !== null };
}

function sameSecret(offered: string, token: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try { return decodeURIComponent(part.slice(eq + 1).trim()); } catch { return null; }
    }
  }
  return null;
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The Host header must name this server. On a loopback bind only loopback names are accepted, which turns away
 * DNS-rebinding pages whose host name happens to resolve to 127.0.0.1.
 */
export function checkHost(req: IncomingMessage, bindHost: string, port: number): boolean {
  const host = req.headers.host;
  if (!host) return false;
  if (!isLoopbackHost(bindHost)) return true;
  return LOOPBACK_NAMES.some((name) => host === `${name}:${port}`) || host === `${bindHost}:${port}`;
}

/** Same origin as the page: `http://` + the (already checked) Host header. */
export function checkOrigin(req: IncomingMessage, required: boolean): { ok: true } | { ok: false; reason: string } {
  const origin = req.headers.origin;
  if (origin === undefined) return required ? { ok: false, reason: 'missing Origin' } : { ok: true };
  if (origin !== `http://${req.headers.host}`) return { ok: false, reason: `Origin ${origin} is not this server` };
  return { ok: true };
}
