/**
 * The renderer is served to the window from a privileged custom scheme rather than file://, so the page has a real
 * origin of its own (not every file on disk), and each response carries our CSP header. No 'electron' import here:
 * main.ts registers the scheme and answers requests with what these functions decide.
 */
import { extname, resolve, sep } from 'node:path';
import { contentTypeFor } from '../common/content-type.js';

export const APP_SCHEME = 'subpixel';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

export type AppRequest =
  | { kind: 'file'; path: string; contentType: string }
  | { kind: 'not-found' };

/**
 * Maps a request URL of our scheme to a file of the renderer build. Other hosts, encoded separators and paths that
 * climb out of the folder are not found; a path without an extension is the single-page app's index.html.
 */
export function resolveAppRequest(url: string, rendererDir: string): AppRequest {
  let parsed: URL;
  try { parsed = new URL(url); } catch { return { kind: 'not-found' }; }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return { kind: 'not-found' };
  let pathname: string;
  try { pathname = decodeURIComponent(parsed.pathname); } catch { return { kind: 'not-found' }; }
  if (pathname.includes('\0') || pathname.includes('\\')) return { kind: 'not-found' };
  const root = resolve(rendererDir);
  const relativePath = pathname === '/' || extname(pathname) === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const path = resolve(root, relativePath);
  if (path !== root && !path.startsWith(root + sep)) return { kind: 'not-found' };
  return { kind: 'file', path, contentType: contentTypeFor(path) };
}

/** Headers of every response of our scheme. */
export function appResponseHeaders(contentType: string, csp: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
}
