/**
 * Browser mode's way to hand results to the user: `/files/download` (save the file), `/files/view` (open an image in
 * a tab) and `/files/folder` (a page listing an output folder's images). Every request has passed the token check
 * of the server; a path is served only when it lies inside the allowed folders, as for every API command.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import { contentTypeFor } from '../common/content-type.js';
import { isImagePath } from '../jobs/expand.js';

export const FILE_ROUTES = ['/files/download', '/files/view', '/files/folder'] as const;

export interface FileAccess {
  /** The real path when `path` lies inside an allowed folder, else null. */
  resolveInside(path: string): Promise<string | null>;
}

/** Handles a file route; false when the path is not one of them. */
export async function serveFileRoute(pathname: string, query: URLSearchParams, access: FileAccess, res: ServerResponse, headOnly: boolean): Promise<boolean> {
  if (!(FILE_ROUTES as readonly string[]).includes(pathname)) return false;
  const requested = query.get('path') ?? '';
  const real = requested ? await access.resolveInside(requested) : null;
  if (!real) {
    text(res, 403, `${requested || 'that path'} is outside the allowed folders; add its folder under Settings → Allowed folders.`);
    return true;
  }
  const info = await stat(real).catch(() => null);
  if (pathname === '/files/folder') {
    if (!info?.isDirectory()) { text(res, 404, `${requested} is not a folder (any more).`); return true; }
    const page = await folderPage(real);
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'" });
    res.end(headOnly ? undefined : page);
    return true;
  }
  if (!info?.isFile()) { text(res, 404, `${requested} does not exist (any more).`); return true; }
  const type = contentTypeFor(real);
  // Only raster images are shown inline; anything else (an SVG could run script) is a download.
  const inline = pathname === '/files/view' && type.startsWith('image/') && type !== 'image/svg+xml';
  res.writeHead(200, {
    'Content-Type': inline ? type : 'application/octet-stream',
    'Content-Length': info.size,
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${asciiName(basename(real))}"; filename*=UTF-8''${encodeURIComponent(basename(real))}`,
    'Cache-Control': 'no-store',
    // A browser shows an image in a document of its own: let it load that image and style its page, nothing else.
    'Content-Security-Policy': inline ? "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'" : "default-src 'none'",
  });
  if (headOnly) { res.end(); return true; }
  createReadStream(real).on('error', () => res.destroy()).pipe(res);
  return true;
}

/** A plain page of the folder's images, newest first, each with View and Download links. */
async function folderPage(folder: string): Promise<string> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files = await Promise.all(entries.filter((e) => e.isFile() && isImagePath(e.name) && !e.name.startsWith('.'))
    .map(async (e) => ({ name: e.name, info: await stat(join(folder, e.name)) })));
  files.sort((a, b) => b.info.mtimeMs - a.info.mtimeMs);
  const link = (route: string, path: string) => `${route}?path=${encodeURIComponent(path)}`;
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  const rows = [
    ...folders.map((name) => `<li><a href="${link('/files/folder', join(folder, name))}">${escapeHtml(name)}/</a></li>`),
    ...files.map(({ name, info }) => `<li><a href="${link('/files/view', join(folder, name))}">${escapeHtml(name)}</a> <span>${(info.size / 1e6).toFixed(1)} MB</span> <a href="${link('/files/download', join(folder, name))}">Download</a></li>`),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(basename(folder))} · Subpixel</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}ul{padding:0;list-style:none}
li{display:flex;gap:1rem;padding:.35rem 0;border-bottom:1px solid #8884}li a:first-child{flex:1;overflow-wrap:anywhere}span{opacity:.7}</style>
</head><body><h1>${escapeHtml(basename(folder))}</h1><p><code>${escapeHtml(folder)}</code></p>
<ul>${rows.join('\n') || '<li>No images yet.</li>'}</ul></body></html>`;
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${message}\n`);
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
