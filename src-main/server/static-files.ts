import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInside } from '../services/roots.js';
import { contentTypeFor } from '../common/content-type.js';

/** Where the renderer build lands (Vite's outDir in this repo), found from the package root. */
export function defaultRendererDir(): string | null {
  let dir = resolve(fileURLToPath(new URL('.', import.meta.url)));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src-main'))) break;
    const parent = resolve(dir, '..');
    if (parent === dir) return null;
    dir = parent;
  }
  for (const candidate of ['dist-renderer', join('dist', 'renderer')]) {
    const full = join(dir, candidate);
    if (existsSync(join(full, 'index.html'))) return full;
  }
  return null;
}

/** Serves one file of `root` for a URL path; unknown paths get index.html (a single-page app). */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse, headOnly: boolean): Promise<void> {
  let decoded: string;
  try { decoded = decodeURIComponent(urlPath); } catch { decoded = '/'; }
  let file = resolve(root, `.${decoded}`);
  if (!isInside(file, root)) { res.writeHead(404).end('not found'); return; }
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) { file = join(file, 'index.html'); info = await stat(file).catch(() => null); }
  if (!info?.isFile()) {
    if (extname(decoded)) { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found'); return; }
    file = join(root, 'index.html');
    info = await stat(file).catch(() => null);
    if (!info?.isFile()) { res.writeHead(404).end('not found'); return; }
  }
  const type = contentTypeFor(file);
  const isPage = type.startsWith('text/html');
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': info.size,
    // Pages carry no token but are only valid for this run; assets are content-hashed by the bundler.
    'Cache-Control': isPage ? 'no-store' : 'private, max-age=3600',
  });
  if (headOnly) { res.end(); return; }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

/** Shown when the renderer has not been built, so `subpixel serve` still proves the API is up. */
export function placeholderPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Subpixel</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
code{background:#eee;padding:.1em .3em;border-radius:3px}@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}code{background:#333}}</style>
</head><body><h1>Subpixel</h1>
<p>The API is running, but the user interface has not been built yet.</p>
<p>Build it (<code>npx vite build</code>) and restart <code>subpixel serve</code>.</p>
<p id="status">Connecting to the API…</p>
<script>
const token = new URLSearchParams(location.search).get('token') || '';
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws?token=' + encodeURIComponent(token));
ws.onopen = () => ws.send(JSON.stringify({ type: 'call', id: 1, command: 'system.info', input: {} }));
ws.onmessage = (m) => { const msg = JSON.parse(m.data); if (msg.type === 'result') document.getElementById('status').textContent =
  msg.result.ok ? 'API connected: ' + msg.result.value.platform + ', state in ' + msg.result.value.stateHome : 'API error: ' + msg.result.error.message; };
ws.onerror = () => { document.getElementById('status').textContent = 'Could not connect to the API.'; };
</script></body></html>
`;
}
